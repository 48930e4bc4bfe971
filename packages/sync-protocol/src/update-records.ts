import { z } from 'zod';
import { identityScope } from './dataset.js';
import { datasetNameSchema, deviceIdSchema } from './ids.js';
import { MAX_PATCHES_PER_UPDATE } from './limits.js';
import { recordPatchSchema, recordSchema } from './record.js';

/**
 * Push. All patches apply atomically or none do: one stale `syncCount` rejects the whole
 * request with ResourceConflictException. On success the dataset sync count rises by exactly
 * one and every written record carries the new count.
 */
export const updateRecordsRequestSchema = z.strictObject({
  ...identityScope,
  datasetName: datasetNameSchema,
  deviceId: deviceIdSchema.optional(),
  recordPatches: z.array(recordPatchSchema).max(MAX_PATCHES_PER_UPDATE).default([]),
  syncSessionToken: z.string().min(1).max(4096),
  clientContext: z.string().max(4096).optional(),
});

export const updateRecordsResponseSchema = z.object({
  records: z.array(recordSchema),
});

export type UpdateRecordsRequest = z.input<typeof updateRecordsRequestSchema>;
export type UpdateRecordsResponse = z.infer<typeof updateRecordsResponseSchema>;
