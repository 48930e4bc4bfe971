import { sql } from 'drizzle-orm';
import {
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { identity } from './identity-pool.js';

/**
 * A push sync device of an identity (spec §12 RegisterDevice). `id` is unique per identity: the
 * SDK registers with its own device id, the one it sends with UpdateRecords, so a change is
 * never pushed to the device that wrote it. WEB_PUSH devices keep the browser subscription
 * (endpoint and keys; the endpoint is a bearer capability, never shown in full); a browser
 * endpoint belongs to one identity at a time (unique), the latest to register it.
 */
export const device = pgTable(
  'device',
  {
    identityId: text()
      .notNull()
      .references(() => identity.id, { onDelete: 'cascade' }),
    id: text().notNull(),
    identityPoolId: text().notNull(),
    platform: text({ enum: ['WEB_PUSH', 'GCM', 'APNS', 'APNS_SANDBOX', 'ADM'] }).notNull(),
    /** Native platforms' push token. */
    token: text(),
    endpoint: text(),
    p256dh: text(),
    auth: text(),
    /** The pool's VAPID public key when the browser registered (a rotation orphans it). */
    vapidPublicKey: text(),
    createdAt: createdAt(),
    updatedAt: timestamptz().notNull().defaultNow(),
    lastDeliveredAt: timestamptz(),
    /** Consecutive failed deliveries (5xx, timeouts); reset by a success. */
    failures: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.identityId, t.id] }),
    uniqueIndex('device_endpoint_unique')
      .on(t.endpoint)
      .where(sql`${t.endpoint} is not null`),
  ],
);

/** SubscribeToDataset: the device is told when the dataset changes. */
export const datasetSubscription = pgTable(
  'dataset_subscription',
  {
    identityId: text().notNull(),
    deviceId: text().notNull(),
    datasetName: text().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.identityId, t.deviceId, t.datasetName] }),
    foreignKey({
      columns: [t.identityId, t.deviceId],
      foreignColumns: [device.identityId, device.id],
    }).onDelete('cascade'),
    // Fan-out: the devices subscribed to one dataset of one identity.
    index('dataset_subscription_dataset_idx').on(t.identityId, t.datasetName),
  ],
);
