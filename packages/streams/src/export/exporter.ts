/**
 * The stream export (Cognito Streams): every committed change of a pool whose streaming is
 * enabled goes to the pool's sink, at least once, in sync-count order per dataset.
 *
 * One change-log consumer per pool (`streams/<poolId>`), so a failing sink holds up only its own
 * pool, and never a sync: syncs only append to the change log. A batch is published, and the
 * checkpoint moves only after the sink acknowledged it; a crash or failure in between replays
 * the batch (same dedupe keys). Replicas of the worker share each pool's lease, so one exports
 * a pool at a time and another takes over when it stops or dies.
 *
 * The exporter follows the settings: every `reconcileIntervalMs` it starts exports for newly
 * enabled pools, swaps the sink when a pool's sink settings changed and stops disabled ones.
 * Every `healthIntervalMs` it writes each pool's health (healthy / failing with the last error /
 * disabled) and backlog, which the admin API and the console show.
 */
import { ChangeLogConsumer, countBacklog, type ChangeLogEntry } from '@tandem/change-log';
import {
  listStreamsSettings,
  setStreamsHealth,
  streamExportConsumerName,
  type ChangeFeed,
  type Database,
} from '@tandem/db';
import type { StreamsHealth, StreamsSettings } from '@tandem/sync-protocol';
import { createSink, type CreateSinkOptions, type SinkSettings } from '../create-sink.js';
import { toStreamRecord } from '../record.js';
import type { StreamSink } from '../sink.js';
import { PostgresSink } from './postgres-sink.js';
import type { WorkerLogger } from './logger.js';

export interface StreamExporterOptions {
  database: Database;
  /** In-process wake-ups (needed on PGlite, where writes are not announced with NOTIFY). */
  feed?: Pick<ChangeFeed, 'subscribeAll'> | undefined;
  logger: WorkerLogger;
  /** This replica's id in the consumers' leases. */
  holderId: string;
  batchSize?: number | undefined;
  pollIntervalMs?: number | undefined;
  leaseMs?: number | undefined;
  reconcileIntervalMs?: number | undefined;
  healthIntervalMs?: number | undefined;
  retryMaxMs?: number | undefined;
  sinkOptions?: CreateSinkOptions | undefined;
  /**
   * Called after the sink acknowledged a batch and before its checkpoint is written: the window
   * the crash tests aim at (apps/worker's failpoint). Not for production use.
   */
  afterPublish?: ((batch: readonly ChangeLogEntry[]) => void) | undefined;
}

interface PoolExport {
  identityPoolId: string;
  settingsKey: string;
  sink: StreamSink;
  consumer: ChangeLogConsumer;
  lastError: string | null;
  /** Consecutive failed batches; 0 after a success. */
  failures: number;
  lastReported: string | null;
  lastReportedAt: number;
}

export class StreamExporter {
  readonly #options: StreamExporterOptions;
  readonly #exports = new Map<string, PoolExport>();
  #timers: NodeJS.Timeout[] = [];
  #reconciling: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: StreamExporterOptions) {
    this.#options = options;
  }

  /** Pools being exported by this replica (whether or not it holds their lease now). */
  get pools(): string[] {
    return [...this.#exports.keys()];
  }

  async start(): Promise<void> {
    this.#stopped = false;
    await this.reconcile();
    const reconcileMs = this.#options.reconcileIntervalMs ?? 2_000;
    const healthMs = this.#options.healthIntervalMs ?? 2_000;
    this.#timers = [
      setInterval(() => void this.reconcile(), reconcileMs),
      setInterval(() => void this.#reportHealth(), healthMs),
    ];
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const timer of this.#timers) clearInterval(timer);
    this.#timers = [];
    await this.#reconciling;
    await Promise.all([...this.#exports.values()].map((e) => this.#stopExport(e)));
    this.#exports.clear();
  }

  /** Brings the running exports in line with the pools' settings (also run periodically). */
  reconcile(): Promise<void> {
    this.#reconciling = this.#reconciling
      .then(() => this.#reconcileOnce())
      .catch((error) => {
        this.#options.logger.error({ err: error }, 'stream export: reading the settings failed');
      });
    return this.#reconciling;
  }

  async #reconcileOnce(): Promise<void> {
    if (this.#stopped) return;
    const configured = await listStreamsSettings(this.#options.database.db);
    const wanted = new Map<string, StreamsSettings>();
    // DISABLED pools need nothing: saving the settings already reported them as disabled.
    for (const { identityPoolId, streams } of configured) {
      if (streams.enabled) wanted.set(identityPoolId, streams);
    }
    for (const [poolId, running] of this.#exports) {
      const settings = wanted.get(poolId);
      if (!settings || JSON.stringify(settings.sink) !== running.settingsKey) {
        this.#exports.delete(poolId);
        await this.#stopExport(running);
      }
    }
    for (const [poolId, settings] of wanted) {
      if (this.#stopped || this.#exports.has(poolId)) continue;
      const started = this.#startExport(poolId, settings.sink);
      this.#exports.set(poolId, started);
      await started.consumer.run();
    }
  }

  #startExport(identityPoolId: string, sinkSettings: SinkSettings): PoolExport {
    const o = this.#options;
    const sink =
      sinkSettings.kind === 'postgres'
        ? new PostgresSink(o.database.sql)
        : createSink(sinkSettings, o.sinkOptions);
    const state: PoolExport = {
      identityPoolId,
      settingsKey: JSON.stringify(sinkSettings),
      sink,
      lastError: null,
      failures: 0,
      lastReported: null,
      lastReportedAt: 0,
      consumer: new ChangeLogConsumer({
        database: o.database,
        name: streamExportConsumerName(identityPoolId),
        identityPoolId,
        holderId: o.holderId,
        batchSize: o.batchSize ?? 256,
        pollIntervalMs: o.pollIntervalMs,
        leaseMs: o.leaseMs,
        retryMaxMs: o.retryMaxMs,
        feed: o.feed,
        handler: async (batch) => {
          await sink.publish(batch.map(toStreamRecord));
          o.afterPublish?.(batch);
          if (state.failures > 0) {
            o.logger.info({ identityPoolId }, 'stream export: the sink recovered');
          }
          state.failures = 0;
          state.lastError = null;
        },
        onError: (error) => {
          state.failures++;
          state.lastError = error instanceof Error ? error.message : String(error);
          // Log the first failure and then every 10th, not every retry of an outage.
          if (state.failures === 1 || state.failures % 10 === 0) {
            o.logger.warn(
              { identityPoolId, failures: state.failures, err: state.lastError },
              'stream export: publishing failed; retrying with backoff',
            );
          }
        },
      }),
    };
    o.logger.info({ identityPoolId, sink: sinkSettings.kind }, 'stream export started');
    return state;
  }

  async #stopExport(running: PoolExport): Promise<void> {
    await running.consumer.stop();
    await running.sink.close().catch(() => {});
  }

  async #reportHealth(): Promise<void> {
    const { database, logger } = this.#options;
    try {
      for (const running of [...this.#exports.values()]) {
        if (!running.consumer.holdsLease) continue; // the holder reports
        const backlog = await countBacklog(database.sql, {
          name: streamExportConsumerName(running.identityPoolId),
          identityPoolId: running.identityPoolId,
        });
        await this.#report(running, {
          status: running.failures > 0 ? 'failing' : 'healthy',
          backlog,
          lastError: running.lastError,
        });
      }
    } catch (error) {
      logger.warn({ err: error }, 'stream export: writing the health failed');
    }
  }

  async #report(running: PoolExport, health: Omit<StreamsHealth, 'checkedAt'>): Promise<void> {
    // Written when it changed, else at most every 10 s (so checkedAt shows the worker is alive).
    const key = JSON.stringify(health);
    if (key === running.lastReported && Date.now() - running.lastReportedAt < 10_000) return;
    await setStreamsHealth(this.#options.database.db, running.identityPoolId, {
      ...health,
      checkedAt: Date.now(),
    });
    running.lastReported = key;
    running.lastReportedAt = Date.now();
  }
}
