import { Redis } from 'ioredis';
import type { StreamRecord } from './record.js';
import { DEFAULT_TIMEOUT_MS, publishPerDataset, SinkError, type StreamSink } from './sink.js';

export interface RedisSinkSettings {
  host: string;
  port: number;
  /** Redis stream key. */
  stream: string;
}

export interface RedisSinkOptions {
  /** Bounds the connect and each command (including commands already sent). */
  timeoutMs?: number;
  /** Approximate cap on the stream's length (`XADD … MAXLEN ~`). */
  maxLength?: number;
  /** How long a dedupe key is remembered; replays after that are appended again. */
  dedupeTtlMs?: number;
  /** Datasets published at once (each dataset's records stay sequential). */
  concurrency?: number;
}

const ENGINE = 'redis';

/**
 * Append once: if the dedupe key exists, return the entry id it recorded; otherwise XADD (with
 * an approximate MAXLEN) and remember the new id under the dedupe key. One script, so a replay
 * (even of an XADD whose reply timed out but which was applied) can never append twice while the
 * dedupe key lives. KEYS: stream, dedupe key. ARGV: max length, ttl ms, field, value, ….
 */
const APPEND_ONCE = `
local existing = redis.call('GET', KEYS[2])
if existing then return {0, existing} end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', unpack(ARGV, 3))
redis.call('SET', KEYS[2], id, 'PX', ARGV[2])
return {1, id}
`;

/**
 * The hash tag Redis Cluster would hash `key` by (its first non-empty `{…}`, else the whole
 * key), so a companion key `{<tag>}…` lands in the same slot as `key`.
 */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  if (open !== -1) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) return key.slice(open + 1, close);
  }
  return key;
}

/** The dedupe key of a record, hash-tagged to share the stream key's slot. */
export function redisDedupeKey(stream: string, record: StreamRecord): string {
  return `{${hashTag(stream)}}:tandem-dedupe:${record.dedupeKey}`;
}

type AppendOnce = (
  stream: string,
  dedupe: string,
  maxLength: number,
  ttlMs: number,
  ...fields: string[]
) => Promise<[number, string]>;

/**
 * Redis Streams. Each record is one stream entry with fields `dedupeKey` and `record` (the JSON),
 * appended by the dedupe-then-XADD script above. Durability: the reply means the entry is in the
 * server's memory (and, with `appendonly yes` + `appendfsync always`, fsynced to its AOF before
 * the reply; with `everysec` up to a second can be lost; without persistence — as on this
 * development machine — a restart loses everything). Replicas are not waited for. Duplicates:
 * dropped while the dedupe key lives (`dedupeTtlMs`, 1 hour by default). Order: one dataset's
 * records are appended one at a time, so stream order follows sync-count order per dataset.
 */
export class RedisSink implements StreamSink {
  readonly #settings: RedisSinkSettings;
  readonly #redis: Redis;
  readonly #maxLength: number;
  readonly #dedupeTtlMs: number;
  readonly #concurrency: number;
  #lastError: Error | undefined;
  #closed = false;

  constructor(settings: RedisSinkSettings, options: RedisSinkOptions = {}) {
    const { host, port, stream } = settings;
    if (hashTag(stream) === stream && stream.includes('}')) {
      throw new SinkError(ENGINE, `stream key ${stream} cannot be hash-tagged (it has a "}")`, {
        retryable: false,
      });
    }
    this.#settings = settings;
    this.#maxLength = options.maxLength ?? 1_000_000;
    this.#dedupeTtlMs = options.dedupeTtlMs ?? 60 * 60 * 1000;
    this.#concurrency = options.concurrency ?? 16;
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // Fail fast instead of queueing: without these a write to a dead server waits ~74 s.
    this.#redis = new Redis({
      host,
      port,
      lazyConnect: true,
      connectTimeout: timeoutMs,
      commandTimeout: timeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (times) => Math.min(times * 200, 2_000),
    });
    // Without a listener, a connection error event would crash the process.
    this.#redis.on('error', (error: Error) => {
      this.#lastError = error;
    });
    this.#redis.defineCommand('tandemAppendOnce', { numberOfKeys: 2, lua: APPEND_ONCE });
  }

  async publish(records: readonly StreamRecord[]): Promise<void> {
    if (this.#closed) throw new SinkError(ENGINE, 'sink is closed', { retryable: false });
    if (records.length === 0) return;
    const { stream } = this.#settings;
    try {
      await this.#connect();
      const appendOnce = (this.#redis as unknown as { tandemAppendOnce: AppendOnce })
        .tandemAppendOnce;
      await publishPerDataset(records, this.#concurrency, async (record) => {
        await appendOnce.call(
          this.#redis,
          stream,
          redisDedupeKey(stream, record),
          this.#maxLength,
          this.#dedupeTtlMs,
          'dedupeKey',
          record.dedupeKey,
          'record',
          JSON.stringify(record),
        );
      });
    } catch (error) {
      throw this.#toSinkError(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#redis.status === 'ready') await this.#redis.quit().catch(() => undefined);
    this.#redis.disconnect();
  }

  async #connect(): Promise<void> {
    // `wait`: never connected (lazyConnect); `end`: gave up. Otherwise ioredis is connected or
    // reconnecting by itself, and commands fail at once until it is back.
    if (this.#redis.status === 'wait' || this.#redis.status === 'end') await this.#redis.connect();
  }

  #toSinkError(error: unknown): SinkError {
    if (error instanceof SinkError) return error;
    const text = error instanceof Error ? error.message : String(error);
    // Server-side rejections that a retry cannot fix: wrong key type, no permission, bad config,
    // out of memory with noeviction (needs an operator too). Everything else — refused or lost
    // connections, timeouts, LOADING, BUSY, READONLY during a failover — is transient.
    const permanent = /^(WRONGTYPE|NOPERM|NOAUTH|WRONGPASS|ERR|OOM)\b/u.test(text);
    const detail = this.#lastError && !permanent ? ` (${this.#lastError.message})` : '';
    return new SinkError(ENGINE, `append to ${this.#settings.stream}: ${text}${detail}`, {
      retryable: !permanent,
      cause: error,
    });
  }
}
