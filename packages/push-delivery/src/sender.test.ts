/**
 * The sending core against web-push-testing (run in-process: it decrypts what it receives) and
 * against tiny local servers that answer 429, redirect, fail, or never answer.
 */
import { createECDH, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import webpush from 'web-push';
import { afterAll, afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { createPushEndpointPolicy } from './endpoint.js';
import type { PushEndpointPolicy } from './endpoint.js';
import {
  PushPayloadTooLargeError,
  datasetTopic,
  decodePushPayload,
  encodePushPayload,
} from './payload.js';
import { PushSenderError, createPushSender, parseRetryAfter } from './sender.js';
import type { PushOutcome, PushSender, PushSenderOptions } from './sender.js';
import {
  startWebPushTesting,
  type PushServiceUnderTest,
  type ReceivedPush,
  type TestSubscription,
} from './testing/web-push-testing.js';

const vapid = { ...webpush.generateVAPIDKeys(), subject: 'mailto:push@tandem.example' };
const fields = {
  identityPoolId: 'eu-west-1:5f0c7f4e-8a43-4d35-9c1b-0f6f2d8d3a11',
  identityId: 'eu-west-1:0a6b2f52-2d6c-4f86-bd0e-4a1b9f6c7e21',
  datasetName: 'settings',
  syncCount: 7,
};

/** Everything the sender returned or threw in this file, checked for secrets at the end. */
const observed: unknown[] = [];
const senders: PushSender[] = [];
const servers: http.Server[] = [];

function sender(policy: PushEndpointPolicy, options: Partial<PushSenderOptions> = {}) {
  const created = createPushSender({ policy, ...options });
  senders.push(created);
  const send: PushSender['send'] = async (request) => {
    try {
      const outcome = await created.send(request);
      observed.push(outcome);
      return outcome;
    } catch (error) {
      observed.push(error, String(error));
      throw error;
    }
  };
  return { ...created, send };
}

function fakeKeys() {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    p256dh: ecdh.getPublicKey().toString('base64url'),
    auth: randomBytes(16).toString('base64url'),
  };
}

/** A local "push service" with a programmable handler; returns its origin. */
async function localServer(
  handler: (req: http.IncomingMessage, res: http.ServerResponse) => void,
): Promise<{ origin: string; hits: () => number }> {
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits += 1;
    req.resume();
    handler(req, res);
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { origin: `http://127.0.0.1:${port}`, hits: () => hits };
}

// ——— web-push-testing in-process ———
let wpt: PushServiceUnderTest;
let wptOrigin = '';
let received: ReceivedPush[] = [];

const subscribe = (applicationServerKey = vapid.publicKey) => wpt.subscribe(applicationServerKey);
const messagesFor = (subscription: TestSubscription) => wpt.messages(subscription);

beforeAll(async () => {
  wpt = await startWebPushTesting();
  wptOrigin = wpt.origin;
  received = wpt.received;
});

afterEach(() => {
  received.length = 0;
});

afterAll(async () => {
  for (const created of senders) created.close();
  await wpt.close();
  for (const server of servers) {
    server.closeAllConnections();
    server.close();
  }
  vi.restoreAllMocks();
  // X6: the VAPID private key, its JWTs and the endpoint paths appear in nothing we returned.
  const text = JSON.stringify(observed, (_k, v: unknown) =>
    v instanceof Error ? { ...v, name: v.name, message: v.message } : v,
  );
  expect(text).not.toContain(vapid.privateKey);
  expect(text).not.toMatch(/vapid t=|eyJ/);
  expect(text).not.toContain('/notify/');
  expect(text).not.toContain('never-echo');
});

describe('web-push-testing as the push service', () => {
  test('a push decrypts to the exact payload, with TTL, Topic and Urgency', async () => {
    const policy = createPushEndpointPolicy({ devOrigins: [wptOrigin] });
    const push = sender(policy, { ttlSeconds: 90 });
    const subscription = await subscribe();
    const payload = encodePushPayload(fields);
    const topic = datasetTopic(fields);
    const outcome = await push.send({ subscription, vapid, payload, topic, urgency: 'high' });
    expect(outcome).toEqual({ kind: 'delivered', status: 201 });
    const messages = await messagesFor(subscription);
    expect(messages).toEqual([payload.toString('utf8')]);
    expect(decodePushPayload(messages[0] ?? '')).toEqual({ source: 'cognito-sync', ...fields });
    expect(received).toEqual([
      { ttl: '90', topic, urgency: 'high', authorization: expect.stringMatching(/^vapid t=/) },
    ]);
    // Defaults: TTL 60 s… unless configured; urgency normal.
    const defaults = sender(policy);
    await defaults.send({ subscription, vapid, payload });
    expect(received[1]).toMatchObject({ ttl: '60', urgency: 'normal' });
    expect(received[1]?.topic).toBeUndefined();
  });

  test('the VAPID header is signed once per origin and key, then reused', async () => {
    const policy = createPushEndpointPolicy({ devOrigins: [wptOrigin] });
    let clock = Date.now();
    const push = sender(policy, { now: () => clock, vapidCacheMs: 60_000 });
    const sign = vi.spyOn(webpush, 'getVapidHeaders');
    sign.mockClear();
    const [a, b] = [await subscribe(), await subscribe()];
    for (const subscription of [a, b, a, b, a]) {
      expect(
        await push.send({ subscription, vapid, payload: encodePushPayload(fields) }),
      ).toMatchObject({
        kind: 'delivered',
      });
    }
    expect(sign).toHaveBeenCalledTimes(1);
    expect(push.stats().vapidSignatures).toBe(1);
    expect(new Set(received.map((r) => r.authorization)).size).toBe(1);
    expect(await messagesFor(a)).toHaveLength(3);

    // Another pool's key pair is another cache entry.
    const otherVapid = {
      ...webpush.generateVAPIDKeys(),
      subject: 'https://tandem.example/contact',
    };
    const c = await subscribe(otherVapid.publicKey);
    expect(
      await push.send({ subscription: c, vapid: otherVapid, payload: encodePushPayload(fields) }),
    ).toMatchObject({
      kind: 'delivered',
    });
    expect(sign).toHaveBeenCalledTimes(2);

    // After the cache period it signs again.
    clock += 61_000;
    await push.send({ subscription: a, vapid, payload: encodePushPayload(fields) });
    expect(push.stats().vapidSignatures).toBe(3);
    sign.mockRestore();
  });

  test('an expired subscription is gone (410)', async () => {
    const policy = createPushEndpointPolicy({ devOrigins: [wptOrigin] });
    const push = sender(policy);
    const subscription = await subscribe();
    await wpt.expire(subscription);
    expect(await push.send({ subscription, vapid, payload: encodePushPayload(fields) })).toEqual({
      kind: 'gone',
      status: 410,
    });
  });

  test('a stalled push service delays neither another origin nor the caller beyond its deadline', async () => {
    const stalled = await localServer(() => {
      /* never answers */
    });
    const policy = createPushEndpointPolicy({ devOrigins: [wptOrigin, stalled.origin] });
    const push = sender(policy, {
      requestTimeoutMs: 1500,
      maxConcurrentPerOrigin: 2,
      maxQueuedPerOrigin: 1,
    });
    const stalledTarget = { endpoint: `${stalled.origin}/push/x`, keys: fakeKeys() };
    const started = Date.now();
    const pending = [1, 2, 3].map(() =>
      push.send({ subscription: stalledTarget, vapid, payload: encodePushPayload(fields) }),
    );
    // The fourth finds both slots and the queue taken: it is told to retry at once.
    expect(
      await push.send({ subscription: stalledTarget, vapid, payload: encodePushPayload(fields) }),
    ).toMatchObject({ kind: 'retry', reason: 'origin_busy' });

    const subscription = await subscribe();
    const otherStarted = Date.now();
    const healthy = await push.send({ subscription, vapid, payload: encodePushPayload(fields) });
    const otherElapsed = Date.now() - otherStarted;
    expect(healthy).toEqual({ kind: 'delivered', status: 201 });
    expect(otherElapsed).toBeLessThan(500);
    expect(push.stats().origins[stalled.origin]).toEqual({ active: 2, queued: 1 });

    const outcomes = await Promise.all(pending);
    for (const outcome of outcomes) {
      expect(outcome).toMatchObject({ kind: 'retry', reason: 'timeout' });
    }
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(2900); // queued one waited for a slot, then timed out
    expect(elapsed).toBeLessThan(6000);
  });
});

describe('push-service responses', () => {
  test('429 + Retry-After defers later sends to that origin until it passes', async () => {
    let first = true;
    const service = await localServer((_req, res) => {
      if (first) {
        first = false;
        res.writeHead(429, { 'retry-after': '1' }).end('never-echo');
      } else {
        res.writeHead(201).end();
      }
    });
    const policy = createPushEndpointPolicy({ devOrigins: [service.origin] });
    const subscription = { endpoint: `${service.origin}/push/a`, keys: fakeKeys() };
    const other = { endpoint: `${service.origin}/push/b`, keys: fakeKeys() };
    const push = sender(policy, { maxThrottleWaitMs: 5000, throttleScope: 'origin' });
    const deferOnly = sender(policy, { throttleScope: 'origin' });

    const throttled = await push.send({ subscription, vapid });
    expect(throttled).toMatchObject({ kind: 'throttled', deferred: false });
    const retryAfterMs = (throttled as Extract<PushOutcome, { kind: 'throttled' }>).retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(900);
    expect(retryAfterMs).toBeLessThanOrEqual(1000);

    // Same origin, other endpoint: this sender waits for the window, then sends.
    const started = Date.now();
    expect(await push.send({ subscription: other, vapid })).toEqual({
      kind: 'delivered',
      status: 201,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(service.hits()).toBe(2);

    // A sender that may not wait returns `deferred` without contacting the service.
    first = true;
    expect(await deferOnly.send({ subscription, vapid })).toMatchObject({
      kind: 'throttled',
      deferred: false,
    });
    expect(await deferOnly.send({ subscription: other, vapid })).toMatchObject({
      kind: 'throttled',
      deferred: true,
    });
    expect(service.hits()).toBe(3);
  });

  test('per-endpoint throttling leaves other endpoints of the origin alone', async () => {
    const service = await localServer((req, res) => {
      res.writeHead(req.url === '/push/a' ? 429 : 201, { 'retry-after': '30' }).end();
    });
    const policy = createPushEndpointPolicy({ devOrigins: [service.origin] });
    const push = sender(policy, { throttleScope: 'endpoint' });
    const a = { endpoint: `${service.origin}/push/a`, keys: fakeKeys() };
    const b = { endpoint: `${service.origin}/push/b`, keys: fakeKeys() };
    expect(await push.send({ subscription: a, vapid })).toMatchObject({ kind: 'throttled' });
    expect(await push.send({ subscription: a, vapid })).toMatchObject({ deferred: true });
    expect(await push.send({ subscription: b, vapid })).toMatchObject({ kind: 'delivered' });
  });

  test('404 gone, 5xx retry with jittered exponential backoff, 400/413/403 rejected', async () => {
    const service = await localServer((req, res) => {
      const status = Number(req.url?.split('/').pop());
      res.writeHead(status, status === 503 ? { 'retry-after': '20' } : {}).end('never-echo');
    });
    const policy = createPushEndpointPolicy({ devOrigins: [service.origin] });
    const push = sender(policy, { random: () => 0.5, backoff: { baseMs: 1000, maxMs: 8000 } });
    const to = (status: number) => ({
      endpoint: `${service.origin}/push/${status}`,
      keys: fakeKeys(),
    });
    expect(await push.send({ subscription: to(404), vapid })).toEqual({
      kind: 'gone',
      status: 404,
    });
    expect(await push.send({ subscription: to(500), vapid })).toEqual({
      kind: 'retry',
      reason: 'server_error',
      status: 500,
      retryAfterMs: 750,
    });
    expect(await push.send({ subscription: to(502), vapid, attempt: 2 })).toMatchObject({
      retryAfterMs: 3000,
    });
    expect(await push.send({ subscription: to(502), vapid, attempt: 10 })).toMatchObject({
      retryAfterMs: 6000,
    });
    expect(await push.send({ subscription: to(503), vapid })).toMatchObject({
      kind: 'retry',
      retryAfterMs: 20_000,
    });
    expect(await push.send({ subscription: to(400), vapid })).toEqual({
      kind: 'rejected',
      reason: 'bad_request',
      status: 400,
    });
    expect(await push.send({ subscription: to(413), vapid })).toMatchObject({
      reason: 'payload_too_large',
    });
    expect(await push.send({ subscription: to(403), vapid })).toMatchObject({
      reason: 'unauthorized',
    });
  });

  test('a redirect is never followed', async () => {
    const target = await localServer((_req, res) => res.writeHead(201).end());
    const service = await localServer((_req, res) =>
      res.writeHead(307, { location: `${target.origin}/push/x` }).end(),
    );
    const policy = createPushEndpointPolicy({ devOrigins: [service.origin, target.origin] });
    const push = sender(policy);
    expect(
      await push.send({
        subscription: { endpoint: `${service.origin}/p`, keys: fakeKeys() },
        vapid,
      }),
    ).toEqual({ kind: 'rejected', reason: 'redirect', status: 307 });
    expect(target.hits()).toBe(0);
  });

  test('a refused connection is a network retry', async () => {
    const service = await localServer(() => {});
    const server = servers.at(-1);
    await new Promise((resolve) => server?.close(resolve));
    const policy = createPushEndpointPolicy({ devOrigins: [service.origin] });
    expect(
      await sender(policy).send({
        subscription: { endpoint: `${service.origin}/p`, keys: fakeKeys() },
        vapid,
      }),
    ).toMatchObject({ kind: 'retry', reason: 'network' });
  });
});

describe('send-time SSRF checks', () => {
  test('DNS rebinding: an allow-listed name resolving to a private address is refused', async () => {
    const resolver = vi.fn(async () => [{ address: '127.0.0.1', family: 4 }]);
    const push = sender(createPushEndpointPolicy(), { resolver });
    const subscription = { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys: fakeKeys() };
    expect(await push.send({ subscription, vapid })).toEqual({
      kind: 'refused',
      reason: 'private_address',
    });
    expect(resolver).toHaveBeenCalledWith('fcm.googleapis.com');
  });

  test('endpoints registered before a policy change, and bad keys, are refused', async () => {
    const resolver = vi.fn(async () => [{ address: '142.250.74.106', family: 4 }]);
    const push = sender(createPushEndpointPolicy({ allowedHosts: ['*.push.apple.com'] }), {
      resolver,
    });
    expect(
      await push.send({
        subscription: { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys: fakeKeys() },
        vapid,
      }),
    ).toEqual({ kind: 'refused', reason: 'host_not_allowed' });
    expect(
      await push.send({
        subscription: { endpoint: 'https://169.254.169.254/latest', keys: fakeKeys() },
        vapid,
      }),
    ).toEqual({ kind: 'refused', reason: 'ip_literal' });
    expect(
      await push.send({
        subscription: {
          endpoint: 'https://web.push.apple.com/x',
          keys: { ...fakeKeys(), auth: 'short' },
        },
        vapid,
      }),
    ).toEqual({ kind: 'refused', reason: 'invalid_auth' });
    expect(resolver).not.toHaveBeenCalled();
  });
});

describe('caller errors', () => {
  const policy = createPushEndpointPolicy({ devOrigins: ['http://127.0.0.1:9'] });
  const subscription = { endpoint: 'http://127.0.0.1:9/p', keys: fakeKeys() };

  test('payload over 3,993 bytes, a bad topic or TTL are refused before any I/O', async () => {
    const push = sender(policy);
    await expect(push.send({ subscription, vapid, payload: new Uint8Array(3994) })).rejects.toThrow(
      PushPayloadTooLargeError,
    );
    await expect(push.send({ subscription, vapid, topic: 'x'.repeat(33) })).rejects.toThrow(
      PushSenderError,
    );
    await expect(push.send({ subscription, vapid, topic: 'a/b' })).rejects.toThrow(PushSenderError);
    await expect(push.send({ subscription, vapid, ttlSeconds: -1 })).rejects.toThrow(
      PushSenderError,
    );
    expect(() => createPushSender({ policy, vapidCacheMs: 12 * 60 * 60 * 1000 })).toThrow(
      PushSenderError,
    );
  });

  test('bad VAPID credentials fail without quoting them', async () => {
    const push = sender(policy);
    const badPrivate = `${vapid.privateKey.slice(0, 20)}`;
    const error = await push
      .send({ subscription, vapid: { ...vapid, privateKey: badPrivate } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PushSenderError);
    expect(String(error)).not.toContain(badPrivate);
    await expect(
      push.send({ subscription, vapid: { ...vapid, subject: 'not-a-contact' } }),
    ).rejects.toThrow(PushSenderError);
  });
});

test('parseRetryAfter: seconds and HTTP-date', () => {
  const now = Date.parse('2026-11-27T12:00:00Z');
  expect(parseRetryAfter('120', now)).toBe(120_000);
  expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
  expect(parseRetryAfter('Fri, 27 Nov 2026 11:00:00 GMT', now)).toBe(0);
  expect(parseRetryAfter('soon', now)).toBeUndefined();
  expect(parseRetryAfter(undefined, now)).toBeUndefined();
});
