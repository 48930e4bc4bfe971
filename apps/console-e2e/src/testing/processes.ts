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
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  freePort,
  lastOutput,
  productionEnv,
  repoRoot,
  runProcess,
  startApi as startTandemApi,
  stopProcess,
  waitUntilServing,
  type Service,
} from '@tandem/e2e-kit';

export type { Service };

const consoleRoot = path.join(repoRoot, 'apps/console');
const nextBin = path.join(repoRoot, 'node_modules/next/dist/bin/next');

export interface Api extends Service {
  /** The one-time token the API printed for the console's first-run setup. */
  setupToken: string;
}

/** The API on a free port and a fresh embedded PGlite database (no admin yet). */
export async function startApi(): Promise<Api> {
  const api = await startTandemApi({ name: 'console-e2e' });
  if (!api.setupToken) {
    await api.stop();
    throw new Error('the API printed no console setup token');
  }
  return { ...api, setupToken: api.setupToken };
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
  const child = runProcess('console build', process.execPath, [nextBin, 'build', '--webpack'], {
    cwd: consoleRoot,
    env: productionEnv({ NEXT_TELEMETRY_DISABLED: '1' }),
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
  const child = runProcess(
    'console',
    process.execPath,
    [nextBin, 'start', '--hostname', '127.0.0.1', '--port', String(port)],
    {
      cwd: consoleRoot,
      env: productionEnv({ TANDEM_API_URL: apiUrl, NEXT_TELEMETRY_DISABLED: '1' }),
    },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(`${url}/sign-in`, child, 60_000);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { url, stop: () => stopProcess(child) };
}
