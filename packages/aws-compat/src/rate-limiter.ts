/**
 * A fixed-window counter per key (client address): at most `limit` takes per `windowMs`. Kept
 * in memory, per process: a bound against floods, not an exact quota across replicas.
 */
export interface RateLimiter {
  /** Counts one use of `key`; false when its window is already full. */
  take(key: string): boolean;
}

export function createRateLimiter(options: {
  limit: number;
  windowMs: number;
  now?: () => number;
  /** Keys remembered at most (old windows are dropped first when full). */
  maxKeys?: number;
}): RateLimiter {
  const now = options.now ?? Date.now;
  const maxKeys = options.maxKeys ?? 100_000;
  const windows = new Map<string, { startedAt: number; count: number }>();
  return {
    take(key) {
      const at = now();
      let window = windows.get(key);
      if (!window || at - window.startedAt >= options.windowMs) {
        if (!window && windows.size >= maxKeys) {
          for (const [oldKey, old] of windows) {
            if (at - old.startedAt >= options.windowMs || windows.size >= maxKeys) {
              windows.delete(oldKey);
            }
            if (windows.size < maxKeys / 2) break;
          }
        }
        window = { startedAt: at, count: 0 };
        windows.set(key, window);
      }
      window.count += 1;
      return window.count <= options.limit;
    },
  };
}
