/**
 * The console's pool settings (push + VAPID keys, streams, sync trigger), bulk publish and
 * dashboard procedures, over HTTP with real clients.
 */
import { createTandemClient, memoryStore } from '@tandem/client-sdk';
import { createSecretBox, finishBulkPublish, getCurrentVapidKey } from '@tandem/db';
import { createECDH } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorOf, startHarness, syncOnce, type Harness, type TestUser } from './testing/harness.js';

let h: Harness;
let admin: TestUser;
/** Every answer an admin got in this file: none may contain a VAPID private key. */
const answers: unknown[] = [];
const privateKeys: string[] = [];

beforeAll(async () => {
  h = await startHarness();
  admin = await h.admin();
});
afterAll(async () => {
  const all = JSON.stringify(answers);
  expect(privateKeys.length).toBeGreaterThan(0);
  expect(answers.length).toBeGreaterThan(20);
  for (const key of privateKeys) expect(all).not.toContain(key);
  await h?.close();
});

const keep = async <T>(call: Promise<T>): Promise<T> => {
  const answer = await call;
  answers.push(answer);
  return answer;
};
const api = () => admin.client.admin.identityPool;
const UNKNOWN_POOL = 'local-1:00000000-0000-0000-0000-000000000000';

/** Raw SQL on the test database (statement names must be unique per text on PostgreSQL). */
let statementCounter = 0;
const query = <Row = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  h.database.sql.query<Row>({ name: `console_admin_test_${statementCounter++}`, text }, params);

test('non-admin callers are refused every settings procedure', async () => {
  const identityPoolId = await h.pool();
  const user = await h.signUp();
  const guest = await h.guest();
  const anonymous = h.client(null);
  for (const client of [user.client, guest.client, anonymous]) {
    const p = client.admin.identityPool;
    const calls: Array<() => Promise<unknown>> = [
      () => p.settings.query({ identityPoolId }),
      () => p.setPush.mutate({ identityPoolId, enabled: true }),
      () => p.rotateVapidKey.mutate({ identityPoolId }),
      () => p.setStreams.mutate({ identityPoolId, streams: null }),
      () => p.setSyncTrigger.mutate({ identityPoolId, syncTrigger: null }),
      () => p.bulkPublish.mutate({ identityPoolId }),
      () => p.bulkPublishDetails.query({ identityPoolId }),
      () => p.dashboard.query({ identityPoolId }),
    ];
    for (const call of calls) {
      expect(await errorOf(call())).toMatchObject({ kind: 'NotAuthorizedException', status: 403 });
    }
  }
  // Nothing was changed by the refused calls.
  const settings = await keep(api().settings.query({ identityPoolId }));
  expect(settings.push).toMatchObject({ enabled: false, vapidPublicKey: null });
});

test('a fresh pool reports defaults; unknown and malformed pools are refused', async () => {
  const identityPoolId = await h.pool();
  expect(await keep(api().settings.query({ identityPoolId }))).toEqual({
    identityPoolId,
    name: 'test pool',
    allowUnauthenticated: true,
    push: {
      enabled: false,
      vapidPublicKey: null,
      vapidKeyCreatedAt: null,
      previousVapidPublicKey: null,
      notification: { show: true, title: 'Updated', body: 'Your data changed on another device.' },
    },
    streams: null,
    streamsHealth: { status: 'not-running', backlog: null, lastError: null, checkedAt: null },
    syncTrigger: null,
    bulkPublish: {
      identityPoolId,
      status: 'NOT_STARTED',
      startedAt: null,
      completedAt: null,
      failureMessage: null,
      progress: null,
    },
  });
  const p = api();
  const identityPool = { identityPoolId: UNKNOWN_POOL };
  for (const call of [
    () => p.settings.query(identityPool),
    () => p.setPush.mutate({ ...identityPool, enabled: true }),
    () => p.rotateVapidKey.mutate(identityPool),
    () => p.setStreams.mutate({ ...identityPool, streams: null }),
    () => p.setSyncTrigger.mutate({ ...identityPool, syncTrigger: null }),
    () => p.bulkPublish.mutate(identityPool),
    () => p.bulkPublishDetails.query(identityPool),
    () => p.dashboard.query(identityPool),
  ]) {
    expect(await errorOf(call())).toMatchObject({ kind: 'ResourceNotFoundException', status: 404 });
  }
  expect(await errorOf(p.settings.query({ identityPoolId: 'INVALID' }))).toMatchObject({
    kind: 'InvalidParameterException',
    status: 400,
    message: expect.stringContaining('1 validation error detected'),
  });
});

test('enabling push creates the VAPID key pair once: P-256 public point, private key sealed', async () => {
  const identityPoolId = await h.pool();
  const before = Date.now();
  const enabled = await keep(api().setPush.mutate({ identityPoolId, enabled: true }));
  expect(enabled.push).toMatchObject({
    enabled: true,
    previousVapidPublicKey: null,
    notification: { show: true, title: 'Updated', body: 'Your data changed on another device.' },
  });
  const publicKey = enabled.push.vapidPublicKey!;
  expect(publicKey).toMatch(/^[A-Za-z0-9_-]+$/);
  const point = Buffer.from(publicKey, 'base64url');
  expect(point).toHaveLength(65);
  expect(point[0]).toBe(0x04);
  expect(enabled.push.vapidKeyCreatedAt).toBeGreaterThanOrEqual(before - 1000);

  // The server-side reader opens the private key; it is the scalar of that public point.
  const box = createSecretBox('test-secret-test-secret-test-secret-0123');
  const key = await getCurrentVapidKey(h.database.db, box, identityPoolId);
  expect(key!.publicKey).toBe(publicKey);
  const privateKey = Buffer.from(key!.privateKey, 'base64url');
  expect(privateKey).toHaveLength(32);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(privateKey);
  expect(ecdh.getPublicKey().toString('base64url')).toBe(publicKey);
  privateKeys.push(key!.privateKey, privateKey.toString('hex'), privateKey.toString('base64'));

  // At rest the private key is sealed, not the plaintext.
  const [row] = await query<{ sealed: string }>(
    'select private_key_sealed as sealed from vapid_key where identity_pool_id = $1',
    [identityPoolId],
  );
  expect(row!.sealed).toMatch(/^v1\./);
  expect(row!.sealed).not.toContain(key!.privateKey);

  // Disabling keeps the key; enabling again reuses it; a notification is kept until changed.
  const notification = { show: false, title: '  New data ', body: '' };
  const disabled = await keep(
    api().setPush.mutate({ identityPoolId, enabled: false, notification }),
  );
  expect(disabled.push).toMatchObject({
    enabled: false,
    vapidPublicKey: publicKey,
    notification: { show: false, title: 'New data', body: '' },
  });
  const again = await keep(api().setPush.mutate({ identityPoolId, enabled: true }));
  expect(again.push).toMatchObject({
    enabled: true,
    vapidPublicKey: publicKey,
    notification: { show: false, title: 'New data', body: '' },
  });
  expect(await keep(api().settings.query({ identityPoolId }))).toEqual(again);

  for (const bad of [
    { identityPoolId, enabled: true, notification: { show: true, title: ' ', body: '' } },
    {
      identityPoolId,
      enabled: true,
      notification: { show: true, title: 'x'.repeat(61), body: '' },
    },
    { identityPoolId, enabled: true, notification: { show: true, title: 't', body: '', x: 1 } },
    { identityPoolId, enabled: 'yes' },
    { identityPoolId, enabled: true, vapidPrivateKey: 'mine' },
  ]) {
    expect(await errorOf(api().setPush.mutate(bad as never))).toMatchObject({
      kind: 'InvalidParameterException',
    });
  }
});

test('rotating the VAPID key keeps the previous public key; refused before push was enabled', async () => {
  const identityPoolId = await h.pool();
  expect(await errorOf(api().rotateVapidKey.mutate({ identityPoolId }))).toMatchObject({
    kind: 'InvalidParameterException',
    status: 400,
    message: expect.stringContaining('Push has never been enabled'),
  });
  // Disabled push with no key: still nothing to rotate.
  await api().setPush.mutate({ identityPoolId, enabled: false });
  expect((await errorOf(api().rotateVapidKey.mutate({ identityPoolId })))?.kind).toBe(
    'InvalidParameterException',
  );

  const first = (await keep(api().setPush.mutate({ identityPoolId, enabled: true }))).push;
  const rotated = (await keep(api().rotateVapidKey.mutate({ identityPoolId }))).push;
  expect(rotated.vapidPublicKey).not.toBe(first.vapidPublicKey);
  expect(Buffer.from(rotated.vapidPublicKey!, 'base64url')).toHaveLength(65);
  expect(rotated.previousVapidPublicKey).toBe(first.vapidPublicKey);
  expect(rotated.enabled).toBe(true);

  const box = createSecretBox('test-secret-test-secret-test-secret-0123');
  const current = await getCurrentVapidKey(h.database.db, box, identityPoolId);
  expect(current!.publicKey).toBe(rotated.vapidPublicKey);
  privateKeys.push(current!.privateKey);

  const twice = (await keep(api().rotateVapidKey.mutate({ identityPoolId }))).push;
  expect(twice.previousVapidPublicKey).toBe(rotated.vapidPublicKey);
  const rows = await query<{ n: number }>(
    'select count(*)::int as n from vapid_key where identity_pool_id = $1',
    [identityPoolId],
  );
  expect(rows[0]!.n).toBe(2); // the current key and the previous one; older ones are dropped
  privateKeys.push((await getCurrentVapidKey(h.database.db, box, identityPoolId))!.privateKey);
});

test('streams settings are validated, stored with defaults, and removed with null', async () => {
  const identityPoolId = await h.pool();
  const nats = await keep(
    api().setStreams.mutate({
      identityPoolId,
      streams: {
        enabled: true,
        sink: { kind: 'nats', host: 'nats.internal', stream: 'tandem', subjectPrefix: 'sync.app' },
      },
    }),
  );
  expect(nats.streams).toEqual({
    enabled: true,
    sink: {
      kind: 'nats',
      host: 'nats.internal',
      port: 4222,
      stream: 'tandem',
      subjectPrefix: 'sync.app',
    },
  });
  expect(nats.streamsHealth.status).toBe('not-running');

  // The worker reports health; a new configuration drops the old sink's health.
  await query(
    `update identity_pool_settings set streams_health = '{"status":"failing","backlog":3,"lastError":"down","checkedAt":1}' where identity_pool_id = $1`,
    [identityPoolId],
  );
  expect((await keep(api().settings.query({ identityPoolId }))).streamsHealth).toEqual({
    status: 'failing',
    backlog: 3,
    lastError: 'down',
    checkedAt: 1,
  });
  const kinesis = await keep(
    api().setStreams.mutate({
      identityPoolId,
      streams: {
        enabled: false,
        sink: {
          kind: 'kinesis',
          streamName: 'my-stream',
          region: 'eu-west-1',
          endpoint: 'http://localhost:4566',
        },
      },
    }),
  );
  expect(kinesis.streams?.sink).toMatchObject({ kind: 'kinesis', streamName: 'my-stream' });
  // Saved as DISABLED: reported as such at once (no worker needs to look).
  expect(kinesis.streamsHealth.status).toBe('disabled');

  for (const streams of [
    { enabled: true, sink: { kind: 'kinesis', streamName: 'bad name!', region: 'eu-west-1' } },
    { enabled: true, sink: { kind: 'redis', host: 'a b', stream: 's' } },
    { enabled: true, sink: { kind: 'postgres', retentionDays: 0 } },
    { enabled: true, sink: { kind: 'ftp' } },
    { enabled: true },
  ]) {
    expect(
      await errorOf(api().setStreams.mutate({ identityPoolId, streams } as never)),
    ).toMatchObject({ kind: 'InvalidParameterException', status: 400 });
  }
  expect((await keep(api().settings.query({ identityPoolId }))).streams).toEqual(kinesis.streams);

  const removed = await keep(api().setStreams.mutate({ identityPoolId, streams: null }));
  expect(removed.streams).toBeNull();
});

test('sync triggers: webhooks need https (except localhost), functions must compile', async () => {
  const identityPoolId = await h.pool();
  const set = (syncTrigger: unknown) =>
    api().setSyncTrigger.mutate({ identityPoolId, syncTrigger } as never);

  const hook = await keep(
    set({ enabled: true, target: { kind: 'webhook', url: 'https://hooks.example.com/sync' } }),
  );
  expect(hook.syncTrigger).toEqual({
    enabled: true,
    target: { kind: 'webhook', url: 'https://hooks.example.com/sync' },
  });
  for (const url of ['http://localhost:8080/hook', 'http://127.0.0.1:3000/x']) {
    expect(
      (await keep(set({ enabled: false, target: { kind: 'webhook', url } }))).syncTrigger,
    ).toMatchObject({ target: { url } });
  }
  for (const url of ['http://hooks.example.com/sync', 'http://10.0.0.1/hook', 'ftp://x.example']) {
    expect(await errorOf(set({ enabled: true, target: { kind: 'webhook', url } }))).toMatchObject({
      kind: 'InvalidParameterException',
      status: 400,
    });
  }
  expect(
    await errorOf(set({ enabled: true, target: { kind: 'webhook', url: 'http://example.com' } })),
  ).toMatchObject({ message: expect.stringContaining('must use https') });

  const source = [
    'export default async function (event) {',
    '  const records = event.datasetRecords;',
    '  return { ...event, datasetRecords: records };',
    '}',
  ].join('\n');
  const fn = await keep(set({ enabled: true, target: { kind: 'function', source } }));
  expect(fn.syncTrigger).toEqual({ enabled: true, target: { kind: 'function', source } });

  const broken = [
    'export default async function (event) {',
    '  const records = event.datasetRecords;',
    '  return { ...event, datasetRecords: records +* 2 };',
    '}',
  ].join('\n');
  const error = await errorOf(set({ enabled: true, target: { kind: 'function', source: broken } }));
  expect(error).toMatchObject({ kind: 'InvalidParameterException', status: 400 });
  expect(error!.message).toBe(
    "The sync trigger function does not compile: line 3: Unexpected token '*'",
  );
  expect(
    (
      await errorOf(
        set({ enabled: true, target: { kind: 'function', source: 'export default (e) => {' } }),
      )
    )?.message,
  ).toBe('The sync trigger function does not compile: line 1: Unexpected end of input');
  const withImport = "import fs from 'node:fs';\nexport default async (event) => event;";
  expect(
    (await errorOf(set({ enabled: true, target: { kind: 'function', source: withImport } })))
      ?.message,
  ).toBe(
    'The sync trigger function does not compile: line 1: Cannot use import statement outside a module',
  );
  expect(
    (await errorOf(set({ enabled: true, target: { kind: 'function', source: 'return event;' } })))
      ?.message,
  ).toContain('must have a default export');
  // Compiled, never run: a function that would throw or loop at load is accepted as it is.
  const neverRun = 'globalThis.__tandemTriggerRan = true;\nexport default () => { for (;;) {} };';
  await keep(set({ enabled: false, target: { kind: 'function', source: neverRun } }));
  expect((globalThis as { __tandemTriggerRan?: boolean }).__tandemTriggerRan).toBeUndefined();
  expect(
    await errorOf(set({ enabled: true, target: { kind: 'function', source: '' } })),
  ).toMatchObject({ kind: 'InvalidParameterException' });

  // The last good trigger is still stored; null removes it.
  expect((await keep(api().settings.query({ identityPoolId }))).syncTrigger).toMatchObject({
    target: { kind: 'function', source: neverRun },
  });
  expect((await keep(set(null))).syncTrigger).toBeNull();
});

test('bulk publish follows Cognito: streams required, one at a time, one success per 24 h', async () => {
  const identityPoolId = await h.pool();
  expect(await keep(api().bulkPublishDetails.query({ identityPoolId }))).toEqual({
    identityPoolId,
    status: 'NOT_STARTED',
    startedAt: null,
    completedAt: null,
    failureMessage: null,
    progress: null,
  });
  expect(await errorOf(api().bulkPublish.mutate({ identityPoolId }))).toMatchObject({
    kind: 'InvalidParameterException',
    status: 400,
    message: expect.stringContaining('Streams are not configured'),
  });
  const sink = { kind: 'postgres' as const, retentionDays: 7 };
  await api().setStreams.mutate({ identityPoolId, streams: { enabled: false, sink } });
  expect(await errorOf(api().bulkPublish.mutate({ identityPoolId }))).toMatchObject({
    kind: 'InvalidParameterException',
    message: expect.stringContaining('Streams are disabled'),
  });
  await api().setStreams.mutate({ identityPoolId, streams: { enabled: true, sink } });

  const before = Date.now();
  const started = await keep(api().bulkPublish.mutate({ identityPoolId }));
  expect(started).toMatchObject({
    identityPoolId,
    status: 'IN_PROGRESS',
    completedAt: null,
    failureMessage: null,
    progress: null,
  });
  expect(started.startedAt).toBeGreaterThanOrEqual(before - 1000);
  expect(await keep(api().bulkPublishDetails.query({ identityPoolId }))).toEqual(started);
  expect((await keep(api().settings.query({ identityPoolId }))).bulkPublish).toEqual(started);
  expect(await errorOf(api().bulkPublish.mutate({ identityPoolId }))).toMatchObject({
    kind: 'DuplicateRequestException',
    status: 400,
  });

  // The worker (a later issue) ends runs; here the query it will use does.
  await finishBulkPublish(h.database.db, { identityPoolId, status: 'SUCCEEDED' });
  const succeeded = await keep(api().bulkPublishDetails.query({ identityPoolId }));
  expect(succeeded).toMatchObject({ status: 'SUCCEEDED', failureMessage: null });
  expect(succeeded.completedAt).toBeGreaterThanOrEqual(succeeded.startedAt!);
  expect(await errorOf(api().bulkPublish.mutate({ identityPoolId }))).toMatchObject({
    kind: 'AlreadyStreamedException',
    status: 400,
  });

  // 23 h later: still refused. 25 h later: a new run starts.
  const completedHoursAgo = (hours: number) =>
    query(
      `update bulk_publish set completed_at = now() - ($2 || ' hours')::interval, started_at = now() - ($2 || ' hours')::interval - interval '1 minute' where identity_pool_id = $1`,
      [identityPoolId, String(hours)],
    );
  await completedHoursAgo(23);
  expect((await errorOf(api().bulkPublish.mutate({ identityPoolId })))?.kind).toBe(
    'AlreadyStreamedException',
  );
  await completedHoursAgo(25);
  const again = await keep(api().bulkPublish.mutate({ identityPoolId }));
  expect(again).toMatchObject({ status: 'IN_PROGRESS', completedAt: null });
  expect(again.startedAt).toBeGreaterThan(succeeded.startedAt!);

  // A failed run reports its message (and no completion time) and does not block a retry.
  await finishBulkPublish(h.database.db, {
    identityPoolId,
    status: 'FAILED',
    failureMessage: 'The stream rejected the records.',
  });
  expect(await keep(api().bulkPublishDetails.query({ identityPoolId }))).toMatchObject({
    status: 'FAILED',
    completedAt: null,
    failureMessage: 'The stream rejected the records.',
  });
  expect((await keep(api().bulkPublish.mutate({ identityPoolId }))).status).toBe('IN_PROGRESS');
});

test('the dashboard counts identities, datasets, records and writes over time', async () => {
  const identityPoolId = await h.pool();
  const empty = await keep(api().dashboard.query({ identityPoolId }));
  expect(empty).toMatchObject({
    identityPoolId,
    identityCount: 0,
    authenticatedIdentityCount: 0,
    datasetCount: 0,
    recordCount: 0,
    dataStorage: 0,
    recentChanges: [],
  });
  expect(empty.syncsOverTime).toHaveLength(14);
  expect(empty.syncsOverTime.every((b) => b.syncs === 0 && b.bucketMs === 86_400_000)).toBe(true);

  // A signed-up user over tRPC: two syncs in "profile", one in "scratch", then deletes it.
  const user = await h.signUp();
  const { identityId } = await user.client.identity.getId.mutate({ identityPoolId });
  await syncOnce(user.client, { identityPoolId, datasetName: 'profile' }, [
    { op: 'replace', key: 'name', value: 'Ada', syncCount: 0 },
    { op: 'replace', key: 'city', value: 'London', syncCount: 0 },
  ]);
  await syncOnce(user.client, { identityPoolId, datasetName: 'profile' }, [
    { op: 'remove', key: 'city', syncCount: 1 },
  ]);
  await syncOnce(user.client, { identityPoolId, datasetName: 'scratch' }, [
    { op: 'replace', key: 'k', value: 'v', syncCount: 0 },
  ]);
  await user.client.dataset.delete.mutate({ identityPoolId, datasetName: 'scratch' });
  // A guest device on the client SDK.
  const device = await createTandemClient({
    url: h.url,
    identityPoolId,
    store: memoryStore(),
    autoSync: false,
    live: false,
  });
  try {
    await device.signInAsGuest();
    const notes = await device.dataset('notes');
    await notes.put('todo', 'milk');
    await notes.put('done', 'eggs');
    await notes.synchronize();
  } finally {
    await device.close();
  }
  // An admin edit of the user's profile.
  const scope = { identityPoolId, identityId, datasetName: 'profile' };
  const pulled = await admin.client.admin.record.list.query(scope);
  await admin.client.admin.record.update.mutate({
    ...scope,
    syncSessionToken: pulled.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'name', value: 'Grace', syncCount: 1 }],
  });

  const dashboard = await keep(api().dashboard.query({ identityPoolId, days: 7 }));
  expect(dashboard).toMatchObject({
    identityPoolId,
    identityCount: 2,
    authenticatedIdentityCount: 1,
    datasetCount: 2, // profile and notes; scratch was deleted
    recordCount: 3, // name (profile), todo and done (notes); the city tombstone does not count
    dataStorage: 25, // UTF-8 bytes of name+Grace, todo+milk, done+eggs
  });
  // Writes: 2 profile syncs + scratch write + scratch deletion + notes sync + admin edit.
  expect(dashboard.syncsOverTime).toHaveLength(7);
  expect(dashboard.syncsOverTime.at(-1)!.syncs).toBe(6);
  expect(dashboard.syncsOverTime.slice(0, -1).every((b) => b.syncs === 0)).toBe(true);
  const today = Math.floor(Date.now() / 86_400_000) * 86_400_000;
  expect(dashboard.syncsOverTime.at(-1)!.bucketStart).toBe(today);
  expect(dashboard.syncsOverTime[0]!.bucketStart).toBe(today - 6 * 86_400_000);

  expect(dashboard.recentChanges).toHaveLength(6);
  expect(dashboard.recentChanges[0]).toMatchObject({
    identityId,
    datasetName: 'profile',
    syncCount: 3,
    kind: 'update',
    source: 'admin',
    recordCount: 1,
  });
  expect(
    dashboard.recentChanges.map((c) => [c.datasetName, c.kind, c.source, c.recordCount]),
  ).toEqual([
    ['profile', 'update', 'admin', 1],
    ['notes', 'update', 'identity', 2],
    ['scratch', 'delete', 'identity', 0],
    ['scratch', 'update', 'identity', 1],
    ['profile', 'update', 'identity', 1],
    ['profile', 'update', 'identity', 2],
  ]);
  const times = dashboard.recentChanges.map((c) => c.committedAt);
  expect([...times].sort((a, b) => b - a)).toEqual(times);

  // The admin write is attributed to the admin in the record itself.
  const seen = await user.client.record.list.query({ identityPoolId, datasetName: 'profile' });
  expect(seen.records.find((r) => r.key === 'name')!.lastModifiedBy).toMatch(/^admin:.+@/);

  // Pin the change times: the profile writes in the current hour, scratch 2 days earlier, notes
  // 30 days earlier (outside a 7-day window). Each lands in its bucket, empty buckets included.
  const hourStart = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const pin = (datasetName: string, at: number) =>
    query(
      'update change_log set committed_at = to_timestamp($3::float8 / 1000) where identity_pool_id = $1 and dataset_name = $2',
      [identityPoolId, datasetName, at],
    );
  await pin('profile', hourStart);
  await pin('scratch', hourStart - 2 * 86_400_000);
  await pin('notes', hourStart - 30 * 86_400_000);
  const week = await keep(api().dashboard.query({ identityPoolId, days: 7 }));
  expect(week.syncsOverTime.map((b) => b.syncs)).toEqual([0, 0, 0, 0, 2, 0, 3]);
  expect(week.recentChanges.map((c) => [c.datasetName, c.syncCount])).toEqual([
    ['profile', 3],
    ['profile', 2],
    ['profile', 1],
    ['scratch', 2],
    ['scratch', 1],
    ['notes', 1],
  ]);

  // One day: 24 hourly buckets, the last one the current hour.
  const day = await keep(api().dashboard.query({ identityPoolId, days: 1 }));
  expect(day.syncsOverTime).toHaveLength(24);
  expect(day.syncsOverTime.every((b) => b.bucketMs === 3_600_000)).toBe(true);
  expect(day.syncsOverTime.at(-1)).toEqual({
    bucketStart: hourStart,
    bucketMs: 3_600_000,
    syncs: 3,
  });
  expect(day.syncsOverTime[0]!.bucketStart).toBe(hourStart - 23 * 3_600_000);
  expect(day.syncsOverTime.slice(0, -1).every((b) => b.syncs === 0)).toBe(true);

  const quarter = await keep(api().dashboard.query({ identityPoolId, days: 90 }));
  expect(quarter.syncsOverTime).toHaveLength(90);
  expect(quarter.syncsOverTime.reduce((sum, b) => sum + b.syncs, 0)).toBe(6);

  for (const days of [0, 91, 1.5]) {
    expect(await errorOf(api().dashboard.query({ identityPoolId, days }))).toMatchObject({
      kind: 'InvalidParameterException',
      status: 400,
    });
  }
});

test('the recent changes are the 20 latest', async () => {
  const identityPoolId = await h.pool();
  const user = await h.signUp();
  for (let i = 0; i < 22; i++) {
    await syncOnce(user.client, { identityPoolId, datasetName: 'counter' }, [
      { op: 'replace', key: 'n', value: String(i), syncCount: i },
    ]);
  }
  const dashboard = await keep(api().dashboard.query({ identityPoolId }));
  expect(dashboard.recentChanges.map((c) => c.syncCount)).toEqual(
    Array.from({ length: 20 }, (_, i) => 22 - i),
  );
  expect(dashboard.syncsOverTime.at(-1)!.syncs).toBe(22);
});
