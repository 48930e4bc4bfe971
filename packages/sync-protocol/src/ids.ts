import { z } from 'zod';
import {
  DATASET_NAME_PATTERN,
  IDENTITY_ID_PATTERN,
  IDENTITY_POOL_ID_PATTERN,
  MAX_DATASET_NAME_LENGTH,
  MAX_DEVICE_ID_LENGTH,
  MAX_ID_LENGTH,
  MAX_MAX_RESULTS,
  MAX_RECORD_KEY_BYTES,
  MAX_RECORD_KEY_LENGTH,
  MAX_RECORD_VALUE_LENGTH,
  MAX_TIMESTAMP_MS,
} from './limits.js';
import { utf8ByteLength } from './utf8.js';

/** Text PostgreSQL cannot store as sent: U+0000, or an unpaired surrogate (stored as U+FFFD). */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const isStorableText = (text: string) => !text.includes('\u0000') && !LONE_SURROGATE.test(text);
const STORABLE_TEXT_MESSAGE = 'Member must be well-formed Unicode text without U+0000';

export const identityPoolIdSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(
    IDENTITY_POOL_ID_PATTERN,
    'Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+',
  );
export const identityIdSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(IDENTITY_ID_PATTERN, 'Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+');
export const datasetNameSchema = z
  .string()
  .min(1)
  .max(MAX_DATASET_NAME_LENGTH)
  .regex(DATASET_NAME_PATTERN, 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.:-]+');
export const recordKeySchema = z
  .string()
  .min(1)
  .max(MAX_RECORD_KEY_LENGTH)
  .refine(isStorableText, STORABLE_TEXT_MESSAGE)
  .refine(
    (key) => utf8ByteLength(key) <= MAX_RECORD_KEY_BYTES,
    `Member must have a UTF-8 length less than or equal to ${MAX_RECORD_KEY_BYTES} bytes`,
  );
export const recordValueSchema = z
  .string()
  .max(MAX_RECORD_VALUE_LENGTH)
  .refine(isStorableText, STORABLE_TEXT_MESSAGE);
export const deviceIdSchema = z
  .string()
  .min(1)
  .max(MAX_DEVICE_ID_LENGTH)
  .refine(isStorableText, STORABLE_TEXT_MESSAGE);
export const syncCountSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Epoch milliseconds. The tRPC surface speaks ms; the AWS binding converts to epoch seconds. */
export const timestampSchema = z.number().int().min(0).max(MAX_TIMESTAMP_MS);
export const nextTokenSchema = z.string().min(1).max(1024);
export const maxResultsSchema = z.number().int().min(1).max(MAX_MAX_RESULTS);

export type IdentityPoolId = z.infer<typeof identityPoolIdSchema>;
export type IdentityId = z.infer<typeof identityIdSchema>;
export type DatasetName = z.infer<typeof datasetNameSchema>;
