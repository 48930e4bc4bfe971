/**
 * Wake-ups for committed changes: the live channel (and, later, the worker and push) subscribe
 * here instead of polling. A writer publishes each change after its transaction committed; the
 * feed delivers it to this process's subscribers at once and, on PostgreSQL, announces it to
 * other processes with NOTIFY — at most one notification per ANNOUNCE_INTERVAL_MS carrying
 * every change of that interval, sent outside the write transaction (NOTIFY inside it
 * serialises commits; one NOTIFY per write costs a transaction and a WAL flush each).
 *
 * These are hints, not the record of truth: a change whose announcement is lost (a crash right
 * after commit) is still in change_log, and devices read records through their next sync.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from './client.js';
import type { CommittedChange } from './queries/dataset.js';

/** NOTIFY channel shared by every Tandem process on one database. */
export const CHANGE_CHANNEL = 'tandem_change';
/** How long changes gather before one NOTIFY carries them to other processes. */
const ANNOUNCE_INTERVAL_MS = 20;
/** PostgreSQL caps a NOTIFY payload at 8000 bytes; stay well under. */
const MAX_PAYLOAD_BYTES = 7000;

type Listener = (change: CommittedChange) => void;

interface Announcement {
  /** The announcing feed: a process ignores its own announcements (already delivered). */
  o: string;
  c: CommittedChange[];
}

export class ChangeFeed {
  readonly #origin = randomUUID();
  readonly #byIdentity = new Map<string, Set<Listener>>();
  readonly #all = new Set<Listener>();
  readonly #closeListeners = new Set<() => void>();
  #pending: CommittedChange[] = [];
  #flushScheduled = false;
  #stopListening: (() => Promise<void>) | null = null;
  #closed = false;

  private constructor(private readonly database: Database | null) {}

  /** A feed over a database; on PostgreSQL it also hears other processes' changes. */
  static async start(database: Database): Promise<ChangeFeed> {
    const feed = new ChangeFeed(database.kind === 'postgres' ? database : null);
    if (feed.database) {
      feed.#stopListening = await database.listen(CHANGE_CHANNEL, (payload) =>
        feed.#receive(payload),
      );
    }
    return feed;
  }

  /** Announces committed changes (call after commit, never inside the transaction). */
  publish(changes: readonly (CommittedChange | null)[]): void {
    for (const change of changes) {
      if (!change) continue;
      this.#deliver(change);
      if (this.database) this.#pending.push(change);
    }
    if (this.#pending.length > 0 && !this.#flushScheduled) {
      this.#flushScheduled = true;
      setTimeout(() => void this.#flush(), ANNOUNCE_INTERVAL_MS).unref();
    }
  }

  /** One identity's changes; returns the unsubscribe function. */
  subscribe(identityId: string, listener: Listener): () => void {
    let set = this.#byIdentity.get(identityId);
    if (!set) this.#byIdentity.set(identityId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#byIdentity.delete(identityId);
    };
  }

  /** Every change (for consumers that serve all identities). */
  subscribeAll(listener: Listener): () => void {
    this.#all.add(listener);
    return () => this.#all.delete(listener);
  }

  /** Called once when the feed closes (shutdown): subscribers tell their clients to reconnect. */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Per-identity subscriptions (the live channel's open devices). */
  get subscriberCount(): number {
    let n = 0;
    for (const set of this.#byIdentity.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#closeListeners) listener();
    this.#closeListeners.clear();
    await this.#flush();
    await this.#stopListening?.();
  }

  #deliver(change: CommittedChange): void {
    for (const listener of this.#byIdentity.get(change.identityId) ?? []) listener(change);
    for (const listener of this.#all) listener(change);
  }

  async #flush(): Promise<void> {
    this.#flushScheduled = false;
    const changes = this.#pending;
    this.#pending = [];
    if (!this.database || changes.length === 0) return;
    const payloads: string[] = [];
    let batch: CommittedChange[] = [];
    let size = 0;
    for (const change of changes) {
      const bytes = Buffer.byteLength(JSON.stringify(change)) + 1;
      if (batch.length > 0 && size + bytes > MAX_PAYLOAD_BYTES) {
        payloads.push(JSON.stringify({ o: this.#origin, c: batch } satisfies Announcement));
        batch = [];
        size = 0;
      }
      batch.push(change);
      size += bytes;
    }
    payloads.push(JSON.stringify({ o: this.#origin, c: batch } satisfies Announcement));
    // A failed announcement only delays other processes' wake-ups; never fail a write for it.
    await this.database.notify(CHANGE_CHANNEL, payloads).catch(() => {});
  }

  #receive(payload: string): void {
    let announcement: Announcement;
    try {
      announcement = JSON.parse(payload) as Announcement;
    } catch {
      return;
    }
    if (announcement.o === this.#origin || !Array.isArray(announcement.c)) return;
    for (const change of announcement.c) {
      if (typeof change?.identityId === 'string') this.#deliver(change);
    }
  }
}
