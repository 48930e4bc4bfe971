/**
 * LOCAL: how fast the client SDK reads and writes on the device, no network involved — ops/s of
 * `dataset.put` (each awaited), `dataset.get` and `dataset.getAll` on a dataset of 1,000 records
 * of 200 B, for each local store: memory, IndexedDB in Node (fake-indexeddb, a pure-JS
 * implementation, so not a browser's speed), and the file store with and without fdatasync per
 * transaction. Also the time to open that dataset on a new client of the same store (what an
 * app pays at start-up).
 *
 * There is no external baseline: these are absolute numbers, to compare stores and versions.
 * The client must be signed in (datasets live under the identity); each store's client signs in
 * once against the bench's API, before anything is timed. Nothing syncs (autoSync and live off).
 */
import {
  createTandemClient,
  indexedDbStore,
  memoryStore,
  type Dataset,
  type LocalStore,
  type TandemClient,
} from '@tandem/client-sdk';
import { fileStore } from '@tandem/client-sdk/node';
import { IDBFactory, IDBKeyRange } from 'fake-indexeddb';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { cpuBetween, cpuSnapshot } from './cpu.js';
import { PASSWORD, sdkFetch } from './devices.js';
import type { LocalStoreResult } from './report.js';
import { opsPerSecond } from './sdk-data.js';
import { startSelfProfile } from './self-profile.js';
import { median, round, summarise } from './stats.js';

export const LOCAL_RECORDS = 1000;
export const LOCAL_VALUE_BYTES = 200;
const DATASET = 'local-bench';

export interface LocalOptions {
  url: string;
  identityPoolId: string;
  /** A signed-up user (every store's client signs in as it). */
  email: string;
  secondsPerOp: number;
  /** Scratch directory for the file stores (removed afterwards). */
  scratchDir: string;
  /** The API child (its CPU — the sign-ins — is not counted as "other"). */
  apiPid: number;
  profileDir: string | undefined;
  log: (message: string) => void;
}

interface StoreKind {
  id: LocalStoreResult['store'];
  label: string;
  /** Opens the store; a second call opens the same data again (a restart of the app). */
  open(): Promise<LocalStore>;
}

function storeKinds(scratchDir: string): StoreKind[] {
  const memory = memoryStore();
  const factory = new IDBFactory();
  // `IDBKeyRange`: fake-indexeddb's class goes with its factory (Node has no global one).
  const idbOptions = { indexedDB: factory, IDBKeyRange, name: 'tandem-bench' };
  return [
    { id: 'memory', label: 'memory', open: async () => memory },
    {
      id: 'indexeddb',
      label: 'IndexedDB (fake-indexeddb, Node)',
      open: () => indexedDbStore(idbOptions),
    },
    {
      id: 'file',
      label: 'file, durable (fdatasync per transaction)',
      open: () => fileStore({ directory: path.join(scratchDir, 'durable'), durable: true }),
    },
    {
      id: 'file-nosync',
      label: 'file, durable: false',
      open: () => fileStore({ directory: path.join(scratchDir, 'nosync'), durable: false }),
    },
  ];
}

const value = (i: number) => {
  const head = `v${i}:`;
  return head + 'x'.repeat(LOCAL_VALUE_BYTES - head.length);
};
const keyOf = (i: number) => `k${String(i % LOCAL_RECORDS).padStart(4, '0')}`;

/** Runs `op` for `ms` (after a warm-up); returns ops/s and, if `latencies`, each op's time. */
async function rate(
  ms: number,
  batch: number,
  op: (i: number) => unknown,
  latencies?: number[],
): Promise<number> {
  let i = 0;
  const loop = async (duration: number, record: boolean) => {
    let ops = 0;
    const start = performance.now();
    const end = start + duration;
    let now = start;
    while (now < end) {
      for (let j = 0; j < batch; j++) {
        const t = record ? performance.now() : 0;
        const out = op(i++);
        if (out instanceof Promise) await out;
        if (record) latencies!.push(performance.now() - t);
      }
      ops += batch;
      now = performance.now();
    }
    return { ops, ms: now - start };
  };
  await loop(Math.min(200, ms / 4), false);
  const { ops, ms: took } = await loop(ms, latencies !== undefined);
  return opsPerSecond(ops, took);
}

async function signedIn(options: LocalOptions, store: LocalStore): Promise<TandemClient> {
  const client = await createTandemClient({
    url: options.url,
    identityPoolId: options.identityPoolId,
    store,
    fetch: sdkFetch,
    live: false,
    autoSync: false,
  });
  await client.signIn({ email: options.email, password: PASSWORD });
  return client;
}

async function measureStore(kind: StoreKind, options: LocalOptions): Promise<LocalStoreResult> {
  const ms = options.secondsPerOp * 1000;
  const client = await signedIn(options, await kind.open());
  let dataset: Dataset = await client.dataset(DATASET);
  const initial: Record<string, string> = {};
  for (let i = 0; i < LOCAL_RECORDS; i++) initial[keyOf(i)] = value(i);
  await dataset.putAll(initial);

  // put: overwrite the 1,000 keys in turn, each with a new value, each awaited.
  const putLatencies: number[] = [];
  const putOps = await rate(ms, 1, (i) => dataset.put(keyOf(i), value(i + 1)), putLatencies);
  let sink = 0;
  const getOps = await rate(ms, 256, (i) => {
    sink += dataset.get(keyOf(i))?.length ?? 0;
  });
  const getAllOps = await rate(ms, 1, () => {
    sink += Object.keys(dataset.getAll()).length;
  });
  if (sink === 0) throw new Error('nothing read');
  if (dataset.size !== LOCAL_RECORDS) throw new Error(`${dataset.size} records`);
  await client.close();

  // Open: a new client on the same store (reopened), loading the dataset (session from the store).
  const opens: number[] = [];
  for (let i = 0; i < 4; i++) {
    const t = performance.now();
    const again = await createTandemClient({
      url: options.url,
      identityPoolId: options.identityPoolId,
      store: kind.open(),
      fetch: sdkFetch,
      live: false,
      autoSync: false,
    });
    dataset = await again.dataset(DATASET);
    const took = performance.now() - t;
    if (dataset.size !== LOCAL_RECORDS) throw new Error(`reopened: ${dataset.size} records`);
    await again.close();
    if (i > 0) opens.push(took);
  }
  const put = summarise(Float64Array.from(putLatencies));
  return {
    id: 'LOCAL',
    store: kind.id,
    label: kind.label,
    params: {
      records: LOCAL_RECORDS,
      value_bytes: LOCAL_VALUE_BYTES,
      seconds_per_op: options.secondsPerOp,
    },
    put_ops_s: round(putOps, 0),
    put_p50_ms: put.p50_ms,
    put_p99_ms: put.p99_ms,
    get_ops_s: round(getOps, 0),
    get_all_ops_s: round(getAllOps, 0),
    open_ms: round(median(opens), 2),
    other_cores: null,
  };
}

export async function runLocalStores(options: LocalOptions): Promise<LocalStoreResult[]> {
  fs.mkdirSync(options.scratchDir, { recursive: true });
  const results: LocalStoreResult[] = [];
  try {
    for (const kind of storeKinds(options.scratchDir)) {
      const self = options.profileDir ? await startSelfProfile() : null;
      const cpuStart = cpuSnapshot(options.apiPid);
      const r = await measureStore(kind, options);
      const cpu = cpuBetween(cpuStart, cpuSnapshot(options.apiPid), os.availableParallelism());
      r.other_cores = cpu ? round(cpu.other_cores, 3) : null;
      if (self) await self.stop(path.join(options.profileDir!, `LOCAL-${kind.id}-sdk.cpuprofile`));
      options.log(
        `  LOCAL ${kind.id}: put ${r.put_ops_s} ops/s (p50 ${r.put_p50_ms} ms), get ${r.get_ops_s} ops/s, getAll ${r.get_all_ops_s} ops/s, open ${r.open_ms} ms`,
      );
      results.push(r);
    }
  } finally {
    fs.rmSync(options.scratchDir, { recursive: true, force: true });
  }
  return results;
}
