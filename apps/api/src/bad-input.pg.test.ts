/**
 * Bad input over real HTTP (security X2, X3; reliability R8): every name rule and limit of spec
 * §4.1 / §7.10 is refused with its typed error, never a 5xx, and a refused request leaves the
 * dataset exactly as it was. Limits are raced by parallel writers and must still hold; bodies over
 * MAX_BODY_BYTES are refused with 413 before they are parsed.
 */
import {
  ERROR_KINDS,
  MAX_DATASET_BYTES,
  MAX_DATASETS_PER_IDENTITY,
  MAX_RECORDS_PER_DATASET,
  type ErrorKind,
  type SyncRecord,
} from '@tandem/sync-protocol';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  errorOf,
  startHarness,
  syncOnce,
  type ApiClient,
  type Harness,
} from './testing/harness.js';

let h: Harness;
/** A second server with a small body limit, for the 413 tests. */
let small: Harness;
beforeAll(async () => {
  [h, small] = await Promise.all([startHarness(), startHarness({ MAX_BODY_BYTES: '100000' })]);
});
afterAll(async () => {
  await Promise.all([h?.close(), small?.close()]);
});

// ---------------------------------------------------------------------------------------------
// Helpers

type Scope = { identityPoolId: string; datasetName: string };
type Patch = { op: 'replace' | 'remove'; key: string; value?: string; syncCount: number };

interface Device {
  c: ApiClient;
  token: string;
  identityPoolId: string;
  identityId: string;
  scope(datasetName: string): Scope;
}

/** A guest with its own identity in a fresh pool. */
async function device(harness: Harness = h): Promise<Device> {
  const identityPoolId = await harness.pool();
  const user = await harness.guest();
  const { identityId } = await user.client.identity.getId.mutate({ identityPoolId });
  return {
    c: user.client,
    token: user.token,
    identityPoolId,
    identityId,
    scope: (datasetName) => ({ identityPoolId, datasetName }),
  };
}

/** Smuggles an input the typed client would not let through. */
const raw = (input: unknown) => input as never;

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/**
 * Asserts the call failed with `kind` and that kind's status (spec §6.1), never a 5xx, and
 * returns the error for further checks.
 */
async function refused(call: Promise<unknown>, kind: ErrorKind, message?: RegExp | string) {
  const error = await errorOf(call);
  expect(error, `expected ${kind}, but the call succeeded`).not.toBeNull();
  expect(
    error!.status,
    `a bad input produced a server error: ${JSON.stringify(error)}`,
  ).toBeLessThan(500);
  expect({ kind: error!.kind, status: error!.status }).toEqual({ kind, status: ERROR_KINDS[kind] });
  if (message !== undefined) expect(error!.message).toMatch(message);
  return error!;
}

/** Every record of a dataset (all pages, tombstones included), sorted by key. */
async function allRecords(c: ApiClient, scope: Scope) {
  const records: SyncRecord[] = [];
  let nextToken: string | undefined;
  let first: Awaited<ReturnType<ApiClient['record']['list']['query']>> | undefined;
  do {
    const page = await c.record.list.query({
      ...scope,
      maxResults: 1024,
      ...(nextToken ? { nextToken } : {}),
    });
    first ??= page;
    records.push(...page.records);
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
  records.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { ...first!, records };
}

/** What a refused request must not change: the dataset, its records and the identity's usage. */
async function stateOf(c: ApiClient, scope: Scope) {
  const pulled = await allRecords(c, scope);
  const described = await c.dataset.describe.query(scope).then(
    (r) => r.dataset,
    async (error: unknown) => {
      expect((await errorOf(Promise.reject(error)))?.kind).toBe('ResourceNotFoundException');
      return null;
    },
  );
  const { identityUsage } = await c.identity.usage.query({ identityPoolId: scope.identityPoolId });
  return {
    exists: pulled.datasetExists,
    syncCount: pulled.datasetSyncCount,
    lastModifiedBy: pulled.lastModifiedBy,
    dataset: described,
    usage: identityUsage,
    records: pulled.records,
  };
}

/** Counts and bytes of the live records, computed here (not by the server's code). */
function liveTotals(records: readonly SyncRecord[]) {
  const live = records.filter((r) => r.value !== null);
  return {
    numRecords: live.length,
    dataStorage: live.reduce((sum, r) => sum + utf8(r.key) + utf8(r.value!), 0),
  };
}

/** The stored totals agree with the records and are within the limits. */
async function expectConsistentWithinLimits(c: ApiClient, scope: Scope) {
  const { dataset } = await c.dataset.describe.query(scope);
  const { records } = await allRecords(c, scope);
  const totals = liveTotals(records);
  expect({ numRecords: dataset.numRecords, dataStorage: dataset.dataStorage }).toEqual(totals);
  expect(totals.numRecords).toBeLessThanOrEqual(MAX_RECORDS_PER_DATASET);
  expect(totals.dataStorage).toBeLessThanOrEqual(MAX_DATASET_BYTES);
  return { dataset, records };
}

const keys = (n: number, prefix = 'k') =>
  Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(4, '0')}`);
const newRecords = (names: readonly string[], value = 'v'): Patch[] =>
  names.map((key) => ({ op: 'replace', key, value, syncCount: 0 }));

/** `count` distinct 3-byte characters (CJK), deterministic and hard to compress. */
const cjk = (count: number, seed = 1) =>
  Array.from({ length: count }, (_, i) =>
    String.fromCharCode(0x4e00 + ((i * 7919 + seed * 104_729) % 20_000)),
  ).join('');

// ---------------------------------------------------------------------------------------------
// Name rules

test('dataset names outside 1–128 characters of [a-zA-Z0-9_.:-] are refused by every procedure that takes one', async () => {
  const d = await device();
  const admin = await h.admin();
  const ok = d.scope('ok');
  await syncOnce(d.c, ok, newRecords(['a']));
  const before = await stateOf(d.c, ok);

  const badNames = [
    '',
    'a'.repeat(129),
    'a/b',
    '../etc',
    'a b',
    ' ',
    'café',
    '😀',
    'a\u0000',
    'a\nb',
    'a?b',
    'a%2Fb',
    'a*',
    'ok/',
  ];
  await Promise.all(
    badNames.flatMap((datasetName) => {
      const scope = { identityPoolId: d.identityPoolId, datasetName };
      const inDataset = /validation errors? detected: .*at 'datasetName'/s;
      return [
        refused(d.c.dataset.describe.query(scope), 'InvalidParameterException', inDataset),
        refused(d.c.dataset.delete.mutate(scope), 'InvalidParameterException', inDataset),
        refused(d.c.record.list.query(scope), 'InvalidParameterException', inDataset),
        refused(
          d.c.record.update.mutate({
            ...scope,
            syncSessionToken: 'x',
            recordPatches: newRecords(['a']),
          }),
          'InvalidParameterException',
          inDataset,
        ),
        refused(
          admin.client.admin.record.list.query({ ...scope, identityId: d.identityId }),
          'InvalidParameterException',
          inDataset,
        ),
      ];
    }),
  );

  // The longest legal name, made of every legal character class, is fine.
  const longest = 'aZ09_.:-'.repeat(16);
  expect(longest).toHaveLength(128);
  await syncOnce(d.c, d.scope(longest), newRecords(['a']));
  expect((await d.c.dataset.describe.query(d.scope(longest))).dataset.datasetName).toBe(longest);

  expect(
    (await d.c.dataset.list.query({ identityPoolId: d.identityPoolId })).datasets
      .map((x) => x.datasetName)
      .sort(),
  ).toEqual([longest, 'ok'].sort());
  const after = await stateOf(d.c, ok);
  expect({ ...after, usage: undefined }).toEqual({ ...before, usage: undefined });
});

test('identity pool ids and identity ids must match [\\w-]+:[0-9a-f-]+ in 1–55 characters', async () => {
  const d = await device();
  const badIds = [
    '',
    'INVALID',
    'local-1:ABCDEF', // hex after the colon is lowercase only
    'a:b:c',
    'local-1:',
    ':abc',
    'local 1:abc',
    'local-1:abc\n',
    'local-1:abcg',
    'local-1/../x:abc',
    `${'x'.repeat(49)}:abcdef`, // 55 + 1
    'local-1:abc\u0000',
  ];
  expect(`${'x'.repeat(49)}:abcdef`).toHaveLength(56);
  await Promise.all(
    badIds.flatMap((bad) => [
      refused(
        d.c.identity.getId.mutate({ identityPoolId: bad }),
        'InvalidParameterException',
        /at 'identityPoolId'/,
      ),
      refused(
        d.c.identity.usage.query({ identityPoolId: bad }),
        'InvalidParameterException',
        /at 'identityPoolId'/,
      ),
      refused(
        d.c.dataset.list.query({ identityPoolId: bad }),
        'InvalidParameterException',
        /at 'identityPoolId'/,
      ),
      refused(
        d.c.record.list.query({ identityPoolId: bad, datasetName: 'x' }),
        'InvalidParameterException',
        /at 'identityPoolId'/,
      ),
      refused(
        d.c.identity.usage.query({ identityPoolId: d.identityPoolId, identityId: bad }),
        'InvalidParameterException',
        /at 'identityId'/,
      ),
      refused(
        d.c.dataset.list.query({ identityPoolId: d.identityPoolId, identityId: bad }),
        'InvalidParameterException',
        /at 'identityId'/,
      ),
      refused(
        d.c.dataset.describe.query({
          identityPoolId: d.identityPoolId,
          identityId: bad,
          datasetName: 'x',
        }),
        'InvalidParameterException',
        /at 'identityId'/,
      ),
      refused(
        d.c.record.update.mutate({
          identityPoolId: d.identityPoolId,
          identityId: bad,
          datasetName: 'x',
          syncSessionToken: 'x',
          recordPatches: newRecords(['a']),
        }),
        'InvalidParameterException',
        /at 'identityId'/,
      ),
    ]),
  );

  // A well-formed id of a pool that does not exist is a typed 404, not a crash.
  await refused(
    d.c.record.list.query({ identityPoolId: 'local-1:0123-abcd', datasetName: 'x' }),
    'ResourceNotFoundException',
  );
  expect(
    (await d.c.identity.usage.query({ identityPoolId: d.identityPoolId })).identityUsage
      .datasetCount,
  ).toBe(0);
});

test('record keys of 0 or 1,025 characters, values over 1,048,575 characters and unstorable text are refused; nothing is written', async () => {
  const d = await device();
  // Long (128-char) dataset name: the index entry of a key is as large as it gets.
  const scope = d.scope('n'.repeat(128));
  await syncOnce(d.c, scope, newRecords(['seed']));
  const pull = await d.c.record.list.query(scope);
  const before = await stateOf(d.c, scope);
  const update = (recordPatches: unknown, extra: Record<string, unknown> = {}) =>
    d.c.record.update.mutate(
      raw({ ...scope, syncSessionToken: pull.syncSessionToken, recordPatches, ...extra }),
    );

  const refusals: Array<[string, () => Promise<unknown>, RegExp]> = [
    ['empty key', () => update(newRecords([''])), /at 'recordPatches\.0\.key'.*Too small/],
    [
      '1,025-char key',
      () => update(newRecords(['k'.repeat(1025)])),
      /at 'recordPatches\.0\.key'.*Too big/,
    ],
    [
      '1,025-char multi-byte key',
      () => update(newRecords(['é'.repeat(1025)])),
      /at 'recordPatches\.0\.key'/,
    ],
    // 2,049 UTF-8 bytes in 683 characters: too large to index (the byte limit of keys).
    [
      'key of 2,049 UTF-8 bytes',
      () => update(newRecords([cjk(683)])),
      /at 'recordPatches\.0\.key'.*UTF-8 length/,
    ],
    [
      '1,048,576-char value',
      () => update(newRecords(['big'], 'v'.repeat(1_048_576))),
      /at 'recordPatches\.0\.value'.*Too big/,
    ],
    ['NUL in a key', () => update(newRecords(['a\u0000b'])), /at 'recordPatches\.0\.key'/],
    [
      'NUL in a value',
      () => update(newRecords(['nul'], 'a\u0000b')),
      /at 'recordPatches\.0\.value'/,
    ],
    [
      'NUL in the device id',
      () => update(newRecords(['dev']), { deviceId: 'phone\u0000' }),
      /at 'deviceId'/,
    ],
    [
      'lone surrogate in a key',
      () => update(newRecords(['a\ud800'])),
      /at 'recordPatches\.0\.key'/,
    ],
    [
      'lone surrogate in a value',
      () => update(newRecords(['lone'], 'x\udc00y')),
      /at 'recordPatches\.0\.value'/,
    ],
    ['empty device id', () => update(newRecords(['dev']), { deviceId: '' }), /at 'deviceId'/],
    [
      '257-char device id',
      () => update(newRecords(['dev']), { deviceId: 'd'.repeat(257) }),
      /at 'deviceId'/,
    ],
    [
      'negative device date',
      () =>
        update([
          { op: 'replace', key: 'dt', value: 'v', syncCount: 0, deviceLastModifiedDate: -1 },
        ]),
      /deviceLastModifiedDate/,
    ],
    [
      'fractional device date',
      () =>
        update([
          { op: 'replace', key: 'dt', value: 'v', syncCount: 0, deviceLastModifiedDate: 1.5 },
        ]),
      /deviceLastModifiedDate/,
    ],
    // Past year 9999 (and past what a JS Date holds): not storable, so not accepted.
    [
      'device date in year 10000',
      () =>
        update([
          {
            op: 'replace',
            key: 'dt',
            value: 'v',
            syncCount: 0,
            deviceLastModifiedDate: 253_402_300_800_000,
          },
        ]),
      /deviceLastModifiedDate/,
    ],
    [
      'device date beyond Date',
      () =>
        update([
          { op: 'replace', key: 'dt', value: 'v', syncCount: 0, deviceLastModifiedDate: 9e15 },
        ]),
      /deviceLastModifiedDate/,
    ],
    // One bad patch among good ones refuses the whole request.
    [
      'one bad key among good ones',
      () => update([...newRecords(['good1', 'good2']), ...newRecords(['k'.repeat(1025)])]),
      /recordPatches\.2\.key/,
    ],
  ];
  await Promise.all(
    refusals.map(async ([name, call, message]) => {
      const error = await refused(call(), 'InvalidParameterException', message).catch(
        (e: unknown) => {
          throw new Error(`${name}: ${String(e)}`);
        },
      );
      expect(error.message, name).toMatch(/^\d+ validation errors? detected: /);
    }),
  );
  expect(await stateOf(d.c, scope)).toEqual(before);

  // The edges themselves are accepted: a 1,024-char key; 1,024 two-byte characters (2,048 bytes);
  // 2,048 bytes of three-byte characters; a device date at the last millisecond of 9999.
  const edgeKeys = ['k'.repeat(1024), 'é'.repeat(1024), `${cjk(682)}ab`];
  expect(edgeKeys.map((k) => [k.length <= 1024, utf8(k) <= 2048])).toEqual(
    edgeKeys.map(() => [true, true]),
  );
  const accepted = await update([
    ...newRecords(edgeKeys),
    {
      op: 'replace',
      key: 'dt',
      value: '',
      syncCount: 0,
      deviceLastModifiedDate: 253_402_300_799_999,
    },
  ]);
  expect(accepted).toMatchObject({ records: expect.any(Array) });
  const { records } = await allRecords(d.c, scope);
  expect(records.map((r) => r.key).sort()).toEqual([...edgeKeys, 'dt', 'seed'].sort());
  expect(records.find((r) => r.key === 'dt')?.deviceLastModifiedDate).toBe(253_402_300_799_999);
  await expectConsistentWithinLimits(d.c, scope);
});

// ---------------------------------------------------------------------------------------------
// Strict inputs: unknown fields, mass assignment, numbers, duplicates

test('unknown fields are refused (strict schemas), so server-owned fields cannot be mass-assigned', async () => {
  const d = await device();
  const admin = await h.admin();
  const scope = d.scope('profile');
  await syncOnce(d.c, scope, newRecords(['name'], 'alice'));
  const pull = await d.c.record.list.query(scope);
  const before = await stateOf(d.c, scope);
  const base = { ...scope, syncSessionToken: pull.syncSessionToken };
  const good: Patch = { op: 'replace', key: 'name', value: 'mallory', syncCount: before.syncCount };

  const topLevel = [
    { syncCount: 99 },
    { lastModifiedBy: 'attacker' },
    { dataStorage: 0 },
    { numRecords: 0 },
    { datasetSyncCount: 99 },
    { identityUsage: { datasetCount: 0 } },
    { SyncSessionToken: 'x' }, // wrong case is a different, unknown field
    { isAdmin: true },
  ];
  const inPatch = [
    { lastModifiedBy: 'attacker' },
    { lastModifiedDate: 0 },
    { identityId: 'local-1:0000' },
    { datasetName: 'other' },
    { Value: 'x' },
  ];
  for (const extra of topLevel) {
    await refused(
      d.c.record.update.mutate(raw({ ...base, recordPatches: [good], ...extra })),
      'InvalidParameterException',
      /Unrecognized key/,
    );
    await refused(
      admin.client.admin.record.update.mutate(
        raw({ ...base, identityId: d.identityId, recordPatches: [good], ...extra }),
      ),
      'InvalidParameterException',
      /Unrecognized key/,
    );
  }
  for (const extra of inPatch) {
    await refused(
      d.c.record.update.mutate(raw({ ...base, recordPatches: [{ ...good, ...extra }] })),
      'InvalidParameterException',
      /at 'recordPatches\.0'.*Unrecognized key/,
    );
  }
  // Reads and other procedures are strict too.
  await Promise.all([
    refused(
      d.c.record.list.query(raw({ ...scope, lastModifiedBy: 'x' })),
      'InvalidParameterException',
    ),
    refused(
      d.c.dataset.describe.query(raw({ ...scope, syncCount: 1 })),
      'InvalidParameterException',
    ),
    refused(d.c.dataset.delete.mutate(raw({ ...scope, force: true })), 'InvalidParameterException'),
    refused(
      d.c.dataset.list.query(raw({ identityPoolId: d.identityPoolId, datasetName: 'x' })),
      'InvalidParameterException',
    ),
    refused(
      d.c.identity.usage.query(raw({ identityPoolId: d.identityPoolId, dataStorage: 0 })),
      'InvalidParameterException',
    ),
    refused(
      d.c.identity.getId.mutate(raw({ identityPoolId: d.identityPoolId, authenticated: true })),
      'InvalidParameterException',
    ),
  ]);

  // `__proto__` sent as JSON is an own key too: refused, never merged into anything.
  const response = await fetch(`${h.url}/trpc/record.update`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${d.token}` },
    body: `{"__proto__":{"isAdmin":true,"syncCount":99},${JSON.stringify({ ...base, recordPatches: [good] }).slice(1)}`,
  });
  expect(response.status).toBeLessThan(500);
  expect(response.status).toBe(400);

  expect(await stateOf(d.c, scope)).toEqual(before);
  expect(before.records.map((r) => [r.key, r.value])).toEqual([['name', 'alice']]);
});

test('sync counts, page sizes, tokens and ops must be well-formed', async () => {
  const d = await device();
  const scope = d.scope('numbers');
  await syncOnce(d.c, scope, newRecords(['a', 'b']));
  const pull = await d.c.record.list.query(scope);
  const before = await stateOf(d.c, scope);
  const update = (recordPatches: unknown, extra: Record<string, unknown> = {}) =>
    d.c.record.update.mutate(
      raw({ ...scope, syncSessionToken: pull.syncSessionToken, recordPatches, ...extra }),
    );
  const patch = (p: Record<string, unknown>) => [
    { op: 'replace', key: 'a', value: 'x', syncCount: 1, ...p },
  ];

  const invalid: Array<() => Promise<unknown>> = [
    () => update(patch({ syncCount: -1 })),
    () => update(patch({ syncCount: 1.5 })),
    () => update(patch({ syncCount: '1' })),
    () => update(patch({ syncCount: null })), // what NaN and Infinity become in JSON
    () => update(patch({ syncCount: 2 ** 53 })),
    () => update(patch({ syncCount: 1e308 })),
    () => update(patch({ syncCount: undefined })),
    () => update(patch({ op: 'upsert' })),
    () => update(patch({ op: 'REPLACE' })),
    () => update(patch({ op: undefined })),
    () => update(patch({ key: undefined })),
    () => update(patch({ key: 42 })),
    () => update(patch({ value: 42 })),
    () => update(patch({ value: { nested: true } })),
    () => update('not an array'),
    () => update({ 0: patch({})[0] }),
    () => update([null]),
    () =>
      update(
        Array.from({ length: 2 * MAX_RECORDS_PER_DATASET + 1 }, (_, i) => ({
          op: 'remove',
          key: `r${i}`,
          syncCount: 0,
        })),
      ),
    () => update(patch({}), { syncSessionToken: '' }),
    () => update(patch({}), { syncSessionToken: 12 }),
    () => update(patch({}), { syncSessionToken: undefined }),
    () => update(patch({}), { clientContext: 'c'.repeat(4097) }),
    () => d.c.record.list.query(raw({ ...scope, lastSyncCount: -1 })),
    () => d.c.record.list.query(raw({ ...scope, lastSyncCount: 0.5 })),
    () => d.c.record.list.query(raw({ ...scope, maxResults: 0 })),
    () => d.c.record.list.query(raw({ ...scope, maxResults: 1025 })),
    () => d.c.record.list.query(raw({ ...scope, maxResults: 2.5 })),
    () => d.c.record.list.query(raw({ ...scope, nextToken: '' })),
    () => d.c.record.list.query(raw({ ...scope, nextToken: 't'.repeat(1025) })),
    () => d.c.dataset.list.query(raw({ identityPoolId: d.identityPoolId, maxResults: -5 })),
  ];
  await Promise.all(
    invalid.map((call) =>
      refused(call(), 'InvalidParameterException', /validation errors? detected/),
    ),
  );

  // Tokens that parse as strings but are not ours: typed 400s, with Cognito's wording.
  const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  await Promise.all([
    refused(
      update(patch({}), { syncSessionToken: 'garbage' }),
      'InvalidParameterException',
      'SyncSessionToken not valid for these inputs',
    ),
    refused(
      update(patch({}), { syncSessionToken: `${pull.syncSessionToken}x` }),
      'InvalidParameterException',
      'SyncSessionToken not valid for these inputs',
    ),
    refused(
      d.c.record.list.query({ ...scope, nextToken: 'garbage!' }),
      'InvalidParameterException',
      /pagination token/,
    ),
    refused(
      d.c.record.list.query({ ...scope, nextToken: b64({ u: 'x' }) }),
      'InvalidParameterException',
      /pagination token/,
    ),
    refused(
      d.c.dataset.list.query({ identityPoolId: d.identityPoolId, nextToken: b64(42) }),
      'InvalidParameterException',
      /pagination token/,
    ),
    // A forged cursor carrying text PostgreSQL cannot hold.
    refused(
      d.c.dataset.list.query({ identityPoolId: d.identityPoolId, nextToken: b64('a\u0000') }),
      'InvalidParameterException',
    ),
    refused(
      d.c.record.list.query({
        ...scope,
        maxResults: 1,
        nextToken: b64({ u: 1, c: 0, k: 'a\u0000', s: 0 }),
      }),
      'InvalidParameterException',
    ),
  ]);
  expect(await stateOf(d.c, scope)).toEqual(before);
});

test('a request naming one key twice is refused as a whole', async () => {
  const d = await device();
  const scope = d.scope('dupes');
  await syncOnce(d.c, scope, newRecords(['a']));
  const before = await stateOf(d.c, scope);
  await refused(
    syncOnce(d.c, scope, [
      ...newRecords(['b', 'c']),
      { op: 'replace', key: 'b', value: 'again', syncCount: 0 },
    ]),
    'InvalidParameterException',
    "RecordPatches contains key 'b' more than once",
  );
  await refused(
    syncOnce(d.c, scope, [
      { op: 'replace', key: 'a', value: 'x', syncCount: 1 },
      { op: 'remove', key: 'a', syncCount: 1 },
    ]),
    'InvalidParameterException',
    "RecordPatches contains key 'a' more than once",
  );
  expect(await stateOf(d.c, scope)).toEqual(before);
});

// ---------------------------------------------------------------------------------------------
// Limits (spec §7.10)

test('the 21st dataset is refused with LimitExceededException and nothing of it is created', async () => {
  const d = await device();
  const names = Array.from({ length: MAX_DATASETS_PER_IDENTITY }, (_, i) => `ds${i + 1}`);
  for (const name of names) await syncOnce(d.c, d.scope(name), newRecords(['a']));
  const before = await stateOf(d.c, d.scope('ds21'));
  expect(before).toMatchObject({ exists: false, dataset: null, usage: { datasetCount: 20 } });

  await refused(
    syncOnce(d.c, d.scope('ds21'), newRecords(['a'])),
    'LimitExceededException',
    /at most 20 datasets/,
  );
  // An empty UpdateRecords creates nothing either.
  expect(await syncOnce(d.c, d.scope('ds21'), [])).toEqual({ records: [] });
  expect(await stateOf(d.c, d.scope('ds21'))).toEqual(before);
  expect((await d.c.dataset.list.query({ identityPoolId: d.identityPoolId })).count).toBe(20);

  // Existing datasets can still be written; deleting one makes room for exactly one more.
  await syncOnce(d.c, d.scope('ds1'), newRecords(['b']));
  await d.c.dataset.delete.mutate(d.scope('ds1'));
  await syncOnce(d.c, d.scope('ds21'), newRecords(['a']));
  await refused(syncOnce(d.c, d.scope('ds1'), newRecords(['a'])), 'LimitExceededException');
  const { identityUsage } = await d.c.identity.usage.query({ identityPoolId: d.identityPoolId });
  expect(identityUsage.datasetCount).toBe(20);
});

test('the 1,025th record is refused; tombstones do not count; a request is judged by its result', async () => {
  const d = await device();
  const scope = d.scope('many');
  const all = keys(MAX_RECORDS_PER_DATASET);

  // 1,025 in one request to a new dataset: refused, and the dataset is not created.
  const empty = await stateOf(d.c, scope);
  await refused(
    syncOnce(d.c, scope, newRecords(keys(1025))),
    'LimitExceededException',
    /at most 1024 records/,
  );
  expect(await stateOf(d.c, scope)).toEqual(empty);

  await syncOnce(d.c, scope, newRecords(all));
  const full = await stateOf(d.c, scope);
  expect(full.dataset).toMatchObject({ numRecords: 1024, syncCount: 1 });

  await refused(
    syncOnce(d.c, scope, newRecords(['extra'])),
    'LimitExceededException',
    /at most 1024 records/,
  );
  // A good patch next to the one too many does not get through either.
  await refused(
    syncOnce(d.c, scope, [
      { op: 'replace', key: all[0]!, value: 'changed', syncCount: 1 },
      ...newRecords(['extra']),
    ]),
    'LimitExceededException',
  );
  expect(await stateOf(d.c, scope)).toEqual(full);

  // Replacing existing keys is fine at the limit; removing one and adding one in the same request
  // is judged by the result (1,024).
  await syncOnce(d.c, scope, [{ op: 'replace', key: all[0]!, value: 'changed', syncCount: 1 }]);
  await syncOnce(d.c, scope, [
    { op: 'remove', key: all[1]!, syncCount: 1 },
    ...newRecords(['extra']),
  ]);
  // The tombstone of the removed key is kept but does not count.
  const { records } = await expectConsistentWithinLimits(d.c, scope);
  expect(records.filter((r) => r.value === null).map((r) => r.key)).toEqual([all[1]]);
  expect(liveTotals(records).numRecords).toBe(1024);
  // Re-adding the removed key (from its tombstone's count) would be the 1,025th.
  await refused(
    syncOnce(d.c, scope, [{ op: 'replace', key: all[1]!, value: 'back', syncCount: 3 }]),
    'LimitExceededException',
  );
});

test('the 1 MB limit counts UTF-8 bytes of keys and values: exactly 1,048,576 bytes is accepted, one more byte is refused', async () => {
  const d = await device();
  expect(MAX_DATASET_BYTES).toBe(1_048_576);

  /** Refuses `over` on a fresh dataset (nothing created), then accepts `exact`. */
  async function edge(datasetName: string, exact: Patch[], over: Patch[]) {
    const sum = (ps: Patch[]) => ps.reduce((n, p) => n + utf8(p.key) + utf8(p.value ?? ''), 0);
    expect([sum(exact), sum(over)]).toEqual([MAX_DATASET_BYTES, MAX_DATASET_BYTES + 1]);
    const scope = d.scope(datasetName);
    const empty = await stateOf(d.c, scope);
    await refused(
      syncOnce(d.c, scope, over),
      'LimitExceededException',
      /cannot exceed 1048576 bytes/,
    );
    expect(await stateOf(d.c, scope)).toEqual(empty);
    await syncOnce(d.c, scope, exact);
    const { dataset } = await expectConsistentWithinLimits(d.c, scope);
    expect(dataset.dataStorage).toBe(MAX_DATASET_BYTES);
    return scope;
  }

  // 'é' is 2 bytes: 524,287 of them + 'a' + key 'k' = 1,048,576.
  const e = 'é'.repeat(524_287);
  const eScope = await edge(
    'two-byte',
    [{ op: 'replace', key: 'k', value: `${e}a`, syncCount: 0 }],
    [{ op: 'replace', key: 'k', value: `${e}é`, syncCount: 0 }],
  );
  // At the limit: one more byte in a new record, or one more byte in the same record, is refused.
  const full = await stateOf(d.c, eScope);
  await refused(
    syncOnce(d.c, eScope, [{ op: 'replace', key: 'x', value: '', syncCount: 0 }]),
    'LimitExceededException',
  );
  await refused(
    syncOnce(d.c, eScope, [{ op: 'replace', key: 'k', value: `${e}é`, syncCount: 1 }]),
    'LimitExceededException',
  );
  expect(await stateOf(d.c, eScope)).toEqual(full);
  // Swapping a 2-byte character for two 1-byte ones keeps the size: accepted.
  await syncOnce(d.c, eScope, [
    { op: 'replace', key: 'k', value: `${'é'.repeat(524_286)}aaa`, syncCount: 1 },
  ]);
  expect((await d.c.dataset.describe.query(eScope)).dataset.dataStorage).toBe(MAX_DATASET_BYTES);

  // '€' is 3 bytes: 349,525 of them = 1,048,575 bytes, + key 'k'; the key 'kk' is one too many.
  const euro = '€'.repeat(349_525);
  await edge(
    'three-byte',
    [{ op: 'replace', key: 'k', value: euro, syncCount: 0 }],
    [{ op: 'replace', key: 'kk', value: euro, syncCount: 0 }],
  );

  // An emoji is 4 bytes (2 UTF-16 units): counted as 4, not 2 and not 1; keys count too.
  const smile = '😀'.repeat(262_143); // 1,048,572 bytes
  await edge(
    'four-byte',
    [
      { op: 'replace', key: '😀', value: smile.slice(0, -2), syncCount: 0 },
      { op: 'replace', key: 'ab', value: 'cd', syncCount: 0 },
    ],
    [
      { op: 'replace', key: '😀', value: `${smile.slice(0, -2)}a`, syncCount: 0 },
      { op: 'replace', key: 'ab', value: 'cd', syncCount: 0 },
    ],
  );

  // Under the character limit but over the byte limit: the dataset limit, not the value rule.
  await refused(
    syncOnce(d.c, d.scope('chars-vs-bytes'), [
      { op: 'replace', key: 'k', value: 'é'.repeat(600_000), syncCount: 0 },
    ]),
    'LimitExceededException',
  );

  // Spread over many records and several requests of mixed widths, to the byte.
  const spread = d.scope('spread');
  // 16 records of 3 + 65,520 + 2 = 65,525 bytes (1,048,400), then the last 176 bytes.
  const chunk = (i: number) => ({
    key: `r${String(i).padStart(2, '0')}`,
    value: `${'€'.repeat(21_840)}${i % 2 ? 'é' : 'aa'}`,
  });
  const parts = Array.from({ length: 16 }, (_, i) => chunk(i));
  const total = parts.reduce((n, p) => n + utf8(p.key) + utf8(p.value), 0);
  expect(total).toBe(1_048_400);
  await syncOnce(
    d.c,
    spread,
    parts.slice(0, 8).map((p) => ({ op: 'replace' as const, ...p, syncCount: 0 })),
  );
  await syncOnce(
    d.c,
    spread,
    parts.slice(8).map((p) => ({ op: 'replace' as const, ...p, syncCount: 0 })),
  );
  // key 'z' (1) + 88 × 'é' (176) is one byte too many; 87 × 'é' + 'a' fits exactly.
  await refused(
    syncOnce(d.c, spread, [{ op: 'replace', key: 'z', value: 'é'.repeat(88), syncCount: 0 }]),
    'LimitExceededException',
  );
  await syncOnce(d.c, spread, [
    { op: 'replace', key: 'z', value: `${'é'.repeat(87)}a`, syncCount: 0 },
  ]);
  expect((await expectConsistentWithinLimits(d.c, spread)).dataset.dataStorage).toBe(
    MAX_DATASET_BYTES,
  );
  // Removing frees the bytes of key and value at once.
  await syncOnce(d.c, spread, [{ op: 'remove', key: 'r00', syncCount: 1 }]);
  expect((await expectConsistentWithinLimits(d.c, spread)).dataset.dataStorage).toBe(
    MAX_DATASET_BYTES - utf8(parts[0]!.key) - utf8(parts[0]!.value),
  );
});

// ---------------------------------------------------------------------------------------------
// Concurrency (R8): parallel writers cannot jointly pass a limit

test('parallel creations of datasets 15..30 leave exactly 20; the losers get LimitExceededException', async () => {
  const d = await device();
  for (let i = 1; i <= 14; i++) await syncOnce(d.c, d.scope(`ds${i}`), newRecords(['a']));
  const contenders = Array.from({ length: 16 }, (_, i) => `ds${i + 15}`);
  const tokens = await Promise.all(contenders.map((name) => d.c.record.list.query(d.scope(name))));
  const results = await Promise.all(
    contenders.map((name, i) =>
      errorOf(
        d.c.record.update.mutate({
          ...d.scope(name),
          syncSessionToken: tokens[i]!.syncSessionToken,
          recordPatches: newRecords(['a', 'b']),
        }),
      ),
    ),
  );
  const winners = contenders.filter((_, i) => results[i] === null);
  const losers = results.filter((r) => r !== null);
  expect(winners).toHaveLength(6);
  for (const loser of losers)
    expect(loser).toMatchObject({ kind: 'LimitExceededException', status: 400 });

  const listed = (await d.c.dataset.list.query({ identityPoolId: d.identityPoolId })).datasets;
  expect(listed).toHaveLength(20);
  expect(
    (await d.c.identity.usage.query({ identityPoolId: d.identityPoolId })).identityUsage
      .datasetCount,
  ).toBe(20);
  expect(
    listed
      .filter((x) => contenders.includes(x.datasetName))
      .map((x) => x.datasetName)
      .sort(),
  ).toEqual(winners.sort());
  for (const name of contenders.filter((n) => !winners.includes(n))) {
    await refused(d.c.dataset.describe.query(d.scope(name)), 'ResourceNotFoundException');
    expect((await d.c.record.list.query(d.scope(name))).records).toEqual([]);
  }
  for (const name of winners) {
    expect((await d.c.dataset.describe.query(d.scope(name))).dataset).toMatchObject({
      numRecords: 2,
      syncCount: 1,
    });
  }
});

test('parallel writers adding records near 1,024 never pass it, and each write is all or nothing', async () => {
  const d = await device();
  const scope = d.scope('crowded');
  await syncOnce(d.c, scope, newRecords(keys(1000)));
  const { syncSessionToken } = await d.c.record.list.query(scope);
  const push = (prefix: string, n: number) =>
    errorOf(
      d.c.record.update.mutate({
        ...scope,
        syncSessionToken,
        recordPatches: newRecords(keys(n, prefix)),
      }),
    );

  // 8 writers × 10 new keys: 2 fit (1,020), the rest would pass 1,024.
  const wave1 = await Promise.all(Array.from({ length: 8 }, (_, w) => push(`w${w}-`, 10)));
  expect(wave1.filter((r) => r === null)).toHaveLength(2);
  for (const r of wave1.filter((x) => x !== null))
    expect(r).toMatchObject({ kind: 'LimitExceededException', status: 400 });
  // 6 writers × 4 new keys: exactly one fits (1,024).
  const wave2 = await Promise.all(Array.from({ length: 6 }, (_, w) => push(`x${w}-`, 4)));
  expect(wave2.filter((r) => r === null)).toHaveLength(1);
  for (const r of wave2.filter((x) => x !== null))
    expect(r).toMatchObject({ kind: 'LimitExceededException', status: 400 });

  const { dataset, records } = await expectConsistentWithinLimits(d.c, scope);
  expect(dataset).toMatchObject({ numRecords: 1024, syncCount: 4 });
  // Every writer's keys are all there or all absent.
  const present = new Set(records.map((r) => r.key));
  for (const [prefix, n] of [
    ...Array.from({ length: 8 }, (_, w) => [`w${w}-`, 10] as const),
    ...Array.from({ length: 6 }, (_, w) => [`x${w}-`, 4] as const),
  ]) {
    const found = keys(n, prefix).filter((k) => present.has(k)).length;
    expect([0, n]).toContain(found);
  }
});

test('parallel writers adding bytes near 1 MB never pass it; the stored total matches the records', async () => {
  const d = await device();
  const scope = d.scope('heavy');
  // 900,000 bytes in 10 records of 90,000 (key 3 bytes + value 89,997 bytes of mixed widths).
  const base = Array.from({ length: 10 }, (_, i) => ({
    key: `b0${i}`,
    value: `${'€'.repeat(29_999)}`,
  }));
  expect(base.reduce((n, p) => n + utf8(p.key) + utf8(p.value), 0)).toBe(900_000);
  await syncOnce(
    d.c,
    scope,
    base.map((p) => ({ op: 'replace' as const, ...p, syncCount: 0 })),
  );
  const { syncSessionToken } = await d.c.record.list.query(scope);
  const push = (key: string, value: string) =>
    errorOf(
      d.c.record.update.mutate({
        ...scope,
        syncSessionToken,
        recordPatches: [{ op: 'replace', key, value, syncCount: 0 }],
      }),
    );

  // 6 writers × 60,000 bytes (key 'wN' + 'é' × 29,999): 2 fit (1,020,000), 3 would not.
  const wave1 = await Promise.all(
    Array.from({ length: 6 }, (_, w) => push(`w${w}`, 'é'.repeat(29_999))),
  );
  expect(wave1.filter((r) => r === null)).toHaveLength(2);
  for (const r of wave1.filter((x) => x !== null))
    expect(r).toMatchObject({ kind: 'LimitExceededException', status: 400 });
  // 5 writers × exactly the remaining 28,576 bytes: one fits, to the byte.
  const remaining = MAX_DATASET_BYTES - 1_020_000;
  const wave2 = await Promise.all(
    Array.from({ length: 5 }, (_, w) => push(`x${w}`, `😀${'a'.repeat(remaining - 2 - 4)}`)),
  );
  expect(wave2.filter((r) => r === null)).toHaveLength(1);
  for (const r of wave2.filter((x) => x !== null))
    expect(r).toMatchObject({ kind: 'LimitExceededException', status: 400 });

  const { dataset } = await expectConsistentWithinLimits(d.c, scope);
  expect(dataset).toMatchObject({ dataStorage: MAX_DATASET_BYTES, numRecords: 13, syncCount: 4 });
});

// ---------------------------------------------------------------------------------------------
// Bodies: size (413 before parsing) and garbage

type RawBody = string | ReadableStream<Uint8Array>;

async function post(
  harness: Harness,
  path: string,
  body: RawBody,
  headers: Record<string, string> = {},
) {
  const init = {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
    ...(typeof body === 'string' ? {} : { duplex: 'half' }),
  };
  const response = await fetch(`${harness.url}${path}`, init as RequestInit);
  const text = await response.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    // not JSON
  }
  return { status: response.status, json, text };
}

/** The Cognito error name of a tRPC error response (the first one of a batch). */
const cognitoErrorIn = (json: unknown) =>
  (
    (Array.isArray(json) ? json[0] : json) as {
      error?: { data?: { cognitoError?: string } };
    } | null
  )?.error?.data?.cognitoError;

test('bodies over MAX_BODY_BYTES are refused with 413 before parsing, with or without content-length', async () => {
  const d = await device(small);
  const scope = d.scope('sized');
  await syncOnce(d.c, scope, newRecords(['a']));
  const before = await stateOf(d.c, scope);
  const { syncSessionToken } = await d.c.record.list.query(scope);
  const auth = { authorization: `Bearer ${d.token}` };
  const LIMIT = 100_000;

  /** A valid UpdateRecords body of exactly `bytes` bytes (the value pads it, with multi-byte text). */
  const bodyOf = (bytes: number) => {
    const shell = JSON.stringify({
      ...scope,
      syncSessionToken,
      recordPatches: [{ op: 'replace', key: 'pad', value: '', syncCount: 0 }],
    });
    const pad = bytes - utf8(shell);
    const value = `${'€'.repeat(Math.floor(pad / 3))}${'a'.repeat(pad % 3)}`;
    const body = shell.replace('"value":""', `"value":"${value}"`);
    expect(utf8(body)).toBe(bytes);
    return body;
  };

  // Declared length over the limit: 413 whatever the body, even unparsable and unauthenticated.
  for (const [body, headers] of [
    [bodyOf(LIMIT + 1), auth],
    ['x'.repeat(LIMIT + 1), auth],
    ['{'.repeat(LIMIT + 1), {}],
  ] as const) {
    const res = await post(small, '/trpc/record.update', body, headers);
    expect(res.status).toBe(413);
    expect(cognitoErrorIn(res.json)).toBe('RequestEntityTooLargeException');
  }
  // The auth endpoints are guarded the same way.
  expect((await post(small, '/api/auth/sign-in/email', 'x'.repeat(LIMIT + 1))).status).toBe(413);

  // Streamed (chunked, no content-length): refused once it passes the limit.
  const stream = (body: string, chunkSize = 8192) => {
    const bytes = Buffer.from(body);
    let offset = 0;
    return new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= bytes.length) return controller.close();
        controller.enqueue(new Uint8Array(bytes.subarray(offset, offset + chunkSize)));
        offset += chunkSize;
      },
    });
  };
  for (const body of [bodyOf(LIMIT + 1), 'x'.repeat(3 * LIMIT)]) {
    const res = await post(small, '/trpc/record.update', stream(body), auth);
    expect(res.status).toBe(413);
    expect(cognitoErrorIn(res.json)).toBe('RequestEntityTooLargeException');
  }
  expect(await stateOf(d.c, scope)).toEqual(before);

  // Exactly at the limit is parsed and applied, streamed or not.
  const atLimit = await post(small, '/trpc/record.update', bodyOf(LIMIT), auth);
  expect(atLimit.status).toBe(200);
  await d.c.dataset.delete.mutate(scope);
  const fresh = await d.c.record.list.query(scope);
  const streamed = await post(
    small,
    '/trpc/record.update',
    stream(bodyOf(LIMIT).replace(syncSessionToken, fresh.syncSessionToken)),
    auth,
  );
  expect(streamed.status).toBe(200);
  expect((await allRecords(d.c, scope)).records.map((r) => r.key)).toEqual(['pad']);
});

test('malformed JSON and garbage get 4xx with a Cognito error name, never a 5xx', async () => {
  const d = await device();
  const scope = d.scope('garbage');
  await syncOnce(d.c, scope, newRecords(['a']));
  const before = await stateOf(d.c, scope);
  const auth = { authorization: `Bearer ${d.token}` };
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  const cases: Array<[string, () => Promise<{ status: number; json: unknown }>, number]> = [
    ['truncated JSON', () => post(h, '/trpc/record.update', '{"identityPoolId":', auth), 400],
    ['not JSON', () => post(h, '/trpc/record.update', '{not json', auth), 400],
    ['empty body', () => post(h, '/trpc/record.update', '', auth), 400],
    ['JSON null', () => post(h, '/trpc/record.update', 'null', auth), 400],
    ['JSON array', () => post(h, '/trpc/record.update', '[]', auth), 400],
    ['JSON string', () => post(h, '/trpc/record.update', '"hello"', auth), 400],
    ['JSON number', () => post(h, '/trpc/record.update', '1e999', auth), 400],
    ['binary', () => post(h, '/trpc/record.update', '\u0000\u0001\u0002\uFFFD', auth), 400],
    [
      'octet-stream',
      () =>
        post(h, '/trpc/record.update', 'abc', {
          ...auth,
          'content-type': 'application/octet-stream',
        }),
      400,
    ],
    [
      'text/plain',
      () =>
        post(h, '/trpc/record.update', JSON.stringify({ ...scope }), {
          ...auth,
          'content-type': 'text/plain',
        }),
      415,
    ],
    ['deeply nested array', () => post(h, '/trpc/record.update', deep(200_000), auth), 400],
    [
      'deeply nested field',
      () =>
        post(
          h,
          '/trpc/record.update',
          `{"identityPoolId":${deep(100_000)},"datasetName":"garbage"}`,
          auth,
        ),
      400,
    ],
    [
      'deeply nested patch',
      () =>
        post(
          h,
          '/trpc/record.update',
          JSON.stringify({ ...scope, syncSessionToken: 'x', recordPatches: ['X'] }).replace(
            '"X"',
            deep(100_000),
          ),
          auth,
        ),
      400,
    ],
    [
      'huge number',
      () =>
        post(
          h,
          '/trpc/record.update',
          JSON.stringify({
            ...scope,
            syncSessionToken: 'x',
            recordPatches: [{ op: 'replace', key: 'a', syncCount: 'X' }],
          }).replace('"X"', '9'.repeat(5000)),
          auth,
        ),
      400,
    ],
    [
      'garbage batch',
      () => post(h, '/trpc/record.update,record.update?batch=1', '{"0":1,"1":"x"}', auth),
      400,
    ],
    ['batch that is not an object', () => post(h, '/trpc/record.update?batch=1', '[1]', auth), 400],
    ['query via POST', () => post(h, '/trpc/record.list', JSON.stringify(scope), auth), 405],
    ['unknown procedure', () => post(h, '/trpc/record.upsert', '{}', auth), 404],
    ['bad JSON without credentials', () => post(h, '/trpc/record.update', '{not json'), 403],
    [
      'GET on a mutation',
      async () => {
        const r = await fetch(
          `${h.url}/trpc/record.update?input=${encodeURIComponent(JSON.stringify(scope))}`,
          { headers: auth },
        );
        return { status: r.status, json: await r.json().catch(() => null) };
      },
      405,
    ],
    [
      'GET with malformed input',
      async () => {
        const r = await fetch(`${h.url}/trpc/record.list?input=%7Bbad`, { headers: auth });
        return { status: r.status, json: await r.json().catch(() => null) };
      },
      400,
    ],
    [
      'GET with nested input',
      async () => {
        const r = await fetch(`${h.url}/trpc/record.list?input=${encodeURIComponent(deep(2000))}`, {
          headers: auth,
        });
        return { status: r.status, json: await r.json().catch(() => null) };
      },
      400,
    ],
  ];
  const outcomes = [];
  for (const [name, run] of cases) {
    const res = await run();
    outcomes.push({
      name,
      status: res.status,
      typed: /Exception$/.test(cognitoErrorIn(res.json) ?? ''),
    });
  }
  expect(outcomes).toEqual(cases.map(([name, , status]) => ({ name, status, typed: true })));
  // An over-long URL is refused by the HTTP layer (431), not the application.
  const longUrl = await fetch(
    `${h.url}/trpc/record.list?input=${encodeURIComponent(JSON.stringify({ ...scope, datasetName: 'a'.repeat(40_000) }))}`,
    { headers: auth },
  );
  expect(longUrl.status).toBeGreaterThanOrEqual(400);
  expect(longUrl.status).toBeLessThan(500);

  // Admin inputs that PostgreSQL cannot hold are the caller's fault too.
  const admin = await h.admin();
  await refused(
    admin.client.admin.identityPool.create.mutate({ name: 'pool\u0000' }),
    'InvalidParameterException',
  );
  await refused(
    admin.client.admin.identity.list.query({
      identityPoolId: d.identityPoolId,
      identityIdPrefix: 'a\u0000',
    }),
    'InvalidParameterException',
  );

  expect(await stateOf(d.c, scope)).toEqual(before);
});
