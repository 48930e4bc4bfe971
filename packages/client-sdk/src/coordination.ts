/// <reference lib="dom" />
// (Node-side consumers typecheck this source too; the browser types it uses come from lib.dom.)
/**
 * What makes several tabs (or several clients on one store) behave as one device:
 *
 * - a lock per dataset, so one sync at a time runs against the shared store;
 * - a channel, so every tab hears what another tab or a sync changed;
 * - a leader lock, so only one tab holds the live connection and relays its pokes.
 *
 * In browsers and service workers that is Web Locks plus BroadcastChannel, scoped to the
 * origin like IndexedDB. Elsewhere (Node, or a store that is not shared between tabs) the same
 * interface works within the process, scoped to the store object.
 */
import type { LocalStore } from './store/types.js';

export interface TabMessage {
  type: 'changed' | 'poke' | 'state';
  namespace: string;
  dataset: string;
  /** Keys that changed (for `changed`); empty means "reload everything". */
  keys?: string[];
  /** Poked: the server's sync count. */
  syncCount?: number;
  deviceId?: string | null;
  origin?: 'local' | 'remote';
}

export interface Coordination {
  /** Runs `fn` while holding `name`, waiting for other holders first. */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Runs `fn` while holding `name` until `signal` aborts; resolves when `fn` gets the lock. */
  holdWhile(name: string, signal: AbortSignal, onAcquired: () => void): void;
  post(message: TabMessage): void;
  subscribe(listener: (message: TabMessage) => void): () => void;
  close(): void;
}

interface LockManagerLike {
  request<T>(
    name: string,
    options: { signal?: AbortSignal },
    callback: () => Promise<T>,
  ): Promise<T>;
}

const webLocks = (): LockManagerLike | null =>
  (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks ?? null;

/** Cross-tab coordination for an origin-wide store (IndexedDB). */
function browserCoordination(channelName: string, locks: LockManagerLike): Coordination {
  const channel = new BroadcastChannel(channelName);
  const listeners = new Set<(message: TabMessage) => void>();
  channel.onmessage = (event: MessageEvent<TabMessage>) => {
    for (const listener of listeners) listener(event.data);
  };
  return {
    withLock: (name, fn) => locks.request(`${channelName}:${name}`, {}, fn),
    holdWhile(name, signal, onAcquired) {
      locks
        .request(`${channelName}:${name}`, { signal }, async () => {
          if (signal.aborted) return;
          onAcquired();
          await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
        })
        .catch(() => undefined); // aborted while waiting
    },
    post: (message) => channel.postMessage(message),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => channel.close(),
  };
}

interface LocalHub {
  tails: Map<string, Promise<unknown>>;
  listeners: Set<(message: TabMessage) => void>;
}
const hubs = new WeakMap<LocalStore, LocalHub>();

/** The same guarantees within one process, for clients sharing one store object. */
function localCoordination(store: LocalStore): Coordination {
  let hub = hubs.get(store);
  if (!hub) hubs.set(store, (hub = { tails: new Map(), listeners: new Set() }));
  const { tails, listeners } = hub;
  const mine = new Set<(message: TabMessage) => void>();
  const withLock = <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const previous = tails.get(name) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const tail = run.catch(() => undefined);
    tails.set(name, tail);
    void tail.then(() => {
      if (tails.get(name) === tail) tails.delete(name);
    });
    return run;
  };
  return {
    withLock,
    holdWhile(name, signal, onAcquired) {
      void withLock(name, async () => {
        if (signal.aborted) return;
        onAcquired();
        await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
      });
    },
    // Other clients only, like BroadcastChannel (which never echoes to its sender).
    post(message) {
      for (const listener of listeners) if (!mine.has(listener)) listener(message);
    },
    subscribe(listener) {
      listeners.add(listener);
      mine.add(listener);
      return () => {
        listeners.delete(listener);
        mine.delete(listener);
      };
    },
    close() {
      for (const listener of mine) listeners.delete(listener);
      mine.clear();
    },
  };
}

export function createCoordination(store: LocalStore, scope: string): Coordination {
  const locks = webLocks();
  if (store.kind === 'indexeddb' && locks && typeof BroadcastChannel === 'function') {
    return browserCoordination(`tandem:${scope}`, locks);
  }
  return localCoordination(store);
}
