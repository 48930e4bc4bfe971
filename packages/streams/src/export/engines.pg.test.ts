/**
 * The stream export end to end on the real engines: the machine's NATS JetStream and Redis, and
 * kinesalite for Kinesis. Changes are written through the real write path by concurrent writers
 * and, on PostgreSQL, one change commits after later-numbered ones (the change log's trap, §B3).
 * Every committed change must arrive, once after dedupe, in sync-count order per dataset.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { ChangeFeed, setStreamsSettings } from '@tandem/db';
import { createTestDatabase, type TestDatabase } from '@tandem/db/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest';
import type { SinkSettings } from '../create-sink.js';
import type { StreamRecord } from '../record.js';
import { runId } from '../testing/fixtures.js';
import {
  startKinesalite,
  testCredentials,
  testRegion,
  type Kinesalite,
} from '../testing/kinesalite.js';
import { silentLogger } from './logger.js';
import { poolWithIdentities, waitFor } from '../testing/writes.js';
import { startStreamWorker, type StreamWorker } from './worker.js';

let kinesis: Kinesalite;
beforeAll(async () => {
  kinesis = await startKinesalite();
});
afterAll(() => kinesis?.close());

let database: TestDatabase;
let feed: ChangeFeed;
let worker: StreamWorker | null = null;
const cleanups: (() => Promise<void>)[] = [];
beforeEach(async () => {
  database = await createTestDatabase();
  feed = await ChangeFeed.start(database);
});
afterEach(async () => {
  await worker?.stop();
  worker = null;
  for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => {});
  await feed.close();
  await database?.close();
});

/** An engine: its sink settings, and how to read back everything it holds, in stream order. */
interface Engine {
  settings: SinkSettings;
  readAll(): Promise<StreamRecord[]>;
}

async function natsEngine(): Promise<Engine> {
  const id = runId();
  const settings = {
    kind: 'nats' as const,
    host: '127.0.0.1',
    port: 4222,
    stream: `tandem_export_${id}`,
    subjectPrefix: `tandem-export.${id}`,
  };
  const nc = await connect({ servers: '127.0.0.1:4222', timeout: 5_000 });
  cleanups.push(async () => {
    await (await jetstreamManager(nc)).streams.delete(settings.stream).catch(() => undefined);
    await nc.close();
  });
  return {
    settings,
    async readAll() {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.info(settings.stream).catch(() => null);
      const out: StreamRecord[] = [];
      if (!info) return out;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(settings.stream, { seq });
        if (m) out.push(m.json<StreamRecord>());
      }
      return out;
    },
  };
}

async function redisEngine(): Promise<Engine> {
  const settings = {
    kind: 'redis' as const,
    host: '127.0.0.1',
    port: 6379,
    stream: `tandem-export:${runId()}`,
  };
  const redis = new Redis({ host: settings.host, port: settings.port });
  cleanups.push(async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, found] = await redis.scan(cursor, 'MATCH', `{${settings.stream}}:*`);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
    await redis.del(settings.stream, ...keys);
    await redis.quit();
  });
  return {
    settings,
    async readAll() {
      const entries = await redis.xrange(settings.stream, '-', '+');
      return entries.map(([, fields]) => {
        const at = fields.indexOf('record');
        return JSON.parse(fields[at + 1] ?? 'null') as StreamRecord;
      });
    },
  };
}

async function kinesisEngine(): Promise<Engine> {
  const streamName = await kinesis.createStream(2);
  return {
    settings: { kind: 'kinesis', streamName, region: testRegion, endpoint: kinesis.endpoint },
    // Shards concatenated: order is only meaningful per dataset, which stays in one shard.
    readAll: async () => (await kinesis.readAll(streamName)).map((r) => r.record),
  };
}

/**
 * Writes changes from concurrent writers and, on PostgreSQL, one change whose transaction takes
 * its change_log id first and commits after the others. Returns every committed (dataset key,
 * sync count), per dataset in order.
 */
async function writeConcurrently(
  poolId: string,
  identityIds: string[],
  write: (id: string, d: string, k: string, v: string) => Promise<number>,
) {
  const expected = new Map<string, number[]>();
  const note = (identityId: string, dataset: string, syncCount: number) => {
    const key = `${identityId}/${dataset}`;
    expected.set(key, [...(expected.get(key) ?? []), syncCount]);
  };
  let late: pg.Client | null = null;
  if (database.url) {
    // A transaction that writes its change_log row now and commits last.
    late = new pg.Client({ connectionString: database.url });
    await late.connect();
    await late.query('begin');
    await late.query(
      `insert into change_log (identity_pool_id, identity_id, dataset_name, sync_count, kind, records, source)
       values ($1, $2, 'late', 1, 'update', '[]', 'system')`,
      [poolId, identityIds[0]],
    );
  }
  await Promise.all(
    identityIds.map(async (identityId) => {
      for (let i = 0; i < 12; i++) {
        const dataset = `d${i % 3}`;
        note(identityId, dataset, await write(identityId, dataset, `k${i % 4}`, `v${i}`));
      }
    }),
  );
  if (late) {
    await late.query('commit');
    await late.end();
    note(identityIds[0]!, 'late', 1);
  }
  return expected;
}

function checkDelivery(received: StreamRecord[], expected: Map<string, number[]>) {
  const seen = new Set<string>();
  const sequences = new Map<string, number[]>();
  for (const record of received) {
    if (seen.has(record.dedupeKey)) continue; // at-least-once: drop replays by dedupe key
    seen.add(record.dedupeKey);
    const key = `${record.identityId}/${record.datasetName}`;
    sequences.set(key, [...(sequences.get(key) ?? []), record.syncCount]);
  }
  expect(sequences).toEqual(expected);
}

for (const [name, engine] of [
  ['NATS JetStream', natsEngine],
  ['Redis Streams', redisEngine],
  ['Kinesis (kinesalite)', kinesisEngine],
] as const) {
  test(`${name}: every committed change arrives, once after dedupe, in order per dataset`, async () => {
    const sink = await engine();
    const { poolId, identityIds, write } = await poolWithIdentities(database, 4);
    await setStreamsSettings(database.db, {
      identityPoolId: poolId,
      streams: { enabled: true, sink: sink.settings },
    });
    worker = await startStreamWorker({
      database,
      feed,
      logger: silentLogger,
      exporter: {
        pollIntervalMs: 100,
        reconcileIntervalMs: 100,
        batchSize: 10,
        leaseMs: 3_000,
        // kinesalite takes any key; against AWS the default provider chain supplies them.
        sinkOptions: { kinesis: { credentials: testCredentials } },
      },
    });
    const expected = await writeConcurrently(poolId, identityIds, write);
    const total = [...expected.values()].reduce((n, s) => n + s.length, 0);
    await waitFor(
      async () => new Set((await sink.readAll()).map((r) => r.dedupeKey)).size >= total,
      30_000,
      `${total} records in ${name}`,
    );
    checkDelivery(await sink.readAll(), expected);
  });
}
