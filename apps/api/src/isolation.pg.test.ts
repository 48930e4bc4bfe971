/**
 * Isolation between identities and pools over real HTTP (security X1): identity A can never read
 * or write identity B's data, nor reach its own data of one pool through another pool. Naming
 * someone else's identity fails exactly like naming one that does not exist, so responses do
 * not reveal which identity ids exist. Admin procedures need an administrator, and even an
 * administrator only finds an identity in its own pool.
 */
import { appRouter } from '@tandem/api-router';
import type { LiveMessage } from '@tandem/sync-protocol';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import {
  errorOf,
  startHarness,
  syncOnce,
  type ApiClient,
  type Harness,
  type TestUser,
} from './testing/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

// ---------------------------------------------------------------------------------------------
// World: pool 1 holds A and B (with data), pool 2 holds C (with data) and a second identity of A.

interface Member {
  user: TestUser;
  c: ApiClient;
  identityId: string;
}

interface World {
  pool1: string;
  pool2: string;
  a: Member;
  /** A's identity in pool 2 (same user). */
  aInPool2: string;
  b: Member;
  c: Member;
  admin: TestUser;
}

async function member(user: TestUser, identityPoolId: string): Promise<Member> {
  const { identityId } = await user.client.identity.getId.mutate({ identityPoolId });
  return { user, c: user.client, identityId };
}

let worldPromise: Promise<World> | undefined;
/** Built once, by the first test that needs it. */
function world(): Promise<World> {
  worldPromise ??= (async () => {
    const [pool1, pool2] = await Promise.all([h.pool(), h.pool()]);
    const [userA, userB, userC, admin] = await Promise.all([
      h.signUp(),
      h.signUp(),
      h.guest(),
      h.admin(),
    ]);
    const [a, b, c] = await Promise.all([
      member(userA, pool1),
      member(userB, pool1),
      member(userC, pool2),
    ]);
    const aInPool2 = (await userA.client.identity.getId.mutate({ identityPoolId: pool2 }))
      .identityId;
    // Everyone has a dataset called 'notes' (and A has 'mine'), with different contents.
    await syncOnce(a.c, { identityPoolId: pool1, datasetName: 'notes' }, [
      { op: 'replace', key: 'owner', value: 'A', syncCount: 0 },
    ]);
    await syncOnce(a.c, { identityPoolId: pool1, datasetName: 'mine' }, [
      { op: 'replace', key: 'k', value: 'A', syncCount: 0 },
    ]);
    await syncOnce(b.c, { identityPoolId: pool1, datasetName: 'notes' }, [
      { op: 'replace', key: 'owner', value: 'B', syncCount: 0 },
      { op: 'replace', key: 'secret', value: 'b-secret', syncCount: 0 },
    ]);
    await syncOnce(c.c, { identityPoolId: pool2, datasetName: 'notes' }, [
      { op: 'replace', key: 'owner', value: 'C', syncCount: 0 },
    ]);
    return { pool1, pool2, a, aInPool2, b, c, admin };
  })();
  return worldPromise;
}

/** Everything an identity holds in a pool, read by its owner. */
async function holdings(m: Member, identityPoolId: string) {
  const { datasets } = await m.c.dataset.list.query({ identityPoolId });
  const records = await Promise.all(
    datasets.map(
      async (d) =>
        [
          d.datasetName,
          (await m.c.record.list.query({ identityPoolId, datasetName: d.datasetName })).records,
        ] as const,
    ),
  );
  const usage = (await m.c.identity.usage.query({ identityPoolId })).identityUsage;
  return { datasets, records: Object.fromEntries(records), usage };
}

/** A well-formed identity id that no one has. */
const absentId = (region = 'local-1') => `${region}:${randomUUID()}`;

type Outcome = { kind: string; status: number; message: string } | 'ok';

/** The outcome of a call with every occurrence of `id` in the message replaced by a placeholder. */
async function outcome(call: Promise<unknown>, id: string): Promise<Outcome> {
  const error = await errorOf(call);
  if (!error) return 'ok';
  return { ...error, message: error.message.split(id).join('<id>') };
}

// ---------------------------------------------------------------------------------------------
// Procedures that act on one identity

type ScopedCall = (
  c: ApiClient,
  identityPoolId: string,
  identityId: string,
  token: string,
) => Promise<unknown>;

/** Every identity-scoped procedure that accepts an identityId, with otherwise valid input. */
const identityScoped: Record<string, ScopedCall> = {
  'identity.usage': (c, identityPoolId, identityId) =>
    c.identity.usage.query({ identityPoolId, identityId }),
  'dataset.list': (c, identityPoolId, identityId) =>
    c.dataset.list.query({ identityPoolId, identityId }),
  'dataset.describe': (c, identityPoolId, identityId) =>
    c.dataset.describe.query({ identityPoolId, identityId, datasetName: 'notes' }),
  'dataset.delete': (c, identityPoolId, identityId) =>
    c.dataset.delete.mutate({ identityPoolId, identityId, datasetName: 'notes' }),
  'record.list': (c, identityPoolId, identityId) =>
    c.record.list.query({ identityPoolId, identityId, datasetName: 'notes' }),
  'record.lastDeviceWrite': (c, identityPoolId, identityId) =>
    c.record.lastDeviceWrite.query({
      identityPoolId,
      identityId,
      datasetName: 'notes',
      deviceId: 'planted',
      afterSyncCount: 0,
    }),
  'record.update': (c, identityPoolId, identityId, token) =>
    c.record.update.mutate({
      identityPoolId,
      identityId,
      datasetName: 'notes',
      syncSessionToken: token,
      recordPatches: [
        { op: 'replace', key: 'owner', value: 'mallory', syncCount: 1 },
        { op: 'replace', key: 'planted', value: 'x', syncCount: 0 },
      ],
    }),
  // A native platform token: registering needs no push setup, so only the identity decides.
  'device.register': (c, identityPoolId, identityId) =>
    c.device.register.mutate({
      identityPoolId,
      identityId,
      platform: 'GCM',
      token: 'planted-token',
      deviceId: 'planted',
    }),
  'device.list': (c, identityPoolId, identityId) =>
    c.device.list.query({ identityPoolId, identityId }),
  'device.remove': (c, identityPoolId, identityId) =>
    c.device.remove.mutate({ identityPoolId, identityId, deviceId: 'planted' }),
  'device.subscribe': (c, identityPoolId, identityId) =>
    c.device.subscribe.mutate({
      identityPoolId,
      identityId,
      deviceId: 'planted',
      datasetName: 'notes',
    }),
  'device.unsubscribe': (c, identityPoolId, identityId) =>
    c.device.unsubscribe.mutate({
      identityPoolId,
      identityId,
      deviceId: 'planted',
      datasetName: 'notes',
    }),
};

/** Every admin procedure that names an identity of a pool. */
const adminScoped: Record<string, ScopedCall> = {
  'admin.identity.byId': (c, identityPoolId, identityId) =>
    c.admin.identity.byId.query({ identityPoolId, identityId }),
  'admin.identity.usage': (c, identityPoolId, identityId) =>
    c.admin.identity.usage.query({ identityPoolId, identityId }),
  'admin.identity.devices': (c, identityPoolId, identityId) =>
    c.admin.identity.devices.query({ identityPoolId, identityId }),
  'admin.identity.removeDevice': (c, identityPoolId, identityId) =>
    c.admin.identity.removeDevice.mutate({ identityPoolId, identityId, deviceId: 'planted' }),
  'admin.dataset.list': (c, identityPoolId, identityId) =>
    c.admin.dataset.list.query({ identityPoolId, identityId }),
  'admin.dataset.describe': (c, identityPoolId, identityId) =>
    c.admin.dataset.describe.query({ identityPoolId, identityId, datasetName: 'notes' }),
  'admin.dataset.delete': (c, identityPoolId, identityId) =>
    c.admin.dataset.delete.mutate({ identityPoolId, identityId, datasetName: 'notes' }),
  'admin.record.list': (c, identityPoolId, identityId) =>
    c.admin.record.list.query({ identityPoolId, identityId, datasetName: 'notes' }),
  'admin.record.update': (c, identityPoolId, identityId, token) =>
    c.admin.record.update.mutate({
      identityPoolId,
      identityId,
      datasetName: 'notes',
      syncSessionToken: token,
      recordPatches: [{ op: 'replace', key: 'planted', value: 'x', syncCount: 0 }],
    }),
};

interface ProcedureDef {
  _def: { type: 'query' | 'mutation' | 'subscription'; inputs: Array<{ shape?: object }> };
}
const procedures = appRouter._def.procedures as unknown as Record<string, ProcedureDef>;
const procedurePaths = Object.keys(procedures);
const procedureType = (path: string) => procedures[path]!._def.type;

test('the tables above cover every procedure that takes an identityId', () => {
  const takesIdentity = procedurePaths.filter((path) => {
    return procedures[path]!._def.inputs.some(
      (schema) => schema.shape !== undefined && 'identityId' in schema.shape,
    );
  });
  expect(takesIdentity.sort()).toEqual(
    [...Object.keys(identityScoped), ...Object.keys(adminScoped)].sort(),
  );
});

test('naming another identity (same pool or another pool) fails exactly like naming an absent one, on every identity-scoped procedure', async () => {
  const w = await world();
  const bBefore = await holdings(w.b, w.pool1);
  const cBefore = await holdings(w.c, w.pool2);
  const tokenA = (await w.a.c.record.list.query({ identityPoolId: w.pool1, datasetName: 'notes' }))
    .syncSessionToken;
  // Even B's own (stolen) session token does not help.
  const tokenB = (await w.b.c.record.list.query({ identityPoolId: w.pool1, datasetName: 'notes' }))
    .syncSessionToken;

  // Positive control: A naming its own identity is served.
  for (const name of ['identity.usage', 'dataset.list', 'dataset.describe', 'record.list']) {
    expect({
      name,
      outcome: await outcome(
        identityScoped[name]!(w.a.c, w.pool1, w.a.identityId, tokenA),
        w.a.identityId,
      ),
    }).toEqual({ name, outcome: 'ok' });
  }
  for (const [name, call] of Object.entries(identityScoped)) {
    const absent = absentId();
    const expected = await outcome(call(w.a.c, w.pool1, absent, tokenA), absent);
    expect(expected, name).toEqual({
      kind: 'ResourceNotFoundException',
      status: 404,
      message: "Identity '<id>' not found.",
    });
    const targets = [
      ['B, same pool', w.b.identityId, tokenA],
      ['B, with B’s token', w.b.identityId, tokenB],
      ['C, another pool', w.c.identityId, tokenA],
      ['A’s pool-2 identity', w.aInPool2, tokenA],
    ] as const;
    for (const [who, id, token] of targets) {
      expect({ name, who, outcome: await outcome(call(w.a.c, w.pool1, id, token), id) }).toEqual({
        name,
        who,
        outcome: expected,
      });
    }
    // Different case or encoding of B's id is not B's id: refused like the same change to an absent id.
    for (const variant of [
      (id: string) => id.toUpperCase(),
      encodeURIComponent,
      (id: string) => ` ${id}`,
      (id: string) => `${id}\u0000`,
    ]) {
      const forB = await outcome(
        call(w.a.c, w.pool1, variant(w.b.identityId), tokenA),
        variant(w.b.identityId),
      );
      const forAbsent = await outcome(
        call(w.a.c, w.pool1, variant(absent), tokenA),
        variant(absent),
      );
      expect(forB, name).toEqual(forAbsent);
      expect(forB).not.toBe('ok');
      expect((forB as { status: number }).status).toBeLessThan(500);
    }
  }

  // A stolen token without an identityId acts on A's own identity, where it is not valid.
  expect(
    await errorOf(
      w.a.c.record.update.mutate({
        identityPoolId: w.pool1,
        datasetName: 'notes',
        syncSessionToken: tokenB,
        recordPatches: [{ op: 'replace', key: 'planted', value: 'x', syncCount: 0 }],
      }),
    ),
  ).toEqual({
    kind: 'InvalidParameterException',
    status: 400,
    message: 'SyncSessionToken not valid for these inputs',
  });

  // Procedures without an identityId cannot be pointed at another identity at all.
  for (const identityId of [w.b.identityId, absentId()]) {
    expect(
      await errorOf(w.a.c.identity.getId.mutate({ identityPoolId: w.pool1, identityId } as never)),
    ).toMatchObject({
      kind: 'InvalidParameterException',
      status: 400,
    });
  }

  expect(await holdings(w.b, w.pool1)).toEqual(bBefore);
  expect(await holdings(w.c, w.pool2)).toEqual(cBefore);
  expect(bBefore.records['notes']!.map((r) => [r.key, r.value])).toEqual([
    ['owner', 'B'],
    ['secret', 'b-secret'],
  ]);
});

test('A calling pool 2 with its pool-1 identity id does not reach pool-1 data', async () => {
  const w = await world();
  const aBefore = await holdings(w.a, w.pool1);
  const tokenA = (await w.a.c.record.list.query({ identityPoolId: w.pool1, datasetName: 'notes' }))
    .syncSessionToken;
  expect(w.aInPool2).not.toBe(w.a.identityId);

  for (const [name, call] of Object.entries(identityScoped)) {
    const absent = absentId();
    const expected = await outcome(call(w.a.c, w.pool2, absent, tokenA), absent);
    expect({
      name,
      outcome: await outcome(call(w.a.c, w.pool2, w.a.identityId, tokenA), w.a.identityId),
    }).toEqual({ name, outcome: expected });
    expect(expected).toMatchObject({ kind: 'ResourceNotFoundException', status: 404 });
  }

  // Without an identityId, pool 2 is A's pool-2 identity: none of the pool-1 datasets are there.
  expect((await w.a.c.dataset.list.query({ identityPoolId: w.pool2 })).datasets).toEqual([]);
  expect(
    (await w.a.c.identity.usage.query({ identityPoolId: w.pool2 })).identityUsage,
  ).toMatchObject({
    identityId: w.aInPool2,
    identityPoolId: w.pool2,
    datasetCount: 0,
    dataStorage: 0,
  });
  for (const datasetName of ['notes', 'mine']) {
    expect(await w.a.c.record.list.query({ identityPoolId: w.pool2, datasetName })).toMatchObject({
      datasetExists: false,
      records: [],
    });
    expect(
      (await errorOf(w.a.c.dataset.describe.query({ identityPoolId: w.pool2, datasetName })))?.kind,
    ).toBe('ResourceNotFoundException');
  }
  // A pool-1 session token is not valid in pool 2, and a pool-2 write lands in pool 2 only.
  expect(
    await errorOf(
      w.a.c.record.update.mutate({
        identityPoolId: w.pool2,
        datasetName: 'notes',
        syncSessionToken: tokenA,
        recordPatches: [{ op: 'replace', key: 'owner', value: 'A2', syncCount: 0 }],
      }),
    ),
  ).toMatchObject({ kind: 'InvalidParameterException', status: 400 });
  await syncOnce(w.a.c, { identityPoolId: w.pool2, datasetName: 'notes' }, [
    { op: 'replace', key: 'owner', value: 'A2', syncCount: 0 },
  ]);
  const aInPool2 = await w.a.c.record.list.query({ identityPoolId: w.pool2, datasetName: 'notes' });
  expect(aInPool2.records.map((r) => [r.key, r.value])).toEqual([['owner', 'A2']]);
  await w.a.c.dataset.delete.mutate({ identityPoolId: w.pool2, datasetName: 'notes' });

  expect(await holdings(w.a, w.pool1)).toEqual(aBefore);
  // C (the other member of pool 2) is untouched by all of it.
  expect(
    (await w.c.c.record.list.query({ identityPoolId: w.pool2, datasetName: 'notes' })).records.map(
      (r) => r.value,
    ),
  ).toEqual(['C']);
});

// ---------------------------------------------------------------------------------------------
// Credentials and the admin surface

/**
 * Procedures anyone may call: version checks, whether first-run setup is open, and a pool's
 * public push configuration (the VAPID public key a browser subscribes with).
 */
const isPublic = (path: string) =>
  path.startsWith('meta.') || path === 'setup.status' || path === 'device.pushConfig';

/** A valid-looking input for every procedure (so only authorisation can refuse it). */
function inputFor(path: string, w: World, token: string): unknown {
  const pool = w.pool1;
  const b = w.b.identityId;
  const inputs: Record<string, unknown> = {
    'meta.version': undefined,
    'setup.status': undefined,
    // Public, but only with the setup token printed by the server.
    'setup.createFirstAdmin': {
      setupToken: 'not-the-setup-token',
      email: 'planted@example.test',
      password: 'planted password',
      name: 'Planted',
    },
    'identity.getId': { identityPoolId: pool },
    'device.pushConfig': { identityPoolId: pool },
    'device.register': { identityPoolId: pool, platform: 'GCM', token: 'planted' },
    'device.list': { identityPoolId: pool },
    'device.remove': { identityPoolId: pool, deviceId: 'planted' },
    'device.subscribe': { identityPoolId: pool, deviceId: 'planted', datasetName: 'notes' },
    'device.unsubscribe': { identityPoolId: pool, deviceId: 'planted', datasetName: 'notes' },
    'identity.usage': { identityPoolId: pool },
    'dataset.list': { identityPoolId: pool },
    'dataset.describe': { identityPoolId: pool, datasetName: 'notes' },
    'dataset.delete': { identityPoolId: pool, datasetName: 'notes' },
    'record.list': { identityPoolId: pool, datasetName: 'notes' },
    'record.lastDeviceWrite': {
      identityPoolId: pool,
      datasetName: 'notes',
      deviceId: 'planted',
      afterSyncCount: 0,
    },
    'record.update': {
      identityPoolId: pool,
      datasetName: 'notes',
      syncSessionToken: token,
      recordPatches: [{ op: 'replace', key: 'planted', value: 'x', syncCount: 0 }],
    },
    'admin.identityPool.create': { name: 'planted pool' },
    'admin.identityPool.list': {},
    'admin.identityPool.byId': { identityPoolId: pool },
    'admin.identityPool.update': {
      identityPoolId: pool,
      name: 'renamed',
      allowUnauthenticated: false,
    },
    'admin.identityPool.usage': { identityPoolId: pool },
    'admin.identityPool.listUsage': {},
    'admin.identity.list': { identityPoolId: pool },
    'admin.identity.byId': { identityPoolId: pool, identityId: b },
    'admin.identity.usage': { identityPoolId: pool, identityId: b },
    'admin.identity.devices': { identityPoolId: pool, identityId: b },
    'admin.identity.removeDevice': { identityPoolId: pool, identityId: b, deviceId: 'planted' },
    'admin.dataset.list': { identityPoolId: pool, identityId: b },
    'admin.dataset.describe': { identityPoolId: pool, identityId: b, datasetName: 'notes' },
    'admin.dataset.delete': { identityPoolId: pool, identityId: b, datasetName: 'notes' },
    'admin.record.list': { identityPoolId: pool, identityId: b, datasetName: 'notes' },
    'admin.record.update': {
      identityPoolId: pool,
      identityId: b,
      datasetName: 'notes',
      syncSessionToken: token,
      recordPatches: [{ op: 'replace', key: 'planted', value: 'x', syncCount: 0 }],
    },
    'admin.developerKey.list': { identityPoolId: pool },
    'admin.developerKey.create': { identityPoolId: pool, name: 'planted key' },
    'admin.developerKey.revoke': { identityPoolId: pool, accessKeyId: 'TKDVAAAAAAAAAAAAAAAA' },
  };
  // Procedures added later still get checked, with the most common input shape.
  return path in inputs ? inputs[path] : { identityPoolId: pool, identityId: b };
}

/** Calls a procedure by its dotted path through the typed client. */
function callPath(client: ApiClient, path: string, input: unknown): Promise<unknown> {
  let node = client as unknown as Record<string, unknown>;
  for (const part of path.split('.')) node = node[part] as Record<string, unknown>;
  const fn = procedureType(path) === 'query' ? node['query'] : node['mutate'];
  return (fn as (input: unknown) => Promise<unknown>)(input);
}

test('without valid credentials every procedure but meta.*, setup.status and device.pushConfig is refused with NotAuthorizedException 403', async () => {
  const w = await world();
  const bBefore = await holdings(w.b, w.pool1);
  const token = (await w.b.c.record.list.query({ identityPoolId: w.pool1, datasetName: 'notes' }))
    .syncSessionToken;
  const anonymous = h.client(null);
  const forged = h.client('not-a-real-session-token');
  const signedOut = h.client(`${w.b.user.token}x`);

  const results = [];
  for (const path of procedurePaths.filter((p) => procedureType(p) !== 'subscription')) {
    for (const [who, client] of [
      ['none', anonymous],
      ['forged', forged],
      ['tampered', signedOut],
    ] as const) {
      const error = await errorOf(callPath(client, path, inputFor(path, w, token)));
      results.push({ path, who, error: error && { kind: error.kind, status: error.status } });
    }
  }
  expect(results).toEqual(
    results.map(({ path, who }) => ({
      path,
      who,
      error: isPublic(path) ? null : { kind: 'NotAuthorizedException', status: 403 },
    })),
  );
  expect(await holdings(w.b, w.pool1)).toEqual(bBefore);
});

test('a signed-in user or guest who is not an administrator is refused every admin.* procedure with 403', async () => {
  const w = await world();
  const bBefore = await holdings(w.b, w.pool1);
  const poolsBefore = await w.admin.client.admin.identityPool.list.query({});
  const token = (await w.b.c.record.list.query({ identityPoolId: w.pool1, datasetName: 'notes' }))
    .syncSessionToken;
  const adminPaths = procedurePaths.filter((p) => p.startsWith('admin.'));
  expect(adminPaths.length).toBeGreaterThanOrEqual(Object.keys(adminScoped).length);

  const results = [];
  for (const path of adminPaths) {
    for (const [who, client] of [
      ['user A', w.a.c],
      ['guest C', w.c.c],
      ['user B (the data owner)', w.b.c],
    ] as const) {
      const error = await errorOf(callPath(client, path, inputFor(path, w, token)));
      results.push({ path, who, error });
    }
  }
  expect(results).toEqual(
    results.map(({ path, who }) => ({
      path,
      who,
      error: {
        kind: 'NotAuthorizedException',
        status: 403,
        message: 'This operation needs an administrator.',
      },
    })),
  );
  expect(await holdings(w.b, w.pool1)).toEqual(bBefore);
  expect(await w.admin.client.admin.identityPool.list.query({})).toEqual(poolsBefore);
});

test("an admin reads B's data with pool + identity; an identity of another pool is absent to it", async () => {
  const w = await world();
  const admin = w.admin.client;
  const bBefore = await holdings(w.b, w.pool1);

  const listed = await admin.admin.record.list.query({
    identityPoolId: w.pool1,
    identityId: w.b.identityId,
    datasetName: 'notes',
  });
  expect(listed.records.map((r) => [r.key, r.value])).toEqual([
    ['owner', 'B'],
    ['secret', 'b-secret'],
  ]);
  expect(
    (
      await admin.admin.dataset.list.query({ identityPoolId: w.pool1, identityId: w.b.identityId })
    ).datasets.map((d) => d.datasetName),
  ).toEqual(['notes']);
  expect(
    (await admin.admin.identity.byId.query({ identityPoolId: w.pool1, identityId: w.b.identityId }))
      .identityPoolId,
  ).toBe(w.pool1);

  // The pool-1 identity B under pool 2 (and C under pool 1) is the same answer as no identity.
  for (const [name, call] of Object.entries(adminScoped)) {
    const pairs = [
      [w.pool2, w.b.identityId, 'B under pool 2'],
      [w.pool1, w.c.identityId, 'C under pool 1'],
      [w.pool2, w.a.identityId, 'A’s pool-1 id under pool 2'],
    ] as const;
    for (const [pool, id, who] of pairs) {
      const absent = absentId();
      const expected = await outcome(call(admin, pool, absent, listed.syncSessionToken), absent);
      expect(expected).toEqual({
        kind: 'ResourceNotFoundException',
        status: 404,
        message: "Identity '<id>' not found.",
      });
      expect({
        name,
        who,
        outcome: await outcome(call(admin, pool, id, listed.syncSessionToken), id),
      }).toEqual({ name, who, outcome: expected });
    }
  }
  // The identity browser of pool 2 does not list pool-1 identities, even by exact id.
  const inPool2 = await admin.admin.identity.list.query({ identityPoolId: w.pool2 });
  expect(inPool2.identities.map((i) => i.identityId).sort()).toEqual(
    [w.aInPool2, w.c.identityId].sort(),
  );
  expect(
    (
      await admin.admin.identity.list.query({
        identityPoolId: w.pool2,
        identityIdPrefix: w.b.identityId,
      })
    ).identities,
  ).toEqual([]);

  expect(await holdings(w.b, w.pool1)).toEqual(bBefore);
  expect(
    (await w.c.c.record.list.query({ identityPoolId: w.pool2, datasetName: 'notes' })).records.map(
      (r) => r.value,
    ),
  ).toEqual(['C']);
});

test('property: for any well-formed identity id that is not yours, every procedure answers as for an absent one', async () => {
  const w = await world();
  const bBefore = await holdings(w.b, w.pool1);
  const tokenA = (await w.a.c.record.list.query({ identityPoolId: w.pool1, datasetName: 'notes' }))
    .syncSessionToken;
  const adminToken = (
    await w.admin.client.admin.record.list.query({
      identityPoolId: w.pool1,
      identityId: w.b.identityId,
      datasetName: 'notes',
    })
  ).syncSessionToken;
  const own = new Set([w.a.identityId, w.aInPool2]);

  // [\w-]+:[0-9a-f-]+ within 55 characters.
  const wellFormedId = fc
    .tuple(fc.stringMatching(/^[\w-]{1,20}$/), fc.stringMatching(/^[0-9a-f-]{1,34}$/))
    .map(([region, tail]) => `${region}:${tail}`)
    .filter((id) => !own.has(id));
  const someoneElse = fc.constantFrom(w.b.identityId, w.c.identityId);
  const scoped = fc.constantFrom(...Object.entries(identityScoped));
  const adminCall = fc.constantFrom(...Object.entries(adminScoped));

  await fc.assert(
    fc.asyncProperty(
      wellFormedId,
      someoneElse,
      scoped,
      fc.constantFrom(w.pool1, w.pool2),
      async (random, other, [, call], pool) => {
        const forRandom = await outcome(call(w.a.c, pool, random, tokenA), random);
        const forOther = await outcome(call(w.a.c, pool, other, tokenA), other);
        expect(forOther).toEqual(forRandom);
        expect(forRandom).toEqual({
          kind: 'ResourceNotFoundException',
          status: 404,
          message: "Identity '<id>' not found.",
        });
      },
    ),
    { numRuns: 40 },
  );

  // For an admin: an identity of the other pool is indistinguishable from a random id.
  await fc.assert(
    fc.asyncProperty(wellFormedId, adminCall, async (random, [, call]) => {
      const forRandom = await outcome(call(w.admin.client, w.pool2, random, adminToken), random);
      const forOtherPool = await outcome(
        call(w.admin.client, w.pool2, w.b.identityId, adminToken),
        w.b.identityId,
      );
      expect(forOtherPool).toEqual(forRandom);
      expect(forRandom).toMatchObject({ kind: 'ResourceNotFoundException', status: 404 });
    }),
    { numRuns: 20 },
  );

  // Arbitrary text as an identity id: refused with a 4xx, never a 5xx, never someone's data.
  await fc.assert(
    fc.asyncProperty(
      fc.string({ unit: 'binary', maxLength: 70 }),
      scoped,
      async (text, [, call]) => {
        fc.pre(!own.has(text));
        const result = await outcome(call(w.a.c, w.pool1, text, tokenA), text);
        expect(result).not.toBe('ok');
        expect(['InvalidParameterException', 'ResourceNotFoundException']).toContain(
          (result as { kind: string }).kind,
        );
        expect((result as { status: number }).status).toBeLessThan(500);
      },
    ),
    { numRuns: 40 },
  );

  expect(await holdings(w.b, w.pool1)).toEqual(bBefore);
});

test("the live channel cannot be pointed at another identity, and its back-fill holds only the caller's changes", async () => {
  const w = await world();
  // The subscription input has no identityId: naming one is refused before anything is streamed.
  let resolveStart!: (value: unknown) => void;
  const started = new Promise<unknown>((resolve) => (resolveStart = resolve));
  const attempt = w.a.c.live.onDatasetChange.subscribe(
    { identityPoolId: w.pool1, identityId: w.b.identityId } as never,
    {
      onData: () => resolveStart('data'),
      onError: (error) => resolveStart(error),
    },
  );
  const timer = setTimeout(() => resolveStart('timeout'), 5_000);
  const refusedStart = await started;
  clearTimeout(timer);
  attempt.unsubscribe();
  expect(refusedStart).not.toBe('data');
  expect((refusedStart as { data?: { cognitoError?: string } }).data?.cognitoError).toBe(
    'InvalidParameterException',
  );

  // B changes its data; A resumes from the very first event id: the back-fill is A's alone.
  await syncOnce(w.b.c, { identityPoolId: w.pool1, datasetName: 'notes' }, [
    { op: 'replace', key: 'fresh', value: 'b', syncCount: 0 },
  ]);
  const received: Array<{ id: string; data: LiveMessage }> = [];
  const sub = w.a.c.live.onDatasetChange.subscribe(
    { identityPoolId: w.pool1, lastEventId: '1' },
    { onData: (event) => received.push(event as unknown as { id: string; data: LiveMessage }) },
  );
  try {
    await syncOnce(w.a.c, { identityPoolId: w.pool1, datasetName: 'mine' }, [
      { op: 'replace', key: 'k2', value: 'A', syncCount: 0 },
    ]);
    await expect
      .poll(
        () =>
          received.some(
            (e) =>
              e.data.type === 'datasetChanged' &&
              e.data.body.datasetName === 'mine' &&
              e.data.body.syncCount === 2,
          ),
        { timeout: 10_000 },
      )
      .toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200));
  } finally {
    sub.unsubscribe();
  }
  const bodies = received.flatMap((e) => (e.data.type === 'datasetChanged' ? [e.data.body] : []));
  expect(bodies.length).toBeGreaterThan(0);
  for (const body of bodies)
    expect(body).toMatchObject({ identityId: w.a.identityId, identityPoolId: w.pool1 });
});
