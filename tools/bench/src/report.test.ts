import { expect, test } from 'vitest';
import {
  awsResult,
  check,
  markdown,
  resultFrom,
  type BenchReport,
  type ColdSyncResult,
} from './report.js';
import type { Measurement } from './scenarios.js';

const report = (extra: Partial<BenchReport>): BenchReport => ({
  schema_version: 1,
  started_at: '2026-01-01T00:00:00.000Z',
  finished_at: '2026-01-01T00:01:00.000Z',
  argv: [],
  settings: {
    duration_s: 10,
    warmup_s: 2,
    pgbench_seconds: 10,
    pgbench_runs: 3,
    concurrency: [8],
    api_workers: 1,
  },
  environment: {
    timestamp: '2026-01-01T00:00:00.000Z',
    nproc: 2,
    cpu_model: 'test',
    memory_gib: 4,
    os: 'Linux',
    node: 'v20',
    postgres: {
      version: '15',
      server_version: '15',
      fsync: 'on',
      synchronous_commit: 'on',
      shared_buffers: '128MB',
      max_connections: '100',
      wal_level: 'replica',
    },
    pgbench: 'pgbench 15',
    git: { sha: '0123456789abcdef', dirty: false },
    loadavg_at_start: [0, 0, 0],
    api: { API_WORKERS: 1, DATABASE_POOL_MAX: '4', SESSION_CACHE_TTL_MS: '5000' },
  },
  baselines: [],
  results: [],
  ...extra,
});

const cold: ColdSyncResult = {
  id: 'S6b',
  title: 'cold',
  params: {
    datasets: 20,
    records_per_dataset: 1024,
    value_bytes: 1000,
    dataset_bytes: 1_029_120,
    response_bytes: 1_168_871,
    store: 'memory',
    runs: 5,
    warmup_runs: 1,
  },
  p50_ms: 400,
  p95_ms: 450,
  p99_ms: 450,
  max_ms: 450,
  mean_ms: 410,
  sign_in_p50_ms: 150,
  errors: 0,
  error_kinds: {},
  baseline: {
    pg_select_p50_ms: 5,
    http_p50_ms: 8,
    B_cold_p50_ms: 13,
    multiplier: 20,
    B_ms: 260,
  },
  list_http_p50_ms: 350,
  ratios: { R6: 1.538 },
  checks: [check('R6', 1.538, '<=', 4, 2)],
  pass: true,
  goal_met: true,
  cpu_ms_per_sync: null,
  other_cores: null,
};

test('an S6/LOCAL-only report has their sections and no empty S1/S2 tables', () => {
  const text = markdown(
    report({
      cold_sync: [cold],
      local_store: [
        {
          id: 'LOCAL',
          store: 'memory',
          label: 'memory',
          params: { records: 1000, value_bytes: 200, seconds_per_op: 1 },
          put_ops_s: 600,
          put_p50_ms: 1.5,
          put_p99_ms: 2,
          get_ops_s: 8_000_000,
          get_all_ops_s: 9000,
          open_ms: 0.2,
          other_cores: 0.6,
        },
      ],
    }),
  );
  expect(text).not.toContain('## Baselines');
  expect(text).not.toContain('pgbench 3 × 10 s');
  expect(text).toContain('## Cold sync (S6)');
  expect(text).toContain('| S6b | 20 | 5 | 400.0 |');
  expect(text).toContain('260.00 (20 × 13.00)');
  expect(text).toContain('PASS (goal met)');
  expect(text).toContain('| memory | 600 | 1.500 / 2.000 | 8,000,000 | 9,000 | 0.2 |');
  expect(text).toContain('no external baseline');
  expect(text).toContain('outside the bench used up to 0.60 of 2 cores');
});

test('a report of S1/S2 only has no S6 or LOCAL section', () => {
  const text = markdown(report({}));
  expect(text).not.toContain('Cold sync');
  expect(text).not.toContain('LOCAL');
});

const measurement = (throughput: number, p50: number): Measurement => ({
  ops: throughput * 10,
  throughput,
  p50_ms: p50,
  p95_ms: p50 * 2,
  p99_ms: p50 * 3,
  max_ms: p50 * 5,
  mean_ms: p50,
  errors: 0,
  error_kinds: {},
  duration_s: 10,
  cpu: null,
  server_event_loop_utilization: 0.9,
  sql: null,
});

test('S1aws and S2aws: ratios to the baselines and to the tRPC scenarios, in both tables', () => {
  const params = { C: 8, records: 1, api_workers: 1, duration_s: 10, warmup_s: 2 };
  const s1 = resultFrom(
    { id: 'S1', title: 'S1', params, records: 1 },
    measurement(3000, 2),
    { B_pg_tps: 8000, B_pg_lat_ms: 1 },
    { R1: 0.375 },
    [check('R1', 0.375, '>=', 0.4, 0.6)],
  );
  const s2 = resultFrom(
    { id: 'S2', title: 'S2', params: { C: 8 } },
    measurement(40_000, 0.2),
    { B_http: 80_000 },
    { R2: 0.5 },
    [check('R2', 0.5, '>=', 0.2, 0.35)],
  );
  const s1aws = awsResult(
    { id: 'S1aws', title: 'S1aws', params, records: 1 },
    measurement(2700, 2.5),
    { B_pg_tps: 8000, B_pg_lat_ms: 1 },
    { R1aws: 0.338, L1aws: 2.5 },
    s1,
    'S1x1',
  );
  expect(s1aws.ratios).toEqual({ R1aws: 0.338, L1aws: 2.5, S1aws_vs_S1x1: 0.9 });
  expect(s1aws.baselines).toMatchObject({ S1x1_ops: 3000, S1x1_p50_ms: 2 });
  expect(s1aws.pass).toBe(true);
  const s2aws = awsResult(
    { id: 'S2aws', title: 'S2aws', params: { C: 8 } },
    measurement(20_000, 0.4),
    { B_http: 80_000 },
    { R2aws: 0.25 },
    s2,
    'S2',
  );
  expect(s2aws.ratios['S2aws_vs_S2']).toBe(0.5);
  expect(s2aws.pass).toBe(false);

  const text = markdown(report({ results: [s1, s1aws, s2, s2aws] }));
  expect(text).toContain('| S1aws | 8 | 1 | 2,700 |');
  expect(text).toContain('S1aws_vs_S1x1 = 0.900 | >= 0.8 (>= 0.8) | PASS (goal met) |');
  expect(text).toContain('## AWS-compatible path');
  expect(text).toContain(
    '| S1aws | 8 | 2,700 | 2.50 | 7.50 | R1aws = 0.338 (÷ B_pg_tps 8,000) | S1x1: 3,000, 2.00 | 0.900 |',
  );
  expect(text).toContain(
    '| S2aws | 8 | 20,000 | 0.40 | 1.20 | R2aws = 0.250 (÷ B_http 80,000) | S2: 40,000, 0.20 | 0.500 | >= 0.8 × S2 (>= 0.8) | **FAIL** |',
  );
});

test('S1aws without S1x1 in the run: no ratio to tRPC, said so, not evaluated', () => {
  const s1aws = awsResult(
    { id: 'S1aws', title: 'S1aws', params: { C: 8, records: 1 }, records: 1 },
    measurement(2700, 2.5),
    { B_pg_tps: 8000, B_pg_lat_ms: 1 },
    { R1aws: 0.338, L1aws: 2.5 },
    undefined,
    'S1x1',
  );
  expect(s1aws.ratios).toEqual({ R1aws: 0.338, L1aws: 2.5 });
  expect(s1aws.pass).toBe(false);
  expect(s1aws.note).toMatch(/S1x1 was not selected/);
  const text = markdown(report({ results: [s1aws] }));
  expect(text).toContain('| S1aws | 8 | 1 | 2,700 |');
  expect(text).toContain('S1x1 not run | – |');
  expect(text).toContain('not evaluated');
  expect(text).toContain(
    'S1aws C=8: S1x1 was not selected in this run: no ratio to the tRPC path.',
  );
});
