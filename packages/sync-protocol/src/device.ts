import { z } from 'zod';
import {
  datasetNameSchema,
  deviceIdSchema,
  identityIdSchema,
  identityPoolIdSchema,
  syncCountSchema,
  timestampSchema,
} from './ids.js';

/**
 * Push sync devices (spec §12: RegisterDevice, SubscribeToDataset, UnsubscribeFromDataset).
 * Besides Cognito's mobile platforms, `WEB_PUSH`: a browser's PushSubscription (RFC 8030/8291),
 * which is what Tandem delivers to. Native tokens are stored so Cognito apps can register, but
 * nothing is sent to them (no SNS/FCM/APNs transport).
 */
export const devicePlatformSchema = z.enum(['WEB_PUSH', 'GCM', 'APNS', 'APNS_SANDBOX', 'ADM']);

/** At most this many devices per identity; registering one more replaces the least recent. */
export const MAX_DEVICES_PER_IDENTITY = 20;
/** Longest push endpoint URL accepted. */
export const MAX_PUSH_ENDPOINT_LENGTH = 2_048;

/** A browser's `PushSubscription.toJSON()` (expirationTime ignored). */
export const pushSubscriptionSchema = z.object({
  endpoint: z.string().min(1).max(MAX_PUSH_ENDPOINT_LENGTH),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    /** base64url of the browser's 65-byte P-256 public key. */
    p256dh: z.string().min(1).max(128),
    /** base64url of the 16-byte authentication secret. */
    auth: z.string().min(1).max(64),
  }),
});

const identityScope = {
  identityPoolId: identityPoolIdSchema,
  identityId: identityIdSchema.optional(),
};

export const registerDeviceRequestSchema = z
  .strictObject({
    ...identityScope,
    platform: devicePlatformSchema,
    /** Native platforms: the push token. */
    token: z.string().min(1).max(4_096).optional(),
    /** WEB_PUSH: the browser subscription. */
    subscription: pushSubscriptionSchema.optional(),
    /**
     * The device id to use (the SDK sends its own, the one it passes to UpdateRecords, so the
     * writer is never notified of its own change). A new id is made when absent.
     */
    deviceId: deviceIdSchema.optional(),
  })
  .refine(
    (r) =>
      r.platform === 'WEB_PUSH' ? !!r.subscription && !r.token : !!r.token && !r.subscription,
    {
      message: 'WEB_PUSH needs `subscription` (and no token); other platforms need `token`',
      path: ['platform'],
    },
  );

export const registerDeviceResponseSchema = z.object({ deviceId: z.string() });

export const deviceRequestSchema = z.strictObject({
  ...identityScope,
  deviceId: deviceIdSchema,
});

export const datasetSubscriptionRequestSchema = z.strictObject({
  ...identityScope,
  deviceId: deviceIdSchema,
  datasetName: datasetNameSchema,
});

export const listDevicesRequestSchema = z.strictObject({ ...identityScope });

export const deviceSchema = z.object({
  deviceId: z.string(),
  platform: devicePlatformSchema,
  /** WEB_PUSH: the push service's origin only (the endpoint itself is a credential). */
  pushServiceOrigin: z.string().nullable(),
  /** Datasets this device is told about. */
  subscribedDatasets: z.array(z.string()),
  createdAt: timestampSchema,
  lastDeliveredAt: timestampSchema.nullable(),
});

export const listDevicesResponseSchema = z.object({ devices: z.array(deviceSchema) });

/** What a browser needs to subscribe: whether push is on, and the key to subscribe with. */
export const pushConfigRequestSchema = z.strictObject({ identityPoolId: identityPoolIdSchema });
export const pushConfigSchema = z.object({
  enabled: z.boolean(),
  /** The pool's VAPID public key (`applicationServerKey`), base64url. */
  vapidPublicKey: z.string().nullable(),
  notification: z.object({ show: z.boolean(), title: z.string(), body: z.string() }),
});

/**
 * The push message's JSON (spec §12's keys; `syncCount` a number, as JSON allows). At most a
 * few hundred bytes, far under web push's 3,993-byte plaintext limit.
 */
export const pushPayloadSchema = z.object({
  // Cognito's value (spec §12), so code written against Cognito's push sync recognises it.
  source: z.literal('cognito-sync'),
  identityPoolId: z.string(),
  identityId: z.string(),
  datasetName: z.string(),
  syncCount: syncCountSchema,
});

export type DevicePlatform = z.infer<typeof devicePlatformSchema>;
export type PushSubscriptionJson = z.infer<typeof pushSubscriptionSchema>;
export type DeviceInfo = z.infer<typeof deviceSchema>;
export type PushConfig = z.infer<typeof pushConfigSchema>;
export type PushPayload = z.infer<typeof pushPayloadSchema>;
