import { expect, test } from 'vitest';
import { median, percentile, summarise } from './stats.js';

test('nearest-rank percentiles', () => {
  const sorted = Float64Array.from({ length: 100 }, (_, i) => i + 1);
  expect(percentile(sorted, 50)).toBe(50);
  expect(percentile(sorted, 99)).toBe(99);
  expect(percentile(sorted, 100)).toBe(100);
  expect(percentile(Float64Array.of(7), 95)).toBe(7);
});

test('summaries sort a copy', () => {
  const samples = Float64Array.of(5, 1, 3, 2, 4);
  expect(summarise(samples)).toEqual({ p50_ms: 3, p95_ms: 5, p99_ms: 5, max_ms: 5, mean_ms: 3 });
  expect([...samples]).toEqual([5, 1, 3, 2, 4]);
});

test('median of an even count averages the middle two', () => {
  expect(median([4, 1, 3, 2])).toBe(2.5);
  expect(median([3, 1, 2])).toBe(2);
});
