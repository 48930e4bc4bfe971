/**
 * Two devices of one identity interleaving ListRecords/UpdateRecords over real HTTP: conflicts,
 * sync counts, pulls since N, deletion and re-creation.
 */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorOf, startHarness, type Harness } from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

async function twoDevicesOfOneIdentity() {
  const identityPoolId = await h.pool();
  const user = await h.signUp();
  const { userId, token } = user;
  const first = user.client; // device A
  const second = h.client(token); // device B: same account, its own client
  const { identityId } = await first.identity.getId.mutate({ identityPoolId });
  expect((await second.identity.getId.mutate({ identityPoolId })).identityId).toBe(identityId);
  return { identityPoolId, identityId, userId, a: first, b: second };
}

test('a stale write is refused with 409 and nothing of it is written', async () => {
  const { identityPoolId, a, b } = await twoDevicesOfOneIdentity();
  const scope = { identityPoolId, datasetName: 'settings' };

  const pullA = await a.record.list.query(scope);
  expect(pullA).toMatchObject({ datasetExists: false, datasetSyncCount: 0, count: 0, records: [] });
  expect(pullA.syncSessionToken).toBeTruthy();
  const pullB = await b.record.list.query(scope);

  const writeA = await a.record.update.mutate({
    ...scope,
    syncSessionToken: pullA.syncSessionToken,
    recordPatches: [
      { op: 'replace', key: 'theme', value: 'dark', syncCount: 0 },
      { op: 'replace', key: 'font', value: 'serif', syncCount: 0 },
    ],
  });
  // The response lists the records as written, in patch order, each with the new count.
  expect(writeA.records.map((r) => [r.key, r.value, r.syncCount])).toEqual([
    ['theme', 'dark', 1],
    ['font', 'serif', 1],
  ]);

  // Device B still believes theme is unknown (0): its whole request is refused.
  const conflict = await errorOf(
    b.record.update.mutate({
      ...scope,
      syncSessionToken: pullB.syncSessionToken,
      recordPatches: [
        { op: 'replace', key: 'lang', value: 'fr', syncCount: 0 },
        { op: 'replace', key: 'theme', value: 'light', syncCount: 0 },
      ],
    }),
  );
  expect(conflict).toEqual({
    kind: 'ResourceConflictException',
    status: 409,
    message: 'Current SyncCount for: theme is: 1 not: 0',
  });

  const after = await b.record.list.query(scope);
  expect(after.datasetSyncCount).toBe(1);
  expect(after.records.map((r) => r.key).sort()).toEqual(['font', 'theme']); // no 'lang'

  // B resolves: pulls, then writes with the right counts; the dataset count rises by one.
  const resolved = await b.record.update.mutate({
    ...scope,
    syncSessionToken: after.syncSessionToken,
    recordPatches: [
      { op: 'replace', key: 'lang', value: 'fr', syncCount: 0 },
      { op: 'replace', key: 'theme', value: 'light', syncCount: 1 },
    ],
  });
  expect(resolved.records.every((r) => r.syncCount === 2)).toBe(true);
});

test('the dataset sync count rises by exactly one per successful UpdateRecords, and pulls since N return exactly what changed after N', async () => {
  const { identityPoolId, a, b } = await twoDevicesOfOneIdentity();
  const scope = { identityPoolId, datasetName: 'notes' };
  const known = new Map<string, number>();
  const history: Array<{ syncCount: number; keys: string[] }> = [];
  for (let i = 0; i < 12; i++) {
    const device = i % 2 === 0 ? a : b;
    const pull = await device.record.list.query(scope);
    const keys = [`k${i % 5}`, `k${(i * 3) % 7}`].filter((k, idx, all) => all.indexOf(k) === idx);
    const remove = i % 4 === 3;
    const result = await device.record.update.mutate({
      ...scope,
      syncSessionToken: pull.syncSessionToken,
      recordPatches: keys.map((key, idx) =>
        remove && idx === 0
          ? { op: 'remove' as const, key, syncCount: known.get(key) ?? 0 }
          : { op: 'replace' as const, key, value: `v${i}`, syncCount: known.get(key) ?? 0 },
      ),
    });
    const counts = new Set(result.records.map((r) => r.syncCount));
    expect([...counts]).toEqual([pull.datasetSyncCount + 1]);
    for (const r of result.records) known.set(r.key, r.syncCount);
    history.push({ syncCount: pull.datasetSyncCount + 1, keys });
  }
  for (let n = 0; n <= history.length; n++) {
    const since = await a.record.list.query({ ...scope, lastSyncCount: n });
    const expected = new Map<string, number>();
    for (const h of history)
      if (h.syncCount > n) for (const k of h.keys) expected.set(k, h.syncCount);
    expect(new Map(since.records.map((r) => [r.key, r.syncCount]))).toEqual(expected);
    expect(since.datasetSyncCount).toBe(history.length);
    // Tombstones come back as null values so devices learn of removals.
  }
  const tombstones = (await a.record.list.query(scope)).records.filter((r) => r.value === null);
  expect(tombstones.length).toBeGreaterThan(0);
});

test('delete then recreate: the old device is told, and sync counts are never reused', async () => {
  const { identityPoolId, a, b } = await twoDevicesOfOneIdentity();
  const scope = { identityPoolId, datasetName: 'game' };
  let pull = await a.record.list.query(scope);
  await a.record.update.mutate({
    ...scope,
    syncSessionToken: pull.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'level', value: '3', syncCount: 0 }],
  });
  pull = await b.record.list.query(scope); // device B synced at 1
  expect(pull.datasetSyncCount).toBe(1);

  const deleted = await a.dataset.delete.mutate(scope);
  expect(deleted.dataset).toMatchObject({ datasetName: 'game', numRecords: 1, syncCount: 1 });
  expect((await errorOf(a.dataset.describe.query(scope)))?.kind).toBe('ResourceNotFoundException');
  expect((await errorOf(a.dataset.delete.mutate(scope)))?.status).toBe(404);

  const whileGone = await b.record.list.query({ ...scope, lastSyncCount: 1 });
  expect(whileGone).toMatchObject({
    datasetExists: false,
    datasetDeletedAfterRequestedSyncCount: true,
    records: [],
  });

  pull = await a.record.list.query(scope);
  const recreated = await a.record.update.mutate({
    ...scope,
    syncSessionToken: pull.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'level', value: '1', syncCount: 0 }],
  });
  expect(recreated.records[0]!.syncCount).toBe(3); // 1 = first write, 2 = the deletion, 3 = recreate

  const stale = await b.record.list.query({ ...scope, lastSyncCount: 1 });
  expect(stale).toMatchObject({
    datasetExists: true,
    datasetDeletedAfterRequestedSyncCount: true,
    datasetSyncCount: 3,
  });
  expect(stale.records.map((r) => [r.key, r.value])).toEqual([['level', '1']]);
  const fresh = await a.record.list.query({ ...scope, lastSyncCount: 3 });
  expect(fresh).toMatchObject({ datasetDeletedAfterRequestedSyncCount: false, records: [] });

  const datasets = await a.dataset.list.query({ identityPoolId });
  expect(datasets.datasets.map((d) => [d.datasetName, d.syncCount])).toEqual([['game', 3]]);
  const usage = await a.identity.usage.query({ identityPoolId });
  expect(usage.identityUsage).toMatchObject({ datasetCount: 1, dataStorage: 'level'.length + 1 });
});

test('UpdateRecords needs the session token of a pull of that dataset', async () => {
  const { identityPoolId, a } = await twoDevicesOfOneIdentity();
  const other = await a.record.list.query({ identityPoolId, datasetName: 'other' });
  const attempt = await errorOf(
    a.record.update.mutate({
      identityPoolId,
      datasetName: 'mine',
      syncSessionToken: other.syncSessionToken,
      recordPatches: [{ op: 'replace', key: 'k', value: 'v', syncCount: 0 }],
    }),
  );
  expect(attempt).toEqual({
    kind: 'InvalidParameterException',
    status: 400,
    message: 'SyncSessionToken not valid for these inputs',
  });
  expect((await a.record.list.query({ identityPoolId, datasetName: 'mine' })).datasetExists).toBe(
    false,
  );
});
