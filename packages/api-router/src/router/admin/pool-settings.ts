/**
 * The console's per-pool settings (spec §5 Get/SetIdentityPoolConfiguration, Get/SetCognitoEvents,
 * BulkPublish, GetBulkPublishDetails; §10–§12) and dashboard, under `admin.identityPool`.
 * Every answer is built from public data only: VAPID private keys never leave the database
 * except through getCurrentVapidKey() for the push sender, and the output schemas strip any
 * field they do not name.
 */
import {
  getBulkPublishDetails,
  getIdentityPool,
  getPoolSettings,
  listStreamRecords,
  poolDashboard,
  rotateVapidKey,
  setPushSettings,
  setStreamsSettings,
  setSyncTrigger,
  startBulkPublish,
} from '@tandem/db';
import {
  bulkPublishDetailsSchema,
  identityPoolRequestSchema,
  poolDashboardRequestSchema,
  poolDashboardSchema,
  poolSettingsSchema,
  setPushSettingsRequestSchema,
  setStreamsSettingsRequestSchema,
  setSyncTriggerRequestSchema,
  streamRecordsPageSchema,
  streamRecordsRequestSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import { checkSyncTrigger } from '../../sync-trigger-check.js';
import { adminProcedure } from '../../trpc.js';

/**
 * Console-only answer, kept here rather than in sync-protocol so adding it does not bump
 * PROTOCOL_VERSION on its own. TODO: move it there with the next protocol bump.
 */
const syncTriggerSigningSecretSchema = z.object({
  identityPoolId: z.string(),
  signingSecret: z.string(),
});

export const adminPoolSettingsRouter = {
  /** GetIdentityPoolConfiguration + GetCognitoEvents + GetBulkPublishDetails, in one. */
  settings: adminProcedure
    .input(identityPoolRequestSchema)
    .output(poolSettingsSchema)
    .query(({ ctx, input }) => getPoolSettings(ctx.deps.database.db, input.identityPoolId)),

  /** Push sync on/off; the first enabling generates the pool's VAPID key pair. */
  setPush: adminProcedure
    .input(setPushSettingsRequestSchema)
    .output(poolSettingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.deps.database;
      await setPushSettings(db, ctx.deps.secrets.settingsBox, input);
      return getPoolSettings(db, input.identityPoolId);
    }),

  /** New VAPID key pair; subscriptions made with the previous public key must re-subscribe. */
  rotateVapidKey: adminProcedure
    .input(identityPoolRequestSchema)
    .output(poolSettingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.deps.database;
      await rotateVapidKey(db, ctx.deps.secrets.settingsBox, input.identityPoolId);
      return getPoolSettings(db, input.identityPoolId);
    }),

  /** SetIdentityPoolConfiguration's CognitoStreams (null removes it). */
  setStreams: adminProcedure
    .input(setStreamsSettingsRequestSchema)
    .output(poolSettingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.deps.database;
      await setStreamsSettings(db, input);
      return getPoolSettings(db, input.identityPoolId);
    }),

  /** SetCognitoEvents' SyncTrigger (null removes it); the target is checked before saving. */
  setSyncTrigger: adminProcedure
    .input(setSyncTriggerRequestSchema)
    .output(poolSettingsSchema)
    .mutation(async ({ ctx, input }) => {
      const { db } = ctx.deps.database;
      if (input.syncTrigger) checkSyncTrigger(input.syncTrigger);
      await setSyncTrigger(db, input);
      ctx.deps.caches.syncTriggers.delete(input.identityPoolId);
      return getPoolSettings(db, input.identityPoolId);
    }),

  /** The secret the pool's webhook requests are signed with (X-Tandem-Signature). */
  syncTriggerSigningSecret: adminProcedure
    .input(identityPoolRequestSchema)
    .output(syncTriggerSigningSecretSchema)
    .query(async ({ ctx, input }) => {
      await getIdentityPool(ctx.deps.database.db, input.identityPoolId);
      return {
        identityPoolId: input.identityPoolId,
        signingSecret: ctx.deps.secrets.syncTriggerSigningSecret(input.identityPoolId),
      };
    }),

  /**
   * BulkPublish: records the run as IN_PROGRESS; a worker (packages/streams BulkPublisher)
   * claims it within a second, publishes every dataset and ends it SUCCEEDED or FAILED.
   */
  bulkPublish: adminProcedure
    .input(identityPoolRequestSchema)
    .output(bulkPublishDetailsSchema)
    .mutation(({ ctx, input }) => startBulkPublish(ctx.deps.database.db, input.identityPoolId)),

  /** The `postgres` sink's table: what the pool's stream holds, a page at a time. */
  streamRecords: adminProcedure
    .input(streamRecordsRequestSchema)
    .output(streamRecordsPageSchema)
    .query(({ ctx, input }) =>
      listStreamRecords(ctx.deps.database.db, {
        identityPoolId: input.identityPoolId,
        afterId: input.afterId,
        limit: input.maxResults,
      }),
    ),

  /** GetBulkPublishDetails (NOT_STARTED when never run). */
  bulkPublishDetails: adminProcedure
    .input(identityPoolRequestSchema)
    .output(bulkPublishDetailsSchema)
    .query(({ ctx, input }) => getBulkPublishDetails(ctx.deps.database.db, input.identityPoolId)),

  /** Totals, writes per day (per hour for one day) and the latest changes. */
  dashboard: adminProcedure
    .input(poolDashboardRequestSchema)
    .output(poolDashboardSchema)
    .query(({ ctx, input }) => poolDashboard(ctx.deps.database.db, input)),
} satisfies TRPCRouterRecord;
