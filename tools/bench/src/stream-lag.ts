/**
 * S5 (research perf-reliability §C): commit → stream lag. The API child runs the stream export
 * in its process (RUN_WORKER=true); the pool streams to this machine's NATS JetStream. Devices
 * write at 80 % of the S1 rate measured in the same run (paced), while this process listens on
 * the stream's subjects and samples the export backlog.
 *
 * Lag of a change = when this process received it − the change's commit time (the record's
 * `lastModifiedDate`, taken by PostgreSQL inside the writing transaction, so it slightly
 * overstates the lag). Backlog slope: least-squares slope of the backlog samples over the
 * window (changes/s; ≤ 0 means the export keeps up). Export ratio: changes received ÷ changes
 * committed over the whole run, after a drain of at most 30 s.
 */
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { countBacklog } from '@tandem/change-log';
import { createDb, setStreamsSettings, streamExportConsumerName } from '@tandem/db';
import { performance } from 'node:perf_hooks';
import { sleep } from './http-load.js';
import { round, summarise } from './stats.js';

export interface StreamLagOptions {
  apiDatabaseUrl: string;
  identityPoolId: string;
  tag: string;
  natsUrl?: string;
  /** Runs the write load; `onWindow` marks the measurement window. */
  load(onWindow: (phase: 'start' | 'end') => void): Promise<{ throughput: number; ops: number }>;
  log(message: string): void;
}

export interface StreamLagResult {
  lag: ReturnType<typeof summarise>;
  received: number;
  committed: number;
  duplicates: number;
  backlogSlopePerS: number;
  backlogMax: number;
  exportRatio: number;
  writeThroughput: number;
  drainMs: number;
}

function slope(points: Array<[number, number]>): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

export async function measureStreamLag(options: StreamLagOptions): Promise<StreamLagResult> {
  const natsUrl = options.natsUrl ?? '127.0.0.1:4222';
  const [host, port] = natsUrl.split(':');
  const stream = `tandem_bench_${options.tag}`;
  const subjectPrefix = `tandem-bench.${options.tag}`;
  const database = await createDb({ url: options.apiDatabaseUrl, poolMax: 2 });
  const nc = await connect({ servers: natsUrl, timeout: 5_000 });
  const lags: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  const subscription = nc.subscribe(`${subjectPrefix}.>`);
  const decoder = new TextDecoder();
  const receiving = (async () => {
    for await (const message of subscription) {
      const record = JSON.parse(decoder.decode(message.data)) as {
        dedupeKey: string;
        lastModifiedDate: number;
      };
      if (seen.has(record.dedupeKey)) {
        duplicates++;
        continue;
      }
      seen.add(record.dedupeKey);
      lags.push(Date.now() - record.lastModifiedDate);
    }
  })();
  const consumer = streamExportConsumerName(options.identityPoolId);
  try {
    await setStreamsSettings(database.db, {
      identityPoolId: options.identityPoolId,
      streams: {
        enabled: true,
        sink: {
          kind: 'nats',
          host: host ?? '127.0.0.1',
          port: Number(port ?? 4222),
          stream,
          subjectPrefix,
        },
      },
    });
    // The worker rereads settings every 2 s; let it start the export before the load.
    await sleep(3_000);
    const samples: Array<[number, number]> = [];
    let inWindow = false;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const backlog = await countBacklog(database.sql, {
          name: consumer,
          identityPoolId: options.identityPoolId,
        });
        if (inWindow) samples.push([performance.now() / 1000, backlog]);
        await sleep(250);
      }
    })();
    const load = await options.load((phase) => {
      inWindow = phase === 'start';
    });
    sampling = false;
    await sampler;
    // Everything committed since streaming was enabled, i.e. since the settings' checkpoint.
    const committedRows = await database.sql.query<{ n: unknown }>(
      {
        name: 'bench_s5_committed_since',
        text: `select count(*)::int8 as n from change_log
          where identity_pool_id = $1 and committed_at >= (
            select updated_at from identity_pool_settings where identity_pool_id = $1)`,
      },
      [options.identityPoolId],
    );
    const committed = Number(committedRows[0]?.n ?? 0);
    const drainStart = performance.now();
    while (seen.size < committed && performance.now() - drainStart < 30_000) await sleep(50);
    const drainMs = performance.now() - drainStart;
    return {
      lag: summarise(Float64Array.from(lags)),
      received: seen.size,
      committed,
      duplicates,
      backlogSlopePerS: round(slope(samples), 2),
      backlogMax: Math.max(0, ...samples.map(([, b]) => b)),
      exportRatio: committed === 0 ? 0 : round(seen.size / committed, 4),
      writeThroughput: load.throughput,
      drainMs: round(drainMs, 0),
    };
  } finally {
    await setStreamsSettings(database.db, {
      identityPoolId: options.identityPoolId,
      streams: null,
    }).catch(() => {});
    subscription.unsubscribe();
    await receiving.catch(() => {});
    await (await jetstreamManager(nc)).streams.delete(stream).catch(() => false);
    await nc.close();
    await database.close();
  }
}
