/**
 * Result records (perf-reliability.md §C format, plus diagnostics) and the Markdown summary.
 */
import type { CpuUse } from './cpu.js';
import type { PostgresFacts } from './postgres.js';
import type { Measurement } from './scenarios.js';
import { round } from './stats.js';

export interface Check {
  metric: string;
  value: number;
  op: '>=' | '<=';
  pass_at: number;
  goal: number;
  pass: boolean;
  goal_met: boolean;
}

export function check(
  metric: string,
  value: number,
  op: '>=' | '<=',
  passAt: number,
  goal: number,
): Check {
  const ok = (limit: number) =>
    Number.isFinite(value) && (op === '>=' ? value >= limit : value <= limit);
  return { metric, value, op, pass_at: passAt, goal, pass: ok(passAt), goal_met: ok(goal) };
}

export interface CpuPerOp {
  api: number;
  api_kernel: number;
  postgres: number;
  generator: number;
  other: number;
  total: number;
}

export interface ResultRecord {
  id: string;
  title: string;
  params: Record<string, number | string>;
  /** Operations (HTTP calls) per second. */
  throughput: number;
  records_per_s?: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  errors: number;
  error_kinds: Record<string, number>;
  baselines: Record<string, number>;
  ratios: Record<string, number>;
  checks: Check[];
  /** Every check passed (errors = 0 too). */
  pass: boolean;
  goal_met: boolean;
  cpu: CpuUse | null;
  cpu_ms_per_op: CpuPerOp | null;
  server_event_loop_utilization: number | null;
  sql: Measurement['sql'];
  /** Why a check could not be evaluated (e.g. S1aws without S1x1 in the run). */
  note?: string;
}

export interface PgBaseline {
  id: 'B_pg';
  params: { C: number; runs: number; seconds: number; identities: number; records: number };
  command: string;
  runs: Array<{ tps: number; latency_ms: number; transactions: number; failed: number }>;
  B_pg_tps: number;
  B_pg_lat_ms: number;
  /** Median over runs; measured inside each run, away from its first and last 0.5 s. */
  cpu: { system_busy_cores: number; postgres_cores: number; postgres_cpu_ms_per_tx: number } | null;
}

export interface HttpBaseline extends Omit<
  ResultRecord,
  'checks' | 'pass' | 'goal_met' | 'ratios' | 'baselines'
> {
  id: 'B_http';
  B_http: number;
}

export function cpuPerOp(cpu: CpuUse | null, throughput: number): CpuPerOp | null {
  if (!cpu || !(throughput > 0)) return null;
  const per = (cores: number) => round((cores * 1000) / throughput, 4);
  return {
    api: per(cpu.api_cores),
    api_kernel: per(cpu.api_kernel_cores),
    postgres: per(cpu.postgres_cores),
    generator: per(cpu.generator_cores),
    other: per(cpu.other_cores),
    total: per(cpu.system_busy_cores),
  };
}

export function resultFrom(
  base: { id: string; title: string; params: ResultRecord['params']; records?: number },
  m: Measurement,
  baselines: Record<string, number>,
  ratios: Record<string, number>,
  checks: Check[],
): ResultRecord {
  return {
    id: base.id,
    title: base.title,
    params: base.params,
    throughput: m.throughput,
    ...(base.records !== undefined ? { records_per_s: round(m.throughput * base.records, 1) } : {}),
    p50_ms: m.p50_ms,
    p95_ms: m.p95_ms,
    p99_ms: m.p99_ms,
    max_ms: m.max_ms,
    mean_ms: m.mean_ms,
    errors: m.errors,
    error_kinds: m.error_kinds,
    baselines,
    ratios,
    checks,
    pass: m.errors === 0 && checks.every((c) => c.pass),
    goal_met: m.errors === 0 && checks.every((c) => c.goal_met),
    cpu: m.cpu,
    cpu_ms_per_op: cpuPerOp(m.cpu, m.throughput),
    server_event_loop_utilization: m.server_event_loop_utilization,
    sql: m.sql,
  };
}

/** S1aws/S2aws pass when they reach this share of the tRPC scenario's ops/s (same run, same C). */
export const AWS_VS_TRPC_MIN = 0.8;

/**
 * An AWS-path result (S1aws, S2aws): its own ratio to the baseline, plus its ops/s ratio to the
 * tRPC scenario of the same run (`reference`), which is the pass criterion: the REST binding
 * with SigV4 may cost at most 20 % of the tRPC path's throughput. Without a reference (the tRPC
 * scenario was not selected) the criterion is not evaluated: `pass` is false and `note` says why.
 */
export function awsResult(
  base: { id: 'S1aws' | 'S2aws'; title: string; params: ResultRecord['params']; records?: number },
  m: Measurement,
  baselines: Record<string, number>,
  ratios: Record<string, number>,
  reference: Pick<ResultRecord, 'throughput' | 'p50_ms'> | undefined,
  referenceName: 'S1x1' | 'S2',
): ResultRecord {
  const metric = `${base.id}_vs_${referenceName}`;
  if (!reference) {
    return {
      ...resultFrom(base, m, baselines, ratios, [
        check(metric, NaN, '>=', AWS_VS_TRPC_MIN, AWS_VS_TRPC_MIN),
      ]),
      note: `${referenceName} was not selected in this run: no ratio to the tRPC path`,
    };
  }
  const vs = round(m.throughput / reference.throughput, 3);
  return resultFrom(
    base,
    m,
    {
      ...baselines,
      [`${referenceName}_ops`]: reference.throughput,
      [`${referenceName}_p50_ms`]: reference.p50_ms,
    },
    { ...ratios, [metric]: vs },
    [check(metric, vs, '>=', AWS_VS_TRPC_MIN, AWS_VS_TRPC_MIN)],
  );
}

/** S6 (cold sync by a new device), one per variant: S6a one dataset, S6b 20 datasets. */
export interface ColdSyncResult {
  id: 'S6a' | 'S6b';
  title: string;
  params: {
    datasets: number;
    records_per_dataset: number;
    value_bytes: number;
    /** UTF-8 bytes of keys and values of one dataset. */
    dataset_bytes: number;
    /** Bytes of the API's ListRecords answer for one dataset (the trivial route sends as many). */
    response_bytes: number;
    store: string;
    runs: number;
    warmup_runs: number;
  };
  /** Time from opening the dataset(s) to a complete local copy (synchronize() resolved). */
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  max_ms: number;
  mean_ms: number;
  /** Sign-in of the new device (not in the times above). */
  sign_in_p50_ms: number;
  errors: number;
  error_kinds: Record<string, number>;
  baseline: {
    /** The same rows through node `pg`. */
    pg_select_p50_ms: number;
    /** One answer of response_bytes from the trivial node:http route, fetched and parsed. */
    http_p50_ms: number;
    /** p50 of (SELECT + HTTP) per run. */
    B_cold_p50_ms: number;
    /** Datasets synced (S6b is compared with 20 × B_cold). */
    multiplier: number;
    B_ms: number;
  };
  /** Diagnostic: the same ListRecords request(s), fetched and parsed without the SDK. */
  list_http_p50_ms: number;
  ratios: { R6: number };
  checks: Check[];
  pass: boolean;
  goal_met: boolean;
  /** CPU per sync over the measured runs: this process (the SDK), the API, PostgreSQL. */
  cpu_ms_per_sync: {
    sdk: number;
    api: number;
    postgres: number;
    other: number;
    total: number;
  } | null;
  /** Cores used by processes outside the bench over the timed block (noise). */
  other_cores: number | null;
}

/** LOCAL: the SDK's local read/write rates on one store (absolute; no external baseline). */
export interface LocalStoreResult {
  id: 'LOCAL';
  store: 'memory' | 'indexeddb' | 'file' | 'file-nosync';
  label: string;
  params: { records: number; value_bytes: number; seconds_per_op: number };
  /** `dataset.put`, each awaited, one at a time. */
  put_ops_s: number;
  put_p50_ms: number;
  put_p99_ms: number;
  get_ops_s: number;
  get_all_ops_s: number;
  /** A new client on the same store, opening the dataset (median of 3). */
  open_ms: number;
  /** Cores used by processes outside the bench meanwhile (noise). */
  other_cores: number | null;
}

export interface Environment {
  timestamp: string;
  nproc: number;
  cpu_model: string;
  memory_gib: number;
  os: string;
  node: string;
  postgres: PostgresFacts;
  pgbench: string;
  git: { sha: string; dirty: boolean };
  loadavg_at_start: number[];
  api: { API_WORKERS: number; DATABASE_POOL_MAX: string; SESSION_CACHE_TTL_MS: string };
}

export interface BenchReport {
  schema_version: 1;
  started_at: string;
  finished_at: string;
  argv: string[];
  settings: {
    duration_s: number;
    warmup_s: number;
    pgbench_seconds: number;
    pgbench_runs: number;
    concurrency: number[];
    /** API_WORKERS of the API child (1: one process). */
    api_workers: number;
  };
  environment: Environment;
  baselines: Array<PgBaseline | HttpBaseline>;
  results: ResultRecord[];
  /** S6 (absent when not run). */
  cold_sync?: ColdSyncResult[];
  /** LOCAL (absent when not run). */
  local_store?: LocalStoreResult[];
}

const f = (value: number | undefined, digits = 2): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const n0 = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');
const verdict = (r: { pass: boolean; goal_met: boolean; note?: string }) =>
  r.note !== undefined
    ? 'not evaluated'
    : r.pass
      ? r.goal_met
        ? 'PASS (goal met)'
        : 'PASS'
      : '**FAIL**';

export function markdown(report: BenchReport): string {
  const env = report.environment;
  const lines: string[] = [];
  const pg = env.postgres;
  lines.push(`# Tandem bench — ${report.started_at}`);
  lines.push('');
  lines.push(
    `loopback, ${env.nproc} vCPU (${env.cpu_model}), ${env.memory_gib} GiB; Node ${env.node}; PostgreSQL ${pg.server_version} ` +
      `(fsync=${pg.fsync}, synchronous_commit=${pg.synchronous_commit}, shared_buffers=${pg.shared_buffers}); ` +
      `git ${env.git.sha.slice(0, 12)}${env.git.dirty ? ' (dirty)' : ''}`,
  );
  const load = report.baselines.length > 0 || report.results.length > 0;
  lines.push(
    (load
      ? `Measurement ${report.settings.duration_s} s after ${report.settings.warmup_s} s warm-up per scenario; ` +
        `pgbench ${report.settings.pgbench_runs} × ${report.settings.pgbench_seconds} s (median); `
      : '') +
      `API ${env.api.API_WORKERS > 1 ? `${env.api.API_WORKERS} worker processes (cluster; CPU and SQL summed over them, event loop = their mean)` : '1 process'}, pool max ${env.api.DATABASE_POOL_MAX} per process, session cache ${env.api.SESSION_CACHE_TTL_MS} ms; load average at start ${env.loadavg_at_start.map((v) => v.toFixed(2)).join(' ')}`,
  );
  const others = [
    ...report.results.map((r) => r.cpu?.other_cores ?? 0),
    ...report.baselines.map((b) => (b.id === 'B_http' ? (b.cpu?.other_cores ?? 0) : 0)),
    ...(report.cold_sync ?? []).map((r) => r.other_cores ?? 0),
    ...(report.local_store ?? []).map((r) => r.other_cores ?? 0),
  ];
  const worst = Math.max(0, ...others);
  if (worst > 0.25) {
    lines.push('');
    lines.push(
      `> **Warning:** processes outside the bench used up to ${worst.toFixed(2)} of ${env.nproc} cores during the measurements ` +
        '(see "other" in the CPU tables); absolute numbers are depressed and ratios noisier than usual. Re-run on a quiet machine.',
    );
  }
  if (load) syncLoadSections(report, lines);
  if (report.cold_sync?.length) coldSyncSection(report.cold_sync, lines);
  if (report.local_store?.length) localStoreSection(report.local_store, lines);
  lines.push('');
  return lines.join('\n');
}

/** Baselines, S1/S2 and their CPU split. */
function syncLoadSections(report: BenchReport, lines: string[]): void {
  const env = report.environment;
  lines.push('');
  lines.push('## Baselines (same run, immediately before the scenarios)');
  lines.push('');
  lines.push('| Baseline | C | value | latency | runs | CPU |');
  lines.push('|---|---:|---:|---:|---|---|');
  for (const b of report.baselines) {
    if (b.id === 'B_pg') {
      lines.push(
        `| B_pg (sync_tx.sql) | ${b.params.C} | ${n0(b.B_pg_tps)} tps | ${f(b.B_pg_lat_ms, 3)} ms avg | ` +
          `${b.runs.map((r) => `${n0(r.tps)} tps / ${f(r.latency_ms, 3)} ms`).join('; ')} | ` +
          (b.cpu
            ? `machine ${f(b.cpu.system_busy_cores)} cores busy, postgres ${f(b.cpu.postgres_cores)} cores = ${f(b.cpu.postgres_cpu_ms_per_tx, 3)} ms/tx`
            : '–') +
          ' |',
      );
    } else {
      lines.push(
        `| B_http (node:http, ${b.params['body_bytes']} B JSON) | ${b.params['C']} | ${n0(b.B_http)} req/s | p50 ${f(b.p50_ms, 3)} / p99 ${f(b.p99_ms, 3)} ms | 1 × ${b.params['duration_s']} s, ${b.errors} errors | ` +
          (b.cpu_ms_per_op && b.cpu
            ? `server ${f(b.cpu.api_cores)} cores (${f(b.cpu_ms_per_op.api, 3)} ms/req), generator ${f(b.cpu.generator_cores)} cores (${f(b.cpu_ms_per_op.generator, 3)} ms/req), loop ${f(b.server_event_loop_utilization ?? NaN)}`
            : '–') +
          ' |',
      );
    }
  }
  lines.push('');
  lines.push('## Scenarios');
  lines.push('');
  lines.push(
    '| ID | C | rec/call | ops/s | records/s | p50 ms | p95 ms | p99 ms | max ms | errors | ratio | threshold (goal) | verdict |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|');
  for (const r of report.results) {
    const c = r.checks[0]!;
    lines.push(
      `| ${r.id} | ${r.params['C']} | ${r.params['records'] ?? '–'} | ${n0(r.throughput)} | ${r.records_per_s === undefined ? '–' : n0(r.records_per_s)} | ` +
        `${f(r.p50_ms, 2)} | ${f(r.p95_ms, 2)} | ${f(r.p99_ms, 2)} | ${f(r.max_ms, 1)} | ${r.errors} | ` +
        `${c.metric} = ${f(c.value, 3)} | ${c.op} ${c.pass_at} (${c.op} ${c.goal}) | ${verdict(r)} |`,
    );
  }
  lines.push('');
  lines.push(
    'Ratios: R1 = S1 ops/s ÷ B_pg_tps, L1 = S1 p50 ÷ B_pg_lat (S1b), R2 = S2 ops/s ÷ B_http — each at the same C. ' +
      'S7 loss = 1 − ops/s with a no-op function sync trigger ÷ mean ops/s without (runs before and after), same C.',
  );
  const errored = report.results.filter((r) => r.errors > 0);
  for (const r of errored)
    lines.push(`Errors in ${r.id} C=${r.params['C']}: ${JSON.stringify(r.error_kinds)}`);
  awsSection(report.results, lines);
  lines.push('');
  lines.push('## Where the CPU went (per operation, measurement window)');
  lines.push('');
  lines.push(
    '| ID | C | rec/call | API ms/op (kernel) | Postgres ms/op | generator ms/op | other ms/op | machine busy (cores of ' +
      env.nproc +
      ') | API event loop busy | SQL round trips/op |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of report.results) {
    if (r.id === 'S1b') continue;
    const p = r.cpu_ms_per_op;
    lines.push(
      `| ${r.id} | ${r.params['C']} | ${r.params['records'] ?? '–'} | ${f(p?.api, 3)} (${f(p?.api_kernel, 3)}) | ${f(p?.postgres, 3)} | ${f(p?.generator, 3)} | ${f(p?.other, 3)} | ` +
        `${f(r.cpu?.system_busy_cores)} | ${r.server_event_loop_utilization === null ? '–' : `${Math.round(r.server_event_loop_utilization * 100)} %`} | ${r.sql ? f(r.sql.per_op, 2) : '–'} |`,
    );
  }
  for (const b of report.baselines) {
    if (b.id === 'B_pg' && b.cpu) {
      lines.push(
        `| B_pg | ${b.params.C} | 1 | – | ${f(b.cpu.postgres_cpu_ms_per_tx, 3)} | (pgbench) | – | ${f(b.cpu.system_busy_cores)} | – | 6 |`,
      );
    }
  }
}

/** S1aws/S2aws next to the tRPC scenario they are compared with. */
function awsSection(results: ResultRecord[], lines: string[]): void {
  const aws = results.filter((r) => r.id === 'S1aws' || r.id === 'S2aws');
  if (aws.length === 0) return;
  lines.push('');
  lines.push('## AWS-compatible path (Cognito Sync REST, SigV4-signed by the load generator)');
  lines.push('');
  lines.push(
    '| ID | C | ops/s | p50 ms | p99 ms | ratio to baseline | tRPC scenario: ops/s, p50 ms | ops/s ratio to tRPC | threshold (goal) | verdict | generator ms/op |',
  );
  lines.push('|---|---:|---:|---:|---:|---|---|---:|---|---|---:|');
  for (const r of aws) {
    const s1 = r.id === 'S1aws';
    const name = s1 ? 'S1x1' : 'S2';
    const baseRatio = s1
      ? `R1aws = ${f(r.ratios['R1aws'], 3)} (÷ B_pg_tps ${n0(r.baselines['B_pg_tps'])})`
      : `R2aws = ${f(r.ratios['R2aws'], 3)} (÷ B_http ${n0(r.baselines['B_http'])})`;
    const ops = r.baselines[`${name}_ops`];
    const c = r.checks[0]!;
    lines.push(
      `| ${r.id} | ${r.params['C']} | ${n0(r.throughput)} | ${f(r.p50_ms, 2)} | ${f(r.p99_ms, 2)} | ${baseRatio} | ` +
        (ops === undefined
          ? `${name} not run | – | `
          : `${name}: ${n0(ops)}, ${f(r.baselines[`${name}_p50_ms`], 2)} | ${f(c.value, 3)} | `) +
        `${c.op} ${c.pass_at} × ${name} (${c.op} ${c.goal}) | ${verdict(r)} | ${f(r.cpu_ms_per_op?.generator, 3)} |`,
    );
  }
  lines.push('');
  lines.push(
    'S1aws and S2aws are S1 ×1 and S2 over the Amazon Cognito Sync REST API: the same devices, with ' +
      'identity credentials from GetId + GetCredentialsForIdentity, every request SigV4-signed with ' +
      '@smithy/signature-v4 (service cognito-sync, region = the pool id prefix). R1aws = S1aws ops/s ÷ B_pg_tps, ' +
      'R2aws = S2aws ops/s ÷ B_http; pass: ops/s ≥ 0.8 × the tRPC scenario of the same run and C ' +
      '(the REST binding costs at most 20 %). Generator ms/op includes the signing.',
  );
  for (const r of aws) if (r.note) lines.push(`${r.id} C=${r.params['C']}: ${r.note}.`);
}

function coldSyncSection(results: ColdSyncResult[], lines: string[]): void {
  lines.push('');
  lines.push('## Cold sync (S6): a new device pulls its data through the SDK');
  lines.push('');
  lines.push(
    '| ID | datasets | runs | p50 ms | p95 ms | max ms | baseline ms | ratio | threshold (goal) | verdict |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---:|---|---|---|');
  for (const r of results) {
    const checks = r.checks
      .map(
        (c) =>
          `${c.metric} = ${f(c.value, c.metric === 'R6' ? 3 : 1)} ${c.op} ${c.pass_at} (${c.goal})`,
      )
      .join('; ');
    lines.push(
      `| ${r.id} | ${r.params.datasets} | ${r.params.runs} | ${f(r.p50_ms, 1)} | ${f(r.p95_ms, 1)} | ${f(r.max_ms, 1)} | ` +
        `${f(r.baseline.B_ms, 2)}${r.baseline.multiplier > 1 ? ` (${r.baseline.multiplier} × ${f(r.baseline.B_cold_p50_ms, 2)})` : ''} | ` +
        `R6 = ${f(r.ratios.R6, 3)} | ${checks} | ${verdict(r)} |`,
    );
  }
  lines.push('');
  const first = results[0]!;
  lines.push(
    `Each run: a new client (memory store, already signed in) opens the dataset(s) and synchronizes until ` +
      `${first.params.records_per_dataset} records × ${first.params.value_bytes} B per dataset are local ` +
      `(S6b: \`remoteDatasets()\`, open each, \`synchronizeAll()\`). Baseline B_cold = p50 of (the same rows ` +
      `\`SELECT\`ed through node \`pg\` + one ${n0(first.params.response_bytes)} B answer from a trivial node:http route, ` +
      `fetched and parsed); R6 = SDK p50 ÷ (datasets × B_cold).`,
  );
  lines.push('');
  lines.push(
    '| ID | SDK p50 ms | same ListRecords without the SDK, p50 ms | SELECT p50 ms | HTTP p50 ms | sign-in p50 ms (not timed) | CPU ms/sync: SDK · API · Postgres · machine |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|---|');
  for (const r of results) {
    const c = r.cpu_ms_per_sync;
    lines.push(
      `| ${r.id} | ${f(r.p50_ms, 1)} | ${f(r.list_http_p50_ms, 1)} | ${f(r.baseline.pg_select_p50_ms, 2)} | ${f(r.baseline.http_p50_ms, 2)} | ` +
        `${f(r.sign_in_p50_ms, 1)} | ${c ? `${f(c.sdk, 1)} · ${f(c.api, 1)} · ${f(c.postgres, 1)} · ${f(c.total, 1)}` : '–'} |`,
    );
  }
  for (const r of results.filter((x) => x.errors > 0))
    lines.push(`Errors in ${r.id}: ${JSON.stringify(r.error_kinds)}`);
}

function localStoreSection(results: LocalStoreResult[], lines: string[]): void {
  const first = results[0]!;
  lines.push('');
  lines.push(
    `## SDK local reads and writes (LOCAL): a dataset of ${n0(first.params.records)} records × ${first.params.value_bytes} B, no network`,
  );
  lines.push('');
  lines.push(
    '| store | put ops/s (each awaited) | put p50 / p99 ms | get ops/s | getAll ops/s | open dataset on a new client, ms |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    lines.push(
      `| ${r.label} | ${n0(r.put_ops_s)} | ${f(r.put_p50_ms, 3)} / ${f(r.put_p99_ms, 3)} | ${n0(r.get_ops_s)} | ${n0(r.get_all_ops_s)} | ${f(r.open_ms, 1)} |`,
    );
  }
  lines.push('');
  lines.push(
    `Absolute numbers, ${first.params.seconds_per_op} s per operation: there is no external baseline. ` +
      "`put` overwrites the existing keys in turn. `get`/`getAll` read the dataset's in-memory copy, so they do not depend on the store. " +
      "IndexedDB here is fake-indexeddb (pure JavaScript in Node), not a browser's.",
  );
}
