import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { forwardToApi } from './proxy';

/** A stand-in API that echoes what it received and sets two cookies. */
let api: http.Server;
let apiUrl = '';
const CONSOLE = 'http://127.0.0.1:3000';

beforeAll(async () => {
  api = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url?.startsWith('/stream')) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write('data: one\n\n');
        setTimeout(() => res.end('data: two\n\n'), 50);
        return;
      }
      res.setHeader('set-cookie', ['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers, body }));
    });
  });
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  process.env.TANDEM_API_URL = apiUrl;
});

afterAll(() => {
  api.close();
  delete process.env.TANDEM_API_URL;
});

const request = (path: string, init: RequestInit & { headers?: Record<string, string> } = {}) =>
  new Request(`${CONSOLE}${path}`, {
    ...init,
    headers: { host: '127.0.0.1:3000', ...init.headers },
  });

test('forwards method, path, query, body and cookies; Origin becomes the API’s own', async () => {
  const response = await forwardToApi(
    request('/api/auth/sign-in/email?x=1', {
      method: 'POST',
      headers: { origin: CONSOLE, cookie: 'session=abc', 'content-type': 'application/json' },
      body: '{"email":"a@b.c"}',
    }),
  );
  expect(response.status).toBe(200);
  const echoed = (await response.json()) as {
    method: string;
    url: string;
    body: string;
    headers: Record<string, string>;
  };
  expect(echoed).toMatchObject({ method: 'POST', url: '/api/auth/sign-in/email?x=1' });
  expect(echoed.body).toBe('{"email":"a@b.c"}');
  expect(echoed.headers.origin).toBe(apiUrl);
  expect(echoed.headers.cookie).toBe('session=abc');
  expect(response.headers.getSetCookie()).toEqual(['a=1; Path=/; HttpOnly', 'b=2; Path=/']);
});

test('refuses a state-changing request from another origin, or without one (CSRF)', async () => {
  for (const origin of ['https://evil.example', undefined]) {
    const response = await forwardToApi(
      request('/trpc/admin.identityPool.create', {
        method: 'POST',
        headers: origin ? { origin } : {},
        body: '{}',
      }),
    );
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/must come from a page of the console/);
  }
  // Reads need no Origin.
  expect((await forwardToApi(request('/trpc/setup.status'))).status).toBe(200);
});

test('streams the answer as it comes (server-sent events)', async () => {
  const response = await forwardToApi(request('/stream'));
  const reader = response.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  expect(first).toBe('data: one\n\n');
  let rest = '';
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    rest += new TextDecoder().decode(chunk.value);
  }
  expect(rest).toBe('data: two\n\n');
});

test('an unreachable API is a 502 that says what to check', async () => {
  process.env.TANDEM_API_URL = 'http://127.0.0.1:9';
  try {
    const response = await forwardToApi(request('/trpc/setup.status'));
    expect(response.status).toBe(502);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/cannot reach the Tandem API at http:\/\/127\.0\.0\.1:9/);
  } finally {
    process.env.TANDEM_API_URL = apiUrl;
  }
});
