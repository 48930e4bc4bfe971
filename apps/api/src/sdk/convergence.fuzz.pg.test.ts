/**
 * Convergence of the client SDK against the real API (issue 3; SDK SPEC.md I1–I8).
 *
 * Each run: three devices of one account in a fresh identity pool, each with its own store
 * (memory, file, IndexedDB), run a random program of local edits, offline periods, syncs (one
 * at a time or two racing), conflict decisions and crashes (the device dies after its pull, or
 * after the server committed its push but before the answer arrived, and restarts from its
 * store). Then every device comes online and syncs
 * until nothing moves. Checked, per dataset:
 *
 * 1. Every device holds exactly what the server holds, with nothing pending.
 * 2. The server's per-key history (its change log) never holds one written value twice:
 *    nothing was pushed twice.
 * 3. Every record the server acknowledged to a device is in that history.
 * 4. Every value a device wrote reached the server, unless the same device overwrote it before
 *    it was pushed, or a conflict decision on that device dropped it.
 * 5. No blind overwrites: each write in the history was made by a device that had seen the
 *    version it replaced (pulled it, or was shown it in a conflict).
 *
 * Replay a failure with FC_SEED / FC_PATH (printed by fast-check); FC_NUM_RUNS scales it.
 */
import {
  defaultConflictResolution,
  type Dataset,
  type LocalStore,
  type TandemClient,
} from '@tandem/client-sdk';
import { fastCheckSeed } from '@tandem/db/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { PASSWORD, startHarness, uniqueEmail, type Harness } from '../testing/harness.js';
import {
  createDevice,
  newNetwork,
  openStore,
  type NetworkState,
  type StoreKind,
  type UpdateFault,
} from './testing/devices.js';

let h: Harness;
let email: string;
beforeAll(async () => {
  h = await startHarness();
  email = uniqueEmail();
  await h.signUp(email);
});
afterAll(() => h?.close());

const DATASETS = ['notes', 'settings'] as const;
const KEYS = ['k0', 'k1', 'k2'] as const;
const STORES: StoreKind[] = ['memory', 'file', 'indexeddb'];
type Strategy = 'remote' | 'local' | 'value' | 'default' | 'decline';

type Command =
  | { t: 'put'; d: number; ds: number; k: number }
  | { t: 'remove'; d: number; ds: number; k: number }
  | { t: 'offline'; d: number }
  | { t: 'online'; d: number }
  | { t: 'sync'; d: number; ds: number; strategy: Strategy }
  | { t: 'race'; d: number; other: number; ds: number }
  | { t: 'crash'; d: number; ds: number; fault: UpdateFault };

const device = fc.integer({ min: 0, max: STORES.length - 1 });
const dataset = fc.integer({ min: 0, max: DATASETS.length - 1 });
const key = fc.integer({ min: 0, max: KEYS.length - 1 });
const strategy = fc.constantFrom<Strategy>('remote', 'local', 'value', 'default', 'decline');
const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({ t: fc.constant('put' as const), d: device, ds: dataset, k: key }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ t: fc.constant('remove' as const), d: device, ds: dataset, k: key }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('offline' as const), d: device }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('online' as const), d: device }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('sync' as const), d: device, ds: dataset, strategy }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('race' as const),
      d: device,
      other: device,
      ds: dataset,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('crash' as const),
      d: device,
      ds: dataset,
      fault: fc.constantFrom<UpdateFault>('dieBeforeSend', 'dieAfterCommit'),
    }),
  },
);

interface Sim {
  client: TandemClient;
  store: LocalStore;
  /** The same stored data for a restarted client. */
  reopen: () => Promise<LocalStore>;
  network: NetworkState;
  datasets: Dataset[];
  /** `ds/key=value` pairs this device has seen from the server (pulls, conflicts). */
  seen: Set<string>;
  /** Values this device dropped by a conflict decision. */
  dropped: Set<string>;
}

/** One local put: which value, and whether the same device wrote the key again later. */
interface Write {
  device: number;
  ds: string;
  key: string;
  value: string;
  overwrittenLocally: boolean;
}

const seenKey = (ds: string, key: string, value: string | null) => `${ds}/${key}=${value ?? '∅'}`;

async function run(commands: Command[]) {
  const identityPoolId = await h.pool();
  const sims: Sim[] = [];
  const writes: Write[] = [];
  let counter = 0;
  try {
    /** (Re)starts a device's client on its store; the session and device id come from it. */
    const boot = async (sim: Sim, store: LocalStore) => {
      sim.store = store;
      sim.client = await createDevice({ url: h.url, identityPoolId, store, network: sim.network });
      if (!sim.client.currentSession) await sim.client.signIn({ email, password: PASSWORD });
      sim.datasets = [];
      for (const name of DATASETS) {
        const opened = await sim.client.dataset(name);
        opened.on('change', (change) => {
          if (change.origin !== 'remote') return;
          for (const changedKey of change.keys) {
            sim.seen.add(seenKey(name, changedKey, opened.get(changedKey) ?? null));
          }
        });
        sim.datasets.push(opened);
      }
    };
    for (const kind of STORES) {
      const { store, reopen } = await openStore(kind);
      const sim = {
        reopen,
        network: newNetwork(),
        seen: new Set(),
        dropped: new Set(),
      } as unknown as Sim;
      await boot(sim, store);
      sims.push(sim);
    }
    /** A dead device (crashed mid-sync) restarts from what its store holds. */
    const restartIfDead = async (sim: Sim) => {
      if (!sim.network.dead) return;
      sim.network.dead = false;
      sim.network.nextUpdateFault = null;
      // The dead client is abandoned (a killed process runs no shutdown code); only its file
      // handles are released, as the OS would, before the new client opens the same data.
      if (sim.store.kind !== 'memory') await sim.store.close();
      await boot(sim, await sim.reopen());
    };

    const syncWith = async (sim: Sim, ds: number, chosen: Strategy) => {
      const name = DATASETS[ds]!;
      await sim.datasets[ds]!.synchronize({
        onConflict(conflicts) {
          for (const conflict of conflicts) {
            sim.seen.add(seenKey(name, conflict.key, conflict.remote.value));
            if (chosen === 'decline') continue;
            const pick = chosen === 'default' ? defaultConflictResolution(conflict).kind : chosen;
            if (pick === 'remote') {
              conflict.resolveWithRemote();
              if (conflict.local.value !== null) sim.dropped.add(conflict.local.value);
            } else if (pick === 'local') {
              conflict.resolveWithLocal();
            } else {
              const merged = `merge-${counter++}`;
              writes.push({
                device: sims.indexOf(sim),
                ds: name,
                key: conflict.key,
                value: merged,
                overwrittenLocally: false,
              });
              if (conflict.local.value !== null) sim.dropped.add(conflict.local.value);
              conflict.resolveWithValue(merged);
            }
          }
          return chosen !== 'decline';
        },
      }).catch((error: { kind?: string }) => {
        // Expected failures: offline, a declined conflict, a race that kept losing, a crash.
        if (
          !['NetworkError', 'ConflictNotResolved', 'RetriesExhausted'].includes(error.kind ?? '')
        ) {
          throw error;
        }
      });
    };

    for (const cmd of commands) {
      const sim = sims[cmd.d]!;
      switch (cmd.t) {
        case 'put':
        case 'remove': {
          const name = DATASETS[cmd.ds]!;
          const k = KEYS[cmd.k]!;
          for (const earlier of writes) {
            if (earlier.device === cmd.d && earlier.ds === name && earlier.key === k) {
              earlier.overwrittenLocally = true;
            }
          }
          if (cmd.t === 'put') {
            const value = `d${cmd.d}-${counter++}`;
            writes.push({ device: cmd.d, ds: name, key: k, value, overwrittenLocally: false });
            await sim.datasets[cmd.ds]!.put(k, value);
          } else {
            await sim.datasets[cmd.ds]!.remove(k);
          }
          break;
        }
        case 'offline':
          sim.network.offline = true;
          break;
        case 'online':
          sim.network.offline = false;
          break;
        case 'sync':
          await syncWith(sim, cmd.ds, cmd.strategy);
          break;
        case 'race':
          await Promise.all([
            syncWith(sim, cmd.ds, 'default'),
            syncWith(sims[cmd.other]!, cmd.ds, 'default'),
          ]);
          await restartIfDead(sims[cmd.other]!);
          break;
        case 'crash':
          // Armed until the device's next push: it may die now or in a later sync.
          sim.network.nextUpdateFault = cmd.fault;
          await syncWith(sim, cmd.ds, 'default');
          break;
      }
      await restartIfDead(sim);
    }

    // Quiescence: everyone online and alive, sync until a whole round moves nothing.
    for (const sim of sims) {
      sim.network.offline = false;
      sim.network.nextUpdateFault = null;
    }
    let quiet = false;
    for (let round = 0; round < 8 && !quiet; round += 1) {
      quiet = true;
      for (const sim of sims) {
        for (let ds = 0; ds < DATASETS.length; ds += 1) {
          const result = await sim.datasets[ds]!.synchronize({
            onConflict(conflicts) {
              for (const conflict of conflicts) {
                sim.seen.add(seenKey(DATASETS[ds]!, conflict.key, conflict.remote.value));
                if (
                  defaultConflictResolution(conflict).kind === 'remote' &&
                  conflict.local.value !== null
                ) {
                  sim.dropped.add(conflict.local.value);
                }
              }
            },
          });
          if (result.pulled || result.pushed || result.conflicts || result.pending) quiet = false;
        }
      }
    }
    expect(quiet).toBe(true);

    const reader = await h.signIn(email);
    for (const [dsIndex, name] of DATASETS.entries()) {
      // 1. Everyone equals the server.
      const server = await reader.client.record.list.query({ identityPoolId, datasetName: name });
      const live = Object.fromEntries(
        server.records.filter((r) => r.value !== null).map((r) => [r.key, r.value]),
      );
      for (const sim of sims) {
        expect(sim.datasets[dsIndex]!.getAll()).toEqual(live);
        expect(sim.datasets[dsIndex]!.state.pending).toBe(0);
        expect(sim.datasets[dsIndex]!.state.syncCount).toBe(server.datasetSyncCount);
      }

      const history = await h.database.sql.query<{
        sync_count: string;
        device_id: string | null;
        records: Array<{ key: string; value: string | null; syncCount: number }>;
      }>(
        {
          name: 'test_dataset_history',
          text: 'select sync_count::int8, device_id, records from change_log where identity_pool_id = $1 and dataset_name = $2 order by sync_count',
        },
        [identityPoolId, name],
      );
      const entries = history.flatMap((row) =>
        row.records.map((record) => ({ ...record, deviceId: row.device_id })),
      );
      // 2. No value pushed twice.
      const values = entries.filter((e) => e.value !== null).map((e) => e.value);
      expect(new Set(values).size).toBe(values.length);
      // 3. Every acknowledgement is in the history.
      const inHistory = new Set(entries.map((e) => `${e.key}@${e.syncCount}=${e.value}`));
      for (const sim of sims) {
        for (const ack of sim.network.acks.filter((a) => a.datasetName === name)) {
          expect(inHistory).toContain(`${ack.key}@${ack.syncCount}=${ack.value}`);
        }
      }
      // 4. No write lost without a reason.
      const written = new Set(values);
      for (const write of writes.filter((w) => w.ds === name)) {
        const reason =
          written.has(write.value) ||
          write.overwrittenLocally ||
          sims[write.device]!.dropped.has(write.value);
        expect(reason, `write ${write.key}=${write.value} by device ${write.device} vanished`).toBe(
          true,
        );
      }
      // 5. No blind overwrite.
      const deviceIndex = new Map(sims.map((sim, index) => [sim.client.deviceId, index]));
      for (const k of KEYS) {
        const chain = entries.filter((e) => e.key === k);
        for (let i = 1; i < chain.length; i += 1) {
          const previous = chain[i - 1]!;
          const next = chain[i]!;
          if (previous.deviceId === next.deviceId) continue;
          const writer = sims[deviceIndex.get(next.deviceId ?? '') ?? -1];
          expect(writer, `unknown writer of ${k}@${next.syncCount}`).toBeDefined();
          expect(
            writer!.seen.has(seenKey(name, k, previous.value)),
            `device ${deviceIndex.get(next.deviceId ?? '')} overwrote ${k}=${previous.value} without seeing it`,
          ).toBe(true);
        }
      }
    }
  } finally {
    await Promise.all(sims.map((sim) => sim.client.close()));
  }
}

const envInt = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);

/**
 * CI runs one fixed seed (`fastCheckSeed`), so a red run always means a change broke something.
 * A random seed (FC_SEED=random) explores further.
 */
const seed = fastCheckSeed;

test(
  'devices converge with the server and lose or double no write',
  { timeout: (envInt('FC_TIME_LIMIT_MS') ?? 200_000) + 60_000 },
  async () => {
    await fc.assert(fc.asyncProperty(fc.array(command, { minLength: 5, maxLength: 30 }), run), {
      numRuns: envInt('FC_NUM_RUNS') ?? 12,
      ...(seed !== undefined ? { seed } : {}),
      ...(process.env['FC_PATH'] ? { path: process.env['FC_PATH'] } : {}),
      interruptAfterTimeLimit: envInt('FC_TIME_LIMIT_MS') ?? 200_000,
    });
  },
);
