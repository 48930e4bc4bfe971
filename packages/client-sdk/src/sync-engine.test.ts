/** The merge rule of a pull, case by case (SPEC.md I5, I6, I7). */
import type { SyncRecord } from '@tandem/sync-protocol';
import { expect, test } from 'vitest';
import { defaultConflictResolution, SyncConflict } from './conflict.js';
import type { LocalRecord } from './store/types.js';
import { planMerge, type PushOutcome } from './sync-engine.js';

const local = (patch: Partial<LocalRecord>): LocalRecord => ({
  key: 'k',
  value: 'local',
  syncCount: 3,
  lastModifiedDate: 100,
  lastModifiedBy: null,
  deviceLastModifiedDate: 100,
  modified: true,
  localVersion: 7,
  pushed: null,
  ...patch,
});
const remote = (patch: Partial<SyncRecord>): SyncRecord => ({
  key: 'k',
  value: 'remote',
  syncCount: 5,
  lastModifiedDate: 200,
  lastModifiedBy: 'id',
  deviceLastModifiedDate: 200,
  ...patch,
});
const plan = (mine: LocalRecord | null, theirs: SyncRecord, outcome?: PushOutcome) =>
  planMerge({ meta: null, records: new Map(mine ? [[mine.key, mine]] : []) }, [theirs], outcome);

test('a remote record replaces an unmodified or absent local one', () => {
  expect(plan(null, remote({})).put[0]).toMatchObject({ value: 'remote', modified: false });
  expect(plan(local({ modified: false }), remote({})).put[0]).toMatchObject({ value: 'remote' });
  // Already identical: nothing to write.
  expect(plan(local({ modified: false, value: 'remote', syncCount: 5 }), remote({})).put).toEqual(
    [],
  );
});

test('a different remote value over an unpushed local change is a conflict', () => {
  const result = plan(local({}), remote({}));
  expect(result.put).toEqual([]);
  expect(result.conflicts).toHaveLength(1);
});

test('no conflict when the values agree, or when the local change is based on this version', () => {
  expect(plan(local({ value: 'remote' }), remote({})).put[0]).toMatchObject({ modified: false });
  const based = plan(local({ syncCount: 5 }), remote({}));
  expect(based).toEqual({ put: [], conflicts: [] });
});

test('our own acknowledged write (answer lost) is recognised by value and device time', () => {
  const pushed = {
    value: 'remote',
    deviceLastModifiedDate: 200,
    localVersion: 7,
    afterSyncCount: 3,
  };
  // Unchanged since the push: now clean.
  expect(plan(local({ value: 'remote', pushed }), remote({})).put[0]).toMatchObject({
    modified: false,
    syncCount: 5,
  });
  // Edited since: stays modified, now based on our own write.
  const edited = plan(local({ value: 'newer', localVersion: 8, pushed }), remote({}));
  expect(edited.conflicts).toEqual([]);
  expect(edited.put[0]).toMatchObject({
    value: 'newer',
    modified: true,
    syncCount: 5,
    pushed: null,
  });
  // Same value written by another device at another time: not ours.
  const foreign = plan(
    local({ value: 'newer', localVersion: 8, pushed }),
    remote({ deviceLastModifiedDate: 201 }),
  );
  expect(foreign.conflicts).toHaveLength(1);
});

test('the default resolution: the most recent device change wins, the server on a tie', () => {
  const newerLocal = new SyncConflict(local({ deviceLastModifiedDate: 300 }), remote({}));
  expect(defaultConflictResolution(newerLocal)).toEqual({ kind: 'local' });
  const tie = new SyncConflict(local({ deviceLastModifiedDate: 200 }), remote({}));
  expect(defaultConflictResolution(tie)).toEqual({ kind: 'remote' });
  // A remote record without a device time is dated by the server.
  const serverDated = new SyncConflict(
    local({ deviceLastModifiedDate: 150 }),
    remote({ deviceLastModifiedDate: null }),
  );
  expect(defaultConflictResolution(serverDated)).toEqual({ kind: 'remote' });
  // The app's answer wins over the default; the last call counts.
  newerLocal.resolveWithRemote();
  newerLocal.resolveWithValue('both');
  expect(newerLocal.resolution).toEqual({ kind: 'value', value: 'both' });
});

test('an unanswered push overwritten since: the server says whether it committed (I6)', () => {
  const pushed = {
    value: 'local',
    deviceLastModifiedDate: 100,
    localVersion: 7,
    afterSyncCount: 3,
  };
  const inDoubt = local({ pushed });
  // Committed at 4, then overwritten at 5 by a device that saw it: take the newer version as is,
  // never push ours again (that would undo the overwrite and store our value twice).
  expect(plan(inDoubt, remote({}), { lastDeviceWrite: 4 })).toEqual({
    put: [expect.objectContaining({ value: 'remote', modified: false, pushed: null })],
    conflicts: [],
  });
  // Never landed: an ordinary unpushed change, so a conflict as usual.
  expect(plan(inDoubt, remote({}), { lastDeviceWrite: null }).conflicts).toHaveLength(1);
  // This device's only writes are older than the push: it did not land either.
  expect(plan(inDoubt, remote({}), { lastDeviceWrite: 3 }).conflicts).toHaveLength(1);
  // Edited after the push: the edit is new, so it meets the overwrite as a conflict.
  const edited = local({ value: 'newer', localVersion: 8, pushed });
  expect(plan(edited, remote({}), { lastDeviceWrite: 4 }).conflicts).toHaveLength(1);
  // Without an answer from the server (not asked), the old rule holds.
  expect(plan(inDoubt, remote({})).conflicts).toHaveLength(1);
});
