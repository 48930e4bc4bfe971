/**
 * `npm run bench`: baselines, then scenarios, on this machine, in one run.
 *
 *   for each C:  B_pg (pgbench sync_tx.sql × runs, median)  →  B_http (trivial node:http route)
 *                →  S1 (UpdateRecords, 1 record/call)  →  S1aws (the same over Cognito Sync REST)
 *                →  S1 (5 records/call)  →  S2 (no-op ListRecords)  →  S2aws (the same over REST)
 *
 * The API runs in a child process against a fresh PostgreSQL database; results go to
 * bench-results/<timestamp>.json and .md, and the Markdown summary to stdout. Progress goes to
 * stderr. Exit code 0 whatever the ratios are; non-zero only when the bench itself failed.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import {
  parseArgs,
  USAGE,
  wants,
  wantsAws,
  wantsBaselines,
  wantsSyncLoad,
  type BenchOptions,
} from './args.js';
import { awsDevice, type AwsDevice } from './aws.js';
import { startChild, type Child } from './children.js';
import { countPostgresDatabases, cpuBetween, cpuSnapshot, procAvailable } from './cpu.js';
import { runColdSync, seedColdIdentity } from './cold-sync.js';
import { BENCH_ORIGIN, DATASET_NAME, seedDevices, signUp, type Device } from './devices.js';
import { benchEnv } from './env.js';
import { RawHttpConnection, sleep } from './http-load.js';
import {
  databaseUrl,
  dropDatabase,
  firstIdentityPoolId,
  initPgbenchSchema,
  killPgbench,
  medianRun,
  pgbenchConnection,
  pgbenchVersion,
  postgresFacts,
  recreateDatabase,
  runPgbench,
  setPoolSyncTrigger,
  SYNC_TRIGGER_CACHE_MS,
} from './postgres.js';
import {
  awsResult,
  check,
  cpuPerOp,
  markdown,
  resultFrom,
  type BenchReport,
  type ColdSyncResult,
  type Environment,
  type HttpBaseline,
  type LocalStoreResult,
  type PgBaseline,
  type ResultRecord,
} from './report.js';
import {
  listRequest,
  refresh,
  refreshAws,
  runBHttp,
  runS1,
  runS1Aws,
  runS2,
  runS2Aws,
  targetOf,
  type Measurement,
} from './scenarios.js';
import {
  measurePushCryptoBaseline,
  measurePushLag,
  registerPushDevices,
  pushServiceOf,
  type BenchPushService,
} from './push-lag.js';
import { measureStreamLag } from './stream-lag.js';
import { summariseProfile } from './profile-summary.js';
import { runLocalStores } from './local-store.js';
import { COLD_DATASETS, COLD_RECORDS, COLD_VALUE_BYTES } from './sdk-data.js';
import { median, round } from './stats.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const API_DB = 'tandem_bench';
const PGBENCH_DB = 'tandem_bench_pgbench';
const BENCH_SECRET = 'bench-secret-bench-secret-bench-secret-0123';
const API_ENTRY = new URL('../../../apps/api/src/main.ts', import.meta.url);

const log = (message: string) =>
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);

/** Undo steps, run in reverse order on success, failure or signal. */
class Cleanup {
  readonly #steps: Array<{ name: string; run: () => Promise<void> }> = [];
  #running: Promise<void> | null = null;
  add(name: string, run: () => Promise<void>): void {
    this.#steps.push({ name, run });
  }
  run(): Promise<void> {
    return (this.#running ??= (async () => {
      while (this.#steps.length) {
        const step = this.#steps.pop()!;
        try {
          await step.run();
        } catch (error) {
          log(`cleanup "${step.name}" failed: ${(error as Error).message}`);
        }
      }
    })());
  }
}

function gitFacts(): { sha: string; dirty: boolean } {
  try {
    const sha = execFileSync('git', ['rev-parse', 'HEAD'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    }).trim();
    const status = execFileSync('git', ['status', '--porcelain'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    });
    return { sha, dirty: status.trim().length > 0 };
  } catch {
    return { sha: 'unknown', dirty: false };
  }
}

/**
 * Flags: the command line, then BENCH_ARGS. (The root script is `npm run bench --workspace …`,
 * so `npm run bench -- --quick` would hand --quick to npm: use `npm run bench -- -- --quick`
 * or BENCH_ARGS="--quick" npm run bench.)
 */
const benchArgs = (): string[] => [...process.argv.slice(2), ...benchEnv.args];

const timestampName = (date: Date) => date.toISOString().replace(/[:]/g, '-').replace(/\..+$/, 'Z');

async function pgBaseline(options: BenchOptions, C: number): Promise<PgBaseline> {
  const connection = pgbenchConnection(databaseUrl(options.pgUrl, PGBENCH_DB));
  const runs: PgBaseline['runs'] = [];
  const cpus: Array<{ busy: number; pg: number; tps: number }> = [];
  let command = '';
  for (let i = 0; i < options.pgbenchRuns; i++) {
    const seconds = options.pgbenchSeconds;
    // CPU split inside the run, away from connection set-up and tear-down.
    const margin = Math.min(500, (seconds * 1000) / 4);
    let a: ReturnType<typeof cpuSnapshot> = null;
    let b: ReturnType<typeof cpuSnapshot> = null;
    const t1 = setTimeout(() => (a = cpuSnapshot(undefined)), margin);
    const t2 = setTimeout(() => (b = cpuSnapshot(undefined)), seconds * 1000 - margin);
    const run = await runPgbench(connection, {
      clients: C,
      seconds,
      identities: options.pgbenchIdentities,
      records: options.pgbenchRecords,
    });
    clearTimeout(t1);
    clearTimeout(t2);
    command = run.command;
    runs.push({
      tps: run.tps,
      latency_ms: run.latency_ms,
      transactions: run.transactions,
      failed: run.failed,
    });
    const use = cpuBetween(a, b, os.availableParallelism());
    if (use) cpus.push({ busy: use.system_busy_cores, pg: use.postgres_cores, tps: run.tps });
    log(
      `  pgbench C=${C} run ${i + 1}/${options.pgbenchRuns}: ${run.tps.toFixed(0)} tps, ${run.latency_ms} ms avg`,
    );
  }
  const med = medianRun(runs);
  return {
    id: 'B_pg',
    params: {
      C,
      runs: options.pgbenchRuns,
      seconds: options.pgbenchSeconds,
      identities: options.pgbenchIdentities,
      records: options.pgbenchRecords,
    },
    command,
    runs,
    B_pg_tps: round(med.tps, 1),
    B_pg_lat_ms: round(med.latency_ms, 3),
    cpu: cpus.length
      ? {
          system_busy_cores: round(median(cpus.map((c) => c.busy)), 3),
          postgres_cores: round(median(cpus.map((c) => c.pg)), 3),
          postgres_cpu_ms_per_tx: round(median(cpus.map((c) => (c.pg * 1000) / c.tps)), 4),
        }
      : null,
  };
}

/** S1 and S2 with their baselines (B_pg, B_http), and S7, for each C. */
async function runSyncLoad(ctx: {
  options: BenchOptions;
  api: Child;
  apiDatabaseUrl: string;
  identityPoolId: string;
  runTag: string;
  cleanup: Cleanup;
  profileFile: (name: string) => string | undefined;
  /** The API's secret (S4 enables push, which seals the pool's VAPID key with it). */
  secret: string;
  /** S4's push service (started before the API, which must be allowed to send to it). */
  pushService: BenchPushService | null;
}): Promise<{ baselines: Array<PgBaseline | HttpBaseline>; results: ResultRecord[] }> {
  const { options, api, identityPoolId, runTag, cleanup, profileFile } = ctx;
  const needBaselines = wantsBaselines(options);
  const cores = os.availableParallelism();
  const maxC = Math.max(...options.concurrency);
  log(`seeding ${maxC} devices (sign-up, identity, dataset of 5 records)`);
  const allDevices = await seedDevices(api.ready.url, identityPoolId, maxC, runTag);
  // S1aws/S2aws: each device's identity credentials, obtained as an app does (GetId +
  // GetCredentialsForIdentity with its session token as the `tandem` login).
  const allAwsDevices: AwsDevice[] = wantsAws(options)
    ? await Promise.all(allDevices.map((d) => awsDevice(api.ready.url, d)))
    : [];
  if (allAwsDevices.length)
    log(
      `  AWS credentials for ${allAwsDevices.length} devices (region ${allAwsDevices[0]!.region}, SigV4 by @smithy/signature-v4)`,
    );

  // The trivial route answers with as many bytes as the no-op sync does.
  const apiTarget = targetOf(api.ready.url);
  const probe = await RawHttpConnection.connect(apiTarget.host, apiTarget.port);
  const probeResponse = await probe.request(listRequest(allDevices[0]!, apiTarget));
  probe.close();
  if (probeResponse.status !== 200)
    throw new Error(
      `no-op ListRecords probe failed: HTTP ${probeResponse.status} ${probeResponse.body.toString()}`,
    );
  const bodyBytes = probeResponse.body.length;
  const trivial: Child | null = needBaselines
    ? await startChild(new URL('./trivial-server.ts', import.meta.url), {
        name: 'trivial-http',
        env: { BENCH_BODY_BYTES: String(bodyBytes) },
      })
    : null;
  if (trivial) cleanup.add('stop trivial server', () => trivial.stop());

  const baselines: Array<PgBaseline | HttpBaseline> = [];
  const results: ResultRecord[] = [];
  const runOptions = {
    warmupMs: options.warmupS * 1000,
    durationMs: options.durationS * 1000,
    cores,
  };
  const timing = { duration_s: options.durationS, warmup_s: options.warmupS };
  const apiParams = { api_workers: options.apiWorkers };

  for (const C of options.concurrency) {
    const devices: Device[] = allDevices.slice(0, C);
    if (trivial) {
      await runBaselinesAndS1S2(C, devices, allAwsDevices.slice(0, C), trivial);
    }
    if (wants(options, 'S7')) results.push(await runS7(C, devices));
    if (wants(options, 'S4')) results.push(await runS4(C, devices));
    if (wants(options, 'S5')) results.push(await runS5(C, devices));
    await sleep(100);
  }
  return { baselines, results };

  /**
   * S7: UpdateRecords (1 record/call, as S1) with a no-op function trigger on the pool vs none,
   * measured none → trigger → none back to back; the loss is against the mean of the two
   * trigger-less runs.
   */
  async function runS7(C: number, devices: Device[]): Promise<ResultRecord> {
    const measureOnce = async (label: string) => {
      await refresh(devices);
      const m = await runS1(apiTarget, devices, 1, {
        ...runOptions,
        server: api,
        countQueries: options.countQueries,
        profileFile: profileFile(`S7-C${C}-${label}`),
      });
      log(
        `  S7 C=${C} ${label}: ${m.throughput.toFixed(0)} ops/s, p50 ${m.p50_ms} ms, ${m.errors} errors`,
      );
      return m;
    };
    const switchTrigger = async (on: boolean) => {
      await setPoolSyncTrigger(
        ctx.apiDatabaseUrl,
        identityPoolId,
        on
          ? {
              enabled: true,
              target: { kind: 'function', source: 'export default (event) => event' },
            }
          : null,
      );
      await sleep(SYNC_TRIGGER_CACHE_MS + 500);
    };
    const before = await measureOnce('no trigger');
    await switchTrigger(true);
    cleanup.add('remove the S7 sync trigger', () =>
      setPoolSyncTrigger(ctx.apiDatabaseUrl, identityPoolId, null),
    );
    const triggered = await measureOnce('no-op function trigger');
    await switchTrigger(false);
    const after = await measureOnce('no trigger again');
    const none = (before.throughput + after.throughput) / 2;
    const loss = round(1 - triggered.throughput / none, 3);
    log(
      `  S7 C=${C}: loss ${(loss * 100).toFixed(1)} % (${triggered.throughput.toFixed(0)} vs ${none.toFixed(0)} ops/s)`,
    );
    return resultFrom(
      {
        id: 'S7',
        title: 'UpdateRecords with a no-op function sync trigger (1 record/call)',
        params: { C, records: 1, ...apiParams, ...timing },
        records: 1,
      },
      triggered,
      {
        S1_no_trigger_ops: round(none, 1),
        S1_no_trigger_p50_ms: round((before.p50_ms + after.p50_ms) / 2, 3),
        // Where the trigger's cost goes: CPU per operation of the runs without it (means).
        ...noTriggerCpu(before, after),
      },
      { loss },
      [check('loss', loss, '<=', 0.15, 0.05)],
    );
  }

  /** The S1 rate (ops/s) of this run at C, measured now when S1 was not run. */
  async function s1Rate(C: number, devices: Device[], label: string): Promise<number> {
    const known = results.find(
      (r) => r.id === 'S1' && r.params['C'] === C && r.params['records'] === 1,
    )?.throughput;
    if (known !== undefined) return known;
    await refresh(devices);
    const m = await runS1(apiTarget, devices, 1, {
      ...runOptions,
      server: api,
      countQueries: false,
    });
    log(`  ${label} C=${C}: S1 reference ${m.throughput.toFixed(0)} ops/s`);
    return m.throughput;
  }

  /**
   * S4: change → push received by the identity's 3 other devices at a local push service, with
   * the push fan-out in the API process, paced at 50 % of the S1 rate of this run.
   */
  async function runS4(C: number, devices: Device[]): Promise<ResultRecord> {
    const pushService = ctx.pushService;
    if (!pushService) throw new Error('S4 needs the local push service');
    const s1 = await s1Rate(C, devices, 'S4');
    const rate = 0.5 * s1;
    const perIdentity = 3;
    const targets = await registerPushDevices({
      apiDatabaseUrl: ctx.apiDatabaseUrl,
      identityPoolId,
      secret: ctx.secret,
      pushService,
      devices,
      devicesPerIdentity: perIdentity,
      datasetName: DATASET_NAME,
    });
    // The fan-out rereads a pool's push settings every 5 s: let it see push enabled.
    await sleep(6_000);
    const bPush = measurePushCryptoBaseline();
    log(`  B_push_cached: ${bPush.toFixed(0)} encrypted pushes/s on one core`);
    let measurement: Measurement | null = null;
    const push = await measurePushLag(
      {
        apiDatabaseUrl: ctx.apiDatabaseUrl,
        identityPoolId,
        secret: ctx.secret,
        pushService,
        devices,
        devicesPerIdentity: perIdentity,
        datasetName: DATASET_NAME,
        log,
        load: async () => {
          await refresh(devices);
          measurement = await runS1(apiTarget, devices, 1, {
            ...runOptions,
            server: api,
            countQueries: false,
            paceMs: (1000 * C) / rate,
          });
          return measurement;
        },
      },
      targets,
    );
    const m = measurement as Measurement | null;
    if (!m) throw new Error('S4: the load did not run');
    log(
      `  S4 C=${C}: ${m.throughput.toFixed(0)} writes/s (target ${rate.toFixed(0)}), ${push.pushesPerS} pushes/s, lag p50 ${push.lag.p50_ms} ms p99 ${push.lag.p99_ms} ms, ${push.pushesPerChangeAndDevice} pushes per change and device, last change heard by ${(push.lastChangeDelivered * 100).toFixed(1)} % of devices`,
    );
    return {
      ...resultFrom(
        {
          id: 'S4',
          title: 'Change → push to the identity’s 3 other devices (web-push-testing), 50 % of S1',
          params: {
            C,
            records: 1,
            devices_per_identity: perIdentity,
            target_rate: round(rate, 1),
            ...apiParams,
            ...timing,
          },
          records: 1,
        },
        m,
        { S1_ops: round(s1, 1), B_push_cached: round(bPush, 1) },
        {
          push_lag_p50_ms: push.lag.p50_ms,
          push_lag_p99_ms: push.lag.p99_ms,
          pushes_per_s: push.pushesPerS,
          push_rate_vs_B_push_cached: round(push.pushesPerS / bPush, 3),
          pushes_per_change_and_device: push.pushesPerChangeAndDevice,
          last_change_delivered: push.lastChangeDelivered,
        },
        [
          check('push_lag_p99_ms', push.lag.p99_ms, '<=', 200, 20),
          check('pushes_per_change_and_device', push.pushesPerChangeAndDevice, '<=', 1, 1),
          check('last_change_delivered', push.lastChangeDelivered, '>=', 1, 1),
        ],
      ),
      push: { lag_ms: push.lag, pushes: push.pushes, changes: push.changes },
    } as ResultRecord;
  }

  /**
   * S5: commit → stream lag with the export running in the API process, at 80 % of the S1 rate
   * of this run (measured here when S1 was not run for this C).
   */
  async function runS5(C: number, devices: Device[]): Promise<ResultRecord> {
    const s1 = await s1Rate(C, devices, 'S5');
    const rate = 0.8 * s1;
    const paceMs = (1000 * C) / rate;
    let measurement: Measurement | null = null;
    const lag = await measureStreamLag({
      apiDatabaseUrl: ctx.apiDatabaseUrl,
      identityPoolId,
      tag: `${runTag}c${C}`,
      log,
      load: async (onWindow) => {
        await refresh(devices);
        measurement = await runS1(apiTarget, devices, 1, {
          ...runOptions,
          server: api,
          countQueries: false,
          paceMs,
          onWindow,
        });
        return measurement;
      },
    });
    const m = measurement as Measurement | null;
    if (!m) throw new Error('S5: the load did not run');
    log(
      `  S5 C=${C}: ${m.throughput.toFixed(0)} writes/s (target ${rate.toFixed(0)}), lag p50 ${lag.lag.p50_ms} ms p99 ${lag.lag.p99_ms} ms, backlog slope ${lag.backlogSlopePerS}/s, exported ${lag.received}/${lag.committed}`,
    );
    return {
      ...resultFrom(
        {
          id: 'S5',
          title: 'Commit → stream lag (NATS JetStream), paced at 80 % of S1',
          params: { C, records: 1, target_rate: round(rate, 1), ...apiParams, ...timing },
          records: 1,
        },
        m,
        { S1_ops: round(s1, 1) },
        {
          lag_p50_ms: lag.lag.p50_ms,
          lag_p99_ms: lag.lag.p99_ms,
          backlog_slope_per_s: lag.backlogSlopePerS,
          export_ratio: lag.exportRatio,
        },
        [
          check('lag_p99_ms', lag.lag.p99_ms, '<=', 1000, 250),
          check('backlog_slope_per_s', lag.backlogSlopePerS, '<=', 0, 0),
          check('export_ratio', lag.exportRatio, '>=', 0.9, 1),
        ],
      ),
      stream: {
        lag_ms: lag.lag,
        received: lag.received,
        committed: lag.committed,
        duplicates: lag.duplicates,
        backlog_max: lag.backlogMax,
        drain_ms: lag.drainMs,
      },
    } as ResultRecord;
  }

  function noTriggerCpu(a: Measurement, b: Measurement): Record<string, number> {
    const pa = cpuPerOp(a.cpu, a.throughput);
    const pb = cpuPerOp(b.cpu, b.throughput);
    if (!pa || !pb) return {};
    const mean = (key: keyof typeof pa) => round((pa[key] + pb[key]) / 2, 4);
    return {
      S1_no_trigger_api_ms_per_op: mean('api'),
      S1_no_trigger_postgres_ms_per_op: mean('postgres'),
      S1_no_trigger_other_ms_per_op: mean('other'),
      S1_no_trigger_total_ms_per_op: mean('total'),
    };
  }

  async function runBaselinesAndS1S2(
    C: number,
    devices: Device[],
    awsDevices: AwsDevice[],
    trivial: Child,
  ): Promise<void> {
    const trivialTarget = targetOf(trivial.ready.url);
    log(`C=${C}: baselines`);
    const bPg = await pgBaseline(options, C);
    baselines.push(bPg);

    await refresh(devices);
    const http = await runBHttp(trivialTarget, devices, {
      ...runOptions,
      server: trivial,
      countQueries: false,
    });
    log(`  B_http C=${C}: ${http.throughput.toFixed(0)} req/s, p50 ${http.p50_ms} ms`);
    const bHttp: HttpBaseline = {
      id: 'B_http',
      title: 'trivial node:http GET, same request bytes as S2, same answer size',
      params: { C, body_bytes: bodyBytes, ...timing },
      B_http: http.throughput,
      throughput: http.throughput,
      p50_ms: http.p50_ms,
      p95_ms: http.p95_ms,
      p99_ms: http.p99_ms,
      max_ms: http.max_ms,
      mean_ms: http.mean_ms,
      errors: http.errors,
      error_kinds: http.error_kinds,
      cpu: http.cpu,
      cpu_ms_per_op: cpuPerOp(http.cpu, http.throughput),
      server_event_loop_utilization: http.server_event_loop_utilization,
      sql: null,
    };
    baselines.push(bHttp);

    const pgBaselines = { B_pg_tps: bPg.B_pg_tps, B_pg_lat_ms: bPg.B_pg_lat_ms };
    const runS1Variant = async (records: 1 | 5) => {
      await refresh(devices);
      const m: Measurement = await runS1(apiTarget, devices, records, {
        ...runOptions,
        server: api,
        countQueries: options.countQueries,
        profileFile: profileFile(`S1-C${C}-records${records}`),
      });
      log(
        `  S1 C=${C} ×${records}: ${m.throughput.toFixed(0)} ops/s, p50 ${m.p50_ms} ms, ${m.errors} errors`,
      );
      const R1 = round(m.throughput / bPg.B_pg_tps, 3);
      const L1 = round(m.p50_ms / bPg.B_pg_lat_ms, 3);
      const params = { C, records, ...apiParams, ...timing };
      results.push(
        resultFrom(
          {
            id: 'S1',
            title: `UpdateRecords throughput, ${records} record(s)/call`,
            params,
            records,
          },
          m,
          pgBaselines,
          { R1, L1 },
          [check('R1', R1, '>=', 0.4, 0.6)],
        ),
        resultFrom(
          {
            id: 'S1b',
            title: `UpdateRecords p50 latency, ${records} record(s)/call`,
            params,
            records,
          },
          m,
          pgBaselines,
          { L1 },
          [check('L1', L1, '<=', 3, 2)],
        ),
      );
    };
    if (wants(options, 'S1X1')) await runS1Variant(1);
    // Right after S1 ×1, which it is compared with.
    if (wants(options, 'S1AWS')) await runS1AwsScenario(C, awsDevices, bPg);
    if (wants(options, 'S1X5')) await runS1Variant(5);

    if (wants(options, 'S2')) {
      await refresh(devices);
      const m = await runS2(apiTarget, devices, {
        ...runOptions,
        server: api,
        countQueries: options.countQueries,
        profileFile: profileFile(`S2-C${C}`),
      });
      log(`  S2 C=${C}: ${m.throughput.toFixed(0)} ops/s, p50 ${m.p50_ms} ms, ${m.errors} errors`);
      const R2 = round(m.throughput / bHttp.B_http, 3);
      results.push(
        resultFrom(
          {
            id: 'S2',
            title: 'No-op sync: ListRecords at the current lastSyncCount',
            params: { C, ...apiParams, ...timing },
          },
          m,
          { B_http: bHttp.B_http },
          { R2 },
          [check('R2', R2, '>=', 0.2, 0.35)],
        ),
      );
    }
    if (wants(options, 'S2AWS')) await runS2AwsScenario(C, awsDevices, bHttp);
  }

  /** What an AWS scenario is compared with: the tRPC scenario of this run at C, if it ran. */
  function trpcReference(C: number, id: 'S1' | 'S2'): ResultRecord | undefined {
    return results.find(
      (r) => r.id === id && r.params['C'] === C && (id === 'S2' || r.params['records'] === 1),
    );
  }

  /**
   * S1aws: S1 ×1 over the Cognito Sync REST API, each UpdateRecords SigV4-signed by the load
   * generator. R1aws = ops/s ÷ B_pg_tps; the pass criterion is S1aws ≥ 0.8 × S1x1 (same run).
   */
  async function runS1AwsScenario(C: number, awsDevices: AwsDevice[], bPg: PgBaseline) {
    await refreshAws(apiTarget, awsDevices);
    const m = await runS1Aws(apiTarget, awsDevices, 1, {
      ...runOptions,
      server: api,
      countQueries: options.countQueries,
      profileFile: profileFile(`S1aws-C${C}`),
    });
    log(`  S1aws C=${C}: ${m.throughput.toFixed(0)} ops/s, p50 ${m.p50_ms} ms, ${m.errors} errors`);
    const reference = trpcReference(C, 'S1');
    const R1aws = round(m.throughput / bPg.B_pg_tps, 3);
    const L1aws = round(m.p50_ms / bPg.B_pg_lat_ms, 3);
    results.push(
      awsResult(
        {
          id: 'S1aws',
          title: 'UpdateRecords over Cognito Sync REST (SigV4), 1 record/call',
          params: { C, records: 1, ...apiParams, ...timing },
          records: 1,
        },
        m,
        { B_pg_tps: bPg.B_pg_tps, B_pg_lat_ms: bPg.B_pg_lat_ms },
        { R1aws, L1aws },
        reference,
        'S1x1',
      ),
    );
  }

  /** S2aws: S2 over REST (signed ListRecords at the current count); pass: ≥ 0.8 × S2. */
  async function runS2AwsScenario(C: number, awsDevices: AwsDevice[], bHttp: HttpBaseline) {
    await refreshAws(apiTarget, awsDevices);
    const m = await runS2Aws(apiTarget, awsDevices, {
      ...runOptions,
      server: api,
      countQueries: options.countQueries,
      profileFile: profileFile(`S2aws-C${C}`),
    });
    log(`  S2aws C=${C}: ${m.throughput.toFixed(0)} ops/s, p50 ${m.p50_ms} ms, ${m.errors} errors`);
    const reference = trpcReference(C, 'S2');
    const R2aws = round(m.throughput / bHttp.B_http, 3);
    results.push(
      awsResult(
        {
          id: 'S2aws',
          title: 'No-op sync over Cognito Sync REST (SigV4): ListRecords at the current count',
          params: { C, ...apiParams, ...timing },
        },
        m,
        { B_http: bHttp.B_http },
        { R2aws },
        reference,
        'S2',
      ),
    );
  }
}

async function main(): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseArgs(benchArgs(), { outDir: path.join(REPO_ROOT, 'bench-results') });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(USAGE);
    return 0;
  }

  const started = new Date();
  const stamp = timestampName(started);
  const cleanup = new Cleanup();
  let interrupted = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log(`${signal}: cleaning up`);
    void cleanup.run().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    fs.mkdirSync(options.outDir, { recursive: true });
    const cores = os.availableParallelism();
    // S1/S2 need pgbench (B_pg), B_http and the seeded devices; S6 and LOCAL do not.
    const syncLoad = wantsSyncLoad(options);
    const runTag = stamp.toLowerCase().replace(/[^a-z0-9]/g, '');
    if (!procAvailable()) log('no /proc: CPU split will not be reported');
    countPostgresDatabases([API_DB, PGBENCH_DB]);

    log(`PostgreSQL at ${options.pgUrl.replace(/\/\/[^@]*@/, '//…@')}`);
    const pgFacts = await postgresFacts(options.pgUrl);
    const environment: Environment = {
      timestamp: started.toISOString(),
      nproc: cores,
      cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
      memory_gib: round(os.totalmem() / 2 ** 30, 1),
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      postgres: pgFacts,
      pgbench: await pgbenchVersion(),
      git: gitFacts(),
      loadavg_at_start: os.loadavg().map((v) => round(v, 2)),
      api: {
        API_WORKERS: options.apiWorkers,
        DATABASE_POOL_MAX:
          benchEnv.apiPoolMax ?? `${Math.max(4, 2 * os.availableParallelism())} (default)`,
        SESSION_CACHE_TTL_MS: benchEnv.apiSessionCacheTtlMs ?? '5000 (default)',
      },
    };

    // Databases: both fresh, both dropped at the end whatever happens.
    cleanup.add(`drop ${PGBENCH_DB}`, () => dropDatabase(options.pgUrl, PGBENCH_DB));
    cleanup.add(`drop ${API_DB}`, () => dropDatabase(options.pgUrl, API_DB));
    cleanup.add('stop pgbench', async () => killPgbench());
    await recreateDatabase(options.pgUrl, API_DB);
    if (wantsBaselines(options)) {
      await recreateDatabase(options.pgUrl, PGBENCH_DB);
      log(
        `pgbench schema: ${options.pgbenchIdentities} identities × ${options.pgbenchRecords} records`,
      );
      await initPgbenchSchema(
        databaseUrl(options.pgUrl, PGBENCH_DB),
        options.pgbenchIdentities,
        options.pgbenchRecords,
      );
    }

    // The API under test: its real entry point (what `npm start` runs), in its own process.
    const profDir = path.join(options.outDir, `${stamp}-profiles`);
    if (options.cpuProf) fs.mkdirSync(profDir, { recursive: true });
    // With API workers, each writes its own: <name>.worker<id>.cpuprofile.
    const profileFile = (name: string): string | undefined =>
      options.cpuProf ? path.join(profDir, `${name}.cpuprofile`) : undefined;
    // S4's push service runs here; the API child may send to it (a development origin).
    const pushChild = wants(options, 'S4')
      ? await startChild(new URL('./push-service.ts', import.meta.url), {
          name: 'push-service',
          env: {},
        })
      : null;
    if (pushChild) cleanup.add('stop the push service', () => pushChild.stop());
    const pushService = pushChild ? pushServiceOf(pushChild) : null;
    const api: Child = await startChild(API_ENTRY, {
      name: 'api',
      preload: [new URL('./api-preload.ts', import.meta.url)],
      // The banner: printed once the API (every worker of a cluster) listens.
      readyLine: /^ {2}Tandem API {6}(http:\/\/\S+)$/m,
      env: {
        API_WORKERS: String(options.apiWorkers),
        DATABASE_URL: databaseUrl(options.pgUrl, API_DB),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'silent',
        AUTH_RATE_LIMIT: 'false',
        DEFAULT_POOL_NAME: 'Bench',
        TRUSTED_ORIGINS: BENCH_ORIGIN,
        BETTER_AUTH_SECRET: BENCH_SECRET,
        NODE_ENV: 'production',
        BENCH_COUNT_QUERIES: options.countQueries ? '1' : '0',
        // S4 and S5 measure the push fan-out and the stream export running in the API process
        // (as on the embedded default).
        RUN_WORKER: wants(options, 'S5') || wants(options, 'S4') ? 'true' : 'false',
        PUSH_DEV_ORIGINS: pushService?.origin ?? '',
      },
    });
    cleanup.add('stop api', () => api.stop());
    const identityPoolId = await firstIdentityPoolId(databaseUrl(options.pgUrl, API_DB));
    if (!identityPoolId) throw new Error('the API did not create the Bench identity pool');
    log(
      `API child pid ${api.pid}${options.apiWorkers > 1 ? ` (cluster primary, ${options.apiWorkers} workers)` : ''} at ${api.ready.url}, pool ${identityPoolId}`,
    );

    const baselines: Array<PgBaseline | HttpBaseline> = [];
    const results: ResultRecord[] = [];
    if (syncLoad) {
      const load = await runSyncLoad({
        options,
        api,
        apiDatabaseUrl: databaseUrl(options.pgUrl, API_DB),
        identityPoolId,
        runTag,
        cleanup,
        profileFile,
        secret: BENCH_SECRET,
        pushService,
      });
      baselines.push(...load.baselines);
      results.push(...load.results);
    }

    // S6: cold sync by a new device, through the client SDK.
    let coldSync: ColdSyncResult[] | undefined;
    if (wants(options, 'S6A') || wants(options, 'S6B')) {
      log(
        `S6: seeding one identity with ${COLD_DATASETS} datasets of ${COLD_RECORDS} × ${COLD_VALUE_BYTES} B`,
      );
      const seeded = performance.now();
      const setup = await seedColdIdentity(api.ready.url, identityPoolId, runTag);
      log(`  seeded in ${((performance.now() - seeded) / 1000).toFixed(1)} s`);
      coldSync = await runColdSync(setup, {
        api,
        apiDatabaseUrl: databaseUrl(options.pgUrl, API_DB),
        a: wants(options, 'S6A'),
        b: wants(options, 'S6B'),
        runsA: options.quick ? 10 : 30,
        warmupA: options.quick ? 2 : 3,
        runsB: options.quick ? 2 : 5,
        warmupB: 1,
        cores,
        profileDir: options.cpuProf ? profDir : undefined,
        log,
      });
    }

    // LOCAL: the SDK's local stores, no network.
    let localStore: LocalStoreResult[] | undefined;
    if (wants(options, 'LOCAL')) {
      log('LOCAL: SDK put/get/getAll on the memory, IndexedDB and file stores');
      const email = `bench-${runTag}-local@bench.test`;
      await signUp(api.ready.url, email);
      localStore = await runLocalStores({
        url: api.ready.url,
        identityPoolId,
        email,
        secondsPerOp: options.quick ? 0.25 : 1,
        scratchDir: path.join(options.outDir, `${stamp}-local-store`),
        apiPid: api.pid,
        profileDir: options.cpuProf ? profDir : undefined,
        log,
      });
    }

    const report: BenchReport = {
      schema_version: 1,
      started_at: started.toISOString(),
      finished_at: new Date().toISOString(),
      argv: benchArgs(),
      settings: {
        duration_s: options.durationS,
        warmup_s: options.warmupS,
        pgbench_seconds: options.pgbenchSeconds,
        pgbench_runs: options.pgbenchRuns,
        concurrency: options.concurrency,
        api_workers: options.apiWorkers,
      },
      environment,
      baselines,
      results,
      ...(coldSync ? { cold_sync: coldSync } : {}),
      ...(localStore ? { local_store: localStore } : {}),
    };
    const summary = markdown(report);
    const jsonFile = path.join(options.outDir, `${stamp}.json`);
    const mdFile = path.join(options.outDir, `${stamp}.md`);
    fs.writeFileSync(jsonFile, JSON.stringify(report, null, 2) + '\n');
    fs.writeFileSync(mdFile, summary);

    const profileFiles = options.cpuProf
      ? fs
          .readdirSync(profDir)
          .filter((name) => name.endsWith('.cpuprofile'))
          .map((name) => path.join(profDir, name))
      : [];
    for (const file of profileFiles) {
      const text = summariseProfile(
        JSON.parse(fs.readFileSync(file, 'utf8')) as Parameters<typeof summariseProfile>[0],
      );
      fs.writeFileSync(file.replace(/\.cpuprofile$/, '.txt'), text + '\n');
    }

    await cleanup.run();
    process.stdout.write(summary + '\n');
    log(
      `wrote ${path.relative(process.cwd(), jsonFile)} and ${path.relative(process.cwd(), mdFile)}`,
    );
    if (options.cpuProf)
      log(
        `CPU profiles of the API child (measurement windows only) and their summaries in ${profDir}`,
      );
    return 0;
  } catch (error) {
    log(`bench failed: ${(error as Error).stack ?? String(error)}`);
    return 1;
  } finally {
    await cleanup.run();
  }
}

// Exit explicitly: a keep-alive socket left by the seeding client must not keep the bench alive.
process.exit(await main());
