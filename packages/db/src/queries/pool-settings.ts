/**
 * Per-pool settings (push, VAPID keys, streams, sync trigger) and the bulk publish state.
 *
 * Safety:
 * - VAPID private keys are sealed with the SecretBox before they reach the database and are
 *   opened only by getCurrentVapidKey(), for the push sender. Nothing else here returns them:
 *   getPoolSettings() reads public keys only.
 * - The first enabling of push creates the pool's key; concurrent first enablings insert at most
 *   one current key (partial unique index on the pool where retiredAt is null). A rotation locks
 *   the settings row, retires the current key, keeps it as the previous one (older retired keys
 *   are deleted) and inserts the new one, in one transaction.
 * - Starting a bulk publish is one upsert whose WHERE holds both of Cognito's refusals (one run
 *   IN_PROGRESS; a success in the last 24 h), so two concurrent requests cannot both start one.
 */
import { invalidParameter, SyncError } from '@tandem/domain';
import type {
  BulkPublishDetails,
  PoolSettings,
  StreamsSettings,
  SyncTriggerSettings,
} from '@tandem/sync-protocol';
import { desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import {
  bulkPublish,
  identityPool,
  identityPoolSettings,
  NOT_RUNNING_STREAMS_HEALTH,
  vapidKey,
  type PushNotificationSettings,
} from '../schema/index.js';
import type { SecretBox } from '../secret-box.js';
import { generateVapidKeyPair } from '../vapid-key-pair.js';
import { getIdentityPool } from './identity-pool.js';
import { resetStreamExport } from './stream-export.js';

export const DEFAULT_PUSH_NOTIFICATION: PushNotificationSettings = {
  show: true,
  title: 'Updated',
  body: 'Your data changed on another device.',
};

type BulkPublishRow = typeof bulkPublish.$inferSelect;
type VapidKeyRow = typeof vapidKey.$inferSelect;

/** What a sealed private key is bound to: it opens only for this pool and public key. */
const vapidAssociatedData = (row: Pick<VapidKeyRow, 'identityPoolId' | 'publicKey'>) =>
  `vapid:${row.identityPoolId}:${row.publicKey}`;

export function toBulkPublishDetails(
  identityPoolId: string,
  row: BulkPublishRow | null | undefined,
): BulkPublishDetails {
  if (!row) {
    return {
      identityPoolId,
      status: 'NOT_STARTED',
      startedAt: null,
      completedAt: null,
      failureMessage: null,
      progress: null,
    };
  }
  return {
    identityPoolId,
    status: row.status,
    startedAt: row.startedAt.getTime(),
    completedAt: row.status === 'SUCCEEDED' ? (row.completedAt?.getTime() ?? null) : null,
    failureMessage: row.status === 'FAILED' ? row.failureMessage : null,
    progress:
      row.progressDone !== null && row.progressTotal !== null
        ? { done: row.progressDone, total: row.progressTotal }
        : null,
  };
}

/** Everything the console's Edit identity pool page shows (public keys only). */
export async function getPoolSettings(db: DbOrTx, identityPoolId: string): Promise<PoolSettings> {
  const pool = await getIdentityPool(db, identityPoolId);
  const [[settings], keys, [bulk]] = await Promise.all([
    db
      .select()
      .from(identityPoolSettings)
      .where(eq(identityPoolSettings.identityPoolId, identityPoolId)),
    db
      .select({
        publicKey: vapidKey.publicKey,
        createdAt: vapidKey.createdAt,
        retiredAt: vapidKey.retiredAt,
      })
      .from(vapidKey)
      .where(eq(vapidKey.identityPoolId, identityPoolId))
      .orderBy(desc(vapidKey.id)),
    db.select().from(bulkPublish).where(eq(bulkPublish.identityPoolId, identityPoolId)),
  ]);
  const current = keys.find((k) => k.retiredAt === null) ?? null;
  const previous = keys.find((k) => k.retiredAt !== null) ?? null;
  return {
    identityPoolId: pool.id,
    name: pool.name,
    allowUnauthenticated: pool.allowUnauthenticated,
    push: {
      enabled: settings?.pushEnabled ?? false,
      vapidPublicKey: current?.publicKey ?? null,
      vapidKeyCreatedAt: current?.createdAt.getTime() ?? null,
      previousVapidPublicKey: previous?.publicKey ?? null,
      notification: settings?.pushNotification ?? DEFAULT_PUSH_NOTIFICATION,
    },
    streams: settings?.streams ?? null,
    streamsHealth: settings?.streamsHealth ?? NOT_RUNNING_STREAMS_HEALTH,
    syncTrigger: settings?.syncTrigger ?? null,
    bulkPublish: toBulkPublishDetails(pool.id, bulk),
  };
}

type SettingsChange = Partial<
  Pick<
    typeof identityPoolSettings.$inferInsert,
    'pushEnabled' | 'pushNotification' | 'streams' | 'streamsHealth' | 'syncTrigger'
  >
>;

/**
 * Writes some settings of an existing pool (creating its settings row), and counts it as a
 * configuration change of the pool (configVersion, updatedAt).
 */
async function writeSettings(db: DbOrTx, identityPoolId: string, change: SettingsChange) {
  const [pool] = await db
    .update(identityPool)
    .set({ configVersion: sql`${identityPool.configVersion} + 1`, updatedAt: new Date() })
    .where(eq(identityPool.id, identityPoolId))
    .returning({ id: identityPool.id });
  if (!pool) await getIdentityPool(db, identityPoolId); // throws ResourceNotFoundException
  await db
    .insert(identityPoolSettings)
    .values({ identityPoolId, ...change })
    .onConflictDoUpdate({
      target: identityPoolSettings.identityPoolId,
      set: { ...change, updatedAt: new Date() },
    });
}

/**
 * Turns push on or off and sets the notification shown when no tab is visible (unchanged when
 * not given). The first enabling generates the pool's VAPID key pair; later ones reuse it.
 */
export async function setPushSettings(
  db: DbOrTx,
  box: SecretBox,
  args: {
    identityPoolId: string;
    enabled: boolean;
    notification?: PushNotificationSettings | undefined;
  },
): Promise<void> {
  await writeSettings(db, args.identityPoolId, {
    pushEnabled: args.enabled,
    ...(args.notification ? { pushNotification: args.notification } : {}),
  });
  if (!args.enabled) return;
  const [existing] = await db
    .select({ id: vapidKey.id })
    .from(vapidKey)
    .where(eq(vapidKey.identityPoolId, args.identityPoolId))
    .limit(1);
  if (existing) return;
  // A concurrent first enabling may insert too: the partial unique index keeps one.
  await db.insert(vapidKey).values(newVapidKeyRow(box, args.identityPoolId)).onConflictDoNothing();
}

function newVapidKeyRow(box: SecretBox, identityPoolId: string) {
  const pair = generateVapidKeyPair();
  return {
    identityPoolId,
    publicKey: pair.publicKey,
    privateKeySealed: box.seal(pair.privateKey, vapidAssociatedData({ identityPoolId, ...pair })),
  };
}

/**
 * Replaces the pool's VAPID key pair. The replaced key is kept as the previous one (reported so
 * the console can say that existing subscriptions must re-subscribe); keys retired before it
 * are deleted. Refused when push was never enabled (there is no key to rotate).
 */
export async function rotateVapidKey(
  db: DbOrTx,
  box: SecretBox,
  identityPoolId: string,
): Promise<void> {
  await getIdentityPool(db, identityPoolId);
  await db.transaction(async (tx) => {
    // Serialises rotations of one pool (the settings row exists once push was enabled).
    await tx
      .select({ id: identityPoolSettings.identityPoolId })
      .from(identityPoolSettings)
      .where(eq(identityPoolSettings.identityPoolId, identityPoolId))
      .for('update');
    const [retired] = await tx
      .update(vapidKey)
      .set({ retiredAt: new Date() })
      .where(sql`${vapidKey.identityPoolId} = ${identityPoolId} and ${vapidKey.retiredAt} is null`)
      .returning({ id: vapidKey.id });
    if (!retired) {
      throw invalidParameter(
        'Push has never been enabled for this identity pool: there is no VAPID key to rotate.',
      );
    }
    await tx
      .delete(vapidKey)
      .where(
        sql`${vapidKey.identityPoolId} = ${identityPoolId} and ${vapidKey.retiredAt} is not null and ${vapidKey.id} <> ${retired.id}`,
      );
    await tx.insert(vapidKey).values(newVapidKeyRow(box, identityPoolId));
    await tx
      .update(identityPool)
      .set({ configVersion: sql`${identityPool.configVersion} + 1`, updatedAt: new Date() })
      .where(eq(identityPool.id, identityPoolId));
  });
}

export interface CurrentVapidKey {
  publicKey: string;
  /** base64url 32-byte P-256 scalar, decrypted. A secret: never log it or send it to a client. */
  privateKey: string;
  createdAt: Date;
}

/**
 * For the push sender: the pool's current VAPID key pair with its private key opened, or null
 * when push was never enabled. (Whether push is enabled now is in getPoolSettings().push.)
 * Throws when the key cannot be opened (the server secret changed since it was sealed).
 */
export async function getCurrentVapidKey(
  db: DbOrTx,
  box: SecretBox,
  identityPoolId: string,
): Promise<CurrentVapidKey | null> {
  const [row] = await db
    .select()
    .from(vapidKey)
    .where(sql`${vapidKey.identityPoolId} = ${identityPoolId} and ${vapidKey.retiredAt} is null`);
  if (!row) return null;
  return {
    publicKey: row.publicKey,
    privateKey: box.open(row.privateKeySealed, vapidAssociatedData(row)),
    createdAt: row.createdAt,
  };
}

/**
 * Sets (or with null removes) the streams configuration; the old sink's health is dropped.
 * Enabling streaming (from none or DISABLED) starts the export at the current end of the change
 * log, as Cognito sends only the updates made after it was enabled; changing an enabled sink
 * keeps the position, so the new sink gets whatever the old one had not acknowledged.
 */
export async function setStreamsSettings(
  db: DbOrTx,
  args: { identityPoolId: string; streams: StreamsSettings | null },
): Promise<void> {
  await db.transaction(async (tx) => {
    const [before] = await tx
      .select({ streams: identityPoolSettings.streams })
      .from(identityPoolSettings)
      .where(eq(identityPoolSettings.identityPoolId, args.identityPoolId))
      .for('update');
    await writeSettings(tx, args.identityPoolId, {
      streams: args.streams,
      streamsHealth: args.streams?.enabled
        ? NOT_RUNNING_STREAMS_HEALTH
        : { ...NOT_RUNNING_STREAMS_HEALTH, status: args.streams ? 'disabled' : 'not-running' },
    });
    if (args.streams?.enabled && !before?.streams?.enabled) {
      await resetStreamExport(tx, args.identityPoolId);
    }
  });
}

/** Sets (or with null removes) the sync trigger. Validate the target before calling this. */
export async function setSyncTrigger(
  db: DbOrTx,
  args: { identityPoolId: string; syncTrigger: SyncTriggerSettings | null },
): Promise<void> {
  await writeSettings(db, args.identityPoolId, { syncTrigger: args.syncTrigger });
}

export async function getBulkPublishDetails(
  db: DbOrTx,
  identityPoolId: string,
): Promise<BulkPublishDetails> {
  const pool = await getIdentityPool(db, identityPoolId);
  const [row] = await db
    .select()
    .from(bulkPublish)
    .where(eq(bulkPublish.identityPoolId, identityPoolId));
  return toBulkPublishDetails(pool.id, row);
}

/** Cognito's 24-hour rule: one successful bulk publish per day. */
const ALREADY_STREAMED_WINDOW = sql`interval '24 hours'`;

/**
 * BulkPublish (spec §5, §10): starts a run (IN_PROGRESS). Refused when streams are not
 * configured or not enabled (InvalidParameterException), while a run is IN_PROGRESS
 * (DuplicateRequestException), and within 24 h of a successful run (AlreadyStreamedException).
 */
export async function startBulkPublish(
  db: DbOrTx,
  identityPoolId: string,
): Promise<BulkPublishDetails> {
  const pool = await getIdentityPool(db, identityPoolId);
  const [settings] = await db
    .select({ streams: identityPoolSettings.streams })
    .from(identityPoolSettings)
    .where(eq(identityPoolSettings.identityPoolId, identityPoolId));
  if (!settings?.streams?.enabled) {
    throw invalidParameter(
      settings?.streams
        ? 'Streams are disabled for this identity pool: enable them before a bulk publish.'
        : 'Streams are not configured for this identity pool: configure and enable them before a bulk publish.',
    );
  }
  const fresh = {
    status: 'IN_PROGRESS' as const,
    startedAt: sql`now()`,
    completedAt: null,
    failureMessage: null,
    progressDone: null,
    progressTotal: null,
    cursorIdentityId: null,
    cursorDatasetName: null,
    holder: null,
    leaseExpiresAt: null,
  };
  const [started] = await db
    .insert(bulkPublish)
    .values({ identityPoolId, ...fresh })
    .onConflictDoUpdate({
      target: bulkPublish.identityPoolId,
      set: fresh,
      setWhere: sql`${bulkPublish.status} <> 'IN_PROGRESS' and not (${bulkPublish.status} = 'SUCCEEDED' and ${bulkPublish.completedAt} > now() - ${ALREADY_STREAMED_WINDOW})`,
    })
    .returning();
  if (started) return toBulkPublishDetails(pool.id, started);
  const [current] = await db
    .select()
    .from(bulkPublish)
    .where(eq(bulkPublish.identityPoolId, identityPoolId));
  if (current?.status === 'IN_PROGRESS') {
    throw new SyncError(
      'DuplicateRequestException',
      'A bulk publish is already in progress for this identity pool.',
    );
  }
  throw new SyncError(
    'AlreadyStreamedException',
    'A bulk publish of this identity pool succeeded less than 24 hours ago; try again later.',
  );
}

/** For the worker running a bulk publish: datasets published so far and in all. */
export async function setBulkPublishProgress(
  db: DbOrTx,
  args: { identityPoolId: string; done: number; total: number },
): Promise<void> {
  await db
    .update(bulkPublish)
    .set({ progressDone: args.done, progressTotal: args.total })
    .where(
      sql`${bulkPublish.identityPoolId} = ${args.identityPoolId} and ${bulkPublish.status} = 'IN_PROGRESS'`,
    );
}

/** For the worker: ends the IN_PROGRESS run as SUCCEEDED (now) or FAILED (with a message). */
export async function finishBulkPublish(
  db: DbOrTx,
  args:
    | { identityPoolId: string; status: 'SUCCEEDED' }
    | { identityPoolId: string; status: 'FAILED'; failureMessage: string },
): Promise<BulkPublishDetails | null> {
  const [row] = await db
    .update(bulkPublish)
    .set(
      args.status === 'SUCCEEDED'
        ? { status: 'SUCCEEDED', completedAt: sql`now()`, failureMessage: null }
        : { status: 'FAILED', completedAt: null, failureMessage: args.failureMessage },
    )
    .where(
      sql`${bulkPublish.identityPoolId} = ${args.identityPoolId} and ${bulkPublish.status} = 'IN_PROGRESS'`,
    )
    .returning();
  return row ? toBulkPublishDetails(args.identityPoolId, row) : null;
}
