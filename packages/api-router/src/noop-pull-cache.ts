/**
 * Answers repeated no-op pulls from memory. Most syncs find nothing new: the same device asks
 * `record.list` with the same input and gets the same empty answer. After one such answer has
 * been computed in full (credential checked, identity resolved, database read), the exact
 * response body is kept, keyed by the credential and the raw query string, for a few seconds.
 *
 * Safety:
 * - Only empty, single-page answers are kept, and only for the credential that got them.
 * - Any committed change to an identity (this process: at once; other processes: through the
 *   ChangeFeed's NOTIFY, within ~20 ms) drops every entry of that identity, so a pull never
 *   misses a change it would have seen a moment earlier. Entries also expire after `ttlMs`
 *   (the same bound as the session cache: a sign-out takes effect within it).
 * - The kept body carries the sync session token issued for it; tokens are reusable until they
 *   expire (an hour), far beyond `ttlMs`.
 */
import type { ChangeFeed } from '@tandem/db';

interface Entry {
  body: string;
  identityId: string;
  expiresAt: number;
}

export class NoopPullCache {
  readonly #entries = new Map<string, Entry>();
  readonly #byIdentity = new Map<string, Set<string>>();
  /** Per identity, the number of its latest invalidation. */
  readonly #invalidatedAt = new Map<string, number>();
  #forgottenUpTo = 0;
  /** Every invalidation takes the next number; an answer computed before it is not kept. */
  #invalidations = 0;
  readonly #stop: () => void;

  constructor(
    changeFeed: ChangeFeed,
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {
    this.#stop = changeFeed.subscribeAll((change) => this.invalidate(change.identityId));
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  static key(credential: string, search: string): string {
    return `${credential}\u0000${search}`;
  }

  /** Take before computing an answer; pass to `set` so a change meanwhile keeps it out. */
  mark(): number {
    return this.#invalidations;
  }

  get(key: string): string | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.#delete(key, entry);
      return undefined;
    }
    return entry.body;
  }

  set(key: string, identityId: string, body: string, mark: number): void {
    if (!this.enabled) return;
    const lastInvalidation = Math.max(
      this.#invalidatedAt.get(identityId) ?? 0,
      this.#forgottenUpTo,
    );
    if (lastInvalidation > mark) return; // changed while the answer was computed
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.entries().next();
      if (!oldest.done) this.#delete(oldest.value[0], oldest.value[1]);
    }
    this.#entries.set(key, { body, identityId, expiresAt: Date.now() + this.ttlMs });
    let keys = this.#byIdentity.get(identityId);
    if (!keys) this.#byIdentity.set(identityId, (keys = new Set()));
    keys.add(key);
  }

  invalidate(identityId: string): void {
    this.#invalidatedAt.set(identityId, ++this.#invalidations);
    if (this.#invalidatedAt.size > this.maxEntries) {
      // Bounded memory: forget per-identity numbers, and treat them all as just invalidated.
      this.#invalidatedAt.clear();
      this.#forgottenUpTo = this.#invalidations;
    }
    const keys = this.#byIdentity.get(identityId);
    if (!keys) return;
    this.#byIdentity.delete(identityId);
    for (const key of keys) this.#entries.delete(key);
  }

  get size(): number {
    return this.#entries.size;
  }

  close(): void {
    this.#stop();
    this.#entries.clear();
    this.#byIdentity.clear();
  }

  #delete(key: string, entry: Entry): void {
    this.#entries.delete(key);
    const keys = this.#byIdentity.get(entry.identityId);
    keys?.delete(key);
    if (keys?.size === 0) this.#byIdentity.delete(entry.identityId);
  }
}
