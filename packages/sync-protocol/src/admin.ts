import { z } from 'zod';
import { datasetRequestSchema, listDatasetsRequestSchema } from './dataset.js';
import {
  identityIdSchema,
  identityPoolIdSchema,
  maxResultsSchema,
  nextTokenSchema,
  timestampSchema,
} from './ids.js';
import { identitySchema } from './identity.js';
import { listRecordsRequestSchema } from './list-records.js';
import { updateRecordsRequestSchema } from './update-records.js';
import { identityPoolUsageSchema } from './usage.js';

/**
 * Admin surface: the same operations on any identity of a pool (identityId required), plus
 * identity pool management. Admin writes are not identity writes: they skip the sync trigger
 * and are attributed to the admin.
 */
export const regionSchema = z
  .string()
  .min(1)
  .max(20)
  .regex(/^[a-z0-9-]+$/, 'Member must satisfy regular expression pattern: [a-z0-9-]+');

export const identityPoolSchema = z.object({
  identityPoolId: z.string(),
  name: z.string(),
  allowUnauthenticated: z.boolean(),
  createdAt: timestampSchema,
  updatedAt: timestampSchema,
});

export const identityPoolNameSchema = z.string().trim().min(1).max(128);

export const createIdentityPoolRequestSchema = z.strictObject({
  name: identityPoolNameSchema,
  allowUnauthenticated: z.boolean().default(true),
  region: regionSchema.optional(),
});
export const updateIdentityPoolRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  name: identityPoolNameSchema.optional(),
  allowUnauthenticated: z.boolean().optional(),
});
export const identityPoolRequestSchema = z.strictObject({ identityPoolId: identityPoolIdSchema });

export const listRequestSchema = z.strictObject({
  nextToken: nextTokenSchema.optional(),
  maxResults: maxResultsSchema.optional(),
});
export const listIdentityPoolsResponseSchema = z.object({
  identityPools: z.array(identityPoolSchema),
  nextToken: z.string().nullable(),
});

export const listIdentityPoolUsageResponseSchema = z.object({
  identityPoolUsages: z.array(identityPoolUsageSchema),
  count: z.number().int(),
  maxResults: z.number().int(),
  nextToken: z.string().nullable(),
});

export const listIdentitiesRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  /** Search: identities whose id starts with this text. */
  identityIdPrefix: z.string().max(55).optional(),
  nextToken: nextTokenSchema.optional(),
  maxResults: maxResultsSchema.optional(),
});
export const listIdentitiesResponseSchema = z.object({
  identities: z.array(identitySchema),
  nextToken: z.string().nullable(),
});

const anyIdentity = { identityId: identityIdSchema };
export const adminIdentityRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  ...anyIdentity,
});
export const adminListDatasetsRequestSchema = listDatasetsRequestSchema.extend(anyIdentity);
export const adminDatasetRequestSchema = datasetRequestSchema.extend(anyIdentity);
export const adminListRecordsRequestSchema = listRecordsRequestSchema.extend(anyIdentity);
export const adminUpdateRecordsRequestSchema = updateRecordsRequestSchema.extend(anyIdentity);

export type IdentityPool = z.infer<typeof identityPoolSchema>;
export type CreateIdentityPoolRequest = z.input<typeof createIdentityPoolRequestSchema>;
