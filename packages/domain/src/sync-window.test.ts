import { expect, test } from 'vitest';
import { pullWindow } from './sync-window.js';

test('no dataset, or never deleted: pull from the requested count', () => {
  expect(pullWindow(null, undefined)).toEqual({ since: 0, deletedAfterRequested: false });
  expect(pullWindow({ exists: true, syncCount: 5, deletedAtSyncCount: null }, 3)).toEqual({
    since: 3,
    deletedAfterRequested: false,
  });
});

test('a device that synced before the latest deletion is told, and gets everything', () => {
  const state = { exists: true, syncCount: 9, deletedAtSyncCount: 6 };
  expect(pullWindow(state, 5)).toEqual({ since: 0, deletedAfterRequested: true });
  expect(pullWindow(state, 6)).toEqual({ since: 0, deletedAfterRequested: true });
  expect(pullWindow(state, 7)).toEqual({ since: 7, deletedAfterRequested: false });
  expect(pullWindow(state, 0)).toEqual({ since: 0, deletedAfterRequested: false });
});
