/**
 * Fans committed changes out to the live subscriptions of this process. One LISTEN per process
 * (on PGlite, the embedded instance's own notifications), dispatched by identity id, so a
 * thousand open devices cost one database listener. Changes committed by any replica arrive
 * here, because the NOTIFY comes from the change_log trigger at commit.
 */
import { CHANGE_CHANNEL, parseChangeNotification, type CommittedChange, type Database } from '@tandem/db';

type Listener = (change: CommittedChange) => void;

export class ChangeHub {
  readonly #listeners = new Map<string, Set<Listener>>();
  readonly #closeListeners = new Set<() => void>();
  #stop: (() => Promise<void>) | null = null;
  #closed = false;

  static async start(database: Database): Promise<ChangeHub> {
    const hub = new ChangeHub();
    hub.#stop = await database.listen(CHANGE_CHANNEL, (payload) => {
      const change = parseChangeNotification(payload);
      if (change) hub.publish(change);
    });
    return hub;
  }

  publish(change: CommittedChange): void {
    for (const listener of this.#listeners.get(change.identityId) ?? []) listener(change);
  }

  /** Listens to one identity's changes; returns the unsubscribe function. */
  subscribe(identityId: string, listener: Listener): () => void {
    let set = this.#listeners.get(identityId);
    if (!set) this.#listeners.set(identityId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.#listeners.delete(identityId);
    };
  }

  /** Called when the hub closes (shutdown): open subscriptions tell their clients to reconnect. */
  onClose(listener: () => void): () => void {
    if (this.#closed) {
      listener();
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  get subscriberCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of this.#closeListeners) listener();
    this.#closeListeners.clear();
    await this.#stop?.();
  }
}
