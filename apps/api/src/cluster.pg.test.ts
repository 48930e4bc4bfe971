/**
 * Cluster mode (API_WORKERS > 1): the real entry point (src/main.ts) in a child process with two
 * workers on one port over a fresh PostgreSQL database. Connections reach both workers, a sync
 * session token issued by one worker is accepted by the other (shared generated secret), a live
 * subscription held by one worker is poked by a write another worker handled (ChangeFeed over
 * NOTIFY), a killed worker is replaced, and SIGTERM drains everything and exits 0.
 *
 * Which worker answered is read from the workers' debug logs: every request is logged with its
 * `x-request-id` and the worker's `pid`; a keep-alive connection stays on one worker.
 */
import { listIdentityPools } from '@tandem/db';
import { createTestDatabase, type TestDatabase } from '@tandem/db/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readEnv } from './env.js';

const API_DIR = fileURLToPath(new URL('..', import.meta.url));

// PGlite, the default test database, lives inside one process: no second process can open it,
// so cluster mode (N processes on one database) can only be tested on PostgreSQL.
const onPostgres = test.skipIf(!process.env['DATABASE_URL']);

/** The API's entry point as `npm start` runs it (tsx), minus the tsx CLI's relay process. */
function startMain(env: Record<string, string | undefined>): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: API_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const exitOf = (child: ChildProcess): Promise<{ code: number | null; signal: string | null }> =>
  child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve({ code: child.exitCode, signal: child.signalCode })
    : new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('API_WORKERS: an integer ≥ 1, default 1; above 1 only with DATABASE_URL', () => {
  expect(readEnv({}).API_WORKERS).toBe(1);
  expect(readEnv({ API_WORKERS: '3', DATABASE_URL: 'postgres://u@h/db' }).API_WORKERS).toBe(3);
  expect(() => readEnv({ API_WORKERS: '0' })).toThrow(/API_WORKERS/);
  expect(() => readEnv({ API_WORKERS: '1.5' })).toThrow(/API_WORKERS/);
  expect(() => readEnv({ API_WORKERS: '2' })).toThrow(
    /API_WORKERS=2 needs DATABASE_URL .*PGlite database can only be opened by one process/,
  );
  // An empty DEFAULT_POOL_NAME means "no default pool" (what cluster workers are given).
  expect(readEnv({ DEFAULT_POOL_NAME: '' }).DEFAULT_POOL_NAME).toBe('');
});

test('the entry point refuses API_WORKERS=2 without DATABASE_URL, with a clear message', async () => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cluster-'));
  try {
    const env: Record<string, string | undefined> = {
      ...process.env,
      API_WORKERS: '2',
      PORT: '0',
      TANDEM_HOME: home,
    };
    delete env['DATABASE_URL'];
    const child = startMain(env);
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.stdout!.resume();
    expect(await exitOf(child)).toEqual({ code: 1, signal: null });
    expect(stderr).toContain('API_WORKERS=2 needs DATABASE_URL');
    expect(stderr).not.toMatch(/\n\s+at /); // a message, not a stack trace
    expect(fs.readdirSync(home)).toEqual([]); // nothing was opened
  } finally {
    fs.rmSync(home, { recursive: true, force: true });
  }
});

// --- PostgreSQL only: one cluster (primary + 2 workers) shared by the tests below, in order.

interface LogLine {
  msg?: string;
  worker?: number;
  pid?: number;
  reqId?: string;
  workerPid?: number;
  [key: string]: unknown;
}

interface Cluster {
  child: ChildProcess;
  database: TestDatabase;
  home: string;
  url: URL;
  banner: string;
  logs: LogLine[];
  stderr: () => string;
}

let c: Cluster | null = null;

beforeAll(async () => {
  if (!process.env['DATABASE_URL']) return;
  const database = await createTestDatabase();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-cluster-'));
  const env: Record<string, string | undefined> = {
    ...process.env,
    API_WORKERS: '2',
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: database.url!,
    TANDEM_HOME: home,
    LOG_LEVEL: 'debug',
    AUTH_RATE_LIMIT: 'false',
    SESSION_CACHE_TTL_MS: '0',
    SHUTDOWN_GRACE_MS: '3000',
  };
  delete env['BETTER_AUTH_SECRET']; // the primary generates it; both workers must use the same
  const child = startMain(env);
  const logs: LogLine[] = [];
  let stdout = '';
  let pending = '';
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
    pending += text;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('{')) logs.push(JSON.parse(line) as LogLine);
    }
  });
  c = {
    child,
    database,
    home,
    url: new URL('http://invalid'),
    banner: '',
    logs,
    stderr: () => stderr,
  };
  const deadline = Date.now() + 60_000;
  while (!/Health {10}/.test(stdout)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`the cluster did not start\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  c.banner = stdout.slice(stdout.indexOf('  Tandem API'));
  c.url = new URL(/Tandem API {6}(http:\/\/\S+)/.exec(c.banner)![1]!);
});

afterAll(async () => {
  if (!c) return;
  if (c.child.exitCode === null && c.child.signalCode === null) {
    c.child.kill('SIGKILL'); // its workers follow: they exit when their primary's channel closes
    await exitOf(c.child);
  }
  await c.database.close();
  fs.rmSync(c.home, { recursive: true, force: true });
});

/** One keep-alive connection (a device's): every request on it goes to the same socket. */
class Connection {
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  static #requests = 0;
  constructor(readonly url: URL) {}

  request(
    method: 'GET' | 'POST',
    pathAndQuery: string,
    options: { body?: unknown; token?: string } = {},
  ): Promise<{
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
    requestId: string;
    localPort: number;
  }> {
    const requestId = `cluster-test-${Connection.#requests++}`;
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          path: pathAndQuery,
          method,
          agent: this.agent,
          headers: {
            'x-request-id': requestId,
            ...(body === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }),
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          },
        },
        (res) => {
          const localPort = res.socket.localPort!;
          let text = '';
          res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: text,
              requestId,
              localPort,
            }),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The pid of the worker that logged the request (request logs are written when it finishes). */
async function workerOf(requestId: string): Promise<number> {
  let pid: number | undefined;
  await expect
    .poll(() => (pid = c!.logs.find((l) => l.msg === 'request' && l.reqId === requestId)?.pid), {
      timeout: 5_000,
    })
    .toBeTypeOf('number');
  return pid!;
}

const listeningWorkers = () =>
  c!.logs.filter((l) => l.msg === 'worker listening').map((l) => l.pid!);
const query = (procedure: string, input: unknown) =>
  `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify(input))}`;
const data = <T>(response: { status: number; body: string }): T => {
  expect(response.status, response.body).toBe(200);
  return (JSON.parse(response.body) as { result: { data: T } }).result.data;
};

interface Pinned {
  connection: Connection;
  /** The worker serving this connection. */
  pid: number;
  localPort: number;
}

/** Opens connections until one lands on a worker `wanted` accepts (round-robin: soon). */
async function connectionTo(wanted: (pid: number) => boolean): Promise<Pinned> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const connection = new Connection(c!.url);
    const probe = await connection.request('GET', '/healthz');
    const pid = await workerOf(probe.requestId);
    if (wanted(pid)) return { connection, pid, localPort: probe.localPort };
    connection.close();
  }
  throw new Error('no connection reached the wanted worker');
}

/** A live subscription (SSE) on a pinned connection; `messages` are the events' data. */
function subscribe(on: Pinned, input: unknown) {
  const messages: Array<{ type: string; body: { datasetName?: string; syncCount?: number } }> = [];
  let raw = '';
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    const req = http.request(
      {
        host: c!.url.hostname,
        port: c!.url.port,
        path: query('live.onDatasetChange', input),
        agent: on.connection.agent,
        headers: { accept: 'text/event-stream', authorization: `Bearer ${token}` },
      },
      (res) => {
        res.setEncoding('utf8').on('data', (chunk: string) => {
          raw += chunk;
          const blocks = raw.split('\n\n');
          raw = blocks.pop()!;
          for (const block of blocks) {
            // Our messages are `data: {"type": …}`; tRPC's own events (connected, ping,
            // return) are skipped.
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data:'))
              .map((l) => l.slice(5).trim())
              .join('\n');
            if (!data.startsWith('{"type"')) continue;
            messages.push(JSON.parse(data) as (typeof messages)[number]);
          }
        });
        resolve(res);
      },
    );
    req.on('error', reject);
    req.end();
  });
  return { messages, response };
}

let token = '';
let identityPoolId = '';
let live: ReturnType<typeof subscribe> | null = null;
let livePid = 0;

onPostgres('the primary prepares once, then two workers listen on one port', async () => {
  const cluster = c!;
  expect(cluster.banner).toMatch(/Processes {7}2 workers on one port/);
  identityPoolId = /Identity pool {3}(\S+)/.exec(cluster.banner)![1]!;
  expect(identityPoolId).toMatch(/^local-1:/);
  // One default pool (the workers, given DEFAULT_POOL_NAME='', create none) and one generated secret.
  const pools = await listIdentityPools(cluster.database.db, { maxResults: 10 });
  expect(pools.identityPools.map((p) => p.id)).toEqual([identityPoolId]);
  expect(fs.readFileSync(path.join(cluster.home, 'secret'), 'utf8').trim().length).toBeGreaterThan(
    30,
  );

  const workers = listeningWorkers();
  expect(new Set(workers).size).toBe(2);
  for (const pid of workers) {
    expect(alive(pid)).toBe(true);
    if (fs.existsSync(`/proc/${pid}/stat`)) {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      expect(ppid).toBe(cluster.child.pid);
    }
  }
  // Every log line says which process wrote it.
  expect(
    cluster.logs
      .filter((l) => l.msg === 'worker listening')
      .map((l) => l.worker)
      .sort(),
  ).toEqual([1, 2]);
  expect(cluster.logs.find((l) => l.msg === 'Tandem API listening')).toMatchObject({
    worker: 0,
    pid: cluster.child.pid,
    workers: 2,
  });
});

onPostgres(
  "syncs over keep-alive connections reach both workers; one worker's tokens work on the other",
  async () => {
    const first = await connectionTo(() => true);
    const second = await connectionTo((pid) => pid !== first.pid);

    const email = `cluster.${Date.now()}@example.test`;
    const signUp = await first.connection.request('POST', '/api/auth/sign-up/email', {
      body: { email, password: 'correct horse battery staple', name: email },
    });
    expect(signUp.status, signUp.body).toBe(200);
    token = String(signUp.headers['set-auth-token']);
    expect(token.length).toBeGreaterThan(10);
    // The session one worker created authenticates on the other.
    data(
      await second.connection.request('POST', '/trpc/identity.getId', {
        token,
        body: { identityPoolId },
      }),
    );

    // Pull on one worker, push with the sync session token it issued on the other, alternating.
    const served: Array<{ requestId: string; on: Pinned }> = [];
    for (let i = 0; i < 6; i++) {
      const pullOn = i % 2 === 0 ? first : second;
      const pushOn = i % 2 === 0 ? second : first;
      const pull = await pullOn.connection.request(
        'GET',
        query('record.list', { identityPoolId, datasetName: 'notes' }),
        { token },
      );
      const { syncSessionToken } = data<{ syncSessionToken: string }>(pull);
      const push = await pushOn.connection.request('POST', '/trpc/record.update', {
        token,
        body: {
          identityPoolId,
          datasetName: 'notes',
          syncSessionToken,
          recordPatches: [{ op: 'replace', key: 'k', value: `v${i}`, syncCount: i }],
        },
      });
      expect(data<{ records: Array<{ syncCount: number }> }>(push).records[0]!.syncCount).toBe(
        i + 1,
      );
      served.push(
        { requestId: pull.requestId, on: pullOn },
        { requestId: push.requestId, on: pushOn },
      );
    }
    // Each connection stayed on its worker: both workers served syncs.
    for (const { requestId, on } of served) expect(await workerOf(requestId)).toBe(on.pid);
    const final = data<{
      records: Array<{ key: string; value: string; syncCount: number }>;
      datasetSyncCount: number;
    }>(
      await first.connection.request(
        'GET',
        query('record.list', { identityPoolId, datasetName: 'notes' }),
        { token },
      ),
    );
    expect(final).toMatchObject({
      datasetSyncCount: 6,
      records: [{ key: 'k', value: 'v5', syncCount: 6 }],
    });
    first.connection.close();
    second.connection.close();
  },
);

onPostgres(
  'a live subscription on one worker is poked by a write another worker handled',
  async () => {
    const listener = await connectionTo(() => true);
    const writer = await connectionTo((pid) => pid !== listener.pid);
    live = subscribe(listener, { identityPoolId });
    livePid = listener.pid;
    const response = await live.response;
    expect(response.statusCode).toBe(200);
    expect(response.socket.localPort).toBe(listener.localPort); // the listener's worker holds it

    // The subscription attaches its listener shortly after the stream opens: write until poked.
    let syncCount = 0;
    let poked = false;
    for (let attempt = 0; attempt < 5 && !poked; attempt++) {
      const pull = data<{ syncSessionToken: string }>(
        await writer.connection.request(
          'GET',
          query('record.list', { identityPoolId, datasetName: 'live' }),
          { token },
        ),
      );
      const push = await writer.connection.request('POST', '/trpc/record.update', {
        token,
        body: {
          identityPoolId,
          datasetName: 'live',
          syncSessionToken: pull.syncSessionToken,
          recordPatches: [{ op: 'replace', key: 'k', value: `v${attempt}`, syncCount }],
        },
      });
      syncCount = data<{ records: Array<{ syncCount: number }> }>(push).records[0]!.syncCount;
      expect(await workerOf(push.requestId)).toBe(writer.pid);
      const until = Date.now() + 2_000;
      while (!poked && Date.now() < until) {
        poked = live.messages.some(
          (m) =>
            m.type === 'datasetChanged' &&
            m.body.datasetName === 'live' &&
            m.body.syncCount === syncCount,
        );
        if (!poked) await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    expect(poked, JSON.stringify(live.messages)).toBe(true);
    writer.connection.close();
  },
);

onPostgres('a worker that dies is logged and replaced', async () => {
  const before = listeningWorkers();
  const victim = before.find((pid) => pid !== livePid)!;
  process.kill(victim, 'SIGKILL');
  await expect
    .poll(
      () =>
        c!.logs.find(
          (l) =>
            l.msg === 'worker exited unexpectedly: starting a new one' && l.workerPid === victim,
        ),
      { timeout: 5_000 },
    )
    .toMatchObject({ worker: 0, signal: 'SIGKILL', restartInMs: 250 });
  await expect
    .poll(() => listeningWorkers().filter((pid) => !before.includes(pid)).length, {
      timeout: 30_000,
    })
    .toBe(1);
  const replacement = listeningWorkers().find((pid) => !before.includes(pid))!;
  expect(alive(victim)).toBe(false);
  const fresh = await connectionTo((pid) => pid === replacement);
  const pull = data<{ datasetSyncCount: number }>(
    await fresh.connection.request(
      'GET',
      query('record.list', { identityPoolId, datasetName: 'notes' }),
      { token },
    ),
  );
  expect(pull.datasetSyncCount).toBe(6);
  fresh.connection.close();
});

onPostgres(
  'SIGTERM drains every worker, tells live clients to reconnect, and exits 0',
  async () => {
    const cluster = c!;
    const workers = [...new Set(listeningWorkers())].filter(alive);
    expect(workers).toHaveLength(2);
    cluster.child.kill('SIGTERM');
    expect(await exitOf(cluster.child)).toEqual({ code: 0, signal: null });
    expect(live!.messages.map((m) => m.type)).toContain('reconnect');
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(
      cluster.logs
        .filter((l) => l.msg === 'stopped')
        .map((l) => l.worker)
        .sort(),
    ).toEqual([0, ...workers.map((pid) => cluster.logs.find((l) => l.pid === pid)!.worker)].sort());
    expect(cluster.stderr()).not.toMatch(/error/i);
  },
);
