import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { buildRequest, parseResponse, RawHttpConnection, runClosedLoop } from './http-load.js';

test('parses a content-length response, and waits for missing bytes', () => {
  const raw = Buffer.from(
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\n\r\nhello',
  );
  expect(parseResponse(raw.subarray(0, raw.length - 1))).toBeNull();
  const parsed = parseResponse(raw)!;
  expect(parsed.response.status).toBe(200);
  expect(parsed.response.body.toString()).toBe('hello');
  expect(parsed.consumed).toBe(raw.length);
  expect(parsed.close).toBe(false);
});

test('parses chunked responses split anywhere', () => {
  const raw = Buffer.from(
    'HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n',
  );
  for (let cut = 0; cut < raw.length; cut++) expect(parseResponse(raw.subarray(0, cut))).toBeNull();
  const parsed = parseResponse(raw)!;
  expect(parsed.response).toMatchObject({ status: 409 });
  expect(parsed.response.body.toString()).toBe('abc0123456789');
  expect(parsed.close).toBe(true);
});

let server: http.Server;
let port: number;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.url === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"echo":');
        setImmediate(() => res.end(JSON.stringify(body) + '}'));
      } else {
        res.writeHead(req.url === '/fail' ? 500 : 200, { 'content-length': 2 });
        res.end('ok');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

test('a connection carries many requests (keep-alive, chunked bodies)', async () => {
  const connection = await RawHttpConnection.connect('127.0.0.1', port);
  for (let i = 0; i < 50; i++) {
    const body = JSON.stringify({ i, pad: 'x'.repeat(i * 100) });
    const response = await connection.request(
      buildRequest(
        'POST',
        `127.0.0.1:${port}`,
        '/chunked',
        { 'Content-Type': 'application/json' },
        body,
      ),
    );
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body.toString())).toEqual({ echo: body });
  }
  connection.close();
});

test('the closed loop counts successes and errors inside the window only', async () => {
  const connections = await Promise.all(
    [0, 1, 2].map(() => RawHttpConnection.connect('127.0.0.1', port)),
  );
  let sent = 0;
  const result = await runClosedLoop(
    connections.map((connection, i) => ({
      connection,
      next: () => {
        sent++;
        return buildRequest('GET', 'x', i === 2 ? '/fail' : '/ok', {});
      },
      handle: (r) => (r.status === 200 ? null : `HTTP ${r.status}`),
    })),
    { warmupMs: 100, durationMs: 300 },
  );
  for (const c of connections) c.close();
  expect(result.ops).toBeGreaterThan(10);
  expect(result.errors).toBeGreaterThan(0);
  expect(Object.keys(result.errorKinds)).toEqual(['HTTP 500']);
  expect(result.latenciesMs.length).toBe(result.ops);
  expect(sent).toBeGreaterThan(result.ops + result.errors);
  expect(result.durationS).toBeGreaterThan(0.29);
});
