/**
 * The client SDK's promises to app developers, against the real API (SPEC.md I1, I6–I10):
 * tabs sharing a store act as one device, guest sign-in merges, remote deletion, offline and
 * automatic retry, typed errors, sign-out.
 */
import {
  memoryStore,
  TandemSyncError,
  type SyncState,
  type TandemClient,
} from '@tandem/client-sdk';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  PASSWORD,
  startHarness,
  uniqueEmail,
  type ApiClient,
  type Harness,
} from '../testing/harness.js';
import { createDevice, newNetwork, until, type NetworkState } from './testing/devices.js';

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

async function syncOnceAs(api: ApiClient, datasetName: string, key: string, value: string) {
  const pulled = await api.record.list.query({ identityPoolId: poolId, datasetName });
  await api.record.update.mutate({
    identityPoolId: poolId,
    datasetName,
    syncSessionToken: pulled.syncSessionToken,
    recordPatches: [{ op: 'replace', key, value, syncCount: 0 }],
  });
}

async function device(
  options: {
    store?: ReturnType<typeof memoryStore>;
    network?: NetworkState;
    autoSync?: boolean;
    live?: boolean;
  } = {},
) {
  const network = options.network ?? newNetwork();
  const client = await createDevice({
    url: h.url,
    identityPoolId: poolId,
    store: options.store ?? memoryStore(),
    network,
    autoSync: options.autoSync ?? false,
    live: options.live ?? false,
  });
  clients.push(client);
  return { client, network };
}

test('two tabs on one store are one device: one push, both see the change', async () => {
  const email = uniqueEmail();
  await h.signUp(email);
  const store = memoryStore();
  const network = newNetwork(); // one browser: one network
  const tab1 = await device({ store, network });
  await tab1.client.signIn({ email, password: PASSWORD });
  const tab2 = await device({ store, network });
  expect(tab2.client.identityId).toBe(tab1.client.identityId); // session shared by the store
  const notes1 = await tab1.client.dataset('notes');
  const notes2 = await tab2.client.dataset('notes');

  const seenInTab2: string[] = [];
  notes2.on('change', (change) => seenInTab2.push(`${change.origin}:${change.keys.join(',')}`));
  await notes1.put('k', 'from tab 1');
  await until(() => notes2.get('k') === 'from tab 1');
  expect(seenInTab2).toContain('tab:k');

  // Both tabs sync at once (say, both saw the network come back).
  const [a, b] = await Promise.all([notes1.synchronize(), notes2.synchronize()]);
  expect(a.pushed + b.pushed).toBe(1);
  expect(network.updateCalls).toBe(1);
  expect(notes2.state.pending).toBe(0);
});

test('a guest who signs up keeps their data; one who signs in to an existing account is merged', async () => {
  // Signing up: the guest identity becomes the account's.
  const { client: guest } = await device();
  await guest.signInAsGuest();
  expect(guest.currentSession?.isGuest).toBe(true);
  const guestIdentity = guest.identityId;
  const settings = await guest.dataset('settings');
  await settings.put('theme', 'dark'); // not yet synced: the SDK pushes it before switching
  const email = uniqueEmail();
  await guest.signUp({ email, password: PASSWORD });
  expect(guest.currentSession?.isGuest).toBe(false);
  expect(guest.identityId).toBe(guestIdentity);
  await settings.synchronize();
  expect(settings.get('theme')).toBe('dark');

  // Signing in from another guest session: its datasets come along as `<name>.<guestId>`.
  const { client: other } = await device();
  await other.signInAsGuest();
  const otherGuestIdentity = other.identityId!;
  await (await other.dataset('settings')).put('theme', 'light');
  await other.signIn({ email, password: PASSWORD });
  expect(other.identityId).toBe(guestIdentity);
  const merged: string[][] = [];
  const accountSettings = await other.dataset('settings', {
    onDatasetsMerged: (_name, names) => {
      merged.push(names);
      return true;
    },
  });
  await accountSettings.synchronize();
  expect(merged).toEqual([[`settings.${otherGuestIdentity}`]]);
  expect(accountSettings.get('theme')).toBe('dark');
  const guestCopy = await other.dataset(`settings.${otherGuestIdentity}`);
  await guestCopy.synchronize();
  expect(guestCopy.getAll()).toEqual({ theme: 'light' });
  // The app finishes the merge by deleting the copy; then the callback stops.
  await guestCopy.delete();
  await guestCopy.synchronize();
  merged.length = 0;
  await accountSettings.synchronize();
  expect(merged).toEqual([]);
});

test('guest changes that could not be pushed before a merge are kept, under the merged name', async () => {
  const email = uniqueEmail();
  const account = await h.signUp(email);
  await syncOnceAs(account.client, 'notes', 'k', 'account value');
  const { client, network } = await device();
  await client.signInAsGuest();
  const guestIdentity = client.identityId!;
  const notes = await client.dataset('notes');
  await notes.put('synced', 'yes');
  await notes.synchronize();
  await notes.put('unsynced', 'pending when signing in');
  network.failUpdates = true; // the flush before sign-in cannot push
  await client.signIn({ email, password: PASSWORD });
  network.failUpdates = false;
  const carried = await client.dataset(`notes.${guestIdentity}`);
  expect(carried.isModified('unsynced')).toBe(true);
  await carried.synchronize();
  expect(carried.getAll()).toEqual({ synced: 'yes', unsynced: 'pending when signing in' });
  await notes.synchronize(); // the same object now shows the account's dataset
  expect(notes.getAll()).toEqual({ k: 'account value' });
});

test('a dataset deleted on another device: accepted by default, pending edits re-create it', async () => {
  const email = uniqueEmail();
  await h.signUp(email);
  const { client: a } = await device();
  await a.signIn({ email, password: PASSWORD });
  const { client: b } = await device();
  await b.signIn({ email, password: PASSWORD });
  const notesA = await a.dataset('notes');
  await notesA.putAll({ x: '1', y: '2' });
  await notesA.synchronize();
  const notesB = await b.dataset('notes');
  await notesB.synchronize();
  expect(notesB.size).toBe(2);

  await notesA.delete();
  expect(notesA.size).toBe(0);
  await notesA.synchronize();
  // Deleted everywhere and nothing pending: forgotten locally, not listed forever.
  expect((await a.localDatasets()).map((meta) => meta.name)).not.toContain('notes');

  // Declining keeps local data and reports why.
  await expect(notesB.synchronize({ onDatasetDeleted: () => false })).rejects.toMatchObject({
    kind: 'SyncCancelled',
  });
  expect(notesB.size).toBe(2);
  expect(notesB.state.status).toBe('error');

  await notesB.put('z', 'written offline after the delete');
  const deleted: string[] = [];
  await notesB.synchronize({ onDatasetDeleted: (name) => (deleted.push(name), true) });
  expect(deleted).toEqual(['notes']);
  expect(notesB.getAll()).toEqual({ z: 'written offline after the delete' });
  await notesA.synchronize();
  expect(notesA.getAll()).toEqual({ z: 'written offline after the delete' });
});

test('offline: writes stay local and pending; the SDK retries by itself when the network is back', async () => {
  const { client } = await device({ autoSync: true });
  await client.signInAsGuest();
  const notes = await client.dataset('notes');
  await until(() => notes.state.status === 'idle');
  const states: SyncState['status'][] = [];
  notes.on('state', (state) => states.push(state.status));

  // The network fails under a client that believes it is online (a flaky connection).
  const realFetch = globalThis.fetch;
  let broken = true;
  let attempts = 0;
  globalThis.fetch = (async (...args: Parameters<typeof fetch>) => {
    if (broken) {
      attempts += 1;
      throw new TypeError('fetch failed (connection refused)');
    }
    return realFetch(...args);
  }) as typeof fetch;
  try {
    await notes.put('draft', 'typed on the train');
    await until(() => notes.state.status === 'offline');
    expect(notes.state.pending).toBe(1);
    expect(notes.state.error).toBeInstanceOf(TandemSyncError);
    expect(notes.state.error?.kind).toBe('NetworkError');
    expect(notes.get('draft')).toBe('typed on the train');
    // Backoff (1 s, 2 s, 4 s … with jitter), not a tight loop.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(3);
    broken = false;
    await until(() => notes.state.pending === 0 && notes.state.status === 'idle', 6_000);
  } finally {
    globalThis.fetch = realFetch;
  }
  expect(states).toContain('offline');
  expect(states.at(-1)).toBe('idle');
});

test('server errors arrive typed and are not retried blindly; local limits are checked at once', async () => {
  const { client } = await device();
  await client.signInAsGuest();
  // The 21st dataset is over the limit (spec §7.10).
  for (let i = 0; i < 20; i += 1) {
    const dataset = await client.dataset(`d${i}`);
    await dataset.put('k', 'v');
    await dataset.synchronize();
  }
  const extra = await client.dataset('d20');
  await extra.put('k', 'v');
  const failures: string[] = [];
  await expect(
    extra.synchronize({ onFailure: (error) => failures.push(error.kind) }),
  ).rejects.toMatchObject({ kind: 'LimitExceededException', status: 400, retryable: false });
  expect(failures).toEqual(['LimitExceededException']);
  expect(extra.state).toMatchObject({ status: 'error', pending: 1 });
  expect(extra.get('k')).toBe('v'); // nothing lost locally

  const big = await client.dataset('d0');
  await big.put('half', 'x'.repeat(600_000));
  await expect(big.put('another half', 'x'.repeat(600_000))).rejects.toMatchObject({
    kind: 'LimitExceededException',
  });
  await expect(big.put('', 'empty key')).rejects.toMatchObject({
    kind: 'InvalidParameterException',
  });
  expect(big.get('another half')).toBeUndefined();
});

test('sign-out wipes the user’s local data unless asked to keep it', async () => {
  const email = uniqueEmail();
  await h.signUp(email);
  const store = memoryStore();
  const { client } = await device({ store });
  await client.signIn({ email, password: PASSWORD });
  const identityId = client.identityId!;
  const kept = await client.dataset('private');
  await kept.put('secret', 's');
  await client.signOut();
  expect(client.currentSession).toBeNull();
  expect(await store.listDatasets(identityId)).toEqual([]);
  // A Dataset object the app still holds shows nothing and accepts nothing, even once someone
  // else signs in on this device.
  expect(kept.getAll()).toEqual({});
  await client.signInAsGuest();
  await expect(kept.put('later', 'x')).rejects.toMatchObject({ kind: 'NotSignedIn' });
  expect((await client.dataset('private')).getAll()).toEqual({});
  await client.signOut();
  await expect(client.dataset('private')).rejects.toMatchObject({ kind: 'NotSignedIn' });

  await client.signIn({ email, password: PASSWORD });
  await (await client.dataset('private')).put('secret', 's');
  await client.signOut({ keepLocalData: true });
  expect((await store.listDatasets(identityId)).map((meta) => meta.name)).toEqual(['private']);
});
