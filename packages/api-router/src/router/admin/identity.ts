import { describeIdentityUsage, listDevices, listIdentities, removeDevice } from '@tandem/db';
import {
  adminDatasetRequestSchema,
  adminIdentityRequestSchema,
  adminListDatasetsRequestSchema,
  adminListRecordsRequestSchema,
  adminUpdateRecordsRequestSchema,
  DEFAULT_MAX_RESULTS,
  deviceIdSchema,
  deleteDatasetResponseSchema,
  describeDatasetResponseSchema,
  describeIdentityUsageResponseSchema,
  identitySchema,
  listDatasetsResponseSchema,
  listIdentitiesRequestSchema,
  listIdentitiesResponseSchema,
  listRecordsResponseSchema,
  updateRecordsResponseSchema,
  listDevicesResponseSchema,
} from '@tandem/sync-protocol';
import { z } from 'zod';
import type { TRPCRouterRecord } from '@trpc/server';
import { identityOfPool } from '../../identity-scope.js';
import { syncOperations } from '../../sync-operations.js';
import { adminProcedure } from '../../trpc.js';
import { toIdentity } from '../mappers.js';
import { adminWriter } from '../writers.js';

/** The identity browser and the data of any identity of a pool. */
export const adminIdentityRouter = {
  list: adminProcedure
    .input(listIdentitiesRequestSchema)
    .output(listIdentitiesResponseSchema)
    .query(async ({ ctx, input }) => {
      const page = await listIdentities(ctx.deps.database.db, {
        identityPoolId: input.identityPoolId,
        identityIdPrefix: input.identityIdPrefix,
        nextToken: input.nextToken,
        maxResults: input.maxResults ?? 60,
      });
      return { identities: page.identities.map(toIdentity), nextToken: page.nextToken };
    }),

  byId: adminProcedure
    .input(adminIdentityRequestSchema)
    .output(identitySchema)
    .query(async ({ ctx, input }) => toIdentity(await identityOfPool(ctx.deps, input))),

  usage: adminProcedure
    .input(adminIdentityRequestSchema)
    .output(describeIdentityUsageResponseSchema)
    .query(async ({ ctx, input }) => {
      await identityOfPool(ctx.deps, input);
      return { identityUsage: await describeIdentityUsage(ctx.deps.database.db, input) };
    }),

  /** The identity's push sync devices and what each is subscribed to. */
  devices: adminProcedure
    .input(adminIdentityRequestSchema)
    .output(listDevicesResponseSchema)
    .query(async ({ ctx, input }) => {
      const identity = await identityOfPool(ctx.deps, input);
      return { devices: await listDevices(ctx.deps.database.db, identity.id) };
    }),

  /** Removes one of the identity's devices (it gets no more pushes until it registers again). */
  removeDevice: adminProcedure
    .input(adminIdentityRequestSchema.extend({ deviceId: deviceIdSchema }))
    .output(z.object({}))
    .mutation(async ({ ctx, input }) => {
      const identity = await identityOfPool(ctx.deps, input);
      await removeDevice(ctx.deps.database.db, {
        identityId: identity.id,
        deviceId: input.deviceId,
      });
      return {};
    }),
} satisfies TRPCRouterRecord;

export const adminDatasetRouter = {
  list: adminProcedure
    .input(adminListDatasetsRequestSchema)
    .output(listDatasetsResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.listDatasets(ctx.deps, await identityOfPool(ctx.deps, input), {
        ...input,
        maxResults: input.maxResults ?? DEFAULT_MAX_RESULTS,
      }),
    ),

  describe: adminProcedure
    .input(adminDatasetRequestSchema)
    .output(describeDatasetResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.describeDataset(
        ctx.deps,
        await identityOfPool(ctx.deps, input),
        input.datasetName,
      ),
    ),

  delete: adminProcedure
    .input(adminDatasetRequestSchema)
    .output(deleteDatasetResponseSchema)
    .mutation(async ({ ctx, input }) =>
      syncOperations.deleteDataset(
        ctx.deps,
        await identityOfPool(ctx.deps, input),
        input.datasetName,
        adminWriter(ctx.sessionUser),
      ),
    ),
} satisfies TRPCRouterRecord;

export const adminRecordRouter = {
  list: adminProcedure
    .input(adminListRecordsRequestSchema)
    .output(listRecordsResponseSchema)
    .query(async ({ ctx, input }) =>
      syncOperations.listRecords(ctx.deps, await identityOfPool(ctx.deps, input), input),
    ),

  update: adminProcedure
    .input(adminUpdateRecordsRequestSchema)
    .output(updateRecordsResponseSchema)
    .mutation(async ({ ctx, input }) =>
      syncOperations.updateRecords(
        ctx.deps,
        await identityOfPool(ctx.deps, input),
        input,
        adminWriter(ctx.sessionUser),
      ),
    ),
} satisfies TRPCRouterRecord;
