/**
 * The measured workloads: S1 (UpdateRecords throughput), S2 (no-op ListRecords), their
 * Cognito Sync REST twins S1aws and S2aws (src/aws.ts) and the B_http baseline, all driven by the same closed-loop generator, each with the CPU split and the API's
 * event-loop utilisation over the measurement window.
 */
import type { Child } from './children.js';
import { cpuBetween, cpuSnapshot, type CpuSnapshot, type CpuUse } from './cpu.js';
import { awsNoopListDevice, awsResync, awsUpdateDevice, type AwsDevice } from './aws.js';
import { DATASET_NAME, KEYS, recordValue, resync, type Device } from './devices.js';
import {
  buildRequest,
  RawHttpConnection,
  runClosedLoop,
  type LoadDevice,
  type RawResponse,
} from './http-load.js';
import { round, summarise, type LatencySummary } from './stats.js';

export interface ApiStats {
  elu: { idle: number; active: number };
  cpuMs: number;
  rssBytes: number;
  queryTotal: number;
  queries: Record<string, number>;
}

export interface Measurement extends LatencySummary {
  ops: number;
  throughput: number;
  errors: number;
  error_kinds: Record<string, number>;
  duration_s: number;
  cpu: CpuUse | null;
  /** Busy share of the server process's event loop over the window (1 = saturated). */
  server_event_loop_utilization: number | null;
  /** SQL round trips sent by the API per operation (only with --count-queries). */
  sql: { per_op: number; statements: Array<{ sql: string; per_op: number }> } | null;
}

export interface Target {
  host: string;
  port: number;
}

export const targetOf = (url: string): Target => {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
};

function errorLabel(response: RawResponse): string {
  let kind: string;
  try {
    const parsed = JSON.parse(response.body.toString('utf8')) as {
      error?: { data?: { cognitoError?: string }; message?: string };
    };
    kind = parsed.error?.data?.cognitoError ?? parsed.error?.message ?? '';
  } catch {
    kind = response.body.toString('utf8').slice(0, 80);
  }
  return `HTTP ${response.status}${kind ? ` ${kind}` : ''}`;
}

/** S1 device: UpdateRecords of `records` keys with the device's known sync counts. */
function updateDevice(
  device: Device,
  connection: RawHttpConnection,
  target: Target,
  records: number,
): LoadDevice {
  const keys = KEYS.slice(0, records);
  const host = `${target.host}:${target.port}`;
  const headers = { Authorization: `Bearer ${device.token}`, 'Content-Type': 'application/json' };
  return {
    connection,
    next() {
      const body = JSON.stringify({
        identityPoolId: device.identityPoolId,
        datasetName: DATASET_NAME,
        deviceId: device.deviceId,
        recordPatches: keys.map((key) => ({
          op: 'replace',
          key,
          value: recordValue(device),
          syncCount: device.counts.get(key) ?? 0,
        })),
        syncSessionToken: device.syncSessionToken,
      });
      return buildRequest('POST', host, '/trpc/record.update', headers, body);
    },
    handle(response) {
      if (response.status !== 200) return errorLabel(response);
      const parsed = JSON.parse(response.body.toString('utf8')) as {
        result?: { data?: { records?: Array<{ key: string; syncCount: number }> } };
      };
      const written = parsed.result?.data?.records;
      if (!written || written.length !== keys.length) return 'unexpected response';
      for (const r of written) {
        device.counts.set(r.key, r.syncCount);
        device.datasetSyncCount = Math.max(device.datasetSyncCount, r.syncCount);
      }
      return null;
    },
    recover: () => resync(device),
  };
}

/** The S2 request: ListRecords since the device's current count (nothing has changed). */
export function listRequest(device: Device, target: Target): string {
  const input = JSON.stringify({
    identityPoolId: device.identityPoolId,
    datasetName: DATASET_NAME,
    lastSyncCount: device.datasetSyncCount,
  });
  return buildRequest(
    'GET',
    `${target.host}:${target.port}`,
    `/trpc/record.list?input=${encodeURIComponent(input)}`,
    {
      Authorization: `Bearer ${device.token}`,
    },
  );
}

function noopListDevice(device: Device, connection: RawHttpConnection, target: Target): LoadDevice {
  const request = Buffer.from(listRequest(device, target));
  return {
    connection,
    next: () => request,
    handle(response) {
      if (response.status !== 200) return errorLabel(response);
      // Nothing changed: an empty page. (A substring check keeps the generator cheap.)
      return response.body.includes('"count":0') ? null : 'records returned by a no-op sync';
    },
    recover: () => resync(device),
  };
}

/** B_http device: the S2 request bytes (same path, same headers) sent to the trivial server. */
function trivialDevice(device: Device, connection: RawHttpConnection, target: Target): LoadDevice {
  const request = Buffer.from(listRequest(device, target));
  return {
    connection,
    next: () => request,
    handle: (response) => (response.status === 200 ? null : `HTTP ${response.status}`),
  };
}

export interface RunOptions {
  warmupMs: number;
  durationMs: number;
  /** The process serving the requests (for its CPU and event-loop share). */
  server: Child;
  countQueries: boolean;
  cores: number;
  /** Write a CPU profile of the server over the measurement window to this file. */
  profileFile?: string | undefined;
  /** Paced instead of closed loop: each device sends one request every `paceMs`. */
  paceMs?: number | undefined;
  /** Called when the measurement window opens and closes (after the built-in hooks). */
  onWindow?: ((phase: 'start' | 'end') => void) | undefined;
}

async function measure<D>(
  target: Target,
  devices: D[],
  make: (device: D, connection: RawHttpConnection) => LoadDevice,
  options: RunOptions,
): Promise<Measurement> {
  const connections = await Promise.all(
    devices.map(() => RawHttpConnection.connect(target.host, target.port)),
  );
  try {
    const loadDevices = devices.map((device, i) => make(device, connections[i]!));
    if (options.countQueries) await options.server.ask({ cmd: 'reset-queries' });
    let cpuStart: CpuSnapshot | null = null;
    let cpuEnd: CpuSnapshot | null = null;
    let statsStart: ApiStats | null = null;
    let statsEnd: ApiStats | null = null;
    let totalOps = 0;
    for (const d of loadDevices) {
      const handle = d.handle.bind(d);
      d.handle = (response) => {
        totalOps++;
        return handle(response);
      };
    }
    const result = await runClosedLoop(loadDevices, {
      warmupMs: options.warmupMs,
      durationMs: options.durationMs,
      paceMs: options.paceMs,
      async onMeasureStart() {
        options.onWindow?.('start');
        if (options.profileFile) await options.server.ask({ cmd: 'profile-start' });
        statsStart = await options.server.ask<ApiStats>({ cmd: 'stats' });
        cpuStart = cpuSnapshot(options.server.pid);
      },
      async onMeasureEnd() {
        options.onWindow?.('end');
        cpuEnd = cpuSnapshot(options.server.pid);
        statsEnd = await options.server.ask<ApiStats>({ cmd: 'stats' });
        if (options.profileFile) {
          await options.server.ask({ cmd: 'profile-stop', file: options.profileFile }, 60_000);
        }
      },
    });
    const afterAll = options.countQueries
      ? await options.server.ask<ApiStats>({ cmd: 'stats' })
      : null;
    const a = statsStart as ApiStats | null;
    const b = statsEnd as ApiStats | null;
    const elu =
      a && b
        ? (b.elu.active - a.elu.active) / (b.elu.active - a.elu.active + (b.elu.idle - a.elu.idle))
        : null;
    const throughput = result.ops / result.durationS;
    return {
      ops: result.ops,
      throughput: round(throughput, 1),
      ...summarise(result.latenciesMs),
      errors: result.errors,
      error_kinds: result.errorKinds,
      duration_s: round(result.durationS, 3),
      cpu: cpuBetween(cpuStart, cpuEnd, options.cores),
      server_event_loop_utilization: elu === null ? null : round(elu, 3),
      sql:
        afterAll && totalOps > 0
          ? {
              per_op: round(afterAll.queryTotal / totalOps, 2),
              statements: Object.entries(afterAll.queries)
                .sort((x, y) => y[1] - x[1])
                .slice(0, 15)
                .map(([sql, n]) => ({ sql, per_op: round(n / totalOps, 3) })),
            }
          : null,
    };
  } finally {
    for (const c of connections) c.close();
  }
}

export async function refresh(devices: Device[]): Promise<void> {
  await Promise.all(devices.map((d) => resync(d)));
}

export const runS1 = (target: Target, devices: Device[], records: number, options: RunOptions) =>
  measure(target, devices, (d, c) => updateDevice(d, c, target, records), options);

export const runS2 = (target: Target, devices: Device[], options: RunOptions) =>
  measure(target, devices, (d, c) => noopListDevice(d, c, target), options);

export const runBHttp = (target: Target, devices: Device[], options: RunOptions) =>
  measure(target, devices, (d, c) => trivialDevice(d, c, target), options);

/** The devices' state (counts, token) read over REST, as an AWS client starts a sync. */
export async function refreshAws(target: Target, devices: AwsDevice[]): Promise<void> {
  await Promise.all(devices.map((d) => awsResync(d, target)));
}

export const runS1Aws = (
  target: Target,
  devices: AwsDevice[],
  records: number,
  options: RunOptions,
) => measure(target, devices, (d, c) => awsUpdateDevice(d, c, target, records), options);

export const runS2Aws = (target: Target, devices: AwsDevice[], options: RunOptions) =>
  measure(target, devices, (d, c) => awsNoopListDevice(d, c, target), options);
