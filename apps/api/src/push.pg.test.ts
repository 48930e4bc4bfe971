/**
 * Push sync end to end: devices registered through the API with subscriptions made at
 * web-push-testing (a real push service that decrypts what it receives), a write through the
 * API, and the push fan-out running in the API process as on the embedded default.
 */
import { createSecretBox, getCurrentVapidKey } from '@tandem/db';
import {
  startWebPushTesting,
  type PushServiceUnderTest,
  type TestSubscription,
} from '@tandem/push-delivery/testing';
import { createECDH } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorOf, startHarness, type Harness, type TestUser } from './testing/harness.js';

let h: Harness;
let pushService: PushServiceUnderTest;
let stalled: { origin: string; requests: () => number; close(): Promise<void> };
let admin: TestUser;
let user: TestUser;
let identityPoolId: string;
let vapidPublicKey: string;
/** Every answer seen in this file, and every API log line: none may hold the VAPID private key. */
const answers: unknown[] = [];
const logLines: string[] = [];
const keep = async <T>(call: Promise<T>): Promise<T> => {
  const answer = await call;
  answers.push(answer);
  return answer;
};

/** A push service that accepts connections and never answers. */
async function stalledPushService() {
  let requests = 0;
  const server = http.createServer(() => void requests++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

beforeAll(async () => {
  pushService = await startWebPushTesting();
  stalled = await stalledPushService();
  h = await startHarness(
    {
      RUN_WORKER: 'true',
      PUSH_DEV_ORIGINS: `${pushService.origin},${stalled.origin}`,
      LOG_LEVEL: 'debug',
    },
    { onLog: (line) => void logLines.push(line) },
  );
  admin = await h.admin();
  identityPoolId = await h.pool();
  user = await h.signUp();
});
afterAll(async () => {
  const key = identityPoolId
    ? await getCurrentVapidKey(
        h.database.db,
        createSecretBox('test-secret-test-secret-test-secret-0123'),
        identityPoolId,
      )
    : null;
  await h?.close();
  await pushService?.close();
  await stalled?.close();
  expect(key).not.toBeNull();
  expect(answers.length).toBeGreaterThan(5);
  expect(JSON.stringify(answers)).not.toContain(key!.privateKey);
  // Debug logging covers every request, the push fan-out's outcomes and pruned devices.
  expect(logLines.length).toBeGreaterThan(20);
  expect(logLines.join('\n')).not.toContain(key!.privateKey);
  expect(logLines.join('\n')).not.toContain('/notify/'); // nor any endpoint path
});

async function register(
  deviceId: string,
  subscription: { endpoint: string; keys: { p256dh: string; auth: string } },
) {
  return keep(
    user.client.device.register.mutate({
      identityPoolId,
      platform: 'WEB_PUSH',
      deviceId,
      subscription: { endpoint: subscription.endpoint, keys: subscription.keys },
    }),
  );
}

async function write(deviceId: string, datasetName: string, key: string, value: string) {
  const scope = { identityPoolId, datasetName };
  const pulled = await user.client.record.list.query(scope);
  const current = pulled.records.find((r) => r.key === key)?.syncCount ?? 0;
  return keep(
    user.client.record.update.mutate({
      ...scope,
      deviceId,
      syncSessionToken: pulled.syncSessionToken,
      recordPatches: [{ op: 'replace', key, value, syncCount: current }],
    }),
  );
}

async function waitFor(condition: () => Promise<boolean>, what: string, timeoutMs = 15_000) {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('registering a browser needs push enabled, a known push service and valid keys', async () => {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const a = {
    endpoint: `${pushService.origin}/notify/early`,
    keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: 'AAAAAAAAAAAAAAAAAAAAAA' },
  };
  expect(await errorOf(register('early', a))).toMatchObject({
    kind: 'InvalidConfigurationException',
  });

  const settings = await keep(
    admin.client.admin.identityPool.setPush.mutate({ identityPoolId, enabled: true }),
  );
  vapidPublicKey = settings.push.vapidPublicKey!;
  const config = await keep(user.client.device.pushConfig.query({ identityPoolId }));
  expect(config).toMatchObject({ enabled: true, vapidPublicKey });

  const valid = await pushService.subscribe(vapidPublicKey);
  for (const endpoint of [
    'http://push.example.com/x',
    'https://10.0.0.1/x',
    'https://evil.example.com/x',
    'https://fcm.googleapis.com:8443/x',
    'https://user:pw@fcm.googleapis.com/x',
  ]) {
    const error = await errorOf(register('bad', { endpoint, keys: valid.keys }));
    expect(error, endpoint).toMatchObject({ kind: 'InvalidParameterException' });
    expect(error?.message, endpoint).not.toContain('/x');
  }
  expect(
    await errorOf(
      register('bad', { endpoint: valid.endpoint, keys: { ...valid.keys, p256dh: 'AAAA' } }),
    ),
  ).toMatchObject({ kind: 'InvalidParameterException' });
  expect(
    await errorOf(
      user.client.device.subscribe.mutate({
        identityPoolId,
        deviceId: 'nope',
        datasetName: 'notes',
      }),
    ),
  ).toMatchObject({
    kind: 'ResourceNotFoundException',
  });
});

test('a write on device A is pushed, encrypted, to B and C subscribed to that dataset: not to A, not to others', async () => {
  const browsers: Record<string, TestSubscription> = {};
  for (const name of ['A', 'B', 'C', 'D']) {
    browsers[name] = await pushService.subscribe(vapidPublicKey);
    await register(name, browsers[name]);
  }
  for (const name of ['A', 'B', 'C']) {
    await keep(
      user.client.device.subscribe.mutate({ identityPoolId, deviceId: name, datasetName: 'notes' }),
    );
  }
  await keep(
    user.client.device.subscribe.mutate({ identityPoolId, deviceId: 'D', datasetName: 'other' }),
  );
  const listed = await keep(user.client.device.list.query({ identityPoolId }));
  expect(listed.devices.map((d) => [d.deviceId, d.subscribedDatasets])).toEqual(
    expect.arrayContaining([
      ['A', ['notes']],
      ['D', ['other']],
    ]),
  );
  expect(JSON.stringify(listed)).not.toContain('/notify/'); // endpoints are not echoed

  const written = await write('A', 'notes', 'title', 'hello');
  const syncCount = written.records[0]!.syncCount;
  const { identityId } = await keep(user.client.identity.getId.mutate({ identityPoolId }));
  const expected = {
    source: 'cognito-sync',
    identityPoolId,
    identityId,
    datasetName: 'notes',
    syncCount,
  };
  await waitFor(
    async () =>
      (await pushService.messages(browsers['B']!)).length > 0 &&
      (await pushService.messages(browsers['C']!)).length > 0,
    'pushes to B and C',
  );
  for (const name of ['B', 'C']) {
    const messages = await pushService.messages(browsers[name]!);
    expect(messages.map((m) => JSON.parse(m) as unknown)).toEqual([expected]);
  }
  await new Promise((resolve) => setTimeout(resolve, 300)); // room for a wrong push
  expect(await pushService.messages(browsers['A']!)).toEqual([]);
  expect(await pushService.messages(browsers['D']!)).toEqual([]);

  // Admins see the identity's devices (no endpoints) and can remove one.
  const asAdmin = admin.client.admin.identity;
  const seen = await keep(asAdmin.devices.query({ identityPoolId, identityId }));
  expect(seen.devices.map((d) => d.deviceId).sort()).toEqual(['A', 'B', 'C', 'D']);
  expect(seen.devices[0]?.pushServiceOrigin).toBe(pushService.origin);
  await keep(asAdmin.removeDevice.mutate({ identityPoolId, identityId, deviceId: 'D' }));
  expect(
    (await keep(user.client.device.list.query({ identityPoolId }))).devices.map((d) => d.deviceId),
  ).not.toContain('D');
  expect(
    await errorOf(asAdmin.removeDevice.mutate({ identityPoolId, identityId, deviceId: 'D' })),
  ).toMatchObject({ kind: 'ResourceNotFoundException' });

  // A subscription the push service says is gone (410) is removed on the next push.
  await pushService.expire(browsers['C']!);
  await write('A', 'notes', 'title', 'again');
  await waitFor(
    async () =>
      !(await user.client.device.list.query({ identityPoolId })).devices.some(
        (d) => d.deviceId === 'C',
      ),
    'device C to be pruned',
  );
  await waitFor(
    async () => (await pushService.messages(browsers['B']!)).length === 2,
    'second push to B',
  );
});

test('a push service that never answers does not slow UpdateRecords, nor other devices', async () => {
  const fast = await pushService.subscribe(vapidPublicKey);
  await register('fast', fast);
  await keep(
    user.client.device.subscribe.mutate({
      identityPoolId,
      deviceId: 'fast',
      datasetName: 'stalls',
    }),
  );
  // Devices on a stalled push service (same origin: they share its queue in the sender).
  for (let i = 0; i < 3; i++) {
    const slow = await pushService.subscribe(vapidPublicKey);
    await register(`slow${i}`, {
      endpoint: `${stalled.origin}/push/${slow.clientHash}`,
      keys: slow.keys,
    });
    await keep(
      user.client.device.subscribe.mutate({
        identityPoolId,
        deviceId: `slow${i}`,
        datasetName: 'stalls',
      }),
    );
  }
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const start = performance.now();
    await write('writer', 'stalls', `k${i}`, `v${i}`);
    times.push(performance.now() - start);
  }
  await waitFor(async () => stalled.requests() > 0, 'the stalled service to be called');
  // Every write answered promptly while the stalled service held its requests.
  expect(Math.max(...times)).toBeLessThan(1_000);
  // The device on a healthy push service got its pushes meanwhile.
  await waitFor(
    async () => (await pushService.messages(fast)).length > 0,
    'a push to the healthy device',
  );
});
