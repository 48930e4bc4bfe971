/**
 * S6, cold sync (perf-reliability.md §C): a NEW device — a fresh `@tandem/client-sdk` client on
 * a memory store, already signed in — runs `synchronize()` until its local copy is complete.
 *
 *   S6a  one dataset of 1,024 records × 1,000 B (≈ 1 MB)
 *   S6b  all 20 such datasets of one identity (`remoteDatasets()`, open each, `synchronizeAll()`)
 *
 * Baseline, measured in the same run: the same rows `SELECT`ed through node `pg` (the API's
 * driver; the API's own pull statement, as a named statement on a warm connection) plus one HTTP
 * response of the same size as the API's ListRecords answer from a trivial node:http server
 * (`trivial-server.ts`), fetched and JSON-parsed with the same client the SDK uses (the global
 * fetch), summed per run. S6b is compared with 20 × that baseline.
 *
 * Sign-in (password hash on the server, identity.getId) happens before the timed part and is
 * reported separately. Each measured run uses its own client; the clients are signed in first,
 * so the timed block holds only syncs — which keeps the CPU split and the profiles clean.
 */
import { createTandemClient, memoryStore, type TandemClient } from '@tandem/client-sdk';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { startChild, type Child } from './children.js';
import { cpuBetween, cpuSnapshot, type CpuUse } from './cpu.js';
import { PASSWORD, sdkFetch, signUp, trpcClient } from './devices.js';
import { check, type ColdSyncResult } from './report.js';
import {
  COLD_DATASETS,
  COLD_RECORDS,
  COLD_VALUE_BYTES,
  coldDatasetBytes,
  coldDatasetName,
  coldKey,
  coldValue,
  sumSeries,
} from './sdk-data.js';
import { startSelfProfile } from './self-profile.js';
import { round, summarise } from './stats.js';

export interface ColdSetup {
  url: string;
  identityPoolId: string;
  email: string;
  identityId: string;
  /** The seeding session's bearer token (used for the raw ListRecords diagnostic). */
  token: string;
  datasets: string[];
}

export interface ColdOptions {
  api: Child;
  /** The API's database (the baseline SELECT reads the same rows). */
  apiDatabaseUrl: string;
  a: boolean;
  b: boolean;
  runsA: number;
  warmupA: number;
  runsB: number;
  warmupB: number;
  cores: number;
  /** Directory for CPU profiles (--cpu-prof), or undefined. */
  profileDir: string | undefined;
  log: (message: string) => void;
}

/** One user, one identity, `datasets` datasets of 1,024 × 1 KB, written through the API. */
export async function seedColdIdentity(
  url: string,
  identityPoolId: string,
  runTag: string,
  datasets = COLD_DATASETS,
): Promise<ColdSetup> {
  const email = `bench-${runTag}-cold@bench.test`;
  const token = await signUp(url, email);
  const client = trpcClient(url, token);
  const { identityId } = await client.identity.getId.mutate({ identityPoolId });
  const names: string[] = [];
  for (let d = 0; d < datasets; d++) {
    const datasetName = coldDatasetName(d);
    const { syncSessionToken } = await client.record.list.query({ identityPoolId, datasetName });
    const written = await client.record.update.mutate({
      identityPoolId,
      datasetName,
      deviceId: 'bench-cold-seeder',
      syncSessionToken,
      recordPatches: Array.from({ length: COLD_RECORDS }, (_, i) => ({
        op: 'replace' as const,
        key: coldKey(i),
        value: coldValue(d, i),
        syncCount: 0,
      })),
    });
    if (written.records.length !== COLD_RECORDS)
      throw new Error(`seeding ${datasetName}: ${written.records.length} records written`);
    names.push(datasetName);
  }
  return { url, identityPoolId, email, identityId, token, datasets: names };
}

/** The request the SDK sends for a cold pull (tRPC GET, lastSyncCount 0, no page token). */
const listUrl = (setup: ColdSetup, datasetName: string) =>
  `${setup.url}/trpc/record.list?input=${encodeURIComponent(
    JSON.stringify({ identityPoolId: setup.identityPoolId, datasetName, lastSyncCount: 0 }),
  )}`;

/** The raw ListRecords answer: fetched and parsed as the SDK's tRPC link does, without the SDK. */
async function rawList(setup: ColdSetup, datasetName: string): Promise<{ bytes: number }> {
  const response = await fetch(listUrl(setup, datasetName), {
    headers: { authorization: `Bearer ${setup.token}` },
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`ListRecords: HTTP ${response.status} ${text}`);
  const parsed = JSON.parse(text) as {
    result: { data: { records: unknown[]; nextToken: string | null } };
  };
  const { records, nextToken } = parsed.result.data;
  if (records.length !== COLD_RECORDS || nextToken)
    throw new Error(`ListRecords: ${records.length} records, nextToken ${nextToken}`);
  return { bytes: Buffer.byteLength(text) };
}

/** The API's pull statement (packages/db listRecords, PULL_RECORDS), as the baseline's SELECT. */
const PULL_RECORDS_SQL = `SELECT key, value, sync_count::int8 AS sync_count,
  (extract(epoch from last_modified_date) * 1000)::float8 AS modified, last_modified_by,
  (extract(epoch from device_last_modified_date) * 1000)::float8 AS device_modified
  FROM record WHERE identity_id = $1 AND dataset_name = $2 AND sync_count <= $3 AND sync_count > $4
  ORDER BY sync_count, key LIMIT $5`;

async function newDevice(setup: ColdSetup): Promise<{ client: TandemClient; signInMs: number }> {
  const client = await createTandemClient({
    url: setup.url,
    identityPoolId: setup.identityPoolId,
    store: memoryStore(),
    fetch: sdkFetch,
    live: false,
    autoSync: false,
  });
  const t0 = performance.now();
  await client.signIn({ email: setup.email, password: PASSWORD });
  const signInMs = performance.now() - t0;
  if (client.identityId !== setup.identityId) throw new Error('signed in to another identity');
  return { client, signInMs };
}

interface Timed {
  samples: Float64Array;
  signIn: Float64Array;
  errors: number;
  errorKinds: Record<string, number>;
  cpu: CpuUse | null;
}

/**
 * Signs in `warmup + runs` fresh devices, then runs `sync` on each in turn (the first `warmup`
 * not counted), timing each and measuring the CPU split over the counted block.
 */
async function timedSyncs(
  setup: ColdSetup,
  options: ColdOptions,
  label: string,
  runs: number,
  warmup: number,
  sync: (client: TandemClient) => Promise<void>,
): Promise<Timed> {
  const devices: Array<{ client: TandemClient; signInMs: number }> = [];
  for (let i = 0; i < warmup + runs; i++) devices.push(await newDevice(setup));
  const signIn = Float64Array.from(devices.map((d) => d.signInMs));
  const samples = new Float64Array(runs);
  const errorKinds: Record<string, number> = {};
  let errors = 0;
  const once = async (client: TandemClient): Promise<number> => {
    const t0 = performance.now();
    try {
      await sync(client);
      return performance.now() - t0;
    } catch (error) {
      errors++;
      const kind = (error as Error).message.slice(0, 120);
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      return Number.NaN;
    } finally {
      await client.close();
    }
  };
  // Each client is dropped once synced (shift), so only one synced copy is alive at a time.
  for (let i = 0; i < warmup; i++) await once(devices.shift()!.client);
  errors = 0;
  for (const key of Object.keys(errorKinds)) delete errorKinds[key];

  const profiling = options.profileDir !== undefined;
  if (profiling) await options.api.ask({ cmd: 'profile-start' });
  const self = profiling ? await startSelfProfile() : null;
  const cpuStart = cpuSnapshot(options.api.pid);
  for (let i = 0; i < runs; i++) samples[i] = await once(devices.shift()!.client);
  const cpuEnd = cpuSnapshot(options.api.pid);
  if (self) await self.stop(path.join(options.profileDir!, `${label}-sdk.cpuprofile`));
  if (profiling)
    await options.api.ask(
      { cmd: 'profile-stop', file: path.join(options.profileDir!, `${label}.cpuprofile`) },
      60_000,
    );
  return {
    samples: samples.filter((v) => !Number.isNaN(v)),
    signIn,
    errors,
    errorKinds,
    cpu: cpuBetween(cpuStart, cpuEnd, options.cores),
  };
}

function cpuPerSync(cpu: CpuUse | null, syncs: number): ColdSyncResult['cpu_ms_per_sync'] {
  if (!cpu || syncs === 0) return null;
  const ms = (cores: number) => round((cores * cpu.window_s * 1000) / syncs, 2);
  return {
    sdk: ms(cpu.generator_cores),
    api: ms(cpu.api_cores),
    postgres: ms(cpu.postgres_cores),
    other: ms(cpu.other_cores),
    total: ms(cpu.system_busy_cores),
  };
}

export async function runColdSync(
  setup: ColdSetup,
  options: ColdOptions,
): Promise<ColdSyncResult[]> {
  const { log } = options;
  const datasetA = setup.datasets[0]!;
  // The size of the API's answer, which the trivial route then matches.
  const { bytes: responseBytes } = await rawList(setup, datasetA);
  const trivial = await startChild(new URL('./trivial-server.ts', import.meta.url), {
    name: 'trivial-http-1mb',
    env: { BENCH_BODY_BYTES: String(responseBytes) },
  });
  const pgClient = new pg.Client({ connectionString: options.apiDatabaseUrl });
  pgClient.on('error', () => {});
  const results: ColdSyncResult[] = [];
  try {
    await pgClient.connect();

    // Baseline (and the raw ListRecords diagnostic), always: S6b is compared with 20 × it.
    const baseRuns = Math.max(options.runsA, 10);
    const pgMs = new Float64Array(baseRuns);
    const httpMs = new Float64Array(baseRuns);
    const listMs = new Float64Array(baseRuns);
    for (let i = -3; i < baseRuns; i++) {
      let t = performance.now();
      const { rows } = await pgClient.query({
        name: 'bench_cold_select',
        text: PULL_RECORDS_SQL,
        values: [setup.identityId, datasetA, 1, 0, COLD_RECORDS + 1],
      });
      if (rows.length !== COLD_RECORDS) throw new Error(`baseline SELECT: ${rows.length} rows`);
      const pgTime = performance.now() - t;
      t = performance.now();
      const response = await fetch(trivial.ready.url);
      const body = (await response.json()) as { pad: string };
      if (body.pad.length < responseBytes - 20) throw new Error('trivial answer too short');
      const httpTime = performance.now() - t;
      t = performance.now();
      await rawList(setup, datasetA);
      const listTime = performance.now() - t;
      if (i < 0) continue;
      pgMs[i] = pgTime;
      httpMs[i] = httpTime;
      listMs[i] = listTime;
    }
    const base = summarise(sumSeries(pgMs, httpMs));
    const pgP50 = summarise(pgMs).p50_ms;
    const httpP50 = summarise(httpMs).p50_ms;
    const listP50 = summarise(listMs).p50_ms;
    log(
      `  S6 baseline: SELECT ${pgP50} ms + ${responseBytes} B HTTP ${httpP50} ms → p50 ${base.p50_ms} ms; raw ListRecords ${listP50} ms`,
    );
    const params = {
      records_per_dataset: COLD_RECORDS,
      value_bytes: COLD_VALUE_BYTES,
      dataset_bytes: coldDatasetBytes(),
      response_bytes: responseBytes,
      store: 'memory',
    };

    if (options.a) {
      const m = await timedSyncs(
        setup,
        options,
        'S6a',
        options.runsA,
        options.warmupA,
        async (c) => {
          const dataset = await c.dataset(datasetA);
          await dataset.synchronize();
          if (dataset.size !== COLD_RECORDS) throw new Error(`${dataset.size} records after sync`);
        },
      );
      const s = summarise(m.samples);
      const R6 = round(s.p50_ms / base.p50_ms, 3);
      log(
        `  S6a: p50 ${s.p50_ms} ms, p95 ${s.p95_ms} ms (sign-in p50 ${summarise(m.signIn).p50_ms} ms), R6 = ${R6}, ${m.errors} errors`,
      );
      results.push(
        coldResult('S6a', 'Cold sync of one dataset (1,024 × 1 KB) by a new device', {
          params: { ...params, datasets: 1, runs: options.runsA, warmup_runs: options.warmupA },
          m,
          baseline: {
            pg_select_p50_ms: pgP50,
            http_p50_ms: httpP50,
            B_cold_p50_ms: base.p50_ms,
            multiplier: 1,
            B_ms: base.p50_ms,
          },
          listP50,
          R6,
          checks: [check('R6', R6, '<=', 4, 2), check('p50_ms', s.p50_ms, '<=', 150, 150)],
        }),
      );
    }

    if (options.b) {
      const n = setup.datasets.length;
      const mb = await timedSyncs(
        setup,
        options,
        'S6b',
        options.runsB,
        options.warmupB,
        async (c) => {
          const remote = await c.remoteDatasets();
          const opened = await Promise.all(remote.map((d) => c.dataset(d.datasetName)));
          const outcomes = await c.synchronizeAll();
          const failed = outcomes.find((o) => o instanceof Error);
          if (failed) throw failed;
          if (opened.length !== n || opened.some((d) => d.size !== COLD_RECORDS))
            throw new Error('incomplete local state after synchronizeAll');
        },
      );
      // Diagnostic: the same 20 pulls in parallel without the SDK.
      const listB = new Float64Array(options.runsB);
      for (let i = -1; i < options.runsB; i++) {
        const t = performance.now();
        await Promise.all(setup.datasets.map((name) => rawList(setup, name)));
        if (i >= 0) listB[i] = performance.now() - t;
      }
      const s = summarise(mb.samples);
      const B = base.p50_ms * n;
      const R6 = round(s.p50_ms / B, 3);
      log(`  S6b: p50 ${s.p50_ms} ms for ${n} datasets, R6 = ${R6}, ${mb.errors} errors`);
      results.push(
        coldResult('S6b', `Cold sync of ${n} datasets (1,024 × 1 KB each) by a new device`, {
          params: { ...params, datasets: n, runs: options.runsB, warmup_runs: options.warmupB },
          m: mb,
          baseline: {
            pg_select_p50_ms: pgP50,
            http_p50_ms: httpP50,
            B_cold_p50_ms: base.p50_ms,
            multiplier: n,
            B_ms: round(B, 3),
          },
          listP50: summarise(listB).p50_ms,
          R6,
          checks: [check('R6', R6, '<=', 4, 2)],
        }),
      );
    }
  } finally {
    await pgClient.end().catch(() => {});
    await trivial.stop();
  }
  return results;
}

function coldResult(
  id: ColdSyncResult['id'],
  title: string,
  r: {
    params: ColdSyncResult['params'];
    m: Timed;
    baseline: ColdSyncResult['baseline'];
    listP50: number;
    R6: number;
    checks: ColdSyncResult['checks'];
  },
): ColdSyncResult {
  const s = summarise(r.m.samples);
  const ok = r.m.errors === 0 && r.m.samples.length > 0;
  return {
    id,
    title,
    params: r.params,
    ...s,
    sign_in_p50_ms: summarise(r.m.signIn).p50_ms,
    errors: r.m.errors,
    error_kinds: r.m.errorKinds,
    baseline: r.baseline,
    list_http_p50_ms: r.listP50,
    ratios: { R6: r.R6 },
    checks: r.checks,
    pass: ok && r.checks.every((c) => c.pass),
    goal_met: ok && r.checks.every((c) => c.goal_met),
    cpu_ms_per_sync: cpuPerSync(r.m.cpu, r.m.samples.length),
    other_cores: r.m.cpu ? round(r.m.cpu.other_cores, 3) : null,
  };
}
