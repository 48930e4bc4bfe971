import { z } from 'zod';
import { identityScope } from './dataset.js';
import { datasetNameSchema, maxResultsSchema, nextTokenSchema, syncCountSchema } from './ids.js';
import { recordSchema } from './record.js';

/**
 * Pull. Without `lastSyncCount` every record (tombstones included) is returned; with it, only
 * those written after it. Pages are ordered by (syncCount, key); clients keep the token and
 * dataset fields of the last page.
 */
export const listRecordsRequestSchema = z.strictObject({
  ...identityScope,
  datasetName: datasetNameSchema,
  lastSyncCount: syncCountSchema.optional(),
  nextToken: nextTokenSchema.optional(),
  maxResults: maxResultsSchema.optional(),
  syncSessionToken: z.string().max(4096).optional(),
});

export const listRecordsResponseSchema = z.object({
  records: z.array(recordSchema),
  nextToken: z.string().nullable(),
  /** Records in this page. */
  count: z.number().int(),
  datasetSyncCount: syncCountSchema,
  lastModifiedBy: z.string().nullable(),
  mergedDatasetNames: z.array(z.string()).nullable(),
  datasetExists: z.boolean(),
  datasetDeletedAfterRequestedSyncCount: z.boolean(),
  syncSessionToken: z.string(),
});

export type ListRecordsRequest = z.infer<typeof listRecordsRequestSchema>;
export type ListRecordsResponse = z.infer<typeof listRecordsResponseSchema>;
