import { CHANGE_CHANNEL } from '@tandem/db';
import { createTestDatabase, type TestDatabase } from '@tandem/db/testing';
import pg from 'pg';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ChangeLogConsumer, type ChangeLogConsumerOptions } from './consumer.js';
import { readConsumerState, saveCheckpoint, type ChangeLogEntry } from './store.js';

let database: TestDatabase;
const consumers: ChangeLogConsumer[] = [];
beforeEach(async () => {
  database = await createTestDatabase();
});
afterEach(async () => {
  await Promise.all(consumers.splice(0).map((c) => c.stop()));
  await database?.close();
});

const insertText = `insert into change_log
    (identity_pool_id, identity_id, dataset_name, sync_count, kind, records, source)
  values ('pool', 'identity', $1, $2, 'update', '[]', 'system') returning id::int8 as id`;

let syncCount = 0;
async function insertChange(dataset = 'd'): Promise<number> {
  const [row] = await database.sql.query<{ id: unknown }>(
    { name: 'test_insert_change', text: insertText },
    [dataset, ++syncCount],
  );
  return Number(row?.id);
}

function consumer(
  options: Partial<ChangeLogConsumerOptions> & Pick<ChangeLogConsumerOptions, 'handler'>,
) {
  const c = new ChangeLogConsumer({
    database,
    name: 'test',
    pollIntervalMs: 50,
    leaseMs: 1_000,
    ...options,
  });
  consumers.push(c);
  return c;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error('waitFor: timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const ids = (batch: ChangeLogEntry[]) => batch.map((e) => e.id);

test('delivers in order, in batches, and resumes from the durable checkpoint', async () => {
  const first = [];
  for (let i = 0; i < 5; i++) first.push(await insertChange());
  const seen: number[] = [];
  const a = consumer({ batchSize: 2, handler: async (batch) => void seen.push(...ids(batch)) });
  await a.run();
  await waitFor(() => seen.length >= 5);
  expect(seen).toEqual(first);
  await a.stop();
  expect((await readConsumerState(database, 'test'))?.checkpoint.id).toBe(first[4]);

  const second = [];
  for (let i = 0; i < 3; i++) second.push(await insertChange());
  const seenAfterRestart: number[] = [];
  const b = consumer({ handler: async (batch) => void seenAfterRestart.push(...ids(batch)) });
  await b.run();
  await waitFor(() => seenAfterRestart.length >= 3);
  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(seenAfterRestart).toEqual(second);
  expect(seen).toEqual(first);
});

test('a row that takes a lower id but commits later is not skipped', async (context) => {
  if (!database.url) {
    context.skip(
      'needs two concurrent transactions; PGlite is a single connection, so rows cannot commit out of id order there',
    );
    return;
  }
  const a = new pg.Client({ connectionString: database.url });
  const b = new pg.Client({ connectionString: database.url });
  await a.connect();
  await b.connect();
  try {
    const seen: ChangeLogEntry[] = [];
    const c = consumer({ handler: async (batch) => void seen.push(...batch) });
    await c.run();

    await a.query('begin');
    const idA = Number((await a.query(insertText, ['d', ++syncCount])).rows[0].id);
    await b.query('begin');
    const idB = Number((await b.query(insertText, ['d', ++syncCount])).rows[0].id);
    await b.query('commit');
    expect(idA).toBeLessThan(idB);

    // B is committed and visible, but A (older transaction) is still running: B must wait,
    // or a checkpoint past B would skip A for good.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(seen).toEqual([]);

    await a.query('commit');
    await waitFor(() => seen.length >= 2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(ids(seen)).toEqual([idA, idB]);
    expect(BigInt(seen[0]!.txId)).toBeLessThan(BigInt(seen[1]!.txId));
  } finally {
    await a.end();
    await b.end();
  }
});

test('a crash between handling and checkpointing delivers the batch again', async () => {
  const rows = [await insertChange(), await insertChange()];
  // The handler's side effect happens, then it fails (the process "crashes") every time.
  const sideEffects: number[] = [];
  const crashing = consumer({
    handler: async (batch) => {
      sideEffects.push(...ids(batch));
      throw new Error('crash after side effect');
    },
    onError: () => {},
  });
  await crashing.run();
  await waitFor(() => sideEffects.length >= 4); // retried, delivered again
  await crashing.stop({ releaseLease: false });
  expect(sideEffects.slice(0, 4)).toEqual([...rows, ...rows]);
  expect((await readConsumerState(database, 'test'))?.checkpoint.id).toBe(0);

  // A replacement (after the dead holder's lease expired) gets the same rows again.
  const seen: number[] = [];
  const replacement = consumer({ handler: async (batch) => void seen.push(...ids(batch)) });
  await replacement.run();
  await waitFor(() => seen.length >= 2);
  expect(seen).toEqual(rows);
  await waitFor(async () => (await readConsumerState(database, 'test'))?.checkpoint.id === rows[1]);
});

test('replicas of one consumer never run together; one takes over; a fenced holder cannot checkpoint', async () => {
  let active = 0;
  let maxActive = 0;
  const seenBy = new Map<string, number[]>();
  const handler = (name: string) => async (batch: ChangeLogEntry[]) => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((resolve) => setTimeout(resolve, 30));
    seenBy.set(name, [...(seenBy.get(name) ?? []), ...ids(batch)]);
    active--;
  };
  const a = consumer({ holderId: 'a', batchSize: 1, handler: handler('a') });
  const b = consumer({ holderId: 'b', batchSize: 1, handler: handler('b') });
  await Promise.all([a.run(), b.run()]);
  const first = [await insertChange(), await insertChange(), await insertChange()];
  const all = () => [...(seenBy.get('a') ?? []), ...(seenBy.get('b') ?? [])];
  await waitFor(() => all().length >= 3);
  expect(maxActive).toBe(1);
  expect(seenBy.size).toBe(1);
  const [holderName] = [...seenBy.keys()];
  const [holder, other] = holderName === 'a' ? [a, b] : [b, a];
  expect(seenBy.get(holderName!)).toEqual(first);

  // The holder dies without releasing its lease: the other replica takes over after expiry.
  await holder.stop({ releaseLease: false });
  const second = [await insertChange(), await insertChange()];
  await waitFor(() => (seenBy.get(other.holderId) ?? []).length >= 2, 5_000);
  expect(seenBy.get(other.holderId)).toEqual(second);
  expect(all().sort((x, y) => x - y)).toEqual([...first, ...second]);
  expect(maxActive).toBe(1);

  // The old holder, fenced off, cannot move (or rewind) the checkpoint.
  const before = await readConsumerState(database, 'test');
  expect(before?.holder).toBe(other.holderId);
  const third = await insertChange();
  const moved = await saveCheckpoint(database, {
    name: 'test',
    holder: holder.holderId,
    to: { txId: '999999999', id: third },
  });
  expect(moved).toBe(false);
  expect((await readConsumerState(database, 'test'))?.checkpoint.id).not.toBe(third);
});

test('a NOTIFY wakes the consumer well before the poll interval', async () => {
  const seen: ChangeLogEntry[] = [];
  const c = consumer({
    pollIntervalMs: 10_000,
    leaseMs: 60_000,
    handler: async (batch) => void seen.push(...batch),
  });
  await c.run();
  await waitFor(() => c.holdsLease);
  await new Promise((resolve) => setTimeout(resolve, 200)); // asleep for the next 10 s
  const start = Date.now();
  const id = await insertChange();
  await database.notify(CHANGE_CHANNEL, ['{}']);
  await waitFor(() => seen.length >= 1, 5_000);
  expect(Date.now() - start).toBeLessThan(2_000);
  expect(ids(seen)).toEqual([id]);
});

test('a row held back by an older open transaction is read soon after it ends, without another NOTIFY', async (context) => {
  if (!database.url) {
    context.skip('needs a second connection holding a transaction open');
    return;
  }
  const blocker = new pg.Client({ connectionString: database.url });
  await blocker.connect();
  try {
    const seen: ChangeLogEntry[] = [];
    const c = consumer({
      pollIntervalMs: 10_000,
      leaseMs: 60_000,
      handler: async (batch) => void seen.push(...batch),
    });
    await c.run();
    await waitFor(() => c.holdsLease);
    await new Promise((resolve) => setTimeout(resolve, 200)); // asleep for the next 10 s

    // Any open transaction with an id (here one that wrote nothing to change_log, as a test in
    // another database would) holds the snapshot xmin back.
    await blocker.query('begin');
    await blocker.query('select pg_current_xact_id()');
    const id = await insertChange();
    await database.notify(CHANGE_CHANNEL, ['{}']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(seen).toEqual([]);

    const released = Date.now();
    await blocker.query('commit');
    await waitFor(() => seen.length >= 1, 5_000);
    expect(Date.now() - released).toBeLessThan(2_000);
    expect(ids(seen)).toEqual([id]);
  } finally {
    await blocker.end();
  }
});
