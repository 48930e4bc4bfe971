import {
  jetstream,
  jetstreamManager,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
} from '@nats-io/jetstream';
import { AuthorizationError, connect, type NatsConnection } from '@nats-io/transport-node';
import type { StreamRecord } from './record.js';
import { DEFAULT_TIMEOUT_MS, publishPerDataset, SinkError, type StreamSink } from './sink.js';

export interface NatsSinkSettings {
  host: string;
  port: number;
  /** JetStream stream (created if missing, subjects `<subjectPrefix>.>`). */
  stream: string;
  subjectPrefix: string;
}

export interface NatsSinkOptions {
  /** Bounds the connect and each publish's wait for its PubAck. */
  timeoutMs?: number;
  /** Datasets published at once (each dataset's records stay sequential). */
  concurrency?: number;
}

/**
 * A subject token for an id or dataset name: `.` (the token separator), `*` and `>`
 * (wildcards), whitespace and `%` are percent-encoded. Dataset names may contain `.`.
 */
export const subjectToken = (part: string) =>
  part.replace(
    /[%.*>\s]/gu,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );

/** `<subjectPrefix>.<poolId>.<dataset>`, tokens encoded by `subjectToken`. */
export const natsSubject = (subjectPrefix: string, record: StreamRecord) =>
  `${subjectPrefix}.${subjectToken(record.identityPoolId)}.${subjectToken(record.datasetName)}`;

const ENGINE = 'nats';

function toSinkError(error: unknown, context: string): SinkError {
  if (error instanceof SinkError) return error;
  const message = `${context}: ${error instanceof Error ? error.message : String(error)}`;
  // Refused credentials and JetStream API rejections (conflicting stream config 10058,
  // overlapping subjects 10065, bad names) need someone to change something; everything else
  // (refused or lost connection, timeouts, no responders while a server restarts) is transient.
  const retryable = !(error instanceof AuthorizationError || error instanceof JetStreamApiError);
  return new SinkError(ENGINE, message, { retryable, cause: error });
}

/**
 * NATS JetStream. Each record goes to `<subjectPrefix>.<poolId>.<dataset>` with the record's
 * dedupe key as `Nats-Msg-Id`; `publish` awaits every PubAck. Durability: a PubAck means the
 * stream stored the message (with replicas, a quorum did); NATS 2.9 acknowledges before fsync
 * (file storage syncs every 2 minutes by default), so a server crash can lose acknowledged
 * messages unless `sync_interval: always` is set on newer servers. Duplicates: JetStream drops a
 * re-publish with the same msg id within the stream's `duplicate_window` (2 minutes by default)
 * and acknowledges it with `duplicate: true`; replays after longer reach consumers twice
 * (consumers dedupe on `dedupeKey`). Order: one dataset's records are published one at a time.
 */
export class NatsSink implements StreamSink {
  readonly #settings: NatsSinkSettings;
  readonly #timeoutMs: number;
  readonly #concurrency: number;
  #connection: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined;
  #closed = false;

  constructor(settings: NatsSinkSettings, options: NatsSinkOptions = {}) {
    this.#settings = settings;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#concurrency = options.concurrency ?? 16;
  }

  async publish(records: readonly StreamRecord[]): Promise<void> {
    if (this.#closed) throw new SinkError(ENGINE, 'sink is closed', { retryable: false });
    if (records.length === 0) return;
    const { js } = await this.#connect();
    const encoder = new TextEncoder();
    try {
      await publishPerDataset(records, this.#concurrency, async (record) => {
        await js.publish(
          natsSubject(this.#settings.subjectPrefix, record),
          encoder.encode(JSON.stringify(record)),
          { msgID: record.dedupeKey, timeout: this.#timeoutMs },
        );
      });
    } catch (error) {
      throw toSinkError(error, 'publish');
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    const connection = this.#connection;
    this.#connection = undefined;
    const nc = await connection?.then((c) => c.nc).catch(() => undefined);
    if (nc && !nc.isClosed()) await nc.close();
  }

  /** The live connection, made (and the stream ensured) on first use and after it closed. */
  #connect(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const current = this.#connection;
    if (current) {
      return current.then(
        (c) => (c.nc.isClosed() ? this.#reconnect(current) : c),
        () => this.#reconnect(current),
      );
    }
    return this.#reconnect(undefined);
  }

  #reconnect(
    stale: Promise<{ nc: NatsConnection; js: JetStreamClient }> | undefined,
  ): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    if (this.#connection !== stale && this.#connection) return this.#connect();
    const attempt = this.#open();
    this.#connection = attempt;
    // A failed attempt is dropped so the next publish tries again.
    attempt.catch(() => {
      if (this.#connection === attempt) this.#connection = undefined;
    });
    return attempt;
  }

  async #open(): Promise<{ nc: NatsConnection; js: JetStreamClient }> {
    const { host, port } = this.#settings;
    let nc: NatsConnection;
    try {
      // Never `waitOnFirstConnect` (connect() would then not resolve while the server is down);
      // after a first connection the client reconnects by itself, and publishes during an
      // outage time out and are retried by the caller with the same msg ids.
      nc = await connect({
        servers: `${host}:${port}`,
        timeout: this.#timeoutMs,
        name: 'tandem-streams',
      });
    } catch (error) {
      throw toSinkError(error, `connect to ${host}:${port}`);
    }
    try {
      await this.#ensureStream(nc);
      return { nc, js: jetstream(nc, { timeout: this.#timeoutMs }) };
    } catch (error) {
      await nc.close().catch(() => undefined);
      throw toSinkError(error, `ensure stream ${this.#settings.stream}`);
    }
  }

  /** Creates the stream, or adds `<subjectPrefix>.>` to an existing stream's subjects. */
  async #ensureStream(nc: NatsConnection): Promise<void> {
    const { stream, subjectPrefix } = this.#settings;
    const subject = `${subjectPrefix}.>`;
    const jsm = await jetstreamManager(nc, { timeout: this.#timeoutMs });
    try {
      const info = await jsm.streams.info(stream);
      if (info.config.subjects?.includes(subject)) return;
      await jsm.streams.update(stream, { subjects: [...(info.config.subjects ?? []), subject] });
    } catch (error) {
      if (!(
        error instanceof JetStreamApiError && error.code === JetStreamApiCodes.StreamNotFound
      )) {
        throw error;
      }
      await jsm.streams.add({ name: stream, subjects: [subject] });
    }
  }
}
