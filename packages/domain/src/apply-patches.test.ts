import { MAX_DATASET_BYTES, MAX_RECORDS_PER_DATASET } from '@tandem/sync-protocol';
import { expect, test } from 'vitest';
import { planPatches, type StoredRecordState } from './apply-patches.js';
import { SyncError } from './errors.js';

const empty = new Map<string, StoredRecordState>();
const zero = { numRecords: 0, dataStorage: 0 };

function errorOf(fn: () => unknown): SyncError {
  try {
    fn();
  } catch (error) {
    if (error instanceof SyncError) return error;
    throw error;
  }
  throw new Error('expected a SyncError');
}

test('a write raises the dataset count by one and stamps every record with it', () => {
  const plan = planPatches({
    datasetSyncCount: 4,
    totals: zero,
    current: empty,
    patches: [
      { op: 'replace', key: 'a', value: 'x', syncCount: 0 },
      { op: 'replace', key: 'b', value: '', syncCount: 0, deviceLastModifiedDate: 7 },
    ],
  });
  expect(plan.syncCount).toBe(5);
  expect(plan.writes).toEqual([
    { key: 'a', value: 'x', syncCount: 5, deviceLastModifiedDate: null },
    { key: 'b', value: '', syncCount: 5, deviceLastModifiedDate: 7 },
  ]);
  expect(plan.totals).toEqual({ numRecords: 2, dataStorage: 3 });
});

test('a stale sync count rejects the whole request with the Cognito message', () => {
  const current = new Map([['k', { value: 'v', syncCount: 5 }]]);
  const error = errorOf(() =>
    planPatches({
      datasetSyncCount: 5,
      totals: { numRecords: 1, dataStorage: 2 },
      current,
      patches: [
        { op: 'replace', key: 'new', value: 'ok', syncCount: 0 },
        { op: 'replace', key: 'k', value: 'w', syncCount: 4 },
      ],
    }),
  );
  expect(error.kind).toBe('ResourceConflictException');
  expect(error.status).toBe(409);
  expect(error.message).toBe('Current SyncCount for: k is: 5 not: 4');
});

test('remove leaves a tombstone, ignores the value sent with it, and frees the space', () => {
  const current = new Map([['k', { value: 'vv', syncCount: 2 }]]);
  const plan = planPatches({
    datasetSyncCount: 3,
    totals: { numRecords: 1, dataStorage: 3 },
    current,
    patches: [{ op: 'remove', key: 'k', value: 'ignored', syncCount: 2 }],
  });
  expect(plan.writes).toEqual([
    { key: 'k', value: null, syncCount: 4, deviceLastModifiedDate: null },
  ]);
  expect(plan.totals).toEqual({ numRecords: 0, dataStorage: 0 });
});

test('a tombstoned key is written with the tombstone count', () => {
  const current = new Map([['k', { value: null, syncCount: 9 }]]);
  expect(
    errorOf(() =>
      planPatches({
        datasetSyncCount: 9,
        totals: zero,
        current,
        patches: [{ op: 'replace', key: 'k', value: 'a', syncCount: 0 }],
      }),
    ).kind,
  ).toBe('ResourceConflictException');
  const plan = planPatches({
    datasetSyncCount: 9,
    totals: zero,
    current,
    patches: [{ op: 'replace', key: 'k', value: 'a', syncCount: 9 }],
  });
  expect(plan.totals).toEqual({ numRecords: 1, dataStorage: 2 });
});

test('duplicate keys in one request are refused', () => {
  expect(
    errorOf(() =>
      planPatches({
        datasetSyncCount: 0,
        totals: zero,
        current: empty,
        patches: [
          { op: 'replace', key: 'a', value: '1', syncCount: 0 },
          { op: 'remove', key: 'a', syncCount: 0 },
        ],
      }),
    ).kind,
  ).toBe('InvalidParameterException');
});

test('the record limit counts live records only', () => {
  const atLimit = { numRecords: MAX_RECORDS_PER_DATASET, dataStorage: 0 };
  expect(
    errorOf(() =>
      planPatches({
        datasetSyncCount: 1,
        totals: atLimit,
        current: empty,
        patches: [{ op: 'replace', key: 'x', value: '', syncCount: 0 }],
      }),
    ).kind,
  ).toBe('LimitExceededException');
});

test('the 1 MB limit is counted in UTF-8 bytes, exactly at the edge', () => {
  // 'é' is 2 bytes: key 'k' (1 byte) + value of (MAX-1)/2 'é' characters is exactly at the limit.
  const chars = (MAX_DATASET_BYTES - 1) / 2;
  expect(Number.isInteger(chars)).toBe(false);
  const value = 'é'.repeat(Math.floor(chars)) + 'a'; // 1 + 2*floor + 1 = MAX
  const plan = planPatches({
    datasetSyncCount: 0,
    totals: zero,
    current: empty,
    patches: [{ op: 'replace', key: 'k', value, syncCount: 0 }],
  });
  expect(plan.totals.dataStorage).toBe(MAX_DATASET_BYTES);
  const error = errorOf(() =>
    planPatches({
      datasetSyncCount: 0,
      totals: zero,
      current: empty,
      patches: [{ op: 'replace', key: 'k', value: value + 'a', syncCount: 0 }],
    }),
  );
  expect(error.kind).toBe('LimitExceededException');
});
