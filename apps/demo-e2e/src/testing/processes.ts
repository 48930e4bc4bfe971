/**
 * The system under test, started the way an operator would: the real API (`apps/api/src/main.ts`
 * on a fresh embedded database) and the demo (its own `build` and `preview` scripts, whose proxy
 * forwards /trpc and /api/auth to that API). Each runs in its own process group, so stopping it
 * also stops what it spawned (npm → sh → vite).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
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
  type Api,
  type Service,
} from '@tandem/e2e-kit';

export type { Api, Service };

/**
 * The API on a free port and a fresh embedded PGlite database with a default guest pool (and
 * the setup token for its first administrator).
 */
export const startApi = (): Promise<Api> =>
  startTandemApi({ name: 'demo-e2e', defaultPoolName: 'Demo' });

const npmWorkspace = ['--workspace', '@tandem/demo', '--silent'];

/** Builds the demo into a temporary folder (so a parallel `nx build demo` cannot interfere). */
export async function buildDemo(): Promise<{ outDir: string; remove(): Promise<void> }> {
  const outDir = await mkdtemp(path.join(os.tmpdir(), 'tandem-demo-dist-'));
  const child = runProcess(
    'demo build',
    'npm',
    ['run', 'build', ...npmWorkspace, '--', '--outDir', outDir, '--emptyOutDir'],
    { cwd: repoRoot, env: productionEnv({}) },
  );
  const code = await child.exited;
  if (code !== 0) throw new Error(`demo build failed (${code})\n${lastOutput(child)}`);
  return { outDir, remove: () => rm(outDir, { recursive: true, force: true }) };
}

/** `vite preview` of a build, proxying the API's routes to `apiUrl` (see apps/demo/vite.config.ts). */
export async function previewDemo(outDir: string, apiUrl: string): Promise<Service> {
  const port = await freePort();
  const child = runProcess(
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
    { cwd: repoRoot, env: productionEnv({ TANDEM_API_URL: apiUrl }) },
  );
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilServing(url, child, 30_000);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { url, stop: () => stopProcess(child) };
}
