/**
 * Push sync devices and their dataset subscriptions (spec §12). Validation of what a device
 * registers (platform rules, push endpoint safety) happens before these are called.
 */
import { notFound } from '@tandem/domain';
import {
  MAX_DEVICES_PER_IDENTITY,
  type DeviceInfo,
  type DevicePlatform,
  type PushSubscriptionJson,
} from '@tandem/sync-protocol';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx, SqlRunner } from '../client.js';
import { datasetSubscription, device } from '../schema/index.js';

export interface RegisterDeviceArgs {
  identityPoolId: string;
  identityId: string;
  deviceId: string;
  platform: DevicePlatform;
  token?: string | undefined;
  subscription?: PushSubscriptionJson | undefined;
  /** The pool's current VAPID public key (WEB_PUSH). */
  vapidPublicKey?: string | null | undefined;
}

/**
 * Registers (or re-registers) a device. A browser endpoint registered by another identity moves
 * to this one (the browser is now used by this user). Past MAX_DEVICES_PER_IDENTITY, the device
 * that registered least recently is removed: browsers replace subscriptions and reinstall, so
 * the oldest registration is the one most likely dead. Its subscriptions are kept on update.
 */
export async function registerDevice(db: DbOrTx, args: RegisterDeviceArgs): Promise<string> {
  await db.transaction(async (tx) => {
    const endpoint = args.subscription?.endpoint ?? null;
    if (endpoint) {
      await tx
        .delete(device)
        .where(
          and(
            eq(device.endpoint, endpoint),
            sql`(${device.identityId}, ${device.id}) <> (${args.identityId}, ${args.deviceId})`,
          ),
        );
    }
    const values = {
      platform: args.platform,
      token: args.token ?? null,
      endpoint,
      p256dh: args.subscription?.keys.p256dh ?? null,
      auth: args.subscription?.keys.auth ?? null,
      vapidPublicKey: args.vapidPublicKey ?? null,
      failures: 0,
    };
    await tx
      .insert(device)
      .values({
        identityId: args.identityId,
        id: args.deviceId,
        identityPoolId: args.identityPoolId,
        ...values,
      })
      .onConflictDoUpdate({
        target: [device.identityId, device.id],
        set: { ...values, updatedAt: sql`now()` },
      });
    const excess = await tx
      .select({ id: device.id })
      .from(device)
      .where(eq(device.identityId, args.identityId))
      .orderBy(sql`${device.updatedAt} desc`, asc(device.id))
      .offset(MAX_DEVICES_PER_IDENTITY);
    if (excess.length > 0) {
      await tx.delete(device).where(
        and(
          eq(device.identityId, args.identityId),
          inArray(
            device.id,
            excess.map((e) => e.id),
          ),
        ),
      );
    }
  });
  return args.deviceId;
}

export async function listDevices(db: DbOrTx, identityId: string): Promise<DeviceInfo[]> {
  const [devices, subscriptions] = await Promise.all([
    db
      .select()
      .from(device)
      .where(eq(device.identityId, identityId))
      .orderBy(asc(device.createdAt)),
    db
      .select()
      .from(datasetSubscription)
      .where(eq(datasetSubscription.identityId, identityId))
      .orderBy(asc(datasetSubscription.datasetName)),
  ]);
  return devices.map((d) => ({
    deviceId: d.id,
    platform: d.platform,
    pushServiceOrigin: d.endpoint ? new URL(d.endpoint).origin : null,
    subscribedDatasets: subscriptions.filter((s) => s.deviceId === d.id).map((s) => s.datasetName),
    createdAt: d.createdAt.getTime(),
    lastDeliveredAt: d.lastDeliveredAt?.getTime() ?? null,
  }));
}

/** Removes a device and its subscriptions; ResourceNotFoundException when there is none. */
export async function removeDevice(
  db: DbOrTx,
  args: { identityId: string; deviceId: string },
): Promise<void> {
  const removed = await db
    .delete(device)
    .where(and(eq(device.identityId, args.identityId), eq(device.id, args.deviceId)))
    .returning({ id: device.id });
  if (removed.length === 0) throw notFound(`Device '${args.deviceId}' not found.`);
}

async function assertDevice(db: DbOrTx, identityId: string, deviceId: string): Promise<void> {
  const [row] = await db
    .select({ id: device.id })
    .from(device)
    .where(and(eq(device.identityId, identityId), eq(device.id, deviceId)));
  if (!row) throw notFound(`Device '${deviceId}' not found.`);
}

/** SubscribeToDataset (idempotent). The dataset need not exist yet. */
export async function subscribeToDataset(
  db: DbOrTx,
  args: { identityId: string; deviceId: string; datasetName: string },
): Promise<void> {
  await assertDevice(db, args.identityId, args.deviceId);
  await db.insert(datasetSubscription).values(args).onConflictDoNothing();
}

/** UnsubscribeFromDataset (idempotent for a known device). */
export async function unsubscribeFromDataset(
  db: DbOrTx,
  args: { identityId: string; deviceId: string; datasetName: string },
): Promise<void> {
  await assertDevice(db, args.identityId, args.deviceId);
  const removed = await db
    .delete(datasetSubscription)
    .where(
      and(
        eq(datasetSubscription.identityId, args.identityId),
        eq(datasetSubscription.deviceId, args.deviceId),
        eq(datasetSubscription.datasetName, args.datasetName),
      ),
    )
    .returning({ deviceId: datasetSubscription.deviceId });
  // As Cognito: unsubscribing what is not subscribed is ResourceNotFoundException (spec §5.1).
  if (removed.length === 0) {
    throw notFound(`Device ${args.deviceId} is not subscribed to dataset ${args.datasetName}.`);
  }
}

export interface PushTarget {
  identityId: string;
  deviceId: string;
  endpoint: string;
  p256dh: string;
  auth: string;
}

const PUSH_TARGETS = {
  name: 'push_targets',
  text: `select d.identity_id, d.id, d.endpoint, d.p256dh, d.auth
    from dataset_subscription s
    join device d on d.identity_id = s.identity_id and d.id = s.device_id
    where s.identity_id = $1 and s.dataset_name = $2
      and d.platform = 'WEB_PUSH' and d.endpoint is not null
      and d.id is distinct from $3`,
};

/** The browsers to tell about a change of a dataset: subscribed, other than the writer. */
export async function pushTargets(
  sql: SqlRunner,
  args: { identityId: string; datasetName: string; excludeDeviceId: string | null },
): Promise<PushTarget[]> {
  const rows = await sql.query<{
    identity_id: string;
    id: string;
    endpoint: string;
    p256dh: string;
    auth: string;
  }>(PUSH_TARGETS, [args.identityId, args.datasetName, args.excludeDeviceId]);
  return rows.map((r) => ({
    identityId: r.identity_id,
    deviceId: r.id,
    endpoint: r.endpoint,
    p256dh: r.p256dh,
    auth: r.auth,
  }));
}

const DELIVERED = {
  name: 'device_delivered',
  text: `update device set last_delivered_at = now(), failures = 0
    where identity_id = $1 and id = $2`,
};

/** After a delivery the push service accepted. */
export async function markDeviceDelivered(
  sql: SqlRunner,
  target: { identityId: string; deviceId: string },
): Promise<void> {
  await sql.query(DELIVERED, [target.identityId, target.deviceId]);
}

const GONE = {
  name: 'device_gone',
  text: `delete from device where identity_id = $1 and id = $2 and endpoint = $3`,
};

/**
 * The push service answered 404/410 (or refused our key): the subscription is dead. Only the
 * row still holding that endpoint is deleted, so a re-registration meanwhile survives.
 */
export async function removeGoneDevice(
  sql: SqlRunner,
  target: { identityId: string; deviceId: string; endpoint: string },
): Promise<void> {
  await sql.query(GONE, [target.identityId, target.deviceId, target.endpoint]);
}
