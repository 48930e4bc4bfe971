import { z } from 'zod';
import { timestampSchema } from './ids.js';

export const identityUsageSchema = z.object({
  identityId: z.string(),
  identityPoolId: z.string(),
  lastModifiedDate: timestampSchema.nullable(),
  datasetCount: z.number().int(),
  dataStorage: z.number().int(),
});
export const describeIdentityUsageResponseSchema = z.object({ identityUsage: identityUsageSchema });

export const identityPoolUsageSchema = z.object({
  identityPoolId: z.string(),
  /** Cognito reports null; Tandem counts UpdateRecords calls since the pool was created. */
  syncSessionsCount: z.number().int().nullable(),
  dataStorage: z.number().int(),
  lastModifiedDate: timestampSchema.nullable(),
  identityCount: z.number().int(),
  datasetCount: z.number().int(),
});

export type IdentityUsage = z.infer<typeof identityUsageSchema>;
export type IdentityPoolUsage = z.infer<typeof identityPoolUsageSchema>;
