/**
 * Simulated devices for SDK tests: real SDK clients, each with its own local store, talking to
 * the real API over HTTP through a fetch that can be switched off (offline), can "die" at a
 * chosen moment, and records what the server acknowledged.
 */
import {
  createTandemClient,
  memoryStore,
  indexedDbStore,
  type LocalStore,
  type TandemClient,
} from '@tandem/client-sdk';
import { fileStore } from '@tandem/client-sdk/node';
import type { SyncRecord } from '@tandem/sync-protocol';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

export type StoreKind = 'memory' | 'file' | 'indexeddb';

/** What the network does to the next record.update (UpdateRecords) call. */
export type UpdateFault =
  /** The device dies after its pull, before the push leaves. */
  | 'dieBeforeSend'
  /** The server commits, the device dies before reading the answer. */
  | 'dieAfterCommit';

export class DeviceDied extends Error {
  constructor() {
    super('device died (simulated)');
  }
}

export interface NetworkState {
  offline: boolean;
  /** Set once: the device is dead, every later call fails. */
  dead: boolean;
  nextUpdateFault: UpdateFault | null;
  /** Records the server returned from UpdateRecords (its acknowledgements), by dataset. */
  acks: Array<SyncRecord & { datasetName: string }>;
  updateCalls: number;
  /** UpdateRecords calls fail as if the connection dropped (other calls work). */
  failUpdates: boolean;
  /** Runs while an UpdateRecords request is on the wire (after the server answered). */
  duringUpdate: (() => Promise<void>) | null;
}

export const newNetwork = (): NetworkState => ({
  offline: false,
  dead: false,
  nextUpdateFault: null,
  acks: [],
  updateCalls: 0,
  duringUpdate: null,
  failUpdates: false,
});

const requestUrl = (input: string | URL | Request) =>
  typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;

export function faultyFetch(network: NetworkState) {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (network.dead) throw new DeviceDied();
    if (network.offline) throw new TypeError('fetch failed (simulated offline)');
    const isUpdate = requestUrl(input).includes('/trpc/record.update');
    if (isUpdate) {
      network.updateCalls += 1;
      if (network.failUpdates) throw new TypeError('fetch failed (simulated drop)');
      if (network.nextUpdateFault === 'dieBeforeSend') {
        network.nextUpdateFault = null;
        network.dead = true;
        throw new DeviceDied();
      }
    }
    const response = await fetch(input, init);
    if (isUpdate) {
      const body = (await response.clone().json()) as {
        result?: { data: { records: SyncRecord[] } };
      };
      if (body.result) {
        const { datasetName } = JSON.parse(String(init?.body)) as { datasetName: string };
        for (const record of body.result.data.records)
          network.acks.push({ ...record, datasetName });
      }
      const during = network.duringUpdate;
      network.duringUpdate = null;
      await during?.();
      if (network.nextUpdateFault === 'dieAfterCommit') {
        network.nextUpdateFault = null;
        network.dead = true;
        throw new DeviceDied();
      }
    }
    return response;
  };
}

/** A store factory per kind; `reopen` gives the same data to a new client (after a "crash"). */
export async function openStore(kind: StoreKind): Promise<{
  store: LocalStore;
  reopen: () => Promise<LocalStore>;
}> {
  if (kind === 'file') {
    const directory = await mkdtemp(path.join(tmpdir(), 'tandem-device-'));
    return {
      store: await fileStore({ directory }),
      reopen: () => fileStore({ directory }),
    };
  }
  if (kind === 'indexeddb') {
    const factory = new IDBFactory();
    const open = () => indexedDbStore({ indexedDB: factory, IDBKeyRange, name: 'device' });
    return { store: await open(), reopen: open };
  }
  // A memory store outlives its client: a new client on it sees exactly what was committed.
  const store = memoryStore();
  return { store, reopen: async () => store };
}

export async function createDevice(options: {
  url: string;
  identityPoolId: string;
  store: LocalStore;
  network: NetworkState;
  autoSync?: boolean;
  live?: boolean;
}): Promise<TandemClient> {
  return createTandemClient({
    url: options.url,
    identityPoolId: options.identityPoolId,
    store: options.store,
    fetch: faultyFetch(options.network),
    autoSync: options.autoSync ?? false,
    live: options.live ?? false,
    isOnline: () => !options.network.offline,
  });
}

export async function until(check: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
