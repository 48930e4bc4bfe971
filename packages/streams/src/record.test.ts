import { expect, test } from 'vitest';
import { dedupeKey, InvalidChangeError, toStreamRecord } from './record.js';

test('an update becomes a Cognito Streams record with both dataset spellings', () => {
  const record = toStreamRecord({
    identityPoolId: 'us-east-1:pool',
    identityId: 'us-east-1:identity',
    datasetName: 'settings',
    syncCount: 7,
    kind: 'update',
    records: [
      { key: 'a', value: '1', syncCount: 7, lastModifiedDate: 10, deviceLastModifiedDate: 9 },
      { key: 'b', value: null, syncCount: 7, lastModifiedDate: 10, deviceLastModifiedDate: null },
    ],
    committedAt: new Date(1424801824343),
  });
  expect(record).toEqual({
    identityPoolId: 'us-east-1:pool',
    identityId: 'us-east-1:identity',
    datasetName: 'settings',
    dataSetName: 'settings',
    operation: 'replace',
    payloadType: 'Inline',
    kinesisSyncRecords: [
      {
        key: 'a',
        value: '1',
        syncCount: 7,
        lastModifiedDate: 10,
        deviceLastModifiedDate: 9,
        op: 'replace',
      },
      {
        key: 'b',
        value: null,
        syncCount: 7,
        lastModifiedDate: 10,
        deviceLastModifiedDate: null,
        op: 'remove',
      },
    ],
    syncCount: 7,
    lastModifiedDate: 1424801824343,
    dedupeKey: 'us-east-1:pool/us-east-1:identity/settings/7',
  });
});

test('a dataset deletion is a remove without records', () => {
  const record = toStreamRecord({
    identityPoolId: 'p:1',
    identityId: 'i:1',
    datasetName: 'd',
    syncCount: 3,
    kind: 'delete',
    records: [],
    committedAt: new Date(5),
  });
  expect(record.operation).toBe('remove');
  expect(record.kinesisSyncRecords).toEqual([]);
});

test('dedupe keys are unambiguous and stable', () => {
  expect(dedupeKey('p', 'i', 'd', 1)).toBe(dedupeKey('p', 'i', 'd', 1));
  expect(dedupeKey('p/i', 'd', 'x', 1)).not.toBe(dedupeKey('p', 'i/d', 'x', 1));
  expect(dedupeKey('p%2F', 'i', 'd', 1)).not.toBe(dedupeKey('p/', 'i', 'd', 1));
});

test('a malformed stored record is rejected', () => {
  expect(() =>
    toStreamRecord({
      identityPoolId: 'p:1',
      identityId: 'i:1',
      datasetName: 'd',
      syncCount: 1,
      kind: 'update',
      records: [{ key: 'a', value: 3 }],
      committedAt: new Date(0),
    }),
  ).toThrow(InvalidChangeError);
});
