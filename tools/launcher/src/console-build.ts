/**
 * Whether the console's production build is missing or older than its sources (the console's
 * own files and the workspace packages it bundles), so `npm start` rebuilds only when needed.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

/** Build output and files Next itself rewrites (next-env.d.ts) never make a build stale. */
const SKIP = new Set([
  'node_modules',
  '.next',
  'test-output',
  'dist',
  '.turbo',
  'next-env.d.ts',
  'tsconfig.tsbuildinfo',
]);

/** Newest modification time (ms) of any file under `dir`, skipping build output. */
export function newestMtime(dir: string): number {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

export function consoleBuildIsStale(consoleDir: string, sourceDirs: readonly string[]): boolean {
  const buildId = path.join(consoleDir, '.next', 'BUILD_ID');
  if (!existsSync(buildId)) return true;
  const built = statSync(buildId).mtimeMs;
  return [consoleDir, ...sourceDirs].some((dir) => newestMtime(dir) > built);
}
