import {
  KinesisClient,
  PutRecordsCommand,
  type KinesisClientConfig,
  type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { StreamRecord } from './record.js';
import { DEFAULT_TIMEOUT_MS, SinkError, type StreamSink } from './sink.js';

export interface KinesisSinkSettings {
  streamName: string;
  region: string;
  /** Custom endpoint (kinesalite, LocalStack, a VPC endpoint); AWS's own when absent. */
  endpoint?: string | undefined;
}

export interface KinesisSinkOptions {
  /** Bounds the TCP connect and each request. */
  timeoutMs?: number;
  /** Explicit credentials; the AWS default provider chain when absent. */
  credentials?: KinesisClientConfig['credentials'];
  /** PutRecords rounds in one publish that may leave entries failed before it gives up. */
  maxRounds?: number;
}

const ENGINE = 'kinesis';
/** PutRecords limits: 500 entries, 5 MiB per request; 1 MiB per record (data + key). */
const MAX_ENTRIES = 500;
const MAX_REQUEST_BYTES = 5 * 1024 * 1024;
const MAX_RECORD_BYTES = 1024 * 1024;

/** Orders hold per partition key: one dataset of one identity. */
export const kinesisPartitionKey = (record: StreamRecord) =>
  `${record.identityId}/${record.datasetName}`;

/** Error names (and per-entry error codes) a retry cannot fix without a configuration change. */
const PERMANENT = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'ValidationException',
  'InvalidArgumentException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'MissingAuthenticationTokenException',
]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Amazon Kinesis Data Streams (or kinesalite). Records go out with PutRecords, the partition key
 * being `<identityId>/<dataset>`, so they land on one shard in order per dataset. A batch holds
 * at most one record per partition key, and only the entries that failed are sent again, so a
 * retry can never put a later record of a key before an earlier one. Durability: a successful
 * entry is stored by Kinesis (replicated across three availability zones) before the response.
 * Duplicates: Kinesis has no dedupe — a replay appends again; consumers drop records whose
 * `dedupeKey` they already saw.
 */
export class KinesisSink implements StreamSink {
  readonly #settings: KinesisSinkSettings;
  readonly #client: KinesisClient;
  readonly #maxRounds: number;
  #closed = false;

  constructor(settings: KinesisSinkSettings, options: KinesisSinkOptions = {}) {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#settings = settings;
    this.#maxRounds = options.maxRounds ?? 5;
    this.#client = new KinesisClient({
      region: settings.region,
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
      // HTTP/1.1 (kinesalite rejects HTTP/2); without throwOnRequestTimeout a timeout only warns.
      requestHandler: new NodeHttpHandler({
        connectionTimeout: timeoutMs,
        requestTimeout: timeoutMs,
        throwOnRequestTimeout: true,
      }),
      maxAttempts: 2,
    });
  }

  async publish(records: readonly StreamRecord[]): Promise<void> {
    if (this.#closed) throw new SinkError(ENGINE, 'sink is closed', { retryable: false });
    const encoder = new TextEncoder();
    // One queue per partition key, in the given order.
    const queues = new Map<string, PutRecordsRequestEntry[]>();
    for (const record of records) {
      const PartitionKey = kinesisPartitionKey(record);
      const Data = encoder.encode(JSON.stringify(record));
      if (Data.byteLength + encoder.encode(PartitionKey).byteLength > MAX_RECORD_BYTES) {
        throw new SinkError(ENGINE, `record ${record.dedupeKey} exceeds Kinesis's 1 MiB limit`, {
          retryable: false,
        });
      }
      const queue = queues.get(PartitionKey);
      if (queue) queue.push({ PartitionKey, Data });
      else queues.set(PartitionKey, [{ PartitionKey, Data }]);
    }

    let failedRounds = 0;
    let lastFailure = '';
    while (queues.size > 0) {
      // The head of each key's queue, up to the request limits.
      const batch: PutRecordsRequestEntry[] = [];
      let bytes = 0;
      for (const queue of queues.values()) {
        const head = queue[0];
        if (!head) continue;
        const size = (head.Data?.byteLength ?? 0) + (head.PartitionKey?.length ?? 0) * 4;
        if (batch.length === MAX_ENTRIES || (batch.length > 0 && bytes + size > MAX_REQUEST_BYTES))
          break;
        batch.push(head);
        bytes += size;
      }

      const results = await this.#putRecords(batch);
      let progressed = false;
      results.forEach((result, i) => {
        const entry = batch[i];
        if (!entry?.PartitionKey) return;
        if (result.ErrorCode) {
          if (PERMANENT.has(result.ErrorCode)) {
            throw new SinkError(ENGINE, `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`, {
              retryable: false,
            });
          }
          lastFailure = `${result.ErrorCode}: ${result.ErrorMessage ?? ''}`;
          return;
        }
        progressed = true;
        const queue = queues.get(entry.PartitionKey);
        queue?.shift();
        if (queue?.length === 0) queues.delete(entry.PartitionKey);
      });
      if (queues.size === 0) break;
      if (!progressed || results.some((r) => r.ErrorCode)) {
        failedRounds++;
        if (failedRounds >= this.#maxRounds) {
          throw new SinkError(
            ENGINE,
            `entries still failing after ${failedRounds} rounds: ${lastFailure}`,
            {
              retryable: true,
            },
          );
        }
        // Throttled (ProvisionedThroughputExceeded) or InternalFailure: back off, with jitter.
        await sleep(Math.min(100 * 2 ** failedRounds, 2_000) * (0.5 + Math.random() / 2));
      }
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#client.destroy();
  }

  async #putRecords(batch: PutRecordsRequestEntry[]) {
    try {
      const response = await this.#client.send(
        new PutRecordsCommand({ StreamName: this.#settings.streamName, Records: batch }),
      );
      const results = response.Records ?? [];
      if (results.length !== batch.length) {
        throw new SinkError(ENGINE, 'PutRecords answered a different number of entries', {
          retryable: true,
        });
      }
      return results;
    } catch (error) {
      if (error instanceof SinkError) throw error;
      const name = error instanceof Error ? error.name : '';
      const message = error instanceof Error ? error.message : String(error);
      throw new SinkError(
        ENGINE,
        `PutRecords to ${this.#settings.streamName}: ${name}: ${message}`,
        {
          retryable: !PERMANENT.has(name),
          cause: error,
        },
      );
    }
  }
}
