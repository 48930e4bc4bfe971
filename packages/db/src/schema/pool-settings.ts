import type {
  PushSettings,
  StreamRecordWire,
  StreamsHealth,
  StreamsSettings,
  SyncTriggerSettings,
} from '@tandem/sync-protocol';
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { identityPool } from './identity-pool.js';

export type PushNotificationSettings = PushSettings['notification'];

export const NOT_RUNNING_STREAMS_HEALTH: StreamsHealth = {
  status: 'not-running',
  backlog: null,
  lastError: null,
  checkedAt: null,
};

/**
 * The settings of a pool the console edits (push, streams, sync trigger), one row per pool,
 * created on the first change. The jsonb columns hold values already validated by their
 * sync-protocol schemas; null means "not configured". `streamsHealth` is written by the worker.
 */
export const identityPoolSettings = pgTable('identity_pool_settings', {
  identityPoolId: text()
    .primaryKey()
    .references(() => identityPool.id, { onDelete: 'cascade' }),
  pushEnabled: boolean().notNull().default(false),
  /** null: the default notification (see pool-settings queries). */
  pushNotification: jsonb().$type<PushNotificationSettings>(),
  streams: jsonb().$type<StreamsSettings>(),
  streamsHealth: jsonb().$type<StreamsHealth>().notNull().default(NOT_RUNNING_STREAMS_HEALTH),
  syncTrigger: jsonb().$type<SyncTriggerSettings>(),
  updatedAt: timestamptz().notNull().defaultNow(),
});

/**
 * A pool's VAPID key pairs (web push, RFC 8292). The current key has `retiredAt` null (at most
 * one per pool, by the partial unique index); a rotation retires it and keeps it as the
 * previous key, so the console can tell which subscriptions must re-subscribe. The private key
 * is stored sealed (AES-256-GCM, see secret-box.ts), never in clear.
 */
export const vapidKey = pgTable(
  'vapid_key',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    identityPoolId: text()
      .notNull()
      .references(() => identityPool.id, { onDelete: 'cascade' }),
    /** base64url of the 65-byte uncompressed P-256 point (the browser's applicationServerKey). */
    publicKey: text().notNull(),
    /** The 32-byte private scalar, sealed with the server's settings key. */
    privateKeySealed: text().notNull(),
    createdAt: createdAt(),
    retiredAt: timestamptz(),
  },
  (t) => [
    uniqueIndex('vapid_key_current_unique')
      .on(t.identityPoolId)
      .where(sql`${t.retiredAt} is null`),
    index('vapid_key_pool_idx').on(t.identityPoolId, t.createdAt),
  ],
);

/**
 * The pool's bulk publish (spec §10): one row per pool, the latest run. `completedAt` is set
 * only when a run SUCCEEDED (GetBulkPublishDetails reports BulkPublishCompleteTime only then),
 * which is all the 24-hour rule needs: a new run can only start once the latest success is
 * over 24 h old, so older runs never matter.
 */
export const bulkPublish = pgTable('bulk_publish', {
  identityPoolId: text()
    .primaryKey()
    .references(() => identityPool.id, { onDelete: 'cascade' }),
  status: text({ enum: ['IN_PROGRESS', 'FAILED', 'SUCCEEDED'] }).notNull(),
  startedAt: timestamptz().notNull(),
  completedAt: timestamptz(),
  failureMessage: text(),
  progressDone: integer(),
  progressTotal: integer(),
  /**
   * Where a run resumes: the last (identityId, datasetName) published, in that order. A worker
   * that died mid-run leaves it, and the next one carries on after it.
   */
  cursorIdentityId: text(),
  cursorDatasetName: text(),
  /** The worker running the job, and until when (a dead worker's lease runs out). */
  holder: text(),
  leaseExpiresAt: timestamptz(),
});

/**
 * The `postgres` stream sink (the embedded default): every exported change of a pool, in the
 * Cognito Streams record format, readable through the admin API. `dedupeKey` is unique per pool,
 * so a replayed change (at-least-once export) is stored once. Rows older than the pool's
 * retention are deleted by the worker.
 */
export const streamRecord = pgTable(
  'stream_record',
  {
    id: bigserial({ mode: 'number' }).primaryKey(),
    identityPoolId: text()
      .notNull()
      .references(() => identityPool.id, { onDelete: 'cascade' }),
    dedupeKey: text().notNull(),
    /** Written only by the postgres sink, from records built by @tandem/streams. */
    record: jsonb().$type<StreamRecordWire>().notNull(),
    publishedAt: timestamptz().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('stream_record_dedupe_unique').on(t.identityPoolId, t.dedupeKey),
    index('stream_record_pool_idx').on(t.identityPoolId, t.id),
    index('stream_record_published_idx').on(t.publishedAt),
  ],
);

/**
 * Short-lived named locks that work the same on PGlite and across PostgreSQL replicas without
 * holding a connection: whoever inserts the row holds the lock until it deletes it, or until
 * `expiresAt` (a holder that crashed). Used to create the first administrator exactly once.
 */
export const setupLock = pgTable('setup_lock', {
  name: text().primaryKey(),
  holder: text().notNull(),
  expiresAt: timestamptz().notNull(),
});
