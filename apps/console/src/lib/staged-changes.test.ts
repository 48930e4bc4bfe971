import { expect, test } from 'vitest';
import {
  findConflicts,
  kindOf,
  rebase,
  stage,
  toPatches,
  type ServerRecord,
  type StagedChange,
} from './staged-changes';

const change = (over: Partial<StagedChange> & { key: string }): StagedChange => ({
  op: 'replace',
  value: 'v',
  before: null,
  baseSyncCount: 0,
  stagedAt: 1,
  ...over,
});
const server = (key: string, value: string | null, syncCount: number): ServerRecord => ({
  key,
  value,
  syncCount,
  lastModifiedBy: 'device',
  lastModifiedDate: 1,
});

test('a change edited again keeps the record as it was first staged', () => {
  const first = stage([], change({ key: 'k', value: 'a', before: 'old', baseSyncCount: 4 }));
  const second = stage(first, change({ key: 'k', value: 'b', before: 'a', baseSyncCount: 9 }));
  expect(second).toEqual([change({ key: 'k', value: 'b', before: 'old', baseSyncCount: 4 })]);
  expect(kindOf(second[0]!)).toBe('edit');
});

test('removing a staged add, or editing back to the server value, leaves nothing to send', () => {
  const added = stage([], change({ key: 'k' }));
  expect(kindOf(added[0]!)).toBe('add');
  expect(stage(added, change({ key: 'k', op: 'remove', value: null }))).toEqual([]);
  const edited = stage([], change({ key: 'k', value: 'new', before: 'old', baseSyncCount: 2 }));
  expect(stage(edited, change({ key: 'k', value: 'old', before: 'new' }))).toEqual([]);
});

test('patches carry the sync count each change was staged on (0 for new keys)', () => {
  const list = [
    change({ key: 'new', value: 'x' }),
    change({ key: 'edited', value: 'y', before: 'old', baseSyncCount: 3 }),
    change({ key: 'gone', op: 'remove', value: null, before: 'z', baseSyncCount: 5 }),
  ];
  expect(toPatches(list)).toEqual([
    { op: 'replace', key: 'new', value: 'x', syncCount: 0 },
    { op: 'replace', key: 'edited', value: 'y', syncCount: 3 },
    { op: 'remove', key: 'gone', syncCount: 5 },
  ]);
});

test('conflicts are the changes whose record moved on the server; rebase keeps mine on theirs', () => {
  const list = [
    change({ key: 'same', value: 'a', before: 'x', baseSyncCount: 2 }),
    change({ key: 'moved', value: 'mine', before: 'x', baseSyncCount: 2 }),
    change({ key: 'created-meanwhile', value: 'mine' }),
  ];
  const records = new Map([
    ['same', server('same', 'x', 2)],
    ['moved', server('moved', 'theirs', 3)],
    ['created-meanwhile', server('created-meanwhile', 'theirs', 4)],
  ]);
  const conflicts = findConflicts(list, records);
  expect(conflicts.map((c) => c.change.key)).toEqual(['moved', 'created-meanwhile']);
  expect(rebase(conflicts[0]!.change, conflicts[0]!.server)).toMatchObject({
    value: 'mine',
    before: 'theirs',
    baseSyncCount: 3,
  });
  // A removal of a record a device removed too: nothing left to do.
  expect(
    rebase(change({ key: 'k', op: 'remove', value: null, before: 'x' }), server('k', null, 7)),
  ).toBeNull();
});
