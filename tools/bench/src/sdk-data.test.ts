import { expect, test } from 'vitest';
import {
  COLD_RECORDS,
  coldDatasetBytes,
  coldDatasetName,
  coldKey,
  coldValue,
  DATASET_BYTES_LIMIT,
  opsPerSecond,
  sumSeries,
} from './sdk-data.js';

test('S6 values: exact size, ASCII, deterministic, different per record and dataset', () => {
  const v = coldValue(0, 0);
  expect(v).toHaveLength(1000);
  expect(v).toMatch(/^[a-z0-9]+$/);
  expect(coldValue(0, 0)).toBe(v);
  expect(coldValue(0, 1)).not.toBe(v);
  expect(coldValue(1, 0)).not.toBe(v);
  expect(coldValue(3, 7, 10)).toHaveLength(10);
});

test('an S6 dataset is about 1 MB and fits the protocol limit', () => {
  expect(coldKey(0)).toBe('r0000');
  expect(coldKey(1023)).toBe('r1023');
  expect(coldDatasetName(7)).toBe('cold-07');
  const bytes = coldDatasetBytes();
  expect(bytes).toBeGreaterThan(1_000_000);
  expect(bytes).toBeLessThanOrEqual(DATASET_BYTES_LIMIT);
  expect(COLD_RECORDS).toBe(1024);
});

test('ops per second, and element-wise sums', () => {
  expect(opsPerSecond(500, 250)).toBe(2000);
  expect(opsPerSecond(1, 0)).toBeNaN();
  expect([...sumSeries([1, 2], Float64Array.of(10, 20))]).toEqual([11, 22]);
  expect(() => sumSeries([1], [1, 2])).toThrow(/different lengths/);
});
