/**
 * The worker as a real process (`node --import tsx src/main.ts`) against real brokers, on
 * PostgreSQL only (`test:pg`; a separate process cannot share a PGlite): a SIGKILL between the
 * sink's acknowledgement and the checkpoint, a broker outage, and two replicas of which one is
 * killed. What is checked is what a stream consumer sees: every committed change, once after
 * dedupe on `dedupeKey`, in sync-count order per dataset; replays byte-identical.
 *
 * Both NATS (Nats-Msg-Id within the duplicate window) and the Redis sink (a dedupe key per
 * record) drop replays server-side, which would hide a double export. So the tests also watch
 * the raw traffic: a core NATS subscription on the subject prefix receives every publish,
 * including the ones JetStream then drops as duplicates; Redis's MONITOR shows every append
 * script call with its record.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { getPoolSettings, setStreamsSettings } from '@tandem/db';
import { createTestDatabase, testDatabaseUrl, type TestDatabase } from '@tandem/db/testing';
import type { StreamRecord } from '@tandem/streams';
import { Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import { afterEach, expect, test, type TestContext } from 'vitest';
import {
  killAll,
  outputTail,
  startNatsServer,
  startWorkerProcess,
  stopProcess,
  tempDir,
  unusedPort,
  waitFor,
  type Child,
  type WorkerEnv,
} from './testing/processes.js';
import {
  afterCheckpoint,
  changeLogRows,
  exportState,
  poolWithIdentities,
  writeRounds,
  type ChangeRow,
} from './testing/writes.js';

const SHARED_NATS = { host: '127.0.0.1', port: 4222 };
const SHARED_REDIS = { host: '127.0.0.1', port: 6379 };
/** The exporter's batch size (StreamExporter's default; the worker does not configure it). */
const BATCH_SIZE = 256;

let database: TestDatabase | undefined;
const cleanups: (() => Promise<unknown>)[] = [];
const started: Child[] = [];

afterEach(async () => {
  await killAll();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  started.length = 0;
  await database?.close();
  database = undefined;
});

const runId = () => randomUUID().replaceAll('-', '').slice(0, 12);

/** A fresh PostgreSQL database for the test, or skips it on PGlite. */
async function pgDatabase(context: TestContext): Promise<TestDatabase & { url: string }> {
  if (!testDatabaseUrl) {
    context.skip('runs the worker as a separate process, which needs PostgreSQL (DATABASE_URL)');
  }
  const created = await createTestDatabase();
  database = created;
  const { url } = created;
  if (!url) {
    context.skip('runs the worker as a separate process, which needs PostgreSQL (DATABASE_URL)');
    throw new Error('unreachable');
  }
  // Show the processes' logs when the test fails.
  context.onTestFailed(() => {
    for (const child of started) console.error(outputTail(child));
  });
  return Object.assign(created, { url });
}

function worker(url: string, env: Omit<WorkerEnv, 'DATABASE_URL'> = {}): Child {
  const child = startWorkerProcess({
    DATABASE_URL: url,
    STREAMS_POLL_INTERVAL_MS: 100,
    STREAMS_LEASE_MS: 1_500,
    STREAMS_RECONCILE_INTERVAL_MS: 100,
    LOG_LEVEL: 'info',
    ...env,
  });
  started.push(child);
  return child;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

// ——— what a consumer sees ———

interface Observed {
  record: StreamRecord;
  /** The payload exactly as published. */
  bytes: Buffer;
}

const observe = (bytes: Uint8Array | string): Observed => {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes);
  return { record: JSON.parse(buffer.toString('utf8')) as StreamRecord, bytes: buffer };
};

/**
 * Checks `observed` (in stream order) against the committed changes: each change present, no
 * other record; after dedupe by `dedupeKey` (keeping the first copy) every dataset's records in
 * sync-count order; every later copy byte-identical to the first. Returns the duplicated keys.
 */
function checkAtLeastOnce(observed: readonly Observed[], rows: readonly ChangeRow[]): Set<string> {
  const first = new Map<string, Observed>();
  const duplicated = new Set<string>();
  const sequences = new Map<string, number[]>();
  for (const o of observed) {
    const key = o.record.dedupeKey;
    const earlier = first.get(key);
    if (earlier) {
      duplicated.add(key);
      expect(o.bytes.equals(earlier.bytes), `replay of ${key} differs from the first copy`).toBe(
        true,
      );
      continue;
    }
    first.set(key, o);
    const dataset = `${o.record.identityId}/${o.record.datasetName}`;
    sequences.set(dataset, [...(sequences.get(dataset) ?? []), o.record.syncCount]);
  }
  expect([...first.keys()].sort()).toEqual(rows.map((r) => r.dedupeKey).sort());
  const expected = new Map<string, number[]>();
  for (const row of [...rows].sort((a, b) => a.syncCount - b.syncCount)) {
    const dataset = `${row.identityId}/${row.datasetName}`;
    expected.set(dataset, [...(expected.get(dataset) ?? []), row.syncCount]);
  }
  expect(sequences).toEqual(expected);
  return duplicated;
}

/** Waits until the export's checkpoint is at the pool's last change (everything acknowledged). */
async function waitForDrained(db: TestDatabase, poolId: string, timeoutMs = 20_000) {
  await waitFor(
    async () => {
      const rows = await changeLogRows(db, poolId);
      const last = rows.at(-1);
      if (!last) return true;
      const state = await exportState(db, poolId);
      return state.txId === last.txId && state.id === last.id;
    },
    timeoutMs,
    'the export checkpoint to reach the last change',
  );
}

// ——— NATS ———

interface NatsTarget {
  nc: NatsConnection;
  stream: string;
  subjectPrefix: string;
  /** Every publish on the subject prefix, duplicates included (core subscription). */
  raw: Observed[];
  /** The stream's messages, in stream order. */
  read(): Promise<Observed[]>;
}

/** `ownsStream`: delete the stream afterwards (on the shared server; a private one is dropped). */
async function natsTarget(port: number, name: string, ownsStream = true): Promise<NatsTarget> {
  const nc = await connect({ servers: `127.0.0.1:${port}`, timeout: 5_000 });
  const stream = `tandem_worker_test_${name}`;
  const subjectPrefix = `tandem-worker-test.${name}`;
  const raw: Observed[] = [];
  nc.subscribe(`${subjectPrefix}.>`, {
    callback: (error, msg) => {
      if (!error) raw.push(observe(msg.data));
    },
  });
  await nc.flush();
  cleanups.push(async () => {
    if (nc.isClosed()) return;
    if (ownsStream) {
      const jsm = await jetstreamManager(nc, { timeout: 2_000 });
      await jsm.streams.delete(stream).catch(() => undefined);
    }
    await nc.close();
  });
  return {
    nc,
    stream,
    subjectPrefix,
    raw,
    async read() {
      const jsm = await jetstreamManager(nc, { timeout: 5_000 });
      const info = await jsm.streams.info(stream);
      const messages: Observed[] = [];
      if (info.state.messages === 0) return messages;
      for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
        const m = await jsm.streams.getMessage(stream, { seq });
        if (m) messages.push(observe(m.data));
      }
      return messages;
    },
  };
}

const natsSink = (target: NatsTarget, port: number) => ({
  enabled: true,
  sink: {
    kind: 'nats' as const,
    host: '127.0.0.1',
    port,
    stream: target.stream,
    subjectPrefix: target.subjectPrefix,
  },
});

// ——— Redis ———

interface RedisTarget {
  stream: string;
  /** Every append script call for the stream key, duplicates included (MONITOR). */
  raw: Observed[];
  read(): Promise<Observed[]>;
}

async function redisTarget(name: string): Promise<RedisTarget> {
  const stream = `tandem-worker-test:${name}`;
  const client = new Redis({ ...SHARED_REDIS, lazyConnect: true, maxRetriesPerRequest: 1 });
  await client.connect();
  const monitor = await client.duplicate().monitor();
  const raw: Observed[] = [];
  monitor.on('monitor', (_time: string, args: string[]) => {
    // EVALSHA/EVAL <script> 2 <stream> <dedupe key> <max length> <ttl> dedupeKey <k> record <json>
    const command = args[0]?.toLowerCase();
    if ((command === 'evalsha' || command === 'eval') && args[3] === stream) {
      const json = args[args.indexOf('record', 7) + 1];
      if (json !== undefined) raw.push(observe(json));
    }
  });
  cleanups.push(async () => {
    monitor.disconnect();
    const dedupeKeys: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `{${stream}}:*`, 'COUNT', 1_000);
      cursor = next;
      dedupeKeys.push(...keys);
    } while (cursor !== '0');
    await client.del(stream, ...dedupeKeys);
    client.disconnect();
  });
  return {
    stream,
    raw,
    async read() {
      const entries = await client.xrange(stream, '-', '+');
      return entries.map(([, fields]) => {
        const json = fields[fields.indexOf('record') + 1];
        if (json === undefined) throw new Error('stream entry without a record field');
        return observe(json);
      });
    },
  };
}

// ——— 1. SIGKILL between the sink's acknowledgement and the checkpoint ———

/**
 * 300 changes are written before the worker starts, so its first batch is 256 changes and its
 * second 44. With the failpoint at 2 the worker SIGKILLs itself after the sink acknowledged the
 * second batch, before that batch's checkpoint: the stream then holds 44 changes beyond the
 * checkpoint. The restarted worker publishes them again (and whatever came meanwhile).
 */
async function crashBetweenPublishAndCheckpoint(
  target: {
    settings: Parameters<typeof setStreamsSettings>[1]['streams'];
    raw: Observed[];
    read(): Promise<Observed[]>;
    /** Whether the sink drops replays itself (the stream then holds each change once). */
    dedupes: boolean;
  },
  db: TestDatabase & { url: string },
) {
  const { poolId, identityIds, write } = await poolWithIdentities(db, 4);
  await setStreamsSettings(db.db, { identityPoolId: poolId, streams: target.settings });
  const datasets = ['settings', 'scores', 'notes.x'];
  await writeRounds(write, identityIds, datasets, 25, 'before'); // 4 × 3 × 25 = 300
  const before = await changeLogRows(db, poolId);
  expect(before).toHaveLength(300);

  const killed = worker(db.url, {
    WORKER_ID: 'crashing',
    TANDEM_FAILPOINT_KILL_AFTER_PUBLISHES: 2,
  });
  const exit = await withTimeout(killed.exited, 30_000, 'the worker to hit its failpoint');
  expect(exit).toEqual({ code: null, signal: 'SIGKILL' });

  // Right after the kill: the first batch is checkpointed, the second is in the stream but not.
  const atKill = await exportState(db, poolId);
  expect(atKill.holder).toBe('crashing'); // the dead holder's lease is left to expire
  const checkpointed = before.filter((r) => !afterCheckpoint(r, atKill));
  const pending = before.filter((r) => afterCheckpoint(r, atKill));
  expect(checkpointed).toHaveLength(BATCH_SIZE);
  expect(pending).toHaveLength(300 - BATCH_SIZE);
  const inStreamAtKill = new Set((await target.read()).map((o) => o.record.dedupeKey));
  expect(inStreamAtKill.size).toBe(300);
  // The killed batch was published (acknowledged) before the kill: changes past the checkpoint.
  for (const row of pending) expect(inStreamAtKill.has(row.dedupeKey)).toBe(true);
  expect(target.raw).toHaveLength(300); // nothing published twice so far

  // Restart without the failpoint (once the dead replica's lease ran out), writing meanwhile.
  const restarted = worker(db.url, { WORKER_ID: 'restarted' });
  await writeRounds(write, identityIds, datasets, 5, 'after'); // 60 more
  await waitForDrained(db, poolId);
  const rows = await changeLogRows(db, poolId);
  expect(rows).toHaveLength(360);
  expect((await exportState(db, poolId)).holder).toBe('restarted');

  const stream = await target.read();
  const streamDuplicates = checkAtLeastOnce(stream, rows);
  if (target.dedupes) expect(stream).toHaveLength(rows.length);
  // The raw traffic shows the replay: exactly the killed batch was sent again, byte for byte.
  const replayed = checkAtLeastOnce(target.raw, rows);
  expect([...replayed].sort()).toEqual(pending.map((r) => r.dedupeKey).sort());
  if (!target.dedupes) expect([...streamDuplicates].sort()).toEqual([...replayed].sort());

  // A clean stop finishes the batch in flight and exits 0.
  expect(await withTimeout(stopProcess(restarted), 10_000, 'a clean stop')).toEqual({
    code: 0,
    signal: null,
  });
}

test('NATS: a worker SIGKILLed after the sink acknowledged a batch and before its checkpoint loses nothing; the restart replays that batch byte-identically', async (context) => {
  const db = await pgDatabase(context);
  const target = await natsTarget(SHARED_NATS.port, runId());
  await crashBetweenPublishAndCheckpoint(
    {
      settings: natsSink(target, SHARED_NATS.port),
      raw: target.raw,
      read: target.read,
      dedupes: true,
    },
    db,
  );
});

test('Redis Streams: the same crash; the dedupe script keeps each change once in the stream', async (context) => {
  const db = await pgDatabase(context);
  const target = await redisTarget(runId());
  await crashBetweenPublishAndCheckpoint(
    {
      settings: {
        enabled: true,
        sink: { kind: 'redis', ...SHARED_REDIS, stream: target.stream },
      },
      raw: target.raw,
      read: target.read,
      dedupes: true,
    },
    db,
  );
});

// ——— 2. broker outage ———

test('NATS outage: syncs stay fast, health reports failing with a backlog, and after the restart everything arrives once, in order', async (context) => {
  const db = await pgDatabase(context);
  const port = await unusedPort();
  const storeDir = await tempDir('tandem-nats-');
  let nats = await startNatsServer(port, storeDir);
  started.push(nats);
  const name = runId();
  const stream = `tandem_worker_test_${name}`;
  const subjectPrefix = `tandem-worker-test.${name}`;
  const { poolId, identityIds, write } = await poolWithIdentities(db, 3);
  await setStreamsSettings(db.db, {
    identityPoolId: poolId,
    streams: {
      enabled: true,
      sink: { kind: 'nats', host: '127.0.0.1', port, stream, subjectPrefix },
    },
  });
  worker(db.url, { WORKER_ID: 'outage' });
  const datasets = ['a', 'b'];
  await writeRounds(write, identityIds, datasets, 5, 'up'); // 30
  await waitForDrained(db, poolId);
  await waitFor(
    async () => (await getPoolSettings(db.db, poolId)).streamsHealth.status === 'healthy',
    10_000,
    'healthy before the outage',
  );

  // The broker goes away.
  await withTimeout(stopProcess(nats), 10_000, 'nats-server to stop');
  const outageStart = Date.now();
  const durations: number[] = [];
  for (let i = 0; i < 4; i++) {
    durations.push(...(await writeRounds(write, identityIds, datasets, 5, `down${i}`)));
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  // 120 writes while the sink fails: none waits for it.
  expect(durations).toHaveLength(120);
  expect(Math.max(...durations)).toBeLessThan(1_000);

  await waitFor(
    async () => {
      const { streamsHealth } = await getPoolSettings(db.db, poolId);
      return (
        streamsHealth.status === 'failing' &&
        typeof streamsHealth.lastError === 'string' &&
        streamsHealth.lastError.length > 0 &&
        (streamsHealth.backlog ?? 0) > 0
      );
    },
    25_000,
    'health to report failing with a backlog',
  );
  const failing = (await getPoolSettings(db.db, poolId)).streamsHealth;
  expect(failing.lastError).toMatch(/nats/i);
  expect(failing.backlog).toBeGreaterThan(0);
  expect(failing.backlog).toBeLessThanOrEqual(120);

  // The broker comes back on the same port with the same store.
  nats = await startNatsServer(port, storeDir);
  started.push(nats);
  const outageMs = Date.now() - outageStart;
  expect(outageMs).toBeGreaterThan(1_000);
  await waitForDrained(db, poolId, 30_000);
  await waitFor(
    async () => {
      const { streamsHealth } = await getPoolSettings(db.db, poolId);
      return (
        streamsHealth.status === 'healthy' &&
        streamsHealth.backlog === 0 &&
        streamsHealth.lastError === null
      );
    },
    15_000,
    'health to return to healthy with no backlog',
  );

  const target = await natsTarget(port, name, false);
  const stored = await target.read();
  const rows = await changeLogRows(db, poolId);
  expect(rows).toHaveLength(150);
  checkAtLeastOnce(stored, rows);
  expect(stored).toHaveLength(rows.length);
});

// ——— 3. two replicas, one killed ———

test('two worker processes on one database: no double publish while both live; after the holder is SIGKILLed the other takes over and nothing is left behind', async (context) => {
  const db = await pgDatabase(context);
  const target = await natsTarget(SHARED_NATS.port, runId());
  const { poolId, identityIds, write } = await poolWithIdentities(db, 4);
  await setStreamsSettings(db.db, {
    identityPoolId: poolId,
    streams: natsSink(target, SHARED_NATS.port),
  });
  // A longer lease than elsewhere: a replica stalled for a whole lease (a loaded CI machine)
  // would let the other take over mid-batch and publish that batch again, legitimately.
  const env = { STREAMS_LEASE_MS: 2_500 };
  const replicas = new Map([
    ['replica-a', worker(db.url, { ...env, WORKER_ID: 'replica-a' })],
    ['replica-b', worker(db.url, { ...env, WORKER_ID: 'replica-b' })],
  ]);
  const datasets = ['a', 'b'];
  for (let i = 0; i < 4; i++) {
    await writeRounds(write, identityIds, datasets, 4, `both${i}`); // 4 × 32
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await waitForDrained(db, poolId);
  const whileBoth = await changeLogRows(db, poolId);
  expect(whileBoth).toHaveLength(128);
  // The raw subscription saw every publish: each change exactly once while both replicas ran.
  expect(checkAtLeastOnce(target.raw, whileBoth).size).toBe(0);
  expect(target.raw).toHaveLength(128);

  // Kill the lease holder while changes keep coming.
  const { holder } = await exportState(db, poolId);
  expect(holder === 'replica-a' || holder === 'replica-b').toBe(true);
  const victim = replicas.get(holder ?? '')!;
  const survivorId = holder === 'replica-a' ? 'replica-b' : 'replica-a';
  const writing = (async () => {
    for (let i = 0; i < 6; i++) {
      await writeRounds(write, identityIds, datasets, 2, `kill${i}`); // 6 × 16
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  await new Promise((resolve) => setTimeout(resolve, 250));
  victim.process.kill('SIGKILL');
  expect(await withTimeout(victim.exited, 5_000, 'the holder to die')).toEqual({
    code: null,
    signal: 'SIGKILL',
  });
  // The dead holder cannot move the checkpoint any more, and its lease has not run out yet:
  // whatever it had published past this checkpoint may be published again, nothing else.
  const atKill = await exportState(db, poolId);
  const rawAtKill = target.raw.length;
  await writing;

  await waitForDrained(db, poolId, 20_000);
  const final = await exportState(db, poolId);
  expect(final.holder).toBe(survivorId);
  const rows = await changeLogRows(db, poolId);
  expect(rows).toHaveLength(128 + 96);
  const stored = await target.read();
  checkAtLeastOnce(stored, rows);
  expect(stored).toHaveLength(rows.length);
  const replayed = checkAtLeastOnce(target.raw, rows);
  const pendingAtKill = new Set(
    rows.filter((r) => afterCheckpoint(r, atKill)).map((r) => r.dedupeKey),
  );
  for (const key of replayed) expect(pendingAtKill.has(key)).toBe(true);
  // Only what the dead replica had sent could be sent twice.
  const publishedByVictim = new Set(target.raw.slice(0, rawAtKill).map((o) => o.record.dedupeKey));
  for (const key of replayed) expect(publishedByVictim.has(key)).toBe(true);
});
