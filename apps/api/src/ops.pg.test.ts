/** Operations surface: health, readiness, metrics, request ids, graceful shutdown. */
import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, syncOnce, type Harness } from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

test('healthz, readyz and Prometheus metrics answer', async () => {
  expect(await (await fetch(`${h.url}/healthz`)).json()).toEqual({ status: 'ok' });
  expect(await (await fetch(`${h.url}/readyz`)).json()).toEqual({ status: 'ready' });
  const identityPoolId = await h.pool();
  const user = await h.signUp();
  await syncOnce(user.client, { identityPoolId, datasetName: 'd' }, [
    { op: 'replace', key: 'k', value: 'v', syncCount: 0 },
  ]);
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  expect(metrics).toMatch(
    /tandem_http_requests_total\{route="trpc:record.update",method="POST",status="200"\} 1/,
  );
  expect(metrics).toMatch(
    /tandem_http_request_duration_seconds_bucket\{le="[\d.]+",route="trpc:record.list"\}/,
  );
  expect(metrics).toContain('tandem_live_subscribers 0');
  expect(metrics).toContain('process_cpu_user_seconds_total');
});

test('every response carries a request id, echoing a well-formed one', async () => {
  const mine = await fetch(`${h.url}/healthz`, { headers: { 'x-request-id': 'trace-123' } });
  expect(mine.headers.get('x-request-id')).toBe('trace-123');
  const generated = await fetch(`${h.url}/healthz`, {
    headers: { 'x-request-id': 'bad id\twith spaces' },
  });
  expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
});

test('unknown routes are 404 and unexpected errors never leak internals', async () => {
  expect((await fetch(`${h.url}/nope`)).status).toBe(404);
  const response = await fetch(`${h.url}/trpc/no.such.procedure`);
  expect(response.status).toBe(404);
  const body = (await response.json()) as { error: { data: { cognitoError: string } } };
  expect(body.error.data.cognitoError).toBe('ResourceNotFoundException');
});

test('graceful shutdown finishes in-flight syncs, then refuses new connections', async () => {
  const own = await startHarness();
  const identityPoolId = await own.pool();
  const user = await own.signUp();
  const pull = await user.client.record.list.query({ identityPoolId, datasetName: 'd' });
  const body = JSON.stringify({
    identityPoolId,
    datasetName: 'd',
    syncSessionToken: pull.syncSessionToken,
    recordPatches: [{ op: 'replace', key: 'k', value: 'v', syncCount: 0 }],
  });
  // Start a request and hold it half-sent, so it is certainly in flight when shutdown begins.
  const url = new URL(`${own.url}/trpc/record.update`);
  const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${user.token}`,
        },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      stopping = own.api.stop();
      setTimeout(() => req.end(body.slice(10)), 200);
    }, 200);
  });
  let stopping: Promise<void> | undefined;
  const result = await response;
  expect(result.status).toBe(200);
  expect(JSON.parse(result.text)).toMatchObject({
    result: { data: { records: [{ key: 'k', syncCount: 1 }] } },
  });
  await stopping;
  await expect(fetch(`${own.url}/healthz`)).rejects.toThrow();
  await own.database.close();
});
