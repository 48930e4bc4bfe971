/**
 * The push payload (spec §12, adapted to web push) and the `Topic` that collapses pending pushes.
 *
 * Spec §12 lists the keys Cognito Sync put in its silent pushes: `source` = "cognito-sync",
 * `identityPoolId`, `identityId`, `datasetName`, `syncCount` (the dataset's count after the
 * change). Web push carries them as one JSON object, encrypted (RFC 8291). `syncCount` is a JSON
 * number here (Android's GCM extras could only carry strings; JSON can do better and the
 * service worker compares it with its local count).
 *
 * Size: one aes128gcm record of at most 4,096 bytes (what every push service must accept) leaves
 * 3,993 bytes of plaintext (research §A3). Ids and dataset names are bounded far below that; the
 * guard is there so a future field cannot silently produce 413s.
 *
 * Topic: RFC 8030 §5.4 — at most 32 base64url characters; a newer message with the same topic
 * replaces an undelivered one. One topic per (pool, identity, dataset), hashed so the topic,
 * which the push service sees in clear, reveals no names.
 */
import { createHash } from 'node:crypto';
import {
  datasetNameSchema,
  identityIdSchema,
  identityPoolIdSchema,
  syncCountSchema,
} from '@tandem/sync-protocol';
import { z } from 'zod';

/** RFC 8291 §4: 4,096 − 86 (header) − 1 (padding delimiter) − 16 (GCM tag). */
export const MAX_PUSH_PAYLOAD_BYTES = 3993;
/** RFC 8030 §5.4. */
export const MAX_TOPIC_LENGTH = 32;
export const PUSH_PAYLOAD_SOURCE = 'cognito-sync';

// TODO(push): move to @tandem/sync-protocol (the service worker in client-sdk parses it too).
export const pushPayloadSchema = z.strictObject({
  source: z.literal(PUSH_PAYLOAD_SOURCE),
  identityPoolId: identityPoolIdSchema,
  identityId: identityIdSchema,
  datasetName: datasetNameSchema,
  syncCount: syncCountSchema,
});
export type PushPayload = z.infer<typeof pushPayloadSchema>;

export class PushPayloadTooLargeError extends Error {
  override readonly name = 'PushPayloadTooLargeError';
  constructor(readonly byteLength: number) {
    super(`Push payload is ${byteLength} bytes; the limit is ${MAX_PUSH_PAYLOAD_BYTES}`);
  }
}

/** Throws {@link PushPayloadTooLargeError} when `bytes` cannot fit one push record. */
export function assertPushPayloadSize(bytes: Uint8Array): void {
  if (bytes.byteLength > MAX_PUSH_PAYLOAD_BYTES) {
    throw new PushPayloadTooLargeError(bytes.byteLength);
  }
}

/** The JSON bytes to encrypt for a dataset change. Validates the fields and the size. */
export function encodePushPayload(fields: Omit<PushPayload, 'source'>): Buffer {
  const payload = pushPayloadSchema.parse({ source: PUSH_PAYLOAD_SOURCE, ...fields });
  const bytes = Buffer.from(JSON.stringify(payload), 'utf8');
  assertPushPayloadSize(bytes);
  return bytes;
}

/** Parses a decrypted payload (the service worker's side, and tests). */
export function decodePushPayload(data: string | Uint8Array): PushPayload {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  return pushPayloadSchema.parse(JSON.parse(text));
}

/** `Topic` for a dataset: 24 bytes of SHA-256 → exactly 32 base64url characters. */
export function datasetTopic(key: {
  identityPoolId: string;
  identityId: string;
  datasetName: string;
}): string {
  return createHash('sha256')
    .update(JSON.stringify([key.identityPoolId, key.identityId, key.datasetName]))
    .digest()
    .subarray(0, 24)
    .toString('base64url');
}

const TOPIC = /^[A-Za-z0-9_-]{1,32}$/;
export const isValidTopic = (topic: string): boolean => TOPIC.test(topic);
