import { describeIdentityUsage } from '@tandem/db';
import {
  describeIdentityUsageResponseSchema,
  getIdentityRequestSchema,
  getIdentityResponseSchema,
  identityScopedRequestSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { callerIdentity } from '../identity-scope.js';
import { sessionProcedure } from '../trpc.js';
import { toIdentity } from './mappers.js';

export const identityRouter = {
  /** The caller's identity in a pool, created on first call (Cognito Identity's GetId). */
  getId: sessionProcedure
    .input(getIdentityRequestSchema)
    .output(getIdentityResponseSchema)
    .mutation(async ({ ctx, input }) =>
      toIdentity(await callerIdentity(ctx.deps, ctx.sessionUser, input)),
    ),

  usage: sessionProcedure
    .input(identityScopedRequestSchema)
    .output(describeIdentityUsageResponseSchema)
    .query(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      return {
        identityUsage: await describeIdentityUsage(ctx.deps.database.db, {
          identityPoolId: identity.identityPoolId,
          identityId: identity.id,
        }),
      };
    }),
} satisfies TRPCRouterRecord;
