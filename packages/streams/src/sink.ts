import type { StreamRecord } from './record.js';
import { datasetKey } from './record.js';

/**
 * A stream engine records are published to. Delivery is at least once: a caller marks records
 * exported only after `publish` resolved, and replays them (same dedupe keys) after a failure.
 */
export interface StreamSink {
  /**
   * Resolves once the engine acknowledged every record (how durable that is depends on the
   * engine: see each sink). Records of one dataset (pool, identity, dataset) are appended in the
   * order given; records of different datasets may be appended in any order. Rejects with a
   * `SinkError` otherwise; some records may then have been appended (replay them all).
   */
  publish(records: readonly StreamRecord[]): Promise<void>;
  /** Releases connections; the sink must not be used afterwards. */
  close(): Promise<void>;
}

/**
 * Publishing failed. `retryable`: the engine was unreachable, slow, throttled or failing
 * transiently, so the same publish may succeed later. Not retryable: the configuration, the
 * permissions or the data are wrong (missing stream, conflicting stream config, record too
 * large), and retrying cannot help until someone changes something.
 */
export class SinkError extends Error {
  override name = 'SinkError';
  readonly retryable: boolean;
  readonly engine: string;
  constructor(engine: string, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(`${engine}: ${message}`, options.cause === undefined ? {} : { cause: options.cause });
    this.engine = engine;
    this.retryable = options.retryable;
  }
}

/** Default bound on how long one engine operation (connect, append) may take. */
export const DEFAULT_TIMEOUT_MS = 5_000;

/** Records grouped per dataset, each group in the given order, groups in first-seen order. */
export function groupByDataset(records: readonly StreamRecord[]): StreamRecord[][] {
  const groups = new Map<string, StreamRecord[]>();
  for (const record of records) {
    const key = datasetKey(record);
    const group = groups.get(key);
    if (group) group.push(record);
    else groups.set(key, [record]);
  }
  return [...groups.values()];
}

/**
 * Publishes each dataset's records one after the other (the next only after the previous was
 * acknowledged, so a failure cannot leave a gap that a later record fills), up to `concurrency`
 * datasets at once. Waits for every started group, then rethrows the first failure.
 */
export async function publishPerDataset(
  records: readonly StreamRecord[],
  concurrency: number,
  publishOne: (record: StreamRecord) => Promise<void>,
): Promise<void> {
  const groups = groupByDataset(records);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const lane = async () => {
    while (failure === undefined && next < groups.length) {
      const group = groups[next++] ?? [];
      try {
        for (const record of group) await publishOne(record);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, groups.length) }, lane));
  if (failure) throw failure.error;
}
