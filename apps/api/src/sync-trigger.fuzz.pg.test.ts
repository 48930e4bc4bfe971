/**
 * Sync triggers through the real tRPC API (spec §11, issue 5 "Must show").
 *
 * Property: for random sequences of UpdateRecords (fresh or stale sync counts) on one dataset,
 * each under a randomly chosen trigger behaviour (identity, modify, add, remove, throw, sleep
 * past the budget, invalid output), the stored records equal a model after every call: a
 * failing trigger or a stale patch writes nothing; a succeeding one writes the client's patches
 * as rewritten by the trigger, all at the next sync count. The model runs the same function
 * source in this process to know what the trigger answers.
 *
 * Also: admin writes never run the trigger, and a hung trigger of one identity does not hold
 * up another identity's sync (real 5 s budget).
 */
import type { RecordPatch, SyncRecord } from '@tandem/sync-protocol';
import { createSyncTriggerRunner, type SyncTriggerEvent } from '@tandem/triggers';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { cognitoErrorOf, startHarness, type Harness, type TestUser } from './testing/harness.js';

/** Short for speed, long enough for a child process to start on a loaded CI machine. */
const BUDGET_MS = 2_000;
let h: Harness;
let admin: TestUser;
let user: TestUser;
beforeAll(async () => {
  h = await startHarness({}, { syncTriggers: { budgetMs: BUDGET_MS, maxProcesses: 2 } });
  admin = await h.admin();
  user = await h.signUp();
});
afterAll(() => h?.close());

type Behaviour = 'identity' | 'modify' | 'add' | 'remove' | 'throw' | 'sleep' | 'invalid';

const SOURCES: Record<Behaviour, string> = {
  identity: `export default (event) => event`,
  modify: `export default async (event) => {
    for (const record of Object.values(event.datasetRecords)) {
      if (record.op === 'replace' && record.newValue !== null) record.newValue = record.newValue + '!';
    }
    return event;
  }`,
  add: `export default (event) => {
    event.datasetRecords['added'] = { newValue: 'n' + Object.keys(event.datasetRecords).length, op: 'replace' };
    return event;
  }`,
  remove: `export default (event) => {
    const first = Object.keys(event.datasetRecords).sort()[0];
    if (first !== undefined) event.datasetRecords[first].op = 'remove';
    return event;
  }`,
  throw: `export default () => { throw new Error('refused by the trigger'); }`,
  sleep: `export default (event) => new Promise((resolve) => setTimeout(() => resolve(event), 60_000))`,
  invalid: `export default (event) => ({ ...event, datasetName: 'elsewhere' })`,
};
const FAILURES: Partial<Record<Behaviour, string>> = {
  throw: 'InvalidLambdaFunctionOutputException',
  sleep: 'LambdaSocketTimeoutException',
  invalid: 'InvalidLambdaFunctionOutputException',
};

/** The trigger as the model runs it (the same source, in this process). */
const modelTrigger = (behaviour: Behaviour) =>
  new Function(SOURCES[behaviour].replace('export default', 'return'))() as (
    event: SyncTriggerEvent,
  ) => SyncTriggerEvent | Promise<SyncTriggerEvent>;

interface Stored {
  value: string | null;
  syncCount: number;
}

/** The independent model: key → value/tombstone and count; the dataset count. */
class TriggerModel {
  readonly records = new Map<string, Stored>();
  syncCount = 0;

  event(scope: { identityPoolId: string; identityId: string }, patches: RecordPatch[]) {
    const datasetRecords: SyncTriggerEvent['datasetRecords'] = {};
    for (const [key, r] of this.records) {
      if (r.value !== null)
        datasetRecords[key] = { oldValue: r.value, newValue: r.value, op: 'replace' };
    }
    for (const p of patches) {
      datasetRecords[p.key] = {
        oldValue: this.records.get(p.key)?.value ?? null,
        newValue: p.op === 'replace' ? (p.value ?? '') : null,
        op: p.op,
      };
    }
    return {
      version: 2 as const,
      eventType: 'SyncTrigger' as const,
      region: 'local-1',
      identityPoolId: scope.identityPoolId,
      identityId: scope.identityId,
      datasetName: DATASET,
      datasetRecords,
    };
  }

  /** Applies a successful sync: returns the keys written. */
  apply(event: SyncTriggerEvent, output: SyncTriggerEvent, patches: RecordPatch[]): string[] {
    const result = (r: { op: string; newValue: string | null }) =>
      r.op === 'remove' ? null : r.newValue;
    const writes = new Map<string, string | null>();
    for (const p of patches) writes.set(p.key, p.op === 'replace' ? (p.value ?? '') : null);
    for (const [key, r] of Object.entries(output.datasetRecords)) {
      const sent = event.datasetRecords[key];
      if (sent && result(sent) === result(r)) continue;
      const live = (this.records.get(key)?.value ?? null) !== null;
      if (result(r) === null && !live && !writes.has(key)) continue;
      writes.set(key, result(r));
    }
    this.syncCount += 1;
    for (const [key, value] of writes) this.records.set(key, { value, syncCount: this.syncCount });
    return [...writes.keys()];
  }
}

const DATASET = 'trigger-test';
const KEYS = ['k0', 'k1', 'k2', 'k3'];

interface Command {
  behaviour: Behaviour;
  patches: Array<{ key: string; op: 'replace' | 'remove'; value: string }>;
  stale: boolean;
}

const commandArb: fc.Arbitrary<Command> = fc.record({
  // Sleeping costs a whole budget: drawn less often than the others.
  behaviour: fc.constantFrom<Behaviour>(
    'identity',
    'modify',
    'modify',
    'add',
    'add',
    'remove',
    'remove',
    'throw',
    'invalid',
    'sleep',
  ),
  patches: fc.uniqueArray(
    fc.record({
      key: fc.constantFrom(...KEYS),
      op: fc.constantFrom<'replace' | 'remove'>('replace', 'replace', 'remove'),
      value: fc.string({ maxLength: 8 }),
    }),
    { minLength: 1, maxLength: 3, selector: (p) => p.key },
  ),
  stale: fc.integer({ min: 0, max: 99 }).map((n) => n < 15),
});

async function storedRecords(scope: { identityPoolId: string }): Promise<Map<string, Stored>> {
  const listed = await user.client.record.list.query({ ...scope, datasetName: DATASET });
  return new Map(
    listed.records.map((r: SyncRecord) => [r.key, { value: r.value, syncCount: r.syncCount }]),
  );
}

test('UpdateRecords under random trigger behaviours matches the model; failures write nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(commandArb, { minLength: 1, maxLength: 6 }), async (commands) => {
      const identityPoolId = await h.pool();
      const scope = { identityPoolId };
      const { identityId } = await user.client.identity.getId.mutate(scope);
      const model = new TriggerModel();
      let current: Behaviour | null = null;
      for (const command of commands) {
        if (command.behaviour !== current) {
          await admin.client.admin.identityPool.setSyncTrigger.mutate({
            identityPoolId,
            syncTrigger: {
              enabled: true,
              target: { kind: 'function', source: SOURCES[command.behaviour] },
            },
          });
          current = command.behaviour;
        }
        const patches: RecordPatch[] = command.patches.map((p, i) => ({
          key: p.key,
          op: p.op,
          ...(p.op === 'replace' ? { value: p.value } : {}),
          syncCount:
            (model.records.get(p.key)?.syncCount ?? 0) + (command.stale && i === 0 ? 1 : 0),
        }));
        const pulled = await user.client.record.list.query({ ...scope, datasetName: DATASET });
        const call = user.client.record.update.mutate({
          ...scope,
          datasetName: DATASET,
          recordPatches: patches,
          syncSessionToken: pulled.syncSessionToken,
        });

        let expected: string;
        let written: string[] = [];
        if (command.stale) expected = 'ResourceConflictException';
        else if (FAILURES[command.behaviour]) expected = FAILURES[command.behaviour]!;
        else {
          const event = model.event({ identityPoolId, identityId }, patches);
          const output = await modelTrigger(command.behaviour)(structuredClone(event));
          written = model.apply(event, output, patches);
          expected = 'ok';
        }
        let response: Awaited<typeof call> | null = null;
        const outcome = await cognitoErrorOf(call.then((r) => (response = r)));
        expect(outcome).toBe(expected);
        if (response) {
          const r = response as Awaited<typeof call>;
          expect(r.records.map((x) => x.key).sort()).toEqual([...written].sort());
          expect(new Set(r.records.map((x) => x.syncCount))).toEqual(new Set([model.syncCount]));
        }
        expect(await storedRecords(scope)).toEqual(model.records);
      }
    }),
    { numRuns: 12, interruptAfterTimeLimit: 90_000, markInterruptAsFailure: true },
  );
}, 150_000);

test('admin writes do not run the trigger', async () => {
  const identityPoolId = await h.pool();
  const { identityId } = await user.client.identity.getId.mutate({ identityPoolId });
  await admin.client.admin.identityPool.setSyncTrigger.mutate({
    identityPoolId,
    syncTrigger: { enabled: true, target: { kind: 'function', source: SOURCES.throw } },
  });
  const scope = { identityPoolId, identityId, datasetName: DATASET };
  const pulled = await admin.client.admin.record.list.query(scope);
  const written = await admin.client.admin.record.update.mutate({
    ...scope,
    recordPatches: [{ op: 'replace', key: 'k0', value: 'by admin', syncCount: 0 }],
    syncSessionToken: pulled.syncSessionToken,
  });
  expect(written.records.map((r) => [r.key, r.value])).toEqual([['k0', 'by admin']]);
  // The same write by the identity itself runs the (throwing) trigger.
  const mine = await user.client.record.list.query({ identityPoolId, datasetName: DATASET });
  expect(
    await cognitoErrorOf(
      user.client.record.update.mutate({
        identityPoolId,
        datasetName: DATASET,
        recordPatches: [{ op: 'replace', key: 'k1', value: 'x', syncCount: 0 }],
        syncSessionToken: mine.syncSessionToken,
      }),
    ),
  ).toBe('InvalidLambdaFunctionOutputException');
  // Disabling it takes effect at once on this replica (cache cleared on save).
  await admin.client.admin.identityPool.setSyncTrigger.mutate({
    identityPoolId,
    syncTrigger: null,
  });
  expect(
    await cognitoErrorOf(
      user.client.record.update.mutate({
        identityPoolId,
        datasetName: DATASET,
        recordPatches: [{ op: 'replace', key: 'k1', value: 'x', syncCount: 0 }],
        syncSessionToken: mine.syncSessionToken,
      }),
    ),
  ).toBe('ok');
});

test('the signing secret is per pool and admin-only', async () => {
  const a = await h.pool();
  const b = await h.pool();
  const secretOf = (identityPoolId: string) =>
    admin.client.admin.identityPool.syncTriggerSigningSecret.query({ identityPoolId });
  const first = await secretOf(a);
  expect(first.signingSecret).toMatch(/^whsec_[\w-]{43}$/);
  expect((await secretOf(a)).signingSecret).toBe(first.signingSecret);
  expect((await secretOf(b)).signingSecret).not.toBe(first.signingSecret);
  expect(
    await cognitoErrorOf(
      user.client.admin.identityPool.syncTriggerSigningSecret.query({ identityPoolId: a }),
    ),
  ).toBe('NotAuthorizedException');
});

test("a hung trigger of one identity does not hold up another identity's sync", async () => {
  // The real 5 s budget for this test.
  const previous = h.api.deps.syncTriggers;
  h.api.deps.syncTriggers = createSyncTriggerRunner();
  try {
    const identityPoolId = await h.pool();
    await admin.client.admin.identityPool.setSyncTrigger.mutate({
      identityPoolId,
      syncTrigger: {
        enabled: true,
        target: {
          kind: 'function',
          source: `export default async (event) => {
            if (event.datasetRecords.hang) await new Promise(() => {});
            return event;
          }`,
        },
      },
    });
    const other = await h.signUp();
    const write = async (who: TestUser, key: string) => {
      const scope = { identityPoolId, datasetName: DATASET };
      const pulled = await who.client.record.list.query(scope);
      return who.client.record.update.mutate({
        ...scope,
        recordPatches: [{ op: 'replace', key, value: 'v', syncCount: 0 }],
        syncSessionToken: pulled.syncSessionToken,
      });
    };
    const startedHung = Date.now();
    const hung = cognitoErrorOf(write(user, 'hang'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = Date.now();
    for (let i = 0; i < 3; i++) expect((await write(other, `k${i}`)).records).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await hung).toBe('LambdaSocketTimeoutException');
    expect(Date.now() - startedHung).toBeGreaterThanOrEqual(4_900);
    expect((await storedRecords({ identityPoolId })).size).toBe(0);
  } finally {
    await h.api.deps.syncTriggers?.close();
    h.api.deps.syncTriggers = previous;
  }
}, 30_000);
