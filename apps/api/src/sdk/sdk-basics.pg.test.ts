/**
 * The client SDK against the real API: two devices of one account, offline edits, live pokes.
 */
import { createTandemClient, memoryStore, type TandemClient } from '@tandem/client-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, uniqueEmail, PASSWORD, type Harness } from '../testing/harness.js';

let h: Harness;
let poolId: string;
const clients: TandemClient[] = [];

beforeAll(async () => {
  h = await startHarness();
  poolId = await h.pool();
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await h?.close();
});

async function device(options: { autoSync?: boolean; live?: boolean } = {}) {
  const client = await createTandemClient({
    url: h.url,
    identityPoolId: poolId,
    store: memoryStore(),
    autoSync: options.autoSync ?? false,
    live: options.live ?? false,
  });
  clients.push(client);
  return client;
}

const until = async (check: () => boolean, timeoutMs = 10_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

test('two devices of one account converge through synchronize()', async () => {
  const email = uniqueEmail();
  const a = await device();
  await a.signUp({ email, password: PASSWORD });
  const b = await device();
  await b.signIn({ email, password: PASSWORD });
  expect(b.identityId).toBe(a.identityId);

  const notesA = await a.dataset('notes');
  await notesA.put('greeting', 'hello');
  await notesA.put('temp', 'x');
  expect(notesA.state.pending).toBe(2);
  const pushed = await notesA.synchronize();
  expect(pushed).toMatchObject({ pushed: 2, pending: 0, syncCount: 1 });
  await notesA.remove('temp');
  await notesA.synchronize();

  const notesB = await b.dataset('notes');
  const pulled = await notesB.synchronize();
  expect(pulled.syncCount).toBe(2);
  expect(notesB.getAll()).toEqual({ greeting: 'hello' });
  expect(notesB.size).toBe(1);
});

test('a conflict goes to onConflict; the default is "most recent wins"', async () => {
  const email = uniqueEmail();
  const a = await device();
  await a.signUp({ email, password: PASSWORD });
  const b = await device();
  await b.signIn({ email, password: PASSWORD });
  const da = await a.dataset('settings');
  const db = await b.dataset('settings');
  await da.put('theme', 'light');
  await da.synchronize();
  await db.synchronize();
  await db.put('theme', 'dark'); // B edits first …
  await new Promise((resolve) => setTimeout(resolve, 5));
  await da.put('theme', 'blue'); // … A later
  await da.synchronize();

  const seen: string[] = [];
  await db.synchronize({
    onConflict(conflicts) {
      for (const conflict of conflicts) {
        seen.push(`${conflict.key}: ${conflict.local.value} vs ${conflict.remote.value}`);
      }
      // leave unresolved: the default applies (A's change is newer)
    },
  });
  expect(seen).toEqual(['theme: dark vs blue']);
  expect(db.get('theme')).toBe('blue');
  expect(db.state.pending).toBe(0);

  await db.put('theme', 'green');
  await da.put('theme', 'red');
  await da.synchronize();
  await db.synchronize({
    onConflict: (conflicts) => conflicts.forEach((conflict) => conflict.resolveWithValue('merged')),
  });
  await da.synchronize();
  expect(da.get('theme')).toBe('merged');
});

test('live pokes make another device sync by itself', async () => {
  const email = uniqueEmail();
  const a = await device({ autoSync: true, live: true });
  await a.signUp({ email, password: PASSWORD });
  const b = await device({ autoSync: true, live: true });
  await b.signIn({ email, password: PASSWORD });
  const da = await a.dataset('live');
  const dbs = await b.dataset('live');
  await new Promise((resolve) => setTimeout(resolve, 300));
  await da.put('k', 'v1');
  await until(() => dbs.get('k') === 'v1');
  await dbs.put('k', 'v2');
  await until(() => da.get('k') === 'v2');
  expect(da.state.pending).toBe(0);
});
