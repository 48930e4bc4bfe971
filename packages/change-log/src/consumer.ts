/**
 * A named, durable reader of the change log (the worker's stream export and friends build on
 * it). One round: take or renew the consumer's lease, read the next batch of committed rows in
 * commit-safe order after the checkpoint (see store.ts for the ordering rule), run the handler,
 * and only after the handler resolved move the checkpoint — fenced by the lease holder. Delivery
 * is therefore at least once: a crash, a throwing handler or a lost lease between handling and
 * checkpointing delivers the batch again; handlers dedupe by (pool, identity, dataset,
 * syncCount) or by `id`.
 *
 * Replicas of one consumer (same name) coordinate through the lease: only the holder reads and
 * handles; the others retry every round and take over when the holder releases the lease (clean
 * stop) or lets it expire (died, hung). The lease is renewed every round, so `leaseMs` must be
 * longer than the slowest batch; a holder whose lease ran out mid-batch cannot write its
 * checkpoint, and its successor delivers that batch again.
 *
 * Wake-ups: LISTEN on the change feed's NOTIFY channel (other processes' writes on PostgreSQL)
 * and, optionally, the in-process ChangeFeed (the embedded PGlite server, where writes are not
 * announced with NOTIFY). Polling every `pollIntervalMs` is the fallback for lost hints. A
 * row whose NOTIFY came while an older transaction (in any database of the cluster) was still
 * open cannot be read yet; the consumer then re-reads every 20 ms, backing off to 500 ms, until
 * it can, instead of waiting for the next poll.
 */
import { randomUUID } from 'node:crypto';
import { CHANGE_CHANNEL, type ChangeFeed, type Database } from '@tandem/db';
import {
  acquireLease,
  readCommittedBatch,
  hasHeldBackRows,
  releaseLease,
  saveCheckpoint,
  type ChangeLogEntry,
} from './store.js';

export interface ChangeLogConsumerOptions {
  database: Database;
  /** Consumers with the same name share one checkpoint and one lease. */
  name: string;
  /** Only this pool's changes (the default: every pool's). */
  identityPoolId?: string | undefined;
  /** Handles one batch, in commit-safe order; the checkpoint moves only after it resolves. */
  handler: (batch: ChangeLogEntry[]) => Promise<void>;
  /** Rows per batch (default 100). */
  batchSize?: number | undefined;
  /** Fallback poll interval (default 1,000 ms); also how often a non-holder tries the lease. */
  pollIntervalMs?: number | undefined;
  /** Lease length (default 30,000 ms); renewed every round, at least every leaseMs / 3. */
  leaseMs?: number | undefined;
  /** This replica's id (default: a random UUID). */
  holderId?: string | undefined;
  /** In-process wake-ups (needed on PGlite, where the feed does not NOTIFY). */
  feed?: Pick<ChangeFeed, 'subscribeAll'> | undefined;
  /**
   * Errors of a round (database, handler). The round is retried after a pause that doubles per
   * consecutive failure, from `retryMinMs` (default 200) up to `retryMaxMs` (default 30 s, at
   * most leaseMs / 3 so the holder keeps its lease); wake-ups do not cut it short, so a failing
   * sink is not hammered by every write.
   */
  onError?: ((error: unknown) => void) | undefined;
  retryMinMs?: number | undefined;
  retryMaxMs?: number | undefined;
}

const HELD_BACK_FIRST_DELAY_MS = 20;
const HELD_BACK_MAX_DELAY_MS = 500;

export class ChangeLogConsumer {
  readonly holderId: string;
  readonly #options: ChangeLogConsumerOptions;
  readonly #batchSize: number;
  readonly #sleepMs: number;
  readonly #leaseMs: number;
  #loop: Promise<void> | null = null;
  #stopping = false;
  #woken = false;
  #wake: (() => void) | null = null;
  #holding = false;
  /** Rows were waiting on an unfinished transaction at the last read; retry delay in ms. */
  #heldBack = false;
  #heldBackDelayMs = HELD_BACK_FIRST_DELAY_MS;
  #failures = 0;
  readonly #retryMinMs: number;
  readonly #retryMaxMs: number;
  #unlisten: (() => Promise<void>) | null = null;
  #unsubscribeFeed: (() => void) | null = null;

  constructor(options: ChangeLogConsumerOptions) {
    this.#options = options;
    this.holderId = options.holderId ?? randomUUID();
    this.#batchSize = options.batchSize ?? 100;
    this.#leaseMs = options.leaseMs ?? 30_000;
    this.#sleepMs = Math.min(options.pollIntervalMs ?? 1_000, this.#leaseMs / 3);
    this.#retryMaxMs = Math.min(options.retryMaxMs ?? 30_000, this.#leaseMs / 3);
    this.#retryMinMs = Math.min(options.retryMinMs ?? 200, this.#retryMaxMs);
  }

  /** Whether this replica held the lease at its last round. */
  get holdsLease(): boolean {
    return this.#holding;
  }

  /** Starts listening and the background loop; resolves once started. */
  async run(): Promise<void> {
    if (this.#loop) return;
    this.#stopping = false;
    try {
      this.#unlisten = await this.#options.database.listen(CHANGE_CHANNEL, () => this.#poke());
    } catch (error) {
      // No LISTEN connection: polling still delivers everything, only later.
      this.#options.onError?.(error);
    }
    this.#unsubscribeFeed = this.#options.feed?.subscribeAll(() => this.#poke()) ?? null;
    this.#loop = this.#main();
  }

  /**
   * Stops after the in-flight batch (handled and checkpointed, or abandoned if it failed) and
   * releases the lease so another replica takes over at once. `releaseLease: false` leaves the
   * lease to expire, as a crashed replica would.
   */
  async stop(options: { releaseLease?: boolean } = {}): Promise<void> {
    if (!this.#loop) return;
    this.#stopping = true;
    this.#poke();
    await this.#loop;
    this.#loop = null;
    this.#unsubscribeFeed?.();
    this.#unsubscribeFeed = null;
    await this.#unlisten?.().catch(() => {});
    this.#unlisten = null;
    if (options.releaseLease !== false && this.#holding) {
      await releaseLease(this.#options.database, {
        name: this.#options.name,
        holder: this.holderId,
      }).catch((error: unknown) => this.#options.onError?.(error));
    }
    this.#holding = false;
  }

  async #main(): Promise<void> {
    while (!this.#stopping) {
      let more: boolean;
      try {
        more = await this.#round();
        this.#failures = 0;
      } catch (error) {
        this.#failures++;
        this.#options.onError?.(error);
        if (!this.#stopping) await this.#pause(this.#retryDelayMs());
        continue;
      }
      if (!more && !this.#stopping) await this.#sleep();
    }
  }

  /** One round; true when a full batch was handled (more may be waiting). */
  async #round(): Promise<boolean> {
    this.#woken = false;
    const { database, name } = this.#options;
    const checkpoint = await acquireLease(database, {
      name,
      holder: this.holderId,
      leaseMs: this.#leaseMs,
    });
    this.#holding = checkpoint !== null;
    if (!checkpoint) return false;
    const { identityPoolId } = this.#options;
    const batch = await readCommittedBatch(
      database.sql,
      checkpoint,
      this.#batchSize,
      identityPoolId,
    );
    const last = batch.at(-1);
    if (batch.length < this.#batchSize) {
      this.#heldBack = await hasHeldBackRows(database.sql, identityPoolId);
    }
    if (!last) return false;
    await this.#options.handler(batch);
    const saved = await saveCheckpoint(database, {
      name,
      holder: this.holderId,
      to: { txId: last.txId, id: last.id },
    });
    if (!saved) {
      // Fenced: the lease expired mid-batch and the next holder delivers this batch again.
      this.#holding = false;
      return false;
    }
    return batch.length === this.#batchSize;
  }

  #sleep(): Promise<void> {
    if (this.#woken) return Promise.resolve();
    // A row committed behind an unfinished transaction announced itself already; its NOTIFY
    // will not come again, so look again soon (backing off) instead of waiting for the poll.
    let sleepMs = this.#sleepMs;
    if (this.#heldBack) {
      sleepMs = Math.min(this.#heldBackDelayMs, this.#sleepMs);
      this.#heldBackDelayMs = Math.min(this.#heldBackDelayMs * 2, HELD_BACK_MAX_DELAY_MS);
    } else {
      this.#heldBackDelayMs = HELD_BACK_FIRST_DELAY_MS;
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, sleepMs);
      this.#wake = done;
    });
  }

  #retryDelayMs(): number {
    const base = Math.min(
      this.#retryMinMs * 2 ** Math.min(this.#failures - 1, 20),
      this.#retryMaxMs,
    );
    return base * (0.75 + Math.random() * 0.25); // jitter: replicas do not retry in step
  }

  /** Sleeps `ms`, cut short only by stop(). */
  #pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = () => {
        if (this.#stopping) done();
      };
    });
  }

  #poke(): void {
    this.#woken = true;
    this.#wake?.();
  }
}
