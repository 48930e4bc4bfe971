import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
} from 'drizzle-orm/pg-core';
import { createdAt, timestamptz } from './columns.js';
import { identity } from './identity-pool.js';

/**
 * A dataset row outlives the dataset: after DeleteDataset it stays with `exists = false`, so
 * its `syncCount` high-water mark is never reused (spec §7.7). `deletedAtSyncCount` is the
 * count given to the latest deletion. `numRecords`/`dataStorage` are kept in step with the
 * records by every write, under the row lock, so limits are checked without a scan.
 */
export const dataset = pgTable(
  'dataset',
  {
    identityId: text()
      .notNull()
      .references(() => identity.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    identityPoolId: text().notNull(),
    exists: boolean().notNull().default(true),
    syncCount: bigint({ mode: 'number' }).notNull().default(0),
    deletedAtSyncCount: bigint({ mode: 'number' }),
    numRecords: integer().notNull().default(0),
    dataStorage: bigint({ mode: 'number' }).notNull().default(0),
    /** Set on a dataset that came from a merge: the identity it came from. */
    mergedFromIdentityId: text(),
    creationDate: createdAt(),
    lastModifiedDate: timestamptz().notNull().defaultNow(),
    lastModifiedBy: text(),
  },
  (t) => [
    primaryKey({ columns: [t.identityId, t.name] }),
    index('dataset_pool_idx').on(t.identityPoolId),
    // Bulk publish walks a pool's datasets in (identity, name) order, resumably.
    index('dataset_pool_identity_idx').on(t.identityPoolId, t.identityId, t.name),
  ],
);

/** A key of a dataset. `value = null` is a tombstone kept so other devices learn of removals. */
export const record = pgTable(
  'record',
  {
    identityId: text().notNull(),
    datasetName: text().notNull(),
    key: text().notNull(),
    value: text(),
    syncCount: bigint({ mode: 'number' }).notNull(),
    lastModifiedDate: timestamptz().notNull(),
    lastModifiedBy: text(),
    deviceLastModifiedDate: timestamptz(),
  },
  (t) => [
    primaryKey({ columns: [t.identityId, t.datasetName, t.key] }),
    foreignKey({
      columns: [t.identityId, t.datasetName],
      foreignColumns: [dataset.identityId, dataset.name],
    }).onDelete('cascade'),
    // Pulls read "changed after N" in (syncCount, key) order.
    index('record_pull_idx').on(t.identityId, t.datasetName, t.syncCount, t.key),
  ],
);
