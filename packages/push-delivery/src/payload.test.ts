import { describe, expect, test } from 'vitest';
import {
  MAX_PUSH_PAYLOAD_BYTES,
  PushPayloadTooLargeError,
  assertPushPayloadSize,
  datasetTopic,
  decodePushPayload,
  encodePushPayload,
  isValidTopic,
} from './payload.js';

const fields = {
  identityPoolId: 'eu-west-1:5f0c7f4e-8a43-4d35-9c1b-0f6f2d8d3a11',
  identityId: 'eu-west-1:0a6b2f52-2d6c-4f86-bd0e-4a1b9f6c7e21',
  datasetName: 'settings',
  syncCount: 42,
};

describe('push payload (spec §12)', () => {
  test('has exactly the spec keys and round-trips', () => {
    const bytes = encodePushPayload(fields);
    expect(JSON.parse(bytes.toString('utf8'))).toEqual({ source: 'cognito-sync', ...fields });
    expect(decodePushPayload(bytes)).toEqual({ source: 'cognito-sync', ...fields });
  });

  test('refuses invalid fields', () => {
    expect(() => encodePushPayload({ ...fields, syncCount: -1 })).toThrow();
    expect(() => encodePushPayload({ ...fields, datasetName: 'no spaces' })).toThrow();
    expect(() => decodePushPayload('{"source":"other"}')).toThrow();
  });

  test('size guard at 3,993 bytes', () => {
    expect(() => assertPushPayloadSize(new Uint8Array(MAX_PUSH_PAYLOAD_BYTES))).not.toThrow();
    expect(() => assertPushPayloadSize(new Uint8Array(MAX_PUSH_PAYLOAD_BYTES + 1))).toThrow(
      PushPayloadTooLargeError,
    );
    // The largest ids and dataset name the protocol allows still fit.
    const big = encodePushPayload({
      identityPoolId: `${'a'.repeat(50)}:${'0'.repeat(4)}`,
      identityId: `${'a'.repeat(50)}:${'0'.repeat(4)}`,
      datasetName: 'd'.repeat(128),
      syncCount: Number.MAX_SAFE_INTEGER,
    });
    expect(big.byteLength).toBeLessThan(MAX_PUSH_PAYLOAD_BYTES);
  });

  test('dataset topic is 32 base64url characters, stable and distinct', () => {
    const topic = datasetTopic(fields);
    expect(topic).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(isValidTopic(topic)).toBe(true);
    expect(datasetTopic(fields)).toBe(topic);
    expect(datasetTopic({ ...fields, datasetName: 'other' })).not.toBe(topic);
    expect(topic).not.toContain('settings');
    expect(isValidTopic('a'.repeat(33))).toBe(false);
    expect(isValidTopic('a+b')).toBe(false);
  });
});
