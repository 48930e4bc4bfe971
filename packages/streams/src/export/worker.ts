/**
 * The worker's stream services in one place, for apps/worker and for the embedded default
 * (apps/api runs them in its own process over PGlite): the stream export, bulk publish runs and
 * the stream table's retention.
 */
import { randomUUID } from 'node:crypto';
import { deleteExpiredStreamRecords, type ChangeFeed, type Database } from '@tandem/db';
import { BulkPublisher, type BulkPublisherOptions } from './bulk-publish.js';
import { StreamExporter, type StreamExporterOptions } from './exporter.js';
import type { WorkerLogger } from './logger.js';

type Tuning<T> = Partial<Omit<T, 'database' | 'logger' | 'holderId' | 'feed'>>;

export interface StreamWorkerOptions {
  database: Database;
  logger: WorkerLogger;
  /** In-process wake-ups; required on PGlite, where writes are not announced with NOTIFY. */
  feed?: Pick<ChangeFeed, 'subscribeAll'> | undefined;
  /** This replica's id in leases (default: a random UUID). */
  holderId?: string | undefined;
  exporter?: Tuning<StreamExporterOptions> | undefined;
  bulkPublish?: Tuning<BulkPublisherOptions> | undefined;
  /** How often expired stream table rows are deleted (default hourly). */
  retentionIntervalMs?: number | undefined;
}

export interface StreamWorker {
  exporter: StreamExporter;
  bulkPublisher: BulkPublisher;
  stop(): Promise<void>;
}

export async function startStreamWorker(options: StreamWorkerOptions): Promise<StreamWorker> {
  const { database, logger } = options;
  const holderId = options.holderId ?? randomUUID();
  const exporter = new StreamExporter({
    ...options.exporter,
    database,
    logger,
    holderId,
    feed: options.feed,
  });
  const bulkPublisher = new BulkPublisher({
    ...options.bulkPublish,
    database,
    logger,
    holderId,
  });
  const retention = async () => {
    try {
      const deleted = await deleteExpiredStreamRecords(database.db);
      if (deleted > 0) logger.info({ deleted }, 'stream table: expired records deleted');
    } catch (error) {
      logger.warn({ err: error }, 'stream table: retention failed');
    }
  };
  await exporter.start();
  bulkPublisher.start();
  void retention();
  const retentionTimer = setInterval(
    () => void retention(),
    options.retentionIntervalMs ?? 3_600_000,
  );
  retentionTimer.unref();
  return {
    exporter,
    bulkPublisher,
    async stop() {
      clearInterval(retentionTimer);
      await Promise.all([exporter.stop(), bulkPublisher.stop()]);
    },
  };
}
