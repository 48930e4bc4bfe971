import { appendStreamRecords, type SqlRunner } from '@tandem/db';
import type { StreamRecord } from '../record.js';
import { SinkError, type StreamSink } from '../sink.js';

/**
 * The embedded default sink: the `stream_record` table of Tandem's own database, read through
 * the admin API (`admin.identityPool.streamRecords`). One statement appends a whole batch in
 * order; the table's unique (pool, dedupe key) drops replays, so each change is stored once.
 * Acknowledged means committed, as durable as the change itself.
 */
export class PostgresSink implements StreamSink {
  readonly #sql: SqlRunner;

  constructor(sql: SqlRunner) {
    this.#sql = sql;
  }

  async publish(records: readonly StreamRecord[]): Promise<void> {
    try {
      await appendStreamRecords(
        this.#sql,
        records.map((record) => ({
          identityPoolId: record.identityPoolId,
          dedupeKey: record.dedupeKey,
          record,
        })),
      );
    } catch (error) {
      throw new SinkError('postgres', error instanceof Error ? error.message : String(error), {
        retryable: true,
        cause: error,
      });
    }
  }

  async close(): Promise<void> {}
}
