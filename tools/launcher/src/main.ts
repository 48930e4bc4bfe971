/**
 * `npm start`: the whole product on the embedded default. The API (with its embedded PGlite
 * database) runs as one child process and prints its banner; the console (Next.js) runs beside
 * it as another, built first if its build is missing or stale. Ctrl-C stops both: the API drains
 * its syncs first. If either child dies, the other is stopped and the launcher exits non-zero.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { consoleBuildIsStale } from './console-build.js';
import { childEnv, readLauncherEnv } from './env.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const apiEntry = path.join(root, 'apps/api/src/main.ts');
const consoleDir = path.join(root, 'apps/console');
/** Workspace packages the console bundles: a change there needs a rebuild. */
const consoleSources = ['packages/sync-protocol', 'packages/api-router', 'packages/domain'].map(
  (dir) => path.join(root, dir),
);

const env = readLauncherEnv();
const children = new Set<ChildProcess>();
let stopping = false;

function start(
  command: string,
  args: string[],
  options: { cwd?: string; extraEnv?: Record<string, string> },
) {
  const child = spawn(command, args, {
    cwd: options.cwd ?? root,
    env: childEnv(options.extraEnv),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

function stopAll(code: number) {
  if (stopping) return;
  stopping = true;
  for (const child of children) child.kill('SIGTERM');
  const exit = () => (children.size === 0 ? process.exit(code) : setTimeout(exit, 100));
  exit();
}

// Ctrl-C reaches the whole process group; the children stop themselves. Wait for them.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopping = true;
    const exit = () => (children.size === 0 ? process.exit(0) : setTimeout(exit, 100));
    exit();
  });
}

const tsx = createRequire(import.meta.url).resolve('tsx');
const api = start(process.execPath, ['--import', tsx, apiEntry], {});
let apiUrl: string | null = null;
api.stdout!.on('data', (chunk: Buffer) => {
  process.stdout.write(chunk);
  apiUrl ??= /Tandem API +(http:\/\/\S+)/.exec(chunk.toString())?.[1] ?? null;
});
api.on('exit', (code) => {
  if (!stopping) {
    process.stderr.write(`The API exited (${code ?? 'signal'}); stopping.\n`);
    stopAll(code || 1);
  }
});

async function waitForApi(): Promise<string> {
  for (;;) {
    if (stopping) throw new Error('stopping');
    if (apiUrl) {
      const ready = await fetch(`${apiUrl}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) return apiUrl;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function startConsole(url: string) {
  if (!env.console) return;
  if (!existsSync(path.join(consoleDir, 'package.json'))) return;
  const next = createRequire(path.join(consoleDir, 'package.json')).resolve('next/dist/bin/next');
  const quiet = (child: ChildProcess) => child.stdout!.on('data', () => undefined);
  if (consoleBuildIsStale(consoleDir, consoleSources)) {
    process.stdout.write(
      '  Console         building (first start or sources changed; about a minute)…\n',
    );
    // Webpack, not Turbopack: Turbopack cannot yet resolve the `.js` specifiers of the
    // workspace's TypeScript sources (vercel/next.js#82945).
    const build = start(process.execPath, [next, 'build', '--webpack'], { cwd: consoleDir });
    const output: Buffer[] = [];
    build.stdout!.on('data', (chunk: Buffer) => output.push(chunk));
    const code = await new Promise<number | null>((resolve) => build.on('exit', resolve));
    if (stopping) return;
    if (code !== 0) {
      process.stdout.write(Buffer.concat(output));
      process.stderr.write('The console failed to build; the API keeps running.\n');
      return;
    }
    rmSync(path.join(consoleDir, 'next-env.d.ts'), { force: true }); // Next rewrites it unformatted
  }
  const consoleUrl = `http://${env.host}:${env.consolePort}`;
  const server = start(
    process.execPath,
    [next, 'start', '--hostname', env.host, '--port', String(env.consolePort)],
    { cwd: consoleDir, extraEnv: { TANDEM_API_URL: url, NODE_ENV: 'production' } },
  );
  quiet(server);
  server.on('exit', (code) => {
    if (!stopping) {
      process.stderr.write(`The console exited (${code ?? 'signal'}); stopping.\n`);
      stopAll(code || 1);
    }
  });
  for (let attempt = 0; attempt < 300 && !stopping; attempt += 1) {
    const up = await fetch(`${consoleUrl}/`, { redirect: 'manual' }).then(
      () => true,
      () => false,
    );
    if (up) {
      process.stdout.write(`  Console         ${consoleUrl}\n\n`);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

waitForApi()
  .then(startConsole)
  .catch((error: unknown) => {
    if (!stopping) {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      stopAll(1);
    }
  });
