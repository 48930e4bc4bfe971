import { createECDH, randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import {
  DEFAULT_PUSH_SERVICE_HOSTS,
  PushEndpointError,
  createPushEndpointPolicy,
  isAllowedPushHost,
  parsePushSubscription,
  validatePushEndpoint,
} from './endpoint.js';
import type { PushEndpointErrorReason } from './endpoint.js';

const ecdh = createECDH('prime256v1');
ecdh.generateKeys();
const keys = {
  p256dh: ecdh.getPublicKey().toString('base64url'),
  auth: randomBytes(16).toString('base64url'),
};
const policy = createPushEndpointPolicy();
const SECRET_PATH = 'secret-capability-token-1234567890';

function refusal(endpoint: string, subscriptionKeys = keys): PushEndpointError {
  try {
    parsePushSubscription(policy, { endpoint, keys: subscriptionKeys });
  } catch (error) {
    expect(error).toBeInstanceOf(PushEndpointError);
    return error as PushEndpointError;
  }
  throw new Error('expected a refusal');
}

describe('registration SSRF table (research §B4, X5)', () => {
  const table: [string, string, PushEndpointErrorReason][] = [
    ['plain http', `http://fcm.googleapis.com/fcm/send/${SECRET_PATH}`, 'not_https'],
    ['other scheme', `ftp://fcm.googleapis.com/${SECRET_PATH}`, 'not_https'],
    ['IPv4 loopback', `https://127.0.0.1/${SECRET_PATH}`, 'ip_literal'],
    ['IPv4 loopback, other port', `https://127.0.0.1:5432/${SECRET_PATH}`, 'bad_port'],
    ['cloud metadata', 'https://169.254.169.254/latest/meta-data', 'ip_literal'],
    ['private IPv4', `https://10.0.0.1/${SECRET_PATH}`, 'ip_literal'],
    ['public IPv4 literal', `https://8.8.8.8/${SECRET_PATH}`, 'ip_literal'],
    ['decimal IPv4', `https://2130706433/${SECRET_PATH}`, 'ip_literal'],
    ['hex IPv4', `https://0x7f.1/${SECRET_PATH}`, 'ip_literal'],
    ['octal IPv4', `https://0177.0.0.1/${SECRET_PATH}`, 'ip_literal'],
    ['IPv6 loopback', `https://[::1]/${SECRET_PATH}`, 'ip_literal'],
    ['IPv4-mapped IPv6', `https://[::ffff:127.0.0.1]/${SECRET_PATH}`, 'ip_literal'],
    ['IPv4-mapped IPv6 (hex)', `https://[::ffff:a9fe:a9fe]/${SECRET_PATH}`, 'ip_literal'],
    ['IPv6 link-local', `https://[fe80::1]/${SECRET_PATH}`, 'ip_literal'],
    ['localhost with port', `https://localhost:5432/${SECRET_PATH}`, 'bad_port'],
    ['localhost', `https://localhost/${SECRET_PATH}`, 'host_not_allowed'],
    ['userinfo', `https://a@fcm.googleapis.com/fcm/send/${SECRET_PATH}`, 'credentials'],
    ['user:password', `https://a:b@fcm.googleapis.com/${SECRET_PATH}`, 'credentials'],
    ['empty userinfo', `https://:@fcm.googleapis.com/${SECRET_PATH}`, 'credentials'],
    ['lone @', `https://@fcm.googleapis.com/${SECRET_PATH}`, 'credentials'],
    [
      'userinfo hiding the host',
      `https://fcm.googleapis.com@evil.example/${SECRET_PATH}`,
      'credentials',
    ],
    ['non-443 port', `https://fcm.googleapis.com:8443/fcm/send/${SECRET_PATH}`, 'bad_port'],
    ['port 80 on https', `https://fcm.googleapis.com:80/${SECRET_PATH}`, 'bad_port'],
    ['not allow-listed', `https://push.example.com/${SECRET_PATH}`, 'host_not_allowed'],
    ['internal name', `https://metadata.google.internal/${SECRET_PATH}`, 'host_not_allowed'],
    ['suffix trick', `https://fcm.googleapis.com.evil.example/${SECRET_PATH}`, 'host_not_allowed'],
    ['prefix trick', `https://evilfcm.googleapis.com/${SECRET_PATH}`, 'host_not_allowed'],
    ['wildcard base itself', `https://push.apple.com/${SECRET_PATH}`, 'host_not_allowed'],
    [
      'look-alike suffix',
      `https://x.push.apple.com.evil.example/${SECRET_PATH}`,
      'host_not_allowed',
    ],
    ['trailing dot', `https://fcm.googleapis.com./${SECRET_PATH}`, 'host_not_allowed'],
    ['dev origin not configured', `http://127.0.0.1:8090/notify/${SECRET_PATH}`, 'not_https'],
    ['too long', `https://fcm.googleapis.com/fcm/send/${'a'.repeat(1000)}`, 'too_long'],
    ['not a URL', 'fcm.googleapis.com/fcm/send/abc', 'invalid_url'],
  ];

  test.each(table)('%s is refused', (_name, endpoint, reason) => {
    const error = refusal(endpoint);
    expect(error.reason).toBe(reason);
    // Never more than the origin: the path is the subscription's bearer capability.
    expect(error.message).not.toContain(SECRET_PATH);
    expect(JSON.stringify(error)).not.toContain(SECRET_PATH);
    expect(error.message).not.toContain('a'.repeat(50));
  });

  test('error names the origin only', () => {
    const error = refusal(`https://push.example.com/${SECRET_PATH}`);
    expect(error.origin).toBe('https://push.example.com');
    expect(error.message).toContain('https://push.example.com');
  });

  test.each([
    ['p256dh too short', { ...keys, p256dh: keys.p256dh.slice(0, 40) }, 'invalid_p256dh'],
    [
      'p256dh compressed',
      { ...keys, p256dh: Buffer.alloc(33, 2).toString('base64url') },
      'invalid_p256dh',
    ],
    [
      'p256dh not on the curve',
      {
        ...keys,
        p256dh: Buffer.concat([Buffer.from([4]), Buffer.alloc(64, 1)]).toString('base64url'),
      },
      'invalid_p256dh',
    ],
    [
      'p256dh standard base64',
      { ...keys, p256dh: `${keys.p256dh.slice(0, -1)}+` },
      'invalid_p256dh',
    ],
    ['auth too short', { ...keys, auth: randomBytes(8).toString('base64url') }, 'invalid_auth'],
    ['auth too long', { ...keys, auth: randomBytes(32).toString('base64url') }, 'invalid_auth'],
    ['auth padded', { ...keys, auth: randomBytes(16).toString('base64') }, 'invalid_auth'],
  ] as const)('%s is refused', (_name, badKeys, reason) => {
    expect(refusal('https://fcm.googleapis.com/fcm/send/abc', badKeys).reason).toBe(reason);
  });

  test.each([
    ['no keys', { endpoint: 'https://fcm.googleapis.com/fcm/send/abc' }],
    ['extra field', { endpoint: 'https://fcm.googleapis.com/fcm/send/abc', keys, extra: 1 }],
    ['not an object', 'https://fcm.googleapis.com/fcm/send/abc'],
    ['endpoint not a string', { endpoint: 42, keys }],
  ])('bad shape (%s) is refused without echo', (_name, input) => {
    try {
      parsePushSubscription(policy, input);
      throw new Error('expected a refusal');
    } catch (error) {
      expect((error as PushEndpointError).reason).toBe('invalid_shape');
      expect((error as Error).message).not.toContain('fcm.googleapis.com');
    }
  });
});

describe('accepted endpoints', () => {
  test.each([
    'https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b',
    'https://fcm.googleapis.com:443/wp/abc',
    'https://updates.push.services.mozilla.com/wpush/v2/gAAAA',
    'https://web.push.apple.com/QGx2',
    'https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD',
    'https://FCM.googleapis.com/fcm/send/abc',
  ])('%s', (endpoint) => {
    const subscription = parsePushSubscription(policy, { endpoint, keys, expirationTime: null });
    expect(subscription.origin).toBe(new URL(endpoint).origin);
    expect(subscription.endpoint).toBe(new URL(endpoint).href);
  });

  test('the default allow-list is closed and small', () => {
    expect(DEFAULT_PUSH_SERVICE_HOSTS).toContain('fcm.googleapis.com');
    expect(isAllowedPushHost(policy, 'example.com')).toBe(false);
  });

  test('a configured self-hosted push service is allowed', () => {
    const custom = createPushEndpointPolicy({
      allowedHosts: ['push.example.org', '*.up.example.net'],
    });
    expect(validatePushEndpoint(custom, 'https://push.example.org/up/abc').hostname).toBe(
      'push.example.org',
    );
    expect(validatePushEndpoint(custom, 'https://a.b.up.example.net/x').hostname).toBe(
      'a.b.up.example.net',
    );
    expect(() => validatePushEndpoint(custom, 'https://fcm.googleapis.com/x')).toThrow(
      PushEndpointError,
    );
  });
});

describe('development origins', () => {
  const dev = createPushEndpointPolicy({ devOrigins: ['http://127.0.0.1:8090'] });

  test('only the exact configured origin is allowed', () => {
    expect(
      parsePushSubscription(dev, { endpoint: 'http://127.0.0.1:8090/notify/abc', keys }).origin,
    ).toBe('http://127.0.0.1:8090');
    for (const endpoint of [
      'http://127.0.0.1:8091/notify/abc',
      'http://localhost:8090/notify/abc',
      'https://127.0.0.1:8090/notify/abc',
      'http://127.0.0.2:8090/notify/abc',
      'http://x@127.0.0.1:8090/notify/abc',
    ]) {
      expect(() => parsePushSubscription(dev, { endpoint, keys }), endpoint).toThrow(
        PushEndpointError,
      );
    }
  });

  test.each([
    '*',
    'http://127.0.0.1',
    'http://127.0.0.1:*',
    'http://localhost:8090',
    'http://10.0.0.1:8090',
    'https://127.0.0.1:8090',
    'http://127.0.0.1:8090/',
    'http://127.0.0.1:0',
    'http://127.0.0.1:65536',
  ])('a loose development origin (%s) is a configuration error', (origin) => {
    expect(() => createPushEndpointPolicy({ devOrigins: [origin] })).toThrow(
      /development push origin/,
    );
  });

  test.each(['*', '*.com', 'com', '10.0.0.1', '*.', 'fcm.googleapis.com/x'])(
    'a loose allow-list entry (%s) is a configuration error',
    (host) => {
      expect(() => createPushEndpointPolicy({ allowedHosts: [host] })).toThrow(/host pattern/);
    },
  );
});
