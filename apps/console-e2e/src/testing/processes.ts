/**
 * The system under test, started the way an operator would: the real API
 * (`apps/api/src/main.ts` on a fresh embedded database, NODE_ENV unset so better-auth checks
 * origins as in production) and the console (`next build`, then `next start` with
 * TANDEM_API_URL pointing at that API). Each runs in its own process group, so stopping it
 * also stops what it spawned.
 *
 * The console's build is kept in apps/console/.next and reused while nothing it is built from
 * changed: a stamp beside the build holds a hash of those files (see consoleInputsHash).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../../', import.meta.url));
const consoleRoot = path.join(repoRoot, 'apps/console');
const nextBin = path.join(repoRoot, 'node_modules/next/dist/bin/next');

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
  options: { cwd: string; env: NodeJS.ProcessEnv; onLine?: (line: string) => void },
): Child {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
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
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    // vitest sets NODE_ENV=test: better-auth would skip its Origin check, and Next would
    // refuse to run a production build.
    if (name === 'NODE_ENV' || name.startsWith('VITEST') || name.startsWith('__NEXT')) continue;
    env[name] = value;
  }
  delete env.DATABASE_URL;
  delete env.PUBLIC_URL;
  delete env.TRUSTED_ORIGINS;
  delete env.API_WORKERS;
  delete env.DEFAULT_POOL_ID;
  delete env.TANDEM_API_URL;
  delete env.CONSOLE_PUBLIC_URL;
  return { ...env, ...extra };
}

export interface Api extends Service {
  /** The one-time token the API printed for the console's first-run setup. */
  setupToken: string;
}

/** The API on a free port and a fresh embedded PGlite database. */
export async function startApi(): Promise<Api> {
  const port = await freePort();
  const home = await mkdtemp(path.join(os.tmpdir(), 'tandem-console-e2e-'));
  let setupToken = '';
  const child = run('api', process.execPath, ['--import', 'tsx', 'apps/api/src/main.ts'], {
    cwd: repoRoot,
    env: childEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      TANDEM_HOME: home,
      LOG_LEVEL: 'warn',
      BETTER_AUTH_SECRET: 'console-e2e-secret-0123456789abcdefghijklmnopqrstuvwxyz',
      AUTH_RATE_LIMIT: 'false',
      DEFAULT_POOL_NAME: 'Default',
    }),
    onLine: (line) => {
      const match = /Console setup\s+token\s+(\S+)/.exec(line);
      if (match) setupToken = match[1]!;
    },
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/readyz`, child, 90_000);
    const deadline = Date.now() + 5_000;
    while (!setupToken && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (!setupToken) throw new Error(`the API printed no setup token\n${lastOutput(child)}`);
  } catch (error) {
    await stopChild(child);
    await rm(home, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    setupToken,
    async stop() {
      await stopChild(child);
      await rm(home, { recursive: true, force: true });
    },
  };
}

// ——— the console's build ———

/** Everything `next build` reads that can change: the console and the packages it bundles. */
const BUILD_INPUTS = [
  'apps/console/src',
  'apps/console/public',
  'apps/console/next.config.ts',
  'apps/console/package.json',
  'apps/console/tsconfig.json',
  'packages/sync-protocol/src',
  'packages/sync-protocol/package.json',
  'tsconfig.base.json',
  'package-lock.json',
];

async function filesUnder(relative: string): Promise<string[]> {
  const absolute = path.join(repoRoot, relative);
  if (!existsSync(absolute)) return [];
  if (!(await stat(absolute)).isDirectory()) return [relative];
  const entries = await readdir(absolute, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(repoRoot, path.join(entry.parentPath, entry.name)))
    .sort();
}

export async function consoleInputsHash(): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`next ${process.version}\n`);
  for (const input of BUILD_INPUTS) {
    // Unit tests are not part of the build.
    for (const file of (await filesUnder(input)).filter((f) => !/\.test\.tsx?$/.test(f))) {
      hash.update(`${file}\n`);
      hash.update(await readFile(path.join(repoRoot, file)));
    }
  }
  return hash.digest('hex');
}

const stampFile = path.join(consoleRoot, '.next/e2e-build-stamp');

/**
 * `next build` of the console into apps/console/.next, unless the build there was made from
 * exactly the current inputs. Returns how long it took (0 when reused).
 */
export async function buildConsole(): Promise<{ ms: number; reused: boolean }> {
  const inputs = await consoleInputsHash();
  const stamp = await readFile(stampFile, 'utf8').catch(() => '');
  if (stamp === inputs && existsSync(path.join(consoleRoot, '.next/BUILD_ID'))) {
    return { ms: 0, reused: true };
  }
  const started = Date.now();
  await rm(stampFile, { force: true });
  const child = run('console build', process.execPath, [nextBin, 'build', '--webpack'], {
    cwd: consoleRoot,
    env: childEnv({ NEXT_TELEMETRY_DISABLED: '1' }),
  });
  const code = await child.exited;
  if (code !== 0) throw new Error(`console build failed (${code})\n${lastOutput(child)}`);
  // Next writes next-env.d.ts on every build; the console's tsconfig does not use it (it points
  // into .next), and left behind it only trips Prettier. The build script removes it too.
  await rm(path.join(consoleRoot, 'next-env.d.ts'), { force: true });
  await writeFile(stampFile, inputs);
  return { ms: Date.now() - started, reused: false };
}

/** `next start` of the build, forwarding /trpc and /api/auth to `apiUrl`. */
export async function startConsole(apiUrl: string): Promise<Service> {
  const port = await freePort();
  const child = run(
    'console',
    process.execPath,
    [nextBin, 'start', '--hostname', '127.0.0.1', '--port', String(port)],
    { cwd: consoleRoot, env: childEnv({ TANDEM_API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1' }) },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitForOk(`${url}/sign-in`, child, 60_000);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { url, stop: () => stopChild(child) };
}
