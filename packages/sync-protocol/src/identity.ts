import { z } from 'zod';
import { identityPoolIdSchema } from './ids.js';

/**
 * Resolve (creating on first call) the caller's identity in a pool. Signed-in users get an
 * authenticated identity; guests get an unauthenticated one if the pool allows guests.
 */
export const getIdentityRequestSchema = z.strictObject({ identityPoolId: identityPoolIdSchema });
export const identitySchema = z.object({
  identityId: z.string(),
  identityPoolId: z.string(),
  authenticated: z.boolean(),
  createdAt: z.number().int(),
  lastModifiedDate: z.number().int().nullable(),
});
export const getIdentityResponseSchema = identitySchema;

export type Identity = z.infer<typeof identitySchema>;
