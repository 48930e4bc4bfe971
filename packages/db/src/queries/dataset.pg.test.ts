import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import {
  deleteDataset,
  listDatasets,
  listRecords,
  updateRecords,
  type CommittedChange,
  type Writer,
} from './dataset.js';
import { ChangeFeed } from '../change-feed.js';
import { createIdentityPool } from './identity-pool.js';
import { getOrCreateIdentity } from './identity.js';
import { mergeIdentities } from './merge.js';
import { describeIdentityPoolUsage, describeIdentityUsage } from './usage.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const device: Writer = { source: 'identity', lastModifiedBy: 'device-a' };

async function freshIdentity() {
  const pool = await createIdentityPool(database.db, {
    name: 'p',
    allowUnauthenticated: true,
    region: 'local-1',
  });
  const user = `user-${Math.random()}`;
  const identity = await getOrCreateIdentity(database.db, {
    identityPoolId: pool.id,
    userId: user,
    authenticated: true,
  });
  return { pool, identity, scope: { identityPoolId: pool.id, identityId: identity.id } };
}

test('write, pull since, delete and recreate keep sync counts unique', async () => {
  const { scope } = await freshIdentity();
  const db = database.db;
  const first = await updateRecords(database, {
    ...scope,
    datasetName: 'settings',
    writer: device,
    patches: [
      { op: 'replace', key: 'a', value: '1', syncCount: 0 },
      { op: 'replace', key: 'b', value: '2', syncCount: 0 },
    ],
  });
  expect(first.records.map((r) => [r.key, r.syncCount])).toEqual([
    ['a', 1],
    ['b', 1],
  ]);
  await updateRecords(database, {
    ...scope,
    datasetName: 'settings',
    writer: device,
    patches: [{ op: 'remove', key: 'a', syncCount: 1 }],
  });
  const since1 = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'settings',
    lastSyncCount: 1,
    maxResults: 1024,
  });
  expect(since1.records).toMatchObject([{ key: 'a', value: null, syncCount: 2 }]);
  expect(since1.datasetSyncCount).toBe(2);

  const deleted = await deleteDataset(db, { ...scope, datasetName: 'settings', writer: device });
  expect(deleted.dataset.numRecords).toBe(1);
  expect(deleted.change.syncCount).toBe(3);
  const gone = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'settings',
    lastSyncCount: 2,
    maxResults: 1024,
  });
  expect(gone).toMatchObject({
    datasetExists: false,
    datasetDeletedAfterRequestedSyncCount: true,
    datasetSyncCount: 0,
  });

  const again = await updateRecords(database, {
    ...scope,
    datasetName: 'settings',
    writer: device,
    patches: [{ op: 'replace', key: 'c', value: '3', syncCount: 0 }],
  });
  expect(again.records[0]!.syncCount).toBe(4);
  const afterRecreate = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'settings',
    lastSyncCount: 2,
    maxResults: 1024,
  });
  expect(afterRecreate).toMatchObject({
    datasetExists: true,
    datasetDeletedAfterRequestedSyncCount: true,
    datasetSyncCount: 4,
  });
  expect(afterRecreate.records.map((r) => r.key)).toEqual(['c']);
  const usage = await describeIdentityUsage(db, scope);
  expect(usage).toMatchObject({ datasetCount: 1, dataStorage: 2 });
  const pool = await describeIdentityPoolUsage(db, scope.identityPoolId);
  expect(pool).toMatchObject({
    datasetCount: 1,
    dataStorage: 2,
    identityCount: 1,
    syncSessionsCount: 3,
  });
});

test('pages in (syncCount, key) order with a fixed upper bound', async () => {
  const { scope } = await freshIdentity();
  const patches = Array.from({ length: 5 }, (_, i) => ({
    op: 'replace' as const,
    key: `k${i}`,
    value: 'v',
    syncCount: 0,
  }));
  await updateRecords(database, { ...scope, datasetName: 'd', writer: device, patches });
  const page1 = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'd',
    maxResults: 2,
  });
  expect(page1.records.map((r) => r.key)).toEqual(['k0', 'k1']);
  // A write between pages moves k3 past the bound: this pull skips it, the next one sees it.
  await updateRecords(database, {
    ...scope,
    datasetName: 'd',
    writer: device,
    patches: [{ op: 'replace', key: 'k3', value: 'w', syncCount: 1 }],
  });
  const page2 = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'd',
    maxResults: 2,
    nextToken: page1.nextToken!,
  });
  expect(page2.records.map((r) => r.key)).toEqual(['k2', 'k4']);
  expect(page2).toMatchObject({ nextToken: null, datasetSyncCount: 1 });
  const next = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'd',
    lastSyncCount: 1,
    maxResults: 10,
  });
  expect(next.records.map((r) => [r.key, r.value])).toEqual([['k3', 'w']]);
});

test('merge renames the guest datasets and reports them on the parent', async () => {
  const { pool, scope } = await freshIdentity();
  const guest = await getOrCreateIdentity(database.db, {
    identityPoolId: pool.id,
    userId: `guest-${Math.random()}`,
    authenticated: false,
  });
  await updateRecords(database, {
    ...scope,
    datasetName: 'notes',
    writer: device,
    patches: [{ op: 'replace', key: 'mine', value: 'x', syncCount: 0 }],
  });
  await updateRecords(database, {
    identityPoolId: pool.id,
    identityId: guest.id,
    datasetName: 'notes',
    writer: device,
    patches: [{ op: 'replace', key: 'guest', value: 'y', syncCount: 0 }],
  });
  const merged = await mergeIdentities(database.db, {
    identityPoolId: pool.id,
    fromIdentityId: guest.id,
    toIdentityId: scope.identityId,
  });
  expect(merged.mergedDatasetNames).toEqual([`notes.${guest.id}`]);
  const parent = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: 'notes',
    maxResults: 10,
  });
  expect(parent.mergedDatasetNames).toEqual([`notes.${guest.id}`]);
  const moved = await listRecords(database.sql, {
    identityId: scope.identityId,
    datasetName: `notes.${guest.id}`,
    maxResults: 10,
  });
  expect(moved.records.map((r) => [r.key, r.value])).toEqual([['guest', 'y']]);
  const datasets = await listDatasets(database.db, {
    identityId: scope.identityId,
    maxResults: 10,
  });
  expect(datasets.datasets.map((d) => d.datasetName)).toEqual(['notes', `notes.${guest.id}`]);
});

test('a committed change reaches subscribers here and, on PostgreSQL, in other processes', async () => {
  const { scope } = await freshIdentity();
  const here = await ChangeFeed.start(database);
  const elsewhere = await ChangeFeed.start(database); // stands for another API process
  const seenHere: CommittedChange[] = [];
  const seenElsewhere: CommittedChange[] = [];
  here.subscribe(scope.identityId, (c) => seenHere.push(c));
  elsewhere.subscribeAll((c) => seenElsewhere.push(c));
  const { change } = await updateRecords(database, {
    ...scope,
    datasetName: 'live',
    writer: { ...device, deviceId: 'dev1' },
    patches: [{ op: 'replace', key: 'k', value: 'v', syncCount: 0 }],
  });
  here.publish([change]);
  expect(seenHere).toEqual([
    expect.objectContaining({
      identityId: scope.identityId,
      datasetName: 'live',
      syncCount: 1,
      kind: 'update',
      deviceId: 'dev1',
    }),
  ]);
  if (database.kind === 'postgres') {
    await expect.poll(() => seenElsewhere.length).toBe(1);
    expect(seenElsewhere[0]).toEqual(seenHere[0]);
  }
  await here.close();
  await elsewhere.close();
  expect(seenHere).toHaveLength(1); // its own announcement is not delivered twice
});

test.skipIf(!process.env['DATABASE_URL'])(
  'a listener whose connection is cut reconnects, and announcements resume (PostgreSQL only)',
  async () => {
    const { scope } = await freshIdentity();
    const listening = await ChangeFeed.start(database);
    const announcing = await ChangeFeed.start(database);
    const seen: number[] = [];
    listening.subscribeAll((c) => seen.push(c.syncCount));
    let writes = 0;
    const write = async () => {
      const { change } = await updateRecords(database, {
        ...scope,
        datasetName: 'reconnect',
        writer: device,
        patches: [{ op: 'replace', key: `k${writes++}`, value: 'v', syncCount: 0 }],
      });
      announcing.publish([change]);
      return change!.syncCount;
    };
    const first = await write();
    await expect.poll(() => seen).toEqual([first]);
    // Cut every LISTEN connection of this database, as a server restart would.
    await database.sql.query(
      {
        name: 'test_kill_listeners',
        text: `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      },
      [],
    );
    await expect
      .poll(
        async () => {
          await write();
          return seen.length;
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThan(1);
    await listening.close();
    await announcing.close();
  },
);
