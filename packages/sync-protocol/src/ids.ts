import { z } from 'zod';
import {
  DATASET_NAME_PATTERN,
  IDENTITY_ID_PATTERN,
  IDENTITY_POOL_ID_PATTERN,
  MAX_DATASET_NAME_LENGTH,
  MAX_DEVICE_ID_LENGTH,
  MAX_ID_LENGTH,
  MAX_MAX_RESULTS,
  MAX_RECORD_KEY_LENGTH,
  MAX_RECORD_VALUE_LENGTH,
} from './limits.js';

export const identityPoolIdSchema = z
  .string()
  .min(1)
  .max(MAX_ID_LENGTH)
  .regex(IDENTITY_POOL_ID_PATTERN, 'Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+');
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
export const recordKeySchema = z.string().min(1).max(MAX_RECORD_KEY_LENGTH);
export const recordValueSchema = z.string().max(MAX_RECORD_VALUE_LENGTH);
export const deviceIdSchema = z.string().min(1).max(MAX_DEVICE_ID_LENGTH);
export const syncCountSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Epoch milliseconds. The tRPC surface speaks ms; the AWS binding converts to epoch seconds. */
export const timestampSchema = z.number().int().min(0);
export const nextTokenSchema = z.string().min(1).max(1024);
export const maxResultsSchema = z.number().int().min(1).max(MAX_MAX_RESULTS);

export type IdentityPoolId = z.infer<typeof identityPoolIdSchema>;
export type IdentityId = z.infer<typeof identityIdSchema>;
export type DatasetName = z.infer<typeof datasetNameSchema>;
