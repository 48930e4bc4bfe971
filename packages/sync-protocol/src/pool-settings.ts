import { z } from 'zod';
import { identityPoolIdSchema, syncCountSchema, timestampSchema } from './ids.js';

/**
 * Per-pool settings the console edits (spec §5 Get/SetIdentityPoolConfiguration,
 * Get/SetCognitoEvents, BulkPublish; §10–§12), in Tandem's terms. They are stored and validated
 * here; the features that act on them (worker: streams, bulk publish and sync triggers; push
 * delivery) read them.
 */

// ——— push sync (web push, spec §12) ———

export const pushNotificationSettingsSchema = z.strictObject({
  /** Show a notification when no tab is visible (browsers require one for most pushes). */
  show: z.boolean(),
  title: z.string().trim().min(1).max(60),
  body: z.string().trim().max(160),
});

export const pushSettingsSchema = z.object({
  enabled: z.boolean(),
  /** The pool's VAPID public key (base64url, uncompressed P-256 point), once push was enabled. */
  vapidPublicKey: z.string().nullable(),
  vapidKeyCreatedAt: timestampSchema.nullable(),
  /**
   * After a rotation, the previous public key (retired at the rotation: pushes are signed with
   * the current key only). Subscriptions made with it must re-subscribe with the new key
   * (research B4: rotation invalidates them).
   */
  previousVapidPublicKey: z.string().nullable(),
  notification: pushNotificationSettingsSchema,
});

export const setPushSettingsRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  enabled: z.boolean(),
  notification: pushNotificationSettingsSchema.optional(),
});

// ——— streams (Cognito Streams equivalent, spec §10) ———

const host = z
  .string()
  .trim()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9.-]+$/, 'Must be a host name or IP address');
const port = z.number().int().min(1).max(65_535);

export const streamSinkSchema = z.discriminatedUnion('kind', [
  /** The embedded default: a table in Tandem's own database, readable through the admin API. */
  z.strictObject({
    kind: z.literal('postgres'),
    retentionDays: z.number().int().min(1).max(365),
  }),
  z.strictObject({
    kind: z.literal('nats'),
    host,
    port: port.default(4222),
    /** JetStream stream name (created if missing) and the subject prefix records go to. */
    stream: z
      .string()
      .min(1)
      .max(64)
      .regex(/^[A-Za-z0-9_-]+$/, 'Letters, digits, _ and - only'),
    subjectPrefix: z
      .string()
      .min(1)
      .max(128)
      .regex(
        /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
        'Dot-separated tokens of letters, digits, _ and -',
      ),
  }),
  z.strictObject({
    kind: z.literal('redis'),
    host,
    port: port.default(6379),
    /** Redis stream key. */
    stream: z.string().min(1).max(256),
  }),
  z.strictObject({
    kind: z.literal('kinesis'),
    streamName: z
      .string()
      .min(1)
      .max(128)
      .regex(
        /^[a-zA-Z0-9_.-]+$/,
        'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+',
      ),
    region: z
      .string()
      .min(1)
      .max(32)
      .regex(/^[a-z0-9-]+$/, 'An AWS region such as eu-west-1'),
    /** Custom endpoint (kinesalite, LocalStack, a VPC endpoint); AWS's own when absent. */
    endpoint: z.url({ protocol: /^https?$/ }).optional(),
  }),
]);

export const streamsSettingsSchema = z.strictObject({
  /** Cognito's StreamingStatus: ENABLED sends every change; DISABLED keeps the config only. */
  enabled: z.boolean(),
  sink: streamSinkSchema,
});

/** What the worker reports about a pool's sink; `not-running` until a worker has looked. */
export const streamsHealthSchema = z.object({
  status: z.enum(['not-running', 'healthy', 'failing', 'disabled']),
  /** Committed changes not yet acknowledged by the sink, when known. */
  backlog: z.number().int().min(0).nullable(),
  lastError: z.string().nullable(),
  checkedAt: timestampSchema.nullable(),
});

export const setStreamsSettingsRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  /** null removes the configuration. */
  streams: streamsSettingsSchema.nullable(),
});

/**
 * One record of a stream (Cognito Streams format, spec §10; see @tandem/streams record.ts for
 * the spelling: the dataset name under both `datasetName` and `dataSetName`).
 */
export const streamRecordSchema = z.object({
  identityPoolId: z.string(),
  identityId: z.string(),
  datasetName: z.string(),
  dataSetName: z.string(),
  operation: z.enum(['replace', 'remove']),
  payloadType: z.literal('Inline'),
  kinesisSyncRecords: z.array(
    z.object({
      key: z.string(),
      value: z.string().nullable(),
      syncCount: z.number().int(),
      lastModifiedDate: z.number(),
      deviceLastModifiedDate: z.number().nullable(),
      op: z.enum(['replace', 'remove']),
    }),
  ),
  syncCount: z.number().int(),
  lastModifiedDate: z.number(),
  /** `<pool>/<identity>/<dataset>/<syncCount>`, with `/bulk` appended for bulk publish records. */
  dedupeKey: z.string(),
});

/** A page of a pool's `postgres` stream table (admin API), oldest first. */
export const streamRecordsRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  /** Records after this position (a previous page's `nextAfterId`); from the oldest when absent. */
  afterId: z.number().int().min(0).optional(),
  maxResults: z.number().int().min(1).max(1_000).default(100),
});

export const streamRecordsPageSchema = z.object({
  records: z.array(
    z.object({
      /** The record's position in the pool's stream table. */
      id: z.number().int(),
      publishedAt: timestampSchema,
      record: streamRecordSchema,
    }),
  ),
  /** Pass as `afterId` for the next page; null when this page reached the end. */
  nextAfterId: z.number().int().nullable(),
});

// ——— sync trigger (Cognito Events, spec §11) ———

export const MAX_TRIGGER_SOURCE_BYTES = 64 * 1024;

export const syncTriggerTargetSchema = z.discriminatedUnion('kind', [
  /** POSTed the event, signed with an HMAC header; its answer replaces the records. */
  z.strictObject({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }),
  }),
  /**
   * An admin-authored JavaScript function body: `export default async function (event) {…}`,
   * run isolated by the worker. Checked for syntax when saved.
   */
  z.strictObject({
    kind: z.literal('function'),
    source: z.string().min(1).max(MAX_TRIGGER_SOURCE_BYTES),
  }),
]);

export const syncTriggerSettingsSchema = z.strictObject({
  enabled: z.boolean(),
  target: syncTriggerTargetSchema,
});

export const setSyncTriggerRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  /** null removes the trigger. */
  syncTrigger: syncTriggerSettingsSchema.nullable(),
});

// ——— bulk publish (spec §10) ———

/** Cognito's BulkPublishStatus. */
export const bulkPublishStatusSchema = z.enum([
  'NOT_STARTED',
  'IN_PROGRESS',
  'FAILED',
  'SUCCEEDED',
]);

export const bulkPublishDetailsSchema = z.object({
  identityPoolId: z.string(),
  status: bulkPublishStatusSchema,
  startedAt: timestampSchema.nullable(),
  completedAt: timestampSchema.nullable(),
  failureMessage: z.string().nullable(),
  /** Datasets published so far and in all, while a run is going (null before it counts). */
  progress: z.object({ done: z.number().int().min(0), total: z.number().int().min(0) }).nullable(),
});

// ——— everything the Edit identity pool page shows ———

export const poolSettingsSchema = z.object({
  identityPoolId: z.string(),
  name: z.string(),
  allowUnauthenticated: z.boolean(),
  push: pushSettingsSchema,
  streams: streamsSettingsSchema.nullable(),
  streamsHealth: streamsHealthSchema,
  syncTrigger: syncTriggerSettingsSchema.nullable(),
  bulkPublish: bulkPublishDetailsSchema,
});

// ——— dashboard ———

export const poolDashboardRequestSchema = z.strictObject({
  identityPoolId: identityPoolIdSchema,
  /** The chart's window: the last N days, one bar per day (N = 1: one bar per hour). */
  days: z.number().int().min(1).max(90).default(14),
});

export const recentChangeSchema = z.object({
  changeId: z.number().int(),
  identityId: z.string(),
  datasetName: z.string(),
  syncCount: syncCountSchema,
  kind: z.enum(['update', 'delete', 'merge']),
  /** Who wrote: a device of the identity, an admin (console), or the system (merges). */
  source: z.enum(['identity', 'admin', 'system']),
  recordCount: z.number().int().min(0),
  committedAt: timestampSchema,
});

export const poolDashboardSchema = z.object({
  identityPoolId: z.string(),
  identityCount: z.number().int(),
  authenticatedIdentityCount: z.number().int(),
  datasetCount: z.number().int(),
  recordCount: z.number().int(),
  /** UTF-8 bytes of keys and values of live records. */
  dataStorage: z.number().int(),
  /** Writes (UpdateRecords, deletions, merges) per bucket, oldest first, empty buckets included. */
  syncsOverTime: z.array(
    z.object({ bucketStart: timestampSchema, bucketMs: z.number().int(), syncs: z.number().int() }),
  ),
  /** The 20 most recent changes, newest first. */
  recentChanges: z.array(recentChangeSchema),
});

// ——— first-run setup ———

/** Public: whether the console should offer to create the first admin. */
export const setupStatusSchema = z.object({ needsFirstAdmin: z.boolean() });

/**
 * Creates the first admin, once. The setup token is printed by the API at start while no admin
 * exists, so only whoever can read the server's output can claim it.
 */
export const createFirstAdminRequestSchema = z.strictObject({
  setupToken: z.string().min(1).max(128),
  email: z.email().max(254),
  password: z.string().min(8).max(128),
  name: z.string().trim().min(1).max(128),
});

export const createFirstAdminResponseSchema = z.object({ userId: z.string(), email: z.string() });

export type PushSettings = z.infer<typeof pushSettingsSchema>;
export type StreamSink = z.infer<typeof streamSinkSchema>;
export type StreamsSettings = z.infer<typeof streamsSettingsSchema>;
export type StreamsHealth = z.infer<typeof streamsHealthSchema>;
export type StreamRecordsPage = z.infer<typeof streamRecordsPageSchema>;
/** A stream record as the wire (and the stream table) carries it. */
export type StreamRecordWire = z.infer<typeof streamRecordSchema>;
export type SyncTriggerSettings = z.infer<typeof syncTriggerSettingsSchema>;
export type BulkPublishDetails = z.infer<typeof bulkPublishDetailsSchema>;
export type PoolSettings = z.infer<typeof poolSettingsSchema>;
export type PoolDashboard = z.infer<typeof poolDashboardSchema>;
export type RecentChange = z.infer<typeof recentChangeSchema>;
