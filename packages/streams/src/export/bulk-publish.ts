/**
 * Bulk publish (spec §10): sends every existing dataset of a pool, as it is now, to the pool's
 * sink, as a resumable job.
 *
 * The admin API only marks a run IN_PROGRESS (with Cognito's refusals). A worker claims it with a
 * lease, walks the pool's datasets in (identityId, name) order a page at a time, publishes each
 * page and, only after the sink acknowledged it, stores the position and the progress and renews
 * the lease in one statement fenced by holder. A worker that dies mid-run leaves the position
 * behind, and whichever worker claims the job after the lease ran out resumes from there (pages
 * published but not recorded are sent again: at least once, as Cognito's own bulk publish).
 *
 * Each dataset becomes one record with `operation: "replace"` and all its live records (the
 * granularity the spec recommends), whose dedupe key is the change's key with `/bulk` appended:
 * a consumer that deduplicates keeps both the live change and the full state.
 *
 * Failure: a sink that keeps failing for `giveUpAfterMs` ends the run FAILED with its error;
 * streaming disabled (or the configuration removed) during a run ends it FAILED at once.
 */
import {
  advanceBulkPublish,
  claimBulkPublishJob,
  countPoolDatasets,
  finishBulkPublish,
  listStreamsSettings,
  readDatasetSnapshots,
  releaseBulkPublishJob,
  type BulkPublishJob,
  type Database,
  type DatasetSnapshot,
} from '@tandem/db';
import { createSink, type CreateSinkOptions } from '../create-sink.js';
import { dedupeKey, type StreamRecord } from '../record.js';
import type { StreamSink } from '../sink.js';
import type { WorkerLogger } from './logger.js';
import { PostgresSink } from './postgres-sink.js';

export interface BulkPublisherOptions {
  database: Database;
  logger: WorkerLogger;
  holderId: string;
  /** How often to look for a run to do (default 1 s). */
  pollIntervalMs?: number | undefined;
  /** A run's lease, renewed after every page (default 60 s). */
  leaseMs?: number | undefined;
  /** Datasets per page (default 100). */
  pageSize?: number | undefined;
  /** A sink failing this long ends the run FAILED (default 10 minutes). */
  giveUpAfterMs?: number | undefined;
  retryMinMs?: number | undefined;
  retryMaxMs?: number | undefined;
  sinkOptions?: CreateSinkOptions | undefined;
  /** After each acknowledged page, before its position is stored (crash tests only). */
  afterPublish?:
    ((job: { identityPoolId: string; done: number }) => void | Promise<void>) | undefined;
}

/** The stream record of a dataset's current state. */
export function toBulkRecord(identityPoolId: string, dataset: DatasetSnapshot): StreamRecord {
  return {
    identityPoolId,
    identityId: dataset.identityId,
    datasetName: dataset.datasetName,
    dataSetName: dataset.datasetName,
    operation: 'replace',
    payloadType: 'Inline',
    kinesisSyncRecords: dataset.records.map((r) => ({ ...r, op: 'replace' as const })),
    syncCount: dataset.syncCount,
    lastModifiedDate: dataset.lastModifiedDate,
    dedupeKey: `${dedupeKey(identityPoolId, dataset.identityId, dataset.datasetName, dataset.syncCount)}/bulk`,
  };
}

/** This worker no longer holds the run (lease taken over, or the run ended meanwhile). */
class LostJobError extends Error {}
/** The worker is stopping; the run stays IN_PROGRESS and resumes from its stored position. */
class StoppedError extends Error {}

export class BulkPublisher {
  readonly #options: BulkPublisherOptions;
  #loop: Promise<void> | null = null;
  #stopping = false;
  #wake: (() => void) | null = null;

  constructor(options: BulkPublisherOptions) {
    this.#options = options;
  }

  start(): void {
    if (this.#loop) return;
    this.#stopping = false;
    this.#loop = this.#main();
  }

  /** Stops after the page in flight; the run stays IN_PROGRESS for the next worker to resume. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    this.#loop = null;
  }

  /** Looks for a run now rather than at the next poll (after a BulkPublish in this process). */
  poke(): void {
    this.#wake?.();
  }

  async #main(): Promise<void> {
    const { database, holderId, logger } = this.#options;
    const leaseMs = this.#options.leaseMs ?? 60_000;
    while (!this.#stopping) {
      try {
        const job = await claimBulkPublishJob(database.sql, { holder: holderId, leaseMs });
        if (job) {
          await this.#run(job);
          continue;
        }
      } catch (error) {
        logger.error({ err: error }, 'bulk publish: a round failed');
      }
      await this.#sleep(this.#options.pollIntervalMs ?? 1_000);
    }
  }

  async #run(job: BulkPublishJob): Promise<void> {
    const { database, holderId, logger } = this.#options;
    const leaseMs = this.#options.leaseMs ?? 60_000;
    const pageSize = this.#options.pageSize ?? 100;
    const { identityPoolId } = job;
    const settings = (await listStreamsSettings(database.db)).find(
      (s) => s.identityPoolId === identityPoolId,
    )?.streams;
    if (!settings?.enabled) {
      await finishBulkPublish(database.db, {
        identityPoolId,
        status: 'FAILED',
        failureMessage: 'Streaming was disabled before the bulk publish finished.',
      });
      return;
    }
    const sink: StreamSink =
      settings.sink.kind === 'postgres'
        ? new PostgresSink(database.sql)
        : createSink(settings.sink, this.#options.sinkOptions);
    logger.info(
      { identityPoolId, resumeAfter: job.cursor, done: job.done },
      job.cursor ? 'bulk publish resumed' : 'bulk publish started',
    );
    let { cursor, done } = job;
    try {
      // Datasets created during the run (after the cursor) are published too: the total grows.
      const total = Math.max(done, await countPoolDatasets(database.sql, identityPoolId));
      const claimed = { identityPoolId, holder: holderId, leaseMs, cursor, done, total };
      if (!(await advanceBulkPublish(database.sql, claimed))) throw new LostJobError();
      for (;;) {
        if (this.#stopping) throw new StoppedError();
        const page = await readDatasetSnapshots(database.sql, {
          identityPoolId,
          after: cursor,
          limit: pageSize,
        });
        const last = page.at(-1);
        if (!last) break;
        await this.#publishWithRetry(
          sink,
          identityPoolId,
          page.map((d) => toBulkRecord(identityPoolId, d)),
        );
        done += page.length;
        await this.#options.afterPublish?.({ identityPoolId, done });
        cursor = { identityId: last.identityId, datasetName: last.datasetName };
        const advanced = await advanceBulkPublish(database.sql, {
          identityPoolId,
          holder: holderId,
          leaseMs,
          cursor,
          done,
          total: Math.max(total, done),
        });
        if (!advanced) throw new LostJobError();
      }
      await finishBulkPublish(database.db, { identityPoolId, status: 'SUCCEEDED' });
      logger.info({ identityPoolId, datasets: done }, 'bulk publish succeeded');
    } catch (error) {
      if (error instanceof StoppedError) {
        await releaseBulkPublishJob(database.sql, { identityPoolId, holder: holderId });
        logger.info({ identityPoolId, done }, 'bulk publish paused by shutdown; it resumes later');
      } else if (error instanceof LostJobError) {
        logger.warn({ identityPoolId }, 'bulk publish: another worker took the run over');
      } else if (error instanceof GaveUpError) {
        await finishBulkPublish(database.db, {
          identityPoolId,
          status: 'FAILED',
          failureMessage: error.message,
        });
        logger.error({ identityPoolId, err: error.message }, 'bulk publish failed');
      } else {
        throw error;
      }
    } finally {
      await sink.close().catch(() => {});
    }
  }

  async #publishWithRetry(
    sink: StreamSink,
    identityPoolId: string,
    records: StreamRecord[],
  ): Promise<void> {
    const giveUpAfterMs = this.#options.giveUpAfterMs ?? 10 * 60_000;
    const minMs = this.#options.retryMinMs ?? 200;
    const maxMs = this.#options.retryMaxMs ?? 10_000;
    const firstFailure = Date.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await sink.publish(records);
        return;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (Date.now() - firstFailure >= giveUpAfterMs) {
          throw new GaveUpError(`The stream sink kept failing: ${message}`);
        }
        if (attempt === 0 || attempt % 10 === 0) {
          this.#options.logger.warn(
            { identityPoolId, attempt, err: message },
            'bulk publish: publishing failed; retrying with backoff',
          );
        }
        await this.#sleep(Math.min(minMs * 2 ** attempt, maxMs));
        if (this.#stopping) throw new StoppedError();
      }
    }
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = null;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
    });
  }
}

/** The sink kept failing past `giveUpAfterMs`: the run ends FAILED. */
class GaveUpError extends Error {}
