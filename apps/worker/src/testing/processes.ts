/**
 * Real processes for the worker's process tests: the worker itself (`node --import tsx
 * src/main.ts`, as deployed but from source), and private nats-server / redis-server instances
 * on random ports for outage tests (the machine's shared services are never stopped).
 * Everything started here is registered and killed by `killAll()` (call it in afterEach).
 */
import { parentEnvironment } from '@tandem/db/testing';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const workerMain = fileURLToPath(new URL('../main.ts', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** Resolves when the process exited (never rejects). */
  exited: Promise<Exit>;
  /** stdout and stderr lines, for diagnostics. */
  output: string[];
  readonly alive: boolean;
}

const children = new Set<Child>();
const tempDirs = new Set<string>();

function track(name: string, proc: ChildProcess): Child {
  const output: string[] = [];
  let alive = true;
  const collect = (stream: NodeJS.ReadableStream | null) => {
    let rest = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() ?? '';
      output.push(...lines);
      if (output.length > 2_000) output.splice(0, output.length - 2_000);
    });
  };
  collect(proc.stdout);
  collect(proc.stderr);
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => {
      alive = false;
      resolve({ code, signal });
    });
    proc.once('error', (error) => {
      alive = false;
      output.push(`spawn error: ${error.message}`);
      resolve({ code: null, signal: null });
    });
  });
  const child: Child = {
    name,
    process: proc,
    exited,
    output,
    get alive() {
      return alive;
    },
  };
  children.add(child);
  void exited.then(() => children.delete(child));
  return child;
}

/** Kills every process started here (SIGKILL) and removes their temporary directories. */
export async function killAll(): Promise<void> {
  const running = [...children];
  for (const child of running) if (child.alive) child.process.kill('SIGKILL');
  await Promise.all(running.map((c) => c.exited));
  for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** The last lines of every tracked process's output (for a failing test's message). */
export function outputTail(child: Child, lines = 40): string {
  return `--- ${child.name} ---\n${child.output.slice(-lines).join('\n')}`;
}

export interface WorkerEnv {
  DATABASE_URL: string;
  WORKER_ID?: string;
  STREAMS_POLL_INTERVAL_MS?: number;
  STREAMS_LEASE_MS?: number;
  STREAMS_RECONCILE_INTERVAL_MS?: number;
  TANDEM_FAILPOINT_KILL_AFTER_PUBLISHES?: number;
  LOG_LEVEL?: string;
}

/** Starts apps/worker's main.ts as a child process with `env` (and the parent's PATH etc.). */
export function startWorkerProcess(env: WorkerEnv, name = env.WORKER_ID ?? 'worker'): Child {
  const childEnv = parentEnvironment(['STREAMS_', 'TANDEM_']);
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined) childEnv[key] = String(value);
  }
  const proc = spawn(process.execPath, ['--import', 'tsx', workerMain], {
    cwd: repoRoot,
    env: childEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return track(name, proc);
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port. */
export async function waitForPort(port: number, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() - start > timeoutMs) throw new Error(`nothing listens on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A fresh temporary directory, removed by killAll(). */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

/** A private nats-server with JetStream on `port`, storing in `storeDir`; resolves when it listens. */
export async function startNatsServer(port: number, storeDir: string): Promise<Child> {
  const proc = spawn(
    '/usr/sbin/nats-server',
    ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', storeDir],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = track(`nats-server:${port}`, proc);
  await Promise.race([
    waitForPort(port),
    child.exited.then((exit) => {
      throw new Error(
        `nats-server exited at start (${JSON.stringify(exit)})\n${outputTail(child)}`,
      );
    }),
  ]);
  return child;
}

/** A private redis-server on `port` without persistence; resolves when it listens. */
export async function startRedisServer(port: number): Promise<Child> {
  const proc = spawn(
    '/usr/bin/redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const child = track(`redis-server:${port}`, proc);
  await Promise.race([
    waitForPort(port),
    child.exited.then((exit) => {
      throw new Error(
        `redis-server exited at start (${JSON.stringify(exit)})\n${outputTail(child)}`,
      );
    }),
  ]);
  return child;
}

/** Sends `signal` and waits for the exit. */
export async function stopProcess(child: Child, signal: NodeJS.Signals = 'SIGTERM'): Promise<Exit> {
  if (child.alive) child.process.kill(signal);
  return child.exited;
}

export { unusedPort, waitFor } from '@tandem/streams/testing';
