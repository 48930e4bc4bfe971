import { SyncError } from '@tandem/domain';
import { afterAll, describe, expect, test } from 'vitest';
import type { SyncTriggerEvent } from './sync-trigger-event.js';
import { createSyncTriggerRunner } from './sync-trigger-runner.js';

const runner = createSyncTriggerRunner({ budgetMs: 2_000, maxProcesses: 3 });
afterAll(() => runner.close());

const event = (identityId = 'local-1:00000000-0000-4000-8000-000000000001'): SyncTriggerEvent => ({
  version: 2,
  eventType: 'SyncTrigger',
  region: 'local-1',
  identityPoolId: 'local-1:11111111-1111-4111-8111-111111111111',
  identityId,
  datasetName: 'settings',
  datasetRecords: {
    theme: { oldValue: 'light', newValue: 'dark', op: 'replace' },
    gone: { oldValue: 'x', newValue: null, op: 'remove' },
    kept: { oldValue: 'k', newValue: 'k', op: 'replace' },
  },
});

const run = (source: string, e = event(), r = runner) =>
  r.run({
    identityPoolId: e.identityPoolId,
    target: { kind: 'function', source },
    event: e,
    signingSecret: 'unused',
  });

async function failure(call: Promise<unknown>): Promise<{ kind: string; message: string }> {
  try {
    await call;
  } catch (error) {
    if (error instanceof SyncError) return { kind: error.kind, message: error.message };
    throw error;
  }
  throw new Error('expected the trigger to fail');
}

describe('function triggers', () => {
  test('identity: the event comes back unchanged', async () => {
    expect(await run('export default (event) => event')).toEqual(event());
  });

  test('modify, add and remove records; async functions', async () => {
    const out = await run(`export default async function (event) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      event.datasetRecords.theme.newValue = event.datasetRecords.theme.newValue.toUpperCase();
      event.datasetRecords.added = { newValue: 'new', op: 'replace' };
      event.datasetRecords.kept.op = 'remove';
      return event;
    }`);
    expect(out.datasetRecords).toEqual({
      theme: { oldValue: 'light', newValue: 'DARK', op: 'replace' },
      gone: { oldValue: 'x', newValue: null, op: 'remove' },
      kept: { oldValue: 'k', newValue: 'k', op: 'remove' },
      added: { newValue: 'new', op: 'replace' },
    });
  });

  test('a throw fails with InvalidLambdaFunctionOutputException and its message only', async () => {
    const error = await failure(run(`export default () => { throw new Error('nope 42'); }`));
    expect(error.kind).toBe('InvalidLambdaFunctionOutputException');
    expect(error.message).toContain('nope 42');
    expect(error.message).not.toMatch(/function-host|\.cjs|\.ts:/);
  });

  test('a throw from a timer fails the invocation', async () => {
    const error = await failure(
      run(
        `export default () => new Promise(() => setTimeout(() => { throw new Error('late'); }, 1))`,
      ),
    );
    expect(error).toMatchObject({ kind: 'InvalidLambdaFunctionOutputException' });
    expect(error.message).toContain('late');
  });

  test('sleeping past the budget times out, and the next run is served', async () => {
    const started = Date.now();
    const error = await failure(
      run(`export default (e) => new Promise((r) => setTimeout(() => r(e), 60_000))`),
    );
    expect(error.kind).toBe('LambdaSocketTimeoutException');
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(await run('export default (e) => e')).toEqual(event());
  });

  test('a busy loop times out and its process is replaced', async () => {
    const error = await failure(run(`export default () => { for (;;) {} }`));
    expect(error.kind).toBe('LambdaSocketTimeoutException');
    expect(await run('export default (e) => e')).toEqual(event());
  });

  test('a memory bomb fails with InvalidLambdaFunctionOutputException', async () => {
    const bomb = createSyncTriggerRunner({ budgetMs: 20_000, memoryMb: 32 });
    try {
      const error = await failure(
        run(
          `export default () => { const a = []; for (;;) a.push(new Array(100000).fill({ x: Math.random() })); }`,
          event(),
          bomb,
        ),
      );
      expect(error.kind).toBe('InvalidLambdaFunctionOutputException');
      expect(error.message).toMatch(/memory/);
      expect(await run('export default (e) => e', event(), bomb)).toEqual(event());
    } finally {
      await bomb.close();
    }
  });

  test('no process, env, require, fs, child processes or code generation', async () => {
    const out = await run(`export default async (event) => {
      const probe = (f) => { try { return String(f()); } catch (e) { return 'blocked: ' + e.message; } };
      const results = {
        process: probe(() => typeof process),
        require: probe(() => typeof require),
        globalThis: probe(() => Object.keys(globalThis).sort().join(',')),
        escape: probe(() => this.constructor.constructor('return process')().env.HOME),
        escape2: probe(() => setTimeout.constructor('return process')().pid),
        eval: probe(() => eval('1 + 1')),
        importFs: await import('node:fs').then(() => 'loaded', (e) => 'blocked: ' + e.message),
      };
      for (const [key, value] of Object.entries(results)) {
        event.datasetRecords['probe.' + key] = { newValue: value, op: 'replace' };
      }
      return event;
    }`);
    const probe = (key: string) => out.datasetRecords[`probe.${key}`]?.newValue;
    expect(probe('process')).toBe('undefined');
    expect(probe('require')).toBe('undefined');
    expect(probe('globalThis')).not.toMatch(/process|require|fetch|Buffer/);
    expect(probe('escape')).toMatch(/^blocked/);
    expect(probe('escape2')).toMatch(/^blocked/);
    expect(probe('eval')).toMatch(/^blocked/);
    expect(probe('importFs')).toMatch(/^blocked/);
  });

  test('code generation from strings is off in the whole child process', async () => {
    const error = await failure(run(`export default (e) => new Function('return 1')()`));
    expect(error.kind).toBe('InvalidLambdaFunctionOutputException');
    expect(error.message).toMatch(/Code generation from strings disallowed/);
  });

  test('invalid answers fail with InvalidLambdaFunctionOutputException', async () => {
    const cases = [
      `export default (e) => ({ ...e, identityId: 'local-1:00000000-0000-4000-8000-00000000ffff' })`,
      `export default (e) => ({ ...e, extra: 1 })`,
      `export default (e) => { e.datasetRecords.theme.newValue = 42; return e; }`,
      `export default (e) => { e.datasetRecords.theme.op = 'upsert'; return e; }`,
      `export default () => undefined`,
      `export default () => 'text'`,
      `export default (e) => { e.datasetRecords[''] = { newValue: 'x', op: 'replace' }; return e; }`,
    ];
    for (const source of cases) {
      const error = await failure(run(source));
      expect(error.kind, source).toBe('InvalidLambdaFunctionOutputException');
    }
  });

  test('a hung function of one identity does not hold up another identity', async () => {
    const pool = createSyncTriggerRunner({ budgetMs: 4_000, maxProcesses: 2 });
    try {
      const hung = failure(
        run(
          `export default () => new Promise(() => {})`,
          event('local-1:00000000-0000-4000-8000-0000000000aa'),
          pool,
        ),
      );
      const started = Date.now();
      const other = event('local-1:00000000-0000-4000-8000-0000000000bb');
      for (let i = 0; i < 3; i++)
        expect(await run('export default (e) => e', other, pool)).toEqual(other);
      expect(Date.now() - started).toBeLessThan(2_500);
      expect((await hung).kind).toBe('LambdaSocketTimeoutException');
    } finally {
      await pool.close();
    }
  });

  test('a full queue refuses with LambdaThrottledException', async () => {
    const small = createSyncTriggerRunner({ budgetMs: 1_000, maxProcesses: 1, maxQueue: 1 });
    try {
      const hang = `export default () => new Promise(() => {})`;
      const first = failure(
        run(hang, event('local-1:00000000-0000-4000-8000-000000000001'), small),
      );
      const second = failure(
        run(hang, event('local-1:00000000-0000-4000-8000-000000000002'), small),
      );
      const third = await failure(
        run(hang, event('local-1:00000000-0000-4000-8000-000000000003'), small),
      );
      expect(third.kind).toBe('LambdaThrottledException');
      expect((await first).kind).toBe('LambdaSocketTimeoutException');
      expect((await second).kind).toBe('LambdaSocketTimeoutException');
    } finally {
      await small.close();
    }
  });

  test('a child that evicted a compiled function is sent its source again', async () => {
    const one = createSyncTriggerRunner({ budgetMs: 5_000, maxProcesses: 1 });
    try {
      // 70 sources > the child's 64 compiled contexts: the first is evicted, then used again.
      const sources = Array.from(
        { length: 70 },
        (_, i) =>
          `export default (e) => { e.datasetRecords.n = { newValue: '${i}', op: 'replace' }; return e; }`,
      );
      for (const source of [...sources, sources[0]!]) await run(source, event(), one);
      const out = await run(sources[0]!, event(), one);
      expect(out.datasetRecords['n']).toEqual({ newValue: '0', op: 'replace' });
    } finally {
      await one.close();
    }
  });

  test('the real 5 s budget', async () => {
    const real = createSyncTriggerRunner();
    try {
      const started = Date.now();
      const error = await failure(
        run(
          `export default (e) => new Promise((r) => setTimeout(() => r(e), 30_000))`,
          event(),
          real,
        ),
      );
      const elapsed = Date.now() - started;
      expect(error.kind).toBe('LambdaSocketTimeoutException');
      expect(elapsed).toBeGreaterThanOrEqual(4_900);
      expect(elapsed).toBeLessThan(6_500);
    } finally {
      await real.close();
    }
  });
});
