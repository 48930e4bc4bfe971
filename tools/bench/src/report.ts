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
}

const f = (value: number | undefined, digits = 2): string =>
  value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(digits);
const n0 = (value: number | undefined): string =>
  value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString('en-US');
const verdict = (r: { pass: boolean; goal_met: boolean }) =>
  r.pass ? (r.goal_met ? 'PASS (goal met)' : 'PASS') : '**FAIL**';

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
  lines.push(
    `Measurement ${report.settings.duration_s} s after ${report.settings.warmup_s} s warm-up per scenario; ` +
      `pgbench ${report.settings.pgbench_runs} × ${report.settings.pgbench_seconds} s (median); ` +
      `API ${env.api.API_WORKERS > 1 ? `${env.api.API_WORKERS} worker processes (cluster; CPU and SQL summed over them, event loop = their mean)` : '1 process'}, pool max ${env.api.DATABASE_POOL_MAX} per process, session cache ${env.api.SESSION_CACHE_TTL_MS} ms; load average at start ${env.loadavg_at_start.map((v) => v.toFixed(2)).join(' ')}`,
  );
  const others = [
    ...report.results.map((r) => r.cpu?.other_cores ?? 0),
    ...report.baselines.map((b) => (b.id === 'B_http' ? (b.cpu?.other_cores ?? 0) : 0)),
  ];
  const worst = Math.max(0, ...others);
  if (worst > 0.25) {
    lines.push('');
    lines.push(
      `> **Warning:** processes outside the bench used up to ${worst.toFixed(2)} of ${env.nproc} cores during the measurements ` +
        '(see "other" below); absolute numbers are depressed and ratios noisier than usual. Re-run on a quiet machine.',
    );
  }
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
    'Ratios: R1 = S1 ops/s ÷ B_pg_tps, L1 = S1 p50 ÷ B_pg_lat (S1b), R2 = S2 ops/s ÷ B_http — each at the same C.',
  );
  const errored = report.results.filter((r) => r.errors > 0);
  for (const r of errored)
    lines.push(`Errors in ${r.id} C=${r.params['C']}: ${JSON.stringify(r.error_kinds)}`);
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
  lines.push('');
  return lines.join('\n');
}
