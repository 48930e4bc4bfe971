/**
 * The system under test, started the way an operator would: the real API (`apps/api/src/main.ts`
 * on a fresh embedded database) and the demo (its own `build` and `preview` scripts, whose proxy
 * forwards /trpc and /api/auth to that API). Each runs in its own process group, so stopping it
 * also stops what it spawned (npm → sh → vite).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));

/** A port nobody listens on right now (the API and vite are told to use it). */
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

interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines it printed, for the error message when it fails. */
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

function run(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true, // its own process group
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString().split('\n').filter(Boolean));
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

const lastOutput = (child: Child) => `${child.name} output:\n  ${child.output.join('\n  ')}`;

async function stopChild(child: Child) {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  killGroup(child, 'SIGTERM');
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(resolve, 5_000, 'timeout'));
  if ((await Promise.race([child.exited, timeout])) === 'timeout') {
    killGroup(child, 'SIGKILL');
    await child.exited;
  }
}

async function waitForOk(url: string, child: Child, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited with ${child.process.exitCode}\n${lastOutput(child)}`);
    }
    const ok = await fetch(url).then(
      (response) => response.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${url} not ready\n${lastOutput(child)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** The environment of a child: this one's, less what would make it run differently than `npm start`. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // vitest sets NODE_ENV=test, and better-auth then skips its Origin check: the API must run
    // as it does in production. (VITEST_* would also make vite think it runs under vitest.)
    if (name === 'NODE_ENV' || name.startsWith('VITEST')) continue;
    env[name] = value;
  }
  // Never a real database (CI runs `test-pg` with DATABASE_URL): a fresh embedded one.
  delete env.DATABASE_URL;
  delete env.PUBLIC_URL;
  delete env.TRUSTED_ORIGINS;
  delete env.API_WORKERS;
  delete env.DEFAULT_POOL_ID;
  return { ...env, ...extra };
}

/** The API on a free port and a fresh embedded PGlite database with a default guest pool. */
export async function startApi(): Promise<Service> {
  const port = await freePort();
  const home = await mkdtemp(path.join(os.tmpdir(), 'tandem-demo-e2e-'));
  const child = run('api', process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: repoRoot,
    env: childEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      TANDEM_HOME: home,
      LOG_LEVEL: 'warn',
      BETTER_AUTH_SECRET: 'demo-e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      AUTH_RATE_LIMIT: 'false',
      DEFAULT_POOL_NAME: 'Demo',
    }),
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    // Migrating a fresh PGlite database takes several seconds on two cores.
    await waitForOk(`${url}/readyz`, child, 90_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return {
    url,
    async stop() {
      await stopChild(child);
      await rm(home, { recursive: true, force: true });
    },
  };
}

const npmWorkspace = ['--workspace', '@tandem/demo', '--silent'];

/** Builds the demo into a temporary folder (so a parallel `nx build demo` cannot interfere). */
export async function buildDemo(): Promise<{ outDir: string; remove(): Promise<void> }> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'tandem-demo-dist-'));
  const child = run(
    'demo build',
    'npm',
    ['run', 'build', ...npmWorkspace, '--', '--outDir', outDir, '--emptyOutDir'],
    { cwd: repoRoot, env: childEnv({}) },
  );
  const code = await child.exited;
  if (code !== 0) throw new Error(`demo build failed (${code})\n${lastOutput(child)}`);
  return { outDir, remove: () => rm(outDir, { recursive: true, force: true }) };
}

/** `vite preview` of a build, proxying the API's routes to `apiUrl` (see apps/demo/vite.config.ts). */
export async function previewDemo(outDir: string, apiUrl: string): Promise<Service> {
  const port = await freePort();
  const child = run(
    'demo preview',
    'npm',
    [
      'run',
      'preview',
      ...npmWorkspace,
      '--',
      '--outDir',
      outDir,
      '--port',
      String(port),
      '--strictPort',
    ],
    { cwd: repoRoot, env: childEnv({ TANDEM_API_URL: apiUrl }) },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(url, child, 30_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, stop: () => stopChild(child) };
}
