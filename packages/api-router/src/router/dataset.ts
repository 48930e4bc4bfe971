import {
  datasetRequestSchema,
  deleteDatasetResponseSchema,
  describeDatasetResponseSchema,
  listDatasetsRequestSchema,
  listDatasetsResponseSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { callerIdentity } from '../identity-scope.js';
import { syncOperations } from '../sync-operations.js';
import { sessionProcedure } from '../trpc.js';
import { identityWriter } from './writers.js';

export const datasetRouter = {
  list: sessionProcedure
    .input(listDatasetsRequestSchema)
    .output(listDatasetsResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.listDatasets(
        ctx.deps,
        await callerIdentity(ctx.deps, ctx.sessionUser, input),
        input,
      ),
    ),

  describe: sessionProcedure
    .input(datasetRequestSchema)
    .output(describeDatasetResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.describeDataset(
        ctx.deps,
        await callerIdentity(ctx.deps, ctx.sessionUser, input),
        input.datasetName,
      ),
    ),

  delete: sessionProcedure
    .input(datasetRequestSchema)
    .output(deleteDatasetResponseSchema)
    .mutation(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      return syncOperations.deleteDataset(
        ctx.deps,
        identity,
        input.datasetName,
        identityWriter(identity),
      );
    }),
} satisfies TRPCRouterRecord;
