/**
 * The console's per-pool settings (spec §5 Get/SetIdentityPoolConfiguration, Get/SetCognitoEvents,
 * BulkPublish, GetBulkPublishDetails; §10–§12) and dashboard, under `admin.identityPool`.
 * Every answer is built from public data only: VAPID private keys never leave the database
 * except through getCurrentVapidKey() for the push sender, and the output schemas strip any
 * field they do not name.
 */
import {
  getBulkPublishDetails,
  getPoolSettings,
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
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { checkSyncTrigger } from '../../sync-trigger-check.js';
import { adminProcedure } from '../../trpc.js';

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
      return getPoolSettings(db, input.identityPoolId);
    }),

  /**
   * BulkPublish: records the run as IN_PROGRESS. The worker that publishes the pool's datasets
   * to the stream and ends the run (setBulkPublishProgress, finishBulkPublish) comes in a later
   * issue; until then a started run stays IN_PROGRESS.
   */
  bulkPublish: adminProcedure
    .input(identityPoolRequestSchema)
    .output(bulkPublishDetailsSchema)
    .mutation(({ ctx, input }) => startBulkPublish(ctx.deps.database.db, input.identityPoolId)),

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
