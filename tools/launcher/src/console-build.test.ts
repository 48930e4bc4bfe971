import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { consoleBuildIsStale } from './console-build.js';

const root = mkdtempSync(path.join(tmpdir(), 'launcher-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const touch = (file: string, secondsAgo: number) => {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, 'x');
  const when = Date.now() / 1000 - secondsAgo;
  utimesSync(file, when, when);
};

test('a console build is stale when missing or older than any source', () => {
  const app = path.join(root, 'console');
  const pkg = path.join(root, 'protocol');
  touch(path.join(app, 'app', 'page.tsx'), 100);
  touch(path.join(pkg, 'src', 'schema.ts'), 100);
  expect(consoleBuildIsStale(app, [pkg])).toBe(true); // never built

  touch(path.join(app, '.next', 'BUILD_ID'), 50);
  touch(path.join(app, 'node_modules', 'x', 'index.js'), 0); // ignored
  expect(consoleBuildIsStale(app, [pkg])).toBe(false);

  touch(path.join(pkg, 'src', 'schema.ts'), 10); // a bundled package changed
  expect(consoleBuildIsStale(app, [pkg])).toBe(true);
});
