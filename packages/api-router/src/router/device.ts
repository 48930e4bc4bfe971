/**
 * Push sync for the caller's own identity (spec §12 RegisterDevice, SubscribeToDataset,
 * UnsubscribeFromDataset), plus listing and removing one's devices, and the pool's public push
 * configuration a browser needs to subscribe.
 */
import {
  getIdentityPool,
  getPoolSettings,
  listDevices,
  registerDevice,
  removeDevice,
  subscribeToDataset,
  unsubscribeFromDataset,
} from '@tandem/db';
import { SyncError } from '@tandem/domain';
import {
  datasetSubscriptionRequestSchema,
  deviceRequestSchema,
  listDevicesRequestSchema,
  listDevicesResponseSchema,
  pushConfigRequestSchema,
  pushConfigSchema,
  registerDeviceRequestSchema,
  registerDeviceResponseSchema,
} from '@tandem/sync-protocol';
import type { TRPCRouterRecord } from '@trpc/server';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { callerIdentity } from '../identity-scope.js';
import { publicProcedure, sessionProcedure } from '../trpc.js';

const empty = z.object({});

export const deviceRouter = {
  /**
   * RegisterDevice. WEB_PUSH needs push sync enabled on the pool (InvalidConfigurationException
   * otherwise) and a subscription the endpoint policy accepts (https, a known push service, no
   * private addresses: InvalidParameterException with the reason).
   */
  register: sessionProcedure
    .input(registerDeviceRequestSchema)
    .output(registerDeviceResponseSchema)
    .mutation(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      let vapidPublicKey: string | null = null;
      if (input.platform === 'WEB_PUSH') {
        const settings = await getPoolSettings(ctx.deps.database.db, identity.identityPoolId);
        if (!settings.push.enabled || !settings.push.vapidPublicKey) {
          throw new SyncError(
            'InvalidConfigurationException',
            'Push sync is not enabled for this identity pool.',
          );
        }
        vapidPublicKey = settings.push.vapidPublicKey;
        if (input.subscription) await ctx.deps.pushEndpoints.check(input.subscription);
      }
      const deviceId = await registerDevice(ctx.deps.database.db, {
        identityPoolId: identity.identityPoolId,
        identityId: identity.id,
        deviceId: input.deviceId ?? randomUUID(),
        platform: input.platform,
        token: input.token,
        subscription: input.subscription,
        vapidPublicKey,
      });
      return { deviceId };
    }),

  list: sessionProcedure
    .input(listDevicesRequestSchema)
    .output(listDevicesResponseSchema)
    .query(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      return { devices: await listDevices(ctx.deps.database.db, identity.id) };
    }),

  remove: sessionProcedure
    .input(deviceRequestSchema)
    .output(empty)
    .mutation(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      await removeDevice(ctx.deps.database.db, {
        identityId: identity.id,
        deviceId: input.deviceId,
      });
      return {};
    }),

  /** SubscribeToDataset: the device is told when the dataset changes on another device. */
  subscribe: sessionProcedure
    .input(datasetSubscriptionRequestSchema)
    .output(empty)
    .mutation(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      await subscribeToDataset(ctx.deps.database.db, {
        identityId: identity.id,
        deviceId: input.deviceId,
        datasetName: input.datasetName,
      });
      return {};
    }),

  unsubscribe: sessionProcedure
    .input(datasetSubscriptionRequestSchema)
    .output(empty)
    .mutation(async ({ ctx, input }) => {
      const identity = await callerIdentity(ctx.deps, ctx.sessionUser, input);
      await unsubscribeFromDataset(ctx.deps.database.db, {
        identityId: identity.id,
        deviceId: input.deviceId,
        datasetName: input.datasetName,
      });
      return {};
    }),

  /** Public: whether the pool has push sync, and the key a browser subscribes with. */
  pushConfig: publicProcedure
    .input(pushConfigRequestSchema)
    .output(pushConfigSchema)
    .query(async ({ ctx, input }) => {
      await getIdentityPool(ctx.deps.database.db, input.identityPoolId);
      const { push } = await getPoolSettings(ctx.deps.database.db, input.identityPoolId);
      return {
        enabled: push.enabled,
        vapidPublicKey: push.enabled ? push.vapidPublicKey : null,
        notification: push.notification,
      };
    }),
} satisfies TRPCRouterRecord;
