import { z } from 'zod';
import {
  datasetNameSchema,
  identityIdSchema,
  identityPoolIdSchema,
  maxResultsSchema,
  nextTokenSchema,
  syncCountSchema,
  timestampSchema,
} from './ids.js';

export const datasetSchema = z.object({
  identityId: z.string(),
  datasetName: z.string(),
  creationDate: timestampSchema,
  lastModifiedDate: timestampSchema,
  lastModifiedBy: z.string().nullable(),
  /** UTF-8 bytes of keys + values of the live records. */
  dataStorage: z.number().int().min(0),
  numRecords: z.number().int().min(0),
  syncCount: syncCountSchema,
});

/**
 * Identity-scoped requests carry the pool; the identity comes from the caller's session.
 * `identityId` may be given (the Cognito path carries it) but must be the caller's own.
 */
const identityScope = {
  identityPoolId: identityPoolIdSchema,
  identityId: identityIdSchema.optional(),
};

export const listDatasetsRequestSchema = z.strictObject({
  ...identityScope,
  nextToken: nextTokenSchema.optional(),
  maxResults: maxResultsSchema.optional(),
});
export const listDatasetsResponseSchema = z.object({
  datasets: z.array(datasetSchema),
  count: z.number().int(),
  nextToken: z.string().nullable(),
});

export const datasetRequestSchema = z.strictObject({
  ...identityScope,
  datasetName: datasetNameSchema,
});
export const describeDatasetResponseSchema = z.object({ dataset: datasetSchema });
export const deleteDatasetResponseSchema = z.object({ dataset: datasetSchema });

export const identityScopedRequestSchema = z.strictObject(identityScope);

export type Dataset = z.infer<typeof datasetSchema>;
export type ListDatasetsRequest = z.infer<typeof listDatasetsRequestSchema>;
export type ListDatasetsResponse = z.infer<typeof listDatasetsResponseSchema>;
export type DatasetRequest = z.infer<typeof datasetRequestSchema>;
export { identityScope };
