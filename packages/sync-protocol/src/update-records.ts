import { z } from 'zod';
import { identityScope } from './dataset.js';
import { datasetNameSchema, deviceIdSchema, syncCountSchema } from './ids.js';
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

/**
 * Tandem extension (not in Cognito): did this device's last push land? A device whose push
 * answer was lost asks for the newest sync count it wrote in the dataset after the count it
 * pushed on. UpdateRecords is all or nothing, so a count above that means the whole push
 * committed; null means none of it did.
 */
export const lastDeviceWriteRequestSchema = z.strictObject({
  ...identityScope,
  datasetName: datasetNameSchema,
  deviceId: deviceIdSchema,
  afterSyncCount: syncCountSchema,
});

export const lastDeviceWriteResponseSchema = z.object({
  syncCount: syncCountSchema.nullable(),
});

export type LastDeviceWriteRequest = z.infer<typeof lastDeviceWriteRequestSchema>;
export type LastDeviceWriteResponse = z.infer<typeof lastDeviceWriteResponseSchema>;
