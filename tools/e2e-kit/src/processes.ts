/**
 * The system under test, started the way an operator would: each part is a real process in its
 * own process group (stopping it also stops what it spawned: npm → sh → vite, say), with its
 * last output kept for the error message when it fails. The API runs on a fresh embedded
 * database and without NODE_ENV=test, so better-auth checks origins as in production.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/** A port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export interface Service {
  url: string;
  stop(): Promise<void>;
}

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines it printed. */
  output: string[];
  exited: Promise<number | null>;
}

const running = new Set<Child>();
// A crash of the test process must not leave servers behind.
process.once('exit', () => {
  for (const child of running) killGroup(child, 'SIGKILL');
});

function killGroup(child: Child, signal: NodeJS.Signals) {
  try {
    process.kill(-child.process.pid!, signal);
  } catch {
    // already gone
  }
}

export function runProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; onLine?: (line: string) => void },
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true, // its own process group
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    const lines = chunk.toString().split('\n').filter(Boolean);
    for (const line of lines) options.onLine?.(line);
    output.push(...lines);
    output.splice(0, Math.max(0, output.length - 80));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const entry: Child = { name, process: child, output, exited };
  running.add(entry);
  void exited.then(() => running.delete(entry));
  return entry;
}

export const lastOutput = (child: Child) => `${child.name} output:\n  ${child.output.join('\n  ')}`;

export async function stopProcess(child: Child) {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 5_000, 'timeout'));
  if ((await Promise.race([child.exited, timeout])) === 'timeout') {
    killGroup(child, 'SIGKILL');
    await child.exited;
  }
}

/** Waits until `url` answers below 500 (redirects not followed), or fails with the output. */
export async function waitUntilServing(url: string, child: Child, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.process.exitCode}\n${lastOutput(child)}`);
    }
    const ok = await fetch(url, { redirect: 'manual' }).then(
      (response) => response.status < 500,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready\n${lastOutput(child)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** This process's environment, less what would make a child run differently than in production. */
export function productionEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // vitest sets NODE_ENV=test: better-auth would skip its Origin check, Next would refuse a
    // production build, and VITEST_* would make vite think it runs under vitest.
    if (name === 'NODE_ENV' || name.startsWith('VITEST') || name.startsWith('__NEXT')) continue;
    env[name] = value;
  }
  // Never the machine's database (CI runs `test-pg` with DATABASE_URL), nor settings meant for
  // another deployment.
  for (const name of [
    'DATABASE_URL',
    'PUBLIC_URL',
    'TRUSTED_ORIGINS',
    'API_WORKERS',
    'DEFAULT_POOL_ID',
    'TANDEM_API_URL',
    'CONSOLE_PUBLIC_URL',
  ]) {
    delete env[name];
  }
  return { ...env, ...extra };
}

export interface Api extends Service {
  /** The token the API printed for the console's first-run setup (null once an admin exists). */
  setupToken: string | null;
}

/** The API on a free port and a fresh embedded PGlite database with a default guest pool. */
export async function startApi(options: { name: string; defaultPoolName?: string }): Promise<Api> {
  const port = await freePort();
  const home = await mkdtemp(path.join(os.tmpdir(), `tandem-${options.name}-`));
  let setupToken: string | null = null;
  const child = runProcess('api', process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: repoRoot,
    env: productionEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      TANDEM_HOME: home,
      LOG_LEVEL: 'warn',
      BETTER_AUTH_SECRET: `${options.name}-secret-0123456789abcdefghijklmnopqrstuvwxyz`,
      AUTH_RATE_LIMIT: 'false',
      DEFAULT_POOL_NAME: options.defaultPoolName ?? 'Default',
    }),
    onLine: (line) => {
      setupToken ??= /Console setup\s+token\s+(\S+)/.exec(line)?.[1] ?? null;
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Migrating a fresh PGlite database takes several seconds on two cores.
    await waitUntilServing(`${url}/readyz`, child, 90_000);
    // The banner (with the setup token) follows readiness by a moment.
    const deadline = Date.now() + 5_000;
    while (!setupToken && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  } catch (error) {
    await stopProcess(child);
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    setupToken,
    async stop() {
      await stopProcess(child);
      await rm(home, { recursive: true, force: true });
    },
  };
}
