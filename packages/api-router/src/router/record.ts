import {
  lastDeviceWriteRequestSchema,
  lastDeviceWriteResponseSchema,
  listRecordsRequestSchema,
  listRecordsResponseSchema,
  updateRecordsRequestSchema,
  updateRecordsResponseSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { callerIdentity } from '../identity-scope.js';
import { syncOperations } from '../sync-operations.js';
import { sessionProcedure } from '../trpc.js';
import { identityWriter } from './writers.js';

export const recordRouter = {
  /** ListRecords: pull changes since `lastSyncCount`, and get the token UpdateRecords needs. */
  list: sessionProcedure
    .input(listRecordsRequestSchema)
    .output(listRecordsResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.listRecords(
        ctx.deps,
        await callerIdentity(ctx.deps, ctx.sessionUser, input),
        input,
      ),
    ),

  /** Tandem extension: did this device's push whose answer was lost commit? */
  lastDeviceWrite: sessionProcedure
    .input(lastDeviceWriteRequestSchema)
    .output(lastDeviceWriteResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.lastDeviceWrite(
        ctx.deps,
        await callerIdentity(ctx.deps, ctx.sessionUser, input),
        input,
      ),
    ),

  /** UpdateRecords: push patches with per-record sync counts; all or nothing. */
  update: sessionProcedure
    .input(updateRecordsRequestSchema)
    .output(updateRecordsResponseSchema)
    .mutation(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      return syncOperations.updateRecords(
        ctx.deps,
        identity,
        input,
        identityWriter(identity, input.deviceId),
      );
    }),
} satisfies TRPCRouterRecord;
