import { expect, test } from 'vitest';
import { createRateLimiter } from './rate-limiter.js';

test('at most `limit` per window and key; a new window starts afresh', () => {
  let now = 0;
  const limiter = createRateLimiter({ limit: 3, windowMs: 1_000, now: () => now });
  expect([1, 2, 3, 4].map(() => limiter.take('a'))).toEqual([true, true, true, false]);
  expect(limiter.take('b')).toBe(true); // keys are counted apart
  now = 999;
  expect(limiter.take('a')).toBe(false);
  now = 1_000;
  expect(limiter.take('a')).toBe(true);
});

test('memory stays bounded: old keys are dropped when full', () => {
  let now = 0;
  const limiter = createRateLimiter({ limit: 1, windowMs: 1_000, now: () => now, maxKeys: 10 });
  for (let i = 0; i < 1_000; i += 1) {
    now = i * 10;
    expect(limiter.take(`k${i}`)).toBe(true);
  }
});
