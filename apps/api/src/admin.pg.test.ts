/** The admin surface: identity pools, the identity browser, and any identity's data. */
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorOf, startHarness, syncOnce, type Harness } from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

test('admins create, list, configure and measure identity pools', async () => {
  const admin = await h.admin();
  const created = await admin.client.admin.identityPool.create.mutate({
    name: '  My app ',
    allowUnauthenticated: false,
  });
  expect(created).toMatchObject({ name: 'My app', allowUnauthenticated: false });
  expect(created.identityPoolId).toMatch(/^local-1:[0-9a-f-]{36}$/);
  const inRegion = await admin.client.admin.identityPool.create.mutate({
    name: 'EU',
    region: 'eu-west-1',
  });
  expect(inRegion.identityPoolId).toMatch(/^eu-west-1:/);

  const updated = await admin.client.admin.identityPool.update.mutate({
    identityPoolId: created.identityPoolId,
    allowUnauthenticated: true,
  });
  expect(updated).toMatchObject({ name: 'My app', allowUnauthenticated: true });
  expect(
    await admin.client.admin.identityPool.byId.query({ identityPoolId: created.identityPoolId }),
  ).toEqual(updated);

  const ids = new Set<string>();
  let nextToken: string | undefined;
  do {
    const page = await admin.client.admin.identityPool.list.query({
      maxResults: 1,
      ...(nextToken ? { nextToken } : {}),
    });
    expect(page.identityPools.length).toBeLessThanOrEqual(1);
    for (const pool of page.identityPools) ids.add(pool.identityPoolId);
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  expect(ids).toContain(created.identityPoolId);
  expect(ids).toContain(inRegion.identityPoolId);

  const user = await h.signUp();
  await syncOnce(user.client, { identityPoolId: created.identityPoolId, datasetName: 'd' }, [
    { op: 'replace', key: 'ab', value: 'cd', syncCount: 0 },
  ]);
  const usage = await admin.client.admin.identityPool.usage.query({
    identityPoolId: created.identityPoolId,
  });
  expect(usage).toMatchObject({
    identityPoolId: created.identityPoolId,
    dataStorage: 4,
    identityCount: 1,
    datasetCount: 1,
    syncSessionsCount: 1,
  });
  expect(usage.lastModifiedDate).toBeGreaterThan(Date.now() - 60_000);
  // The identity browser shows when each identity last changed (from its datasets).
  const listed = await admin.client.admin.identity.list.query({
    identityPoolId: created.identityPoolId,
  });
  expect(listed.identities[0]?.lastModifiedDate).toBe(usage.lastModifiedDate);
  const all = await admin.client.admin.identityPool.listUsage.query({ maxResults: 50 });
  expect(all.identityPoolUsages.find((u) => u.identityPoolId === created.identityPoolId)).toEqual(
    usage,
  );

  expect(
    (
      await errorOf(
        admin.client.admin.identityPool.usage.query({
          identityPoolId: 'local-1:00000000-0000-0000-0000-000000000000',
        }),
      )
    )?.kind,
  ).toBe('ResourceNotFoundException');
});

test('the identity browser pages and searches by id prefix', async () => {
  const admin = await h.admin();
  const identityPoolId = await h.pool();
  const identities: string[] = [];
  for (let i = 0; i < 5; i++) {
    const user = await h.signUp();
    identities.push((await user.client.identity.getId.mutate({ identityPoolId })).identityId);
  }
  const seen: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await admin.client.admin.identity.list.query({
      identityPoolId,
      maxResults: 2,
      ...(nextToken ? { nextToken } : {}),
    });
    seen.push(...page.identities.map((i) => i.identityId));
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  expect(seen).toEqual([...identities].sort());

  const target = identities[3]!;
  const found = await admin.client.admin.identity.list.query({
    identityPoolId,
    identityIdPrefix: target.slice(0, 20),
  });
  expect(found.identities.map((i) => i.identityId)).toContain(target);
  expect(
    await admin.client.admin.identity.byId.query({ identityPoolId, identityId: target }),
  ).toMatchObject({ identityId: target, authenticated: true });
  const none = await admin.client.admin.identity.list.query({
    identityPoolId,
    identityIdPrefix: 'local-1:%',
  });
  expect(none.identities).toEqual([]); // LIKE wildcards are literal
});

test("an admin edits an identity's records with sync counts; the device sees it on its next sync", async () => {
  const admin = await h.admin();
  const identityPoolId = await h.pool();
  const device = await h.signUp();
  const { identityId } = await device.client.identity.getId.mutate({ identityPoolId });
  await syncOnce(device.client, { identityPoolId, datasetName: 'profile' }, [
    { op: 'replace', key: 'name', value: 'Ada', syncCount: 0 },
  ]);

  const scope = { identityPoolId, identityId, datasetName: 'profile' };
  const datasets = await admin.client.admin.dataset.list.query({ identityPoolId, identityId });
  expect(datasets.datasets).toMatchObject([
    { datasetName: 'profile', numRecords: 1, syncCount: 1 },
  ]);
  const pull = await admin.client.admin.record.list.query(scope);
  const stale = await errorOf(
    admin.client.admin.record.update.mutate({
      ...scope,
      syncSessionToken: pull.syncSessionToken,
      recordPatches: [{ op: 'replace', key: 'name', value: 'Grace', syncCount: 0 }],
    }),
  );
  expect(stale).toMatchObject({ kind: 'ResourceConflictException', status: 409 });
  const written = await admin.client.admin.record.update.mutate({
    ...scope,
    syncSessionToken: pull.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'name', value: 'Grace', syncCount: 1 }],
  });
  expect(written.records[0]).toMatchObject({
    value: 'Grace',
    syncCount: 2,
    lastModifiedBy: expect.stringMatching(/^admin:/),
  });

  const seen = await device.client.record.list.query({
    identityPoolId,
    datasetName: 'profile',
    lastSyncCount: 1,
  });
  expect(seen.records.map((r) => [r.key, r.value, r.lastModifiedBy])).toEqual([
    ['name', 'Grace', written.records[0]!.lastModifiedBy],
  ]);
  expect(
    (await admin.client.admin.identity.usage.query({ identityPoolId, identityId })).identityUsage,
  ).toMatchObject({ datasetCount: 1, dataStorage: 9 });

  await admin.client.admin.dataset.delete.mutate(scope);
  expect(
    (
      await device.client.record.list.query({
        identityPoolId,
        datasetName: 'profile',
        lastSyncCount: 2,
      })
    ).datasetDeletedAfterRequestedSyncCount,
  ).toBe(true);
});
