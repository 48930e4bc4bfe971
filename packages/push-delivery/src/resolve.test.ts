import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, test } from 'vitest';
import { PushEndpointError, createPushEndpointPolicy } from './endpoint.js';
import { isPublicAddress, pinnedLookup, resolvePushTarget } from './resolve.js';
import type { PushHostResolver } from './resolve.js';

describe('isPublicAddress', () => {
  test.each([
    '0.0.0.0',
    '10.1.2.3',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.255.255',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '192.168.1.1',
    '198.18.0.1',
    '224.0.0.251',
    '239.255.255.250',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '::127.0.0.1',
    '64:ff9b::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '2002:a00:1::1',
    '2002:7f00:1::',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'fec0::1',
    'ff02::1',
    '2001:db8::1',
    '2001::1',
    '100::1',
    'not-an-ip',
    '',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  test.each([
    '8.8.8.8',
    '142.250.74.106',
    '100.63.255.255',
    '100.128.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2a00:1450:4001:80b::200a',
    '2606:4700::6810:84e5',
  ])('%s is public', (address) => {
    expect(isPublicAddress(address)).toBe(true);
  });
});

describe('resolvePushTarget', () => {
  const policy = createPushEndpointPolicy();
  const url = new URL('https://fcm.googleapis.com/fcm/send/abc');
  const resolverFor =
    (...addresses: string[]): PushHostResolver =>
    async () =>
      addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

  test('DNS rebinding: an allow-listed name that now resolves to loopback is refused', async () => {
    await expect(
      resolvePushTarget(policy, url, { resolver: resolverFor('127.0.0.1') }),
    ).rejects.toMatchObject({ reason: 'private_address' });
  });

  test('one private address among public ones is refused', async () => {
    await expect(
      resolvePushTarget(policy, url, {
        resolver: resolverFor('142.250.74.106', '::ffff:10.0.0.1'),
      }),
    ).rejects.toMatchObject({ reason: 'private_address' });
  });

  test('the first public address is pinned', async () => {
    await expect(
      resolvePushTarget(policy, url, {
        resolver: resolverFor('2a00:1450:4001:80b::200a', '142.250.74.106'),
      }),
    ).resolves.toEqual({ address: '2a00:1450:4001:80b::200a', family: 6 });
  });

  test('no answer, a failing or a hanging resolver is unresolvable', async () => {
    await expect(resolvePushTarget(policy, url, { resolver: resolverFor() })).rejects.toMatchObject(
      {
        reason: 'unresolvable',
      },
    );
    await expect(
      resolvePushTarget(policy, url, { resolver: () => Promise.reject(new Error('ENOTFOUND')) }),
    ).rejects.toBeInstanceOf(PushEndpointError);
    await expect(
      resolvePushTarget(policy, url, { resolver: () => new Promise(() => {}), timeoutMs: 50 }),
    ).rejects.toMatchObject({ reason: 'unresolvable' });
  });

  test('only the explicit development origin skips resolution', async () => {
    const dev = createPushEndpointPolicy({ devOrigins: ['http://127.0.0.1:8090'] });
    const resolver: PushHostResolver = () => {
      throw new Error('must not resolve');
    };
    await expect(
      resolvePushTarget(dev, new URL('http://127.0.0.1:8090/notify/x'), { resolver }),
    ).resolves.toEqual({ address: '127.0.0.1', family: 4 });
    await expect(
      resolvePushTarget(dev, new URL('http://127.0.0.1:8091/notify/x'), { resolver }),
    ).rejects.toMatchObject({ reason: 'ip_literal' });
  });
});

describe('pinnedLookup', () => {
  test('a request for a name connects to the pinned address, whatever DNS says', async () => {
    const server = http.createServer((req, res) => res.end(req.headers.host));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        const request = http.get(
          {
            hostname: 'push.invalid', // RFC 6761: never resolves
            port,
            path: '/',
            agent: false,
            lookup: pinnedLookup({ address: '127.0.0.1', family: 4 }),
          },
          (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve(text));
          },
        );
        request.on('error', reject);
      });
      expect(body).toBe(`push.invalid:${port}`);
    } finally {
      server.close();
    }
  });
});
