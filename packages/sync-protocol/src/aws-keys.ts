import { z } from 'zod';
import { identityPoolIdSchema, timestampSchema } from './ids.js';

/**
 * AWS developer keys (spec §3.2): long-lived access key pairs an administrator creates for one
 * identity pool, so server-side apps built on the AWS SDKs can call Tandem's Cognito Sync
 * endpoint (SigV4) on any identity of that pool. The secret is returned once, by `create`.
 */

/** At most this many active (not revoked) keys per pool. */
export const MAX_ACTIVE_DEVELOPER_KEYS = 20;

export const developerKeyNameSchema = z.string().trim().min(1).max(64);

/** AWS-shaped access key id (`TKDV` + 16 characters for Tandem's developer keys). */
export const accessKeyIdSchema = z
  .string()
  .min(16)
  .max(128)
  .regex(/^[A-Z0-9]+$/, 'Member must satisfy regular expression pattern: [A-Z0-9]+');

export const developerKeySchema = z.object({
  accessKeyId: z.string(),
  identityPoolId: z.string(),
  name: z.string(),
  /** The administrator who created it (email), null when unknown. */
  createdBy: z.string().nullable(),
  createdAt: timestampSchema,
  /** Last signed request made with it (updated at most once a minute). */
  lastUsedAt: timestampSchema.nullable(),
  revokedAt: timestampSchema.nullable(),
});

export const listDeveloperKeysRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
});
export const listDeveloperKeysResponseSchema = z.object({
  /** Newest first, revoked keys included. */
  keys: z.array(developerKeySchema),
});

export const createDeveloperKeyRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  name: developerKeyNameSchema,
});
export const createDeveloperKeyResponseSchema = z.object({
  key: developerKeySchema,
  /** Shown this once: only a sealed copy is stored. */
  secretAccessKey: z.string(),
});

export const revokeDeveloperKeyRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  accessKeyId: accessKeyIdSchema,
});

export type DeveloperKey = z.infer<typeof developerKeySchema>;
export type CreateDeveloperKeyResponse = z.infer<typeof createDeveloperKeyResponseSchema>;
