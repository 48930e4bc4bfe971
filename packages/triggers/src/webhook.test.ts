import { SyncError } from '@tandem/domain';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { verifyWebhookSignature } from './signature.js';
import type { SyncTriggerEvent } from './sync-trigger-event.js';
import { createSyncTriggerRunner } from './sync-trigger-runner.js';
import type { Resolver } from './webhook.js';

const SECRET = 'pool-signing-secret';
const event: SyncTriggerEvent = {
  version: 2,
  eventType: 'SyncTrigger',
  region: 'local-1',
  identityPoolId: 'local-1:11111111-1111-4111-8111-111111111111',
  identityId: 'local-1:00000000-0000-4000-8000-000000000001',
  datasetName: 'settings',
  datasetRecords: { theme: { oldValue: null, newValue: 'dark', op: 'replace' } },
};

interface Seen {
  path: string;
  body: string;
  headers: http.IncomingHttpHeaders;
}
const seen: Seen[] = [];
let server: http.Server;
let base: string;

beforeAll(async () => {
  server = http.createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      seen.push({ path: request.url ?? '', body, headers: request.headers });
      const reply = (status: number, text: string, headers: Record<string, string> = {}) => {
        response.writeHead(status, { 'content-type': 'application/json', ...headers });
        response.end(text);
      };
      switch (request.url) {
        case '/echo':
          return reply(200, body);
        case '/modify': {
          const e = JSON.parse(body) as SyncTriggerEvent;
          e.datasetRecords['added'] = { newValue: 'by webhook', op: 'replace' };
          return reply(200, JSON.stringify(e));
        }
        case '/redirect':
          return reply(302, '', { location: `${base}/echo` });
        case '/busy':
          return reply(429, '{}');
        case '/error':
          return reply(500, '{}');
        case '/text':
          return reply(200, 'not json');
        case '/huge':
          return reply(200, 'x'.repeat(3 * 1024 * 1024));
        case '/slow':
          setTimeout(() => reply(200, body), 5_000);
          return;
        default:
          return reply(404, '{}');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const send = (url: string, resolve?: Resolver) =>
  createSyncTriggerRunner({ budgetMs: 500, resolve }).run({
    identityPoolId: event.identityPoolId,
    target: { kind: 'webhook', url },
    event,
    signingSecret: SECRET,
  });

async function failure(call: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SyncError) return { kind: error.kind, message: error.message };
    throw error;
  }
  throw new Error('expected the webhook to fail');
}

describe('webhook triggers', () => {
  test('signed POST; the signature verifies; the answer is used', async () => {
    expect(await send(`${base}/echo`)).toEqual(event);
    const request = seen.at(-1)!;
    expect(request.headers['x-tandem-identity-pool']).toBe(event.identityPoolId);
    const signature = String(request.headers['x-tandem-signature']);
    expect(signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(SECRET, request.body, signature)).toBe(true);
    expect(verifyWebhookSignature('other secret', request.body, signature)).toBe(false);
    expect(verifyWebhookSignature(SECRET, request.body + ' ', signature)).toBe(false);
    const modified = await send(`${base}/modify`);
    expect(modified.datasetRecords['added']).toEqual({ newValue: 'by webhook', op: 'replace' });
  });

  test('localhost over http must resolve to loopback', async () => {
    const port = new URL(base).port;
    expect(
      await send(`http://localhost:${port}/echo`, async () => [
        { address: '127.0.0.1', family: 4 },
      ]),
    ).toEqual(event);
    const error = await failure(
      send(`http://localhost:${port}/echo`, async () => [{ address: '93.184.216.34', family: 4 }]),
    );
    expect(error.kind).toBe('InvalidConfigurationException');
  });

  test('SSRF: hosts that resolve to private addresses at send time are refused', async () => {
    for (const address of [
      '10.0.0.5',
      '127.0.0.1',
      '169.254.169.254',
      '192.168.1.1',
      '::1',
      'fd00::1',
      '::ffff:10.1.2.3',
    ]) {
      const before = seen.length;
      const error = await failure(
        send('https://hooks.example.test/echo', async () => [
          { address: '93.184.216.34', family: 4 },
          { address, family: address.includes(':') ? 6 : 4 },
        ]),
      );
      expect(error.kind, address).toBe('InvalidConfigurationException');
      expect(error.message).toContain(address);
      expect(seen.length).toBe(before);
    }
    for (const url of [
      'https://10.0.0.1/x',
      'https://[fe80::1]/x',
      'https://169.254.169.254/latest',
    ]) {
      expect((await failure(send(url))).kind, url).toBe('InvalidConfigurationException');
    }
    // Plain http to anything but the development hosts.
    const error = await failure(
      send('http://hooks.example.test/echo', async () => [{ address: '93.184.216.34', family: 4 }]),
    );
    expect(error.kind).toBe('InvalidConfigurationException');
  });

  test('the connection is pinned to the checked address', async () => {
    // A public name whose checked address is (pretend) public connects there, never re-resolving:
    // here the pinned address is our loopback server, reached over http as a local host name.
    let calls = 0;
    const port = new URL(base).port;
    await send(`http://localhost:${port}/echo`, async () => {
      calls++;
      return [{ address: '127.0.0.1', family: 4 }];
    });
    expect(calls).toBe(1);
  });

  test('redirects are not followed', async () => {
    const before = seen.length;
    const error = await failure(send(`${base}/redirect`));
    expect(error.kind).toBe('InvalidLambdaFunctionOutputException');
    expect(error.message).toContain('302');
    expect(seen.length).toBe(before + 1);
  });

  test('429, errors, non-JSON, oversized and slow answers map to the spec errors', async () => {
    expect((await failure(send(`${base}/busy`))).kind).toBe('LambdaThrottledException');
    expect((await failure(send(`${base}/error`))).kind).toBe(
      'InvalidLambdaFunctionOutputException',
    );
    expect((await failure(send(`${base}/text`))).kind).toBe('InvalidLambdaFunctionOutputException');
    expect((await failure(send(`${base}/huge`))).kind).toBe('InvalidLambdaFunctionOutputException');
    const started = Date.now();
    expect((await failure(send(`${base}/slow`))).kind).toBe('LambdaSocketTimeoutException');
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  test('an unreachable webhook is a socket error', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    expect((await failure(send(`http://127.0.0.1:${port}/`))).kind).toBe(
      'LambdaSocketTimeoutException',
    );
  });
});
