/**
 * The stream export and bulk publish against the `postgres` sink, on PGlite (`npm test`) and
 * PostgreSQL (`test:pg`): what arrives, in which order, exactly how often, and what the admin
 * API reports meanwhile.
 */
import {
  ChangeFeed,
  deleteExpiredStreamRecords,
  getBulkPublishDetails,
  getPoolSettings,
  listStreamRecords,
  setStreamsSettings,
  startBulkPublish,
  type StoredStreamRecord,
} from '@tandem/db';
import { createTestDatabase, type TestDatabase } from '@tandem/db/testing';
import { isSyncError } from '@tandem/domain';
import pg from 'pg';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { silentLogger } from './logger.js';
import { poolWithIdentities, waitFor } from '../testing/writes.js';
import { startStreamWorker, type StreamWorker } from './worker.js';
import { BulkPublisher } from './bulk-publish.js';

let database: TestDatabase;
let feed: ChangeFeed;
const workers: { stop(): Promise<void> }[] = [];
beforeEach(async () => {
  database = await createTestDatabase();
  feed = await ChangeFeed.start(database);
});
afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => w.stop()));
  await feed.close();
  await database?.close();
});

let statements = 0;
const run = (text: string) => database.sql.query({ name: `test_raw_${++statements}`, text }, []);

const postgresSink = { enabled: true, sink: { kind: 'postgres' as const, retentionDays: 7 } };

async function startWorker(
  options: { holderId?: string; afterPublish?: (batch: readonly { id: number }[]) => void } = {},
): Promise<StreamWorker> {
  const worker = await startStreamWorker({
    database,
    feed,
    logger: silentLogger,
    holderId: options.holderId,
    exporter: {
      pollIntervalMs: 200,
      leaseMs: 3_000,
      reconcileIntervalMs: 100,
      healthIntervalMs: 100,
      batchSize: 16,
      afterPublish: options.afterPublish,
    },
    bulkPublish: { pollIntervalMs: 100, leaseMs: 3_000, pageSize: 50 },
  });
  workers.push(worker);
  return worker;
}

async function allStreamRecords(identityPoolId: string): Promise<StoredStreamRecord[]> {
  const all: StoredStreamRecord[] = [];
  let afterId: number | undefined;
  for (;;) {
    const page = await listStreamRecords(database.db, { identityPoolId, afterId, limit: 100 });
    all.push(...page.records);
    if (page.nextAfterId === null) return all;
    afterId = page.nextAfterId;
  }
}

test('every change after enabling arrives once, in sync-count order per dataset; health and backlog are reported', async () => {
  const { poolId, identityIds, write } = await poolWithIdentities(database, 3);
  // Written before streaming was enabled: Cognito streams only later updates.
  await write(identityIds[0]!, 'before', 'k', 'old');
  await setStreamsSettings(database.db, { identityPoolId: poolId, streams: postgresSink });
  await startWorker();

  const expected = new Map<string, number[]>();
  for (let round = 0; round < 10; round++) {
    for (const identityId of identityIds) {
      for (const dataset of ['a', 'b']) {
        const syncCount = await write(identityId, dataset, `key${round % 3}`, `v${round}`);
        const key = `${identityId}/${dataset}`;
        expected.set(key, [...(expected.get(key) ?? []), syncCount]);
      }
    }
  }
  await waitFor(async () => (await allStreamRecords(poolId)).length >= 60, 20_000, '60 records');
  const stored = await allStreamRecords(poolId);
  expect(stored).toHaveLength(60);
  const sequences = new Map<string, number[]>();
  for (const { record } of stored) {
    expect(record.identityPoolId).toBe(poolId);
    expect(record.datasetName).not.toBe('before');
    expect(record.dataSetName).toBe(record.datasetName);
    expect(record.operation).toBe('replace');
    expect(record.kinesisSyncRecords).toHaveLength(1);
    const key = `${record.identityId}/${record.datasetName}`;
    sequences.set(key, [...(sequences.get(key) ?? []), record.syncCount]);
  }
  expect(sequences).toEqual(expected);

  await waitFor(
    async () => {
      const { streamsHealth } = await getPoolSettings(database.db, poolId);
      return streamsHealth.status === 'healthy' && streamsHealth.backlog === 0;
    },
    10_000,
    'healthy with no backlog',
  );
});

test('the stream table keeps a change once when it is replayed, and drops records past retention', async () => {
  const { poolId, identityIds, write } = await poolWithIdentities(database, 1);
  await setStreamsSettings(database.db, { identityPoolId: poolId, streams: postgresSink });
  // Every batch "crashes" after publishing, before the checkpoint, the first three times.
  let crashes = 0;
  await startWorker({
    afterPublish: () => {
      if (crashes++ < 3) throw new Error('simulated crash between publish and checkpoint');
    },
  });
  for (let i = 0; i < 5; i++) await write(identityIds[0]!, 'd', 'k', `v${i}`);
  await waitFor(async () => (await allStreamRecords(poolId)).length >= 5);
  await waitFor(() => crashes > 3);
  const stored = await allStreamRecords(poolId);
  expect(stored.map((s) => s.record.syncCount)).toEqual([1, 2, 3, 4, 5]);

  await run(
    `update stream_record set published_at = now() - interval '8 days' where record->>'syncCount' in ('1', '2')`,
  );
  expect(await deleteExpiredStreamRecords(database.db)).toBe(2);
  expect((await allStreamRecords(poolId)).map((s) => s.record.syncCount)).toEqual([3, 4, 5]);
});

test('two replicas on one database: each change is exported by exactly one of them, none is left behind', async () => {
  const { poolId, identityIds, write } = await poolWithIdentities(database, 4);
  await setStreamsSettings(database.db, { identityPoolId: poolId, streams: postgresSink });
  const publishedBy = new Map<number, string[]>();
  const record = (holder: string) => (batch: readonly { id: number }[]) => {
    for (const { id } of batch) publishedBy.set(id, [...(publishedBy.get(id) ?? []), holder]);
  };
  await startWorker({ holderId: 'replica-a', afterPublish: record('replica-a') });
  await startWorker({ holderId: 'replica-b', afterPublish: record('replica-b') });
  let written = 0;
  await Promise.all(
    identityIds.map(async (identityId) => {
      for (let i = 0; i < 15; i++) {
        await write(identityId, `d${i % 2}`, 'k', `v${i}`);
        written++;
      }
    }),
  );
  await waitFor(() => publishedBy.size >= written, 20_000, 'every change published');
  await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrongful second export
  expect(publishedBy.size).toBe(written);
  for (const holders of publishedBy.values()) expect(holders).toHaveLength(1);
  expect(await allStreamRecords(poolId)).toHaveLength(written);
});

test('bulk publish sends every dataset once with progress, refuses a second run within 24 h, and resumes after its worker dies', async () => {
  const { poolId, identityIds, write } = await poolWithIdentities(database, 1);
  // Thousands of datasets: one identity row per 20 datasets, written in bulk SQL for speed.
  const datasets = 2_000;
  await run(`insert into identity (id, identity_pool_id, user_id, authenticated)
       select '${poolId}-i' || g, '${poolId}', 'bulk-user-' || g, true
       from generate_series(1, ${datasets / 20}) g`);
  await run(`insert into dataset (identity_id, name, identity_pool_id, sync_count, num_records, data_storage)
       select '${poolId}-i' || i, 'ds' || d, '${poolId}', 1, 1, 2
       from generate_series(1, ${datasets / 20}) i, generate_series(1, 20) d`);
  await run(`insert into record (identity_id, dataset_name, key, value, sync_count, last_modified_date)
       select identity_id, name, 'k', 'v', 1, now() from dataset where identity_pool_id = '${poolId}'`);
  await write(identityIds[0]!, 'live', 'k', 'v'); // one more, through the normal write path
  const total = datasets + 1;

  await expect(startBulkPublish(database.db, poolId)).rejects.toThrow(/not configured/);
  await setStreamsSettings(database.db, { identityPoolId: poolId, streams: postgresSink });
  expect((await startBulkPublish(database.db, poolId)).status).toBe('IN_PROGRESS');
  await expect(startBulkPublish(database.db, poolId)).rejects.toSatisfy(
    (e) => isSyncError(e) && e.kind === 'DuplicateRequestException',
  );

  // The first worker publishes a few pages, then hangs for good (as if killed): its lease runs
  // out and the second worker resumes after the last position the first one stored.
  let hang: () => void = () => {};
  const hung = new Promise<void>((resolve) => (hang = resolve));
  const first = new BulkPublisher({
    database,
    logger: silentLogger,
    holderId: 'first',
    pollIntervalMs: 50,
    leaseMs: 1_000,
    pageSize: 200,
    afterPublish: async ({ done }) => {
      if (done >= 600) await hung;
    },
  });
  const progress: number[] = [];
  const firstRun = new Promise<void>((resolve) => {
    const timer = setInterval(async () => {
      const details = await getBulkPublishDetails(database.db, poolId);
      if (details.progress) progress.push(details.progress.done);
      if ((details.progress?.done ?? 0) >= 400) {
        clearInterval(timer);
        resolve();
      }
    }, 20);
  });
  first.start();
  await firstRun;

  const resumedPages: number[] = [];
  const second = new BulkPublisher({
    database,
    logger: silentLogger,
    holderId: 'second',
    pollIntervalMs: 50,
    leaseMs: 1_000,
    pageSize: 200,
    afterPublish: ({ done }) => void resumedPages.push(done),
  });
  second.start();
  workers.push(second);
  await waitFor(
    async () => (await getBulkPublishDetails(database.db, poolId)).status === 'SUCCEEDED',
    60_000,
    'bulk publish to succeed',
  );
  hang();
  await first.stop();

  const details = await getBulkPublishDetails(database.db, poolId);
  expect(details.progress).toEqual({ done: total, total });
  expect(details.completedAt).toBeTypeOf('number');
  // The second worker started where the first left off, not from the beginning.
  expect(resumedPages[0]).toBeGreaterThan(200);
  expect(resumedPages.at(-1)).toBe(total);
  expect(progress.length).toBeGreaterThan(0);

  const bulk = (await allStreamRecords(poolId)).filter((s) => s.record.dedupeKey.endsWith('/bulk'));
  expect(bulk).toHaveLength(total);
  expect(new Set(bulk.map((s) => `${s.record.identityId}/${s.record.datasetName}`)).size).toBe(
    total,
  );
  const one = bulk.find((s) => s.record.datasetName === 'live')!.record;
  expect(one.operation).toBe('replace');
  expect(one.kinesisSyncRecords.map((r) => [r.key, r.value, r.op])).toEqual([
    ['k', 'v', 'replace'],
  ]);

  await expect(startBulkPublish(database.db, poolId)).rejects.toSatisfy(
    (e) => isSyncError(e) && e.kind === 'AlreadyStreamedException',
  );
});

test('a change committed before enabling is not exported, even while an older transaction holds the xmin back', async (context) => {
  if (!database.url) {
    context.skip('needs a second connection holding a transaction open');
    return;
  }
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  try {
    const { poolId, identityIds, write } = await poolWithIdentities(database, 1);
    // An older open transaction (as another database's would be): the snapshot xmin stays below
    // the next write's transaction, which commits before streaming is enabled.
    await blocker.query('begin');
    await blocker.query('select pg_current_xact_id()');
    await write(identityIds[0]!, 'before', 'k', 'old');
    await setStreamsSettings(database.db, { identityPoolId: poolId, streams: postgresSink });
    await blocker.query('commit');
    await startWorker();
    await write(identityIds[0]!, 'after', 'k', 'new');
    await waitFor(async () => (await allStreamRecords(poolId)).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 500)); // room for a wrongful export
    expect((await allStreamRecords(poolId)).map((s) => s.record.datasetName)).toEqual(['after']);
  } finally {
    await blocker.end();
  }
});
