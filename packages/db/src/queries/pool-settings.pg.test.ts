import { afterAll, beforeAll, expect, test } from 'vitest';
import { createSecretBox } from '../secret-box.js';
import { createTestDatabase, type TestDatabase } from '../testing/index.js';
import { createIdentityPool } from './identity-pool.js';
import {
  finishBulkPublish,
  getCurrentVapidKey,
  getPoolSettings,
  rotateVapidKey,
  setBulkPublishProgress,
  setPushSettings,
  setStreamsSettings,
  startBulkPublish,
} from './pool-settings.js';
import { releaseSetupLock, tryAcquireSetupLock } from './setup-lock.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

const box = createSecretBox('db-test-secret-db-test-secret-db-test-secret');
const freshPool = async () =>
  (
    await createIdentityPool(database.db, {
      name: 'p',
      allowUnauthenticated: true,
      region: 'local-1',
    })
  ).id;
const kindOf = (call: Promise<unknown>) =>
  call.then(
    () => 'ok',
    (error: { kind?: string }) => error.kind ?? String(error),
  );

test('concurrent first enablings of push create one key; rotations keep one previous key', async () => {
  const pool = await freshPool();
  await Promise.all(
    Array.from({ length: 5 }, () =>
      setPushSettings(database.db, box, { identityPoolId: pool, enabled: true }),
    ),
  );
  const first = await getCurrentVapidKey(database.db, box, pool);
  expect(first).not.toBeNull();
  expect((await getPoolSettings(database.db, pool)).push.vapidPublicKey).toBe(first!.publicKey);

  await Promise.all([
    rotateVapidKey(database.db, box, pool),
    rotateVapidKey(database.db, box, pool),
  ]);
  await rotateVapidKey(database.db, box, pool);
  const rows = await database.sql.query<{ retired: boolean }>(
    {
      name: 'vapid_rows_test',
      text: 'select retired_at is not null as retired from vapid_key where identity_pool_id = $1',
    },
    [pool],
  );
  expect(rows.map((r) => r.retired).sort()).toEqual([false, true]);
  const current = await getCurrentVapidKey(database.db, box, pool);
  expect(current!.publicKey).not.toBe(first!.publicKey);
  // Another server secret cannot open the stored key.
  await expect(
    getCurrentVapidKey(database.db, createSecretBox('another-secret-another-secret-another'), pool),
  ).rejects.toThrow();
});

test('bulk publish: concurrent starts start one run; progress and completion', async () => {
  const pool = await freshPool();
  await setStreamsSettings(database.db, {
    identityPoolId: pool,
    streams: { enabled: true, sink: { kind: 'postgres', retentionDays: 7 } },
  });
  const results = await Promise.all(
    Array.from({ length: 4 }, () => kindOf(startBulkPublish(database.db, pool))),
  );
  expect(results.sort()).toEqual([
    'DuplicateRequestException',
    'DuplicateRequestException',
    'DuplicateRequestException',
    'ok',
  ]);
  await setBulkPublishProgress(database.db, { identityPoolId: pool, done: 2, total: 5 });
  expect((await getPoolSettings(database.db, pool)).bulkPublish).toMatchObject({
    status: 'IN_PROGRESS',
    progress: { done: 2, total: 5 },
  });
  const done = await finishBulkPublish(database.db, { identityPoolId: pool, status: 'SUCCEEDED' });
  expect(done).toMatchObject({ status: 'SUCCEEDED', failureMessage: null });
  expect(done!.completedAt).toBeGreaterThanOrEqual(done!.startedAt!);
  // Only an IN_PROGRESS run can finish.
  expect(
    await finishBulkPublish(database.db, {
      identityPoolId: pool,
      status: 'FAILED',
      failureMessage: 'x',
    }),
  ).toBeNull();
  expect(await kindOf(startBulkPublish(database.db, pool))).toBe('AlreadyStreamedException');
});

test('the setup lock has one holder at a time and expires', async () => {
  const first = await tryAcquireSetupLock(database.db, 'test-lock', 60_000);
  expect(first).toBeTruthy();
  expect(await tryAcquireSetupLock(database.db, 'test-lock', 60_000)).toBeNull();
  await releaseSetupLock(database.db, 'test-lock', 'not-the-holder');
  expect(await tryAcquireSetupLock(database.db, 'test-lock', 60_000)).toBeNull();
  await releaseSetupLock(database.db, 'test-lock', first!);

  const holders = await Promise.all(
    Array.from({ length: 5 }, () => tryAcquireSetupLock(database.db, 'test-lock', 60_000)),
  );
  expect(holders.filter(Boolean)).toHaveLength(1);
  await releaseSetupLock(database.db, 'test-lock', holders.find(Boolean)!);

  expect(await tryAcquireSetupLock(database.db, 'test-lock', 1)).toBeTruthy();
  await new Promise((resolve) => setTimeout(resolve, 20));
  // The holder let it expire: the next caller takes it over.
  expect(await tryAcquireSetupLock(database.db, 'test-lock', 60_000)).toBeTruthy();
});
