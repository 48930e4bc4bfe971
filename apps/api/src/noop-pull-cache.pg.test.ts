/**
 * The no-op pull cache: repeated empty pulls are answered from memory, but never across
 * credentials and never after a change to the identity, whichever process committed it.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startApi } from './app.js';
import { readEnv } from './env.js';
import { startHarness, syncOnce, type Harness } from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  // A long time to live, so only invalidation (not expiry) can explain a fresh answer.
  h = await startHarness({ SESSION_CACHE_TTL_MS: '60000' });
});
afterAll(() => h?.close());

test('a repeated no-op pull is served from memory until the identity changes', async () => {
  const identityPoolId = await h.pool();
  const device = await h.signUp();
  const scope = { identityPoolId, datasetName: 'notes' };
  await syncOnce(device.client, scope, [{ op: 'replace', key: 'a', value: '1', syncCount: 0 }]);

  const first = await device.client.record.list.query({ ...scope, lastSyncCount: 1 });
  const second = await device.client.record.list.query({ ...scope, lastSyncCount: 1 });
  expect(first.records).toEqual([]);
  // Each computed answer carries a fresh token; the same token means the kept answer.
  expect(second).toEqual(first);

  // Another device of the identity writes: the same pull now returns the change.
  const otherDevice = h.client(device.token);
  const pull = await otherDevice.record.list.query(scope);
  await otherDevice.record.update.mutate({
    ...scope,
    syncSessionToken: pull.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'b', value: '2', syncCount: 0 }],
  });
  const third = await device.client.record.list.query({ ...scope, lastSyncCount: 1 });
  expect(third.records.map((r) => [r.key, r.value])).toEqual([['b', '2']]);
  expect(third.datasetSyncCount).toBe(2);
});

test('a kept answer is never given to another credential', async () => {
  const identityPoolId = await h.pool();
  const owner = await h.signUp();
  const stranger = await h.signUp();
  const scope = { identityPoolId, datasetName: 'notes' };
  await syncOnce(owner.client, scope, [{ op: 'replace', key: 'a', value: '1', syncCount: 0 }]);
  const mine = await owner.client.record.list.query({ ...scope, lastSyncCount: 1 });
  expect(mine.datasetExists).toBe(true);
  const theirs = await stranger.client.record.list.query({ ...scope, lastSyncCount: 1 });
  expect(theirs).toMatchObject({ datasetExists: false, datasetSyncCount: 0 });
  expect(theirs.syncSessionToken).not.toBe(mine.syncSessionToken);
});

test('a write committed by another API process drops the kept answer too', async () => {
  // A second API on the same database: its own ChangeFeed, as another process would have.
  const env = readEnv({
    PORT: '0',
    BETTER_AUTH_SECRET: 'test-secret-test-secret-test-secret-0123',
    DEFAULT_POOL_NAME: '',
    AUTH_RATE_LIMIT: 'false',
    SESSION_CACHE_TTL_MS: '0',
    LOG_LEVEL: 'silent',
    MIGRATE_ON_START: 'false',
  });
  const other = await startApi(env, { database: h.database, logger: pino({ level: 'silent' }) });
  try {
    const identityPoolId = await h.pool();
    const device = await h.signUp();
    const scope = { identityPoolId, datasetName: 'notes' };
    await syncOnce(device.client, scope, [{ op: 'replace', key: 'a', value: '1', syncCount: 0 }]);
    const kept = await device.client.record.list.query({ ...scope, lastSyncCount: 1 });
    expect(await device.client.record.list.query({ ...scope, lastSyncCount: 1 })).toEqual(kept);

    const response = await fetch(`${other.url}/trpc/record.update`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${device.token}` },
      body: JSON.stringify({
        ...scope,
        syncSessionToken: kept.syncSessionToken,
        recordPatches: [{ op: 'replace', key: 'b', value: '2', syncCount: 0 }],
      }),
    });
    expect(response.status).toBe(200);
    if (h.database.kind === 'postgres') {
      // Announced by NOTIFY within ~20 ms; far inside the 60 s the answer could otherwise live.
      await expect
        .poll(
          async () =>
            (await device.client.record.list.query({ ...scope, lastSyncCount: 1 })).records.length,
          { timeout: 3_000, interval: 50 },
        )
        .toBe(1);
    }
  } finally {
    await other.stop();
  }
});
