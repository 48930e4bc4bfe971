import { afterEach, expect, test, vi } from 'vitest';
import { TtlCache } from './ttl-cache.js';

afterEach(() => vi.useRealTimers());

test('entries expire after their time to live', () => {
  vi.useFakeTimers();
  const cache = new TtlCache<string>(1000, 10);
  cache.set('a', 'x');
  expect(cache.get('a')).toBe('x');
  vi.advanceTimersByTime(1001);
  expect(cache.get('a')).toBeUndefined();
});

test('the oldest entry is evicted at the size cap', () => {
  const cache = new TtlCache<number>(60_000, 2);
  cache.set('a', 1);
  cache.set('b', 2);
  cache.set('c', 3);
  expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
});
