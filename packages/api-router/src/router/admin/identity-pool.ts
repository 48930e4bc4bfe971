import {
  createIdentityPool,
  describeIdentityPoolUsage,
  getIdentityPool,
  listIdentityPools,
  updateIdentityPool,
} from '@tandem/db';
import {
  createIdentityPoolRequestSchema,
  DEFAULT_MAX_RESULTS,
  identityPoolRequestSchema,
  identityPoolSchema,
  identityPoolUsageSchema,
  listIdentityPoolsResponseSchema,
  listIdentityPoolUsageResponseSchema,
  listRequestSchema,
  updateIdentityPoolRequestSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { adminProcedure } from '../../trpc.js';
import { toIdentityPool } from '../mappers.js';

export const adminIdentityPoolRouter = {
  create: adminProcedure
    .input(createIdentityPoolRequestSchema)
    .output(identityPoolSchema)
    .mutation(async ({ ctx, input }) =>
      toIdentityPool(
        await createIdentityPool(ctx.deps.database.db, {
          name: input.name,
          allowUnauthenticated: input.allowUnauthenticated,
          region: input.region ?? ctx.deps.region,
        }),
      ),
    ),

  list: adminProcedure
    .input(listRequestSchema)
    .output(listIdentityPoolsResponseSchema)
    .query(async ({ ctx, input }) => {
      const page = await listIdentityPools(ctx.deps.database.db, {
        nextToken: input.nextToken,
        maxResults: input.maxResults ?? 60,
      });
      return { identityPools: page.identityPools.map(toIdentityPool), nextToken: page.nextToken };
    }),

  byId: adminProcedure
    .input(identityPoolRequestSchema)
    .output(identityPoolSchema)
    .query(async ({ ctx, input }) =>
      toIdentityPool(await getIdentityPool(ctx.deps.database.db, input.identityPoolId)),
    ),

  update: adminProcedure
    .input(updateIdentityPoolRequestSchema)
    .output(identityPoolSchema)
    .mutation(async ({ ctx, input }) =>
      toIdentityPool(
        await updateIdentityPool(ctx.deps.database.db, {
          id: input.identityPoolId,
          name: input.name,
          allowUnauthenticated: input.allowUnauthenticated,
        }),
      ),
    ),

  /** DescribeIdentityPoolUsage. */
  usage: adminProcedure
    .input(identityPoolRequestSchema)
    .output(identityPoolUsageSchema)
    .query(({ ctx, input }) =>
      describeIdentityPoolUsage(ctx.deps.database.db, input.identityPoolId),
    ),

  /** ListIdentityPoolUsage. */
  listUsage: adminProcedure
    .input(listRequestSchema)
    .output(listIdentityPoolUsageResponseSchema)
    .query(async ({ ctx, input }) => {
      const maxResults = input.maxResults ?? DEFAULT_MAX_RESULTS;
      const page = await listIdentityPools(ctx.deps.database.db, {
        nextToken: input.nextToken,
        maxResults,
      });
      const identityPoolUsages = await Promise.all(
        page.identityPools.map((pool) => describeIdentityPoolUsage(ctx.deps.database.db, pool.id)),
      );
      return {
        identityPoolUsages,
        count: identityPoolUsages.length,
        maxResults,
        nextToken: page.nextToken,
      };
    }),
} satisfies TRPCRouterRecord;
