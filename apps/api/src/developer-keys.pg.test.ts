/**
 * AWS developer keys (`admin.developerKey.*`): administrators create, list and revoke a pool's
 * long-lived access key pairs for server-side AWS SDK apps. The secret is answered once, by
 * create, and stored sealed only.
 */
import { findDeveloperKey } from '@tandem/db';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { errorOf, startHarness, type Harness, type TestUser } from './testing/harness.js';

let h: Harness;
let admin: TestUser;
let adminEmail: string;
/** Every answer of list and revoke in this file: none may contain a secret. */
const listed: unknown[] = [];
const secrets: string[] = [];

/** Raw SQL on the test database (statement names must be unique per text on PostgreSQL). */
let statementCounter = 0;
const query = <Row = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  h.database.sql.query<Row>({ name: `developer_keys_test_${statementCounter++}`, text }, params);

beforeAll(async () => {
  h = await startHarness();
  admin = await h.admin();
  const [row] = await query<{ email: string }>('select email from "user" where id = $1', [
    admin.userId,
  ]);
  adminEmail = row!.email;
});
afterAll(async () => {
  expect(secrets.length).toBeGreaterThan(0);
  const all = JSON.stringify(listed);
  for (const secret of secrets) expect(all).not.toContain(secret);
  await h?.close();
});

const api = () => admin.client.admin.developerKey;
const list = async (identityPoolId: string) => {
  const answer = await api().list.query({ identityPoolId });
  listed.push(answer);
  return answer.keys;
};
const create = async (identityPoolId: string, name: string) => {
  const answer = await api().create.mutate({ identityPoolId, name });
  secrets.push(answer.secretAccessKey);
  return answer;
};
const UNKNOWN_POOL = 'local-1:00000000-0000-0000-0000-000000000000';

test('create answers the secret once (40 characters); list shows the key without it', async () => {
  const identityPoolId = await h.pool();
  expect(await list(identityPoolId)).toEqual([]);
  const before = Date.now();
  const created = await create(identityPoolId, '  Backend server ');
  expect(created.secretAccessKey).toMatch(/^[A-Za-z0-9]{40}$/);
  expect(created.key).toEqual({
    accessKeyId: expect.stringMatching(/^TKDV[A-Z2-7]{16}$/),
    identityPoolId,
    name: 'Backend server',
    createdBy: adminEmail,
    createdAt: expect.any(Number),
    lastUsedAt: null,
    revokedAt: null,
  });
  expect(created.key.createdAt).toBeGreaterThan(before - 60_000);
  expect(Object.keys(created).sort()).toEqual(['key', 'secretAccessKey']);

  const second = await create(identityPoolId, 'Reports job');
  expect(second.key.accessKeyId).not.toBe(created.key.accessKeyId);
  expect(second.secretAccessKey).not.toBe(created.secretAccessKey);

  const keys = await list(identityPoolId);
  expect(keys.map((k) => k.name).sort()).toEqual(['Backend server', 'Reports job']);
  expect(keys.find((k) => k.accessKeyId === created.key.accessKeyId)).toEqual(created.key);
  for (const key of keys) expect(Object.keys(key)).not.toContain('secretAccessKey');
  // Another pool's list does not show them.
  expect(await list(await h.pool())).toEqual([]);

  // The server can check signatures with it while it is active.
  expect(
    await findDeveloperKey(h.database.db, h.api.deps.secrets.settingsBox, created.key.accessKeyId),
  ).toEqual({
    key: expect.objectContaining({ name: 'Backend server' }),
    secretAccessKey: created.secretAccessKey,
  });
});

test('the stored secret is sealed, not the plain secret', async () => {
  const identityPoolId = await h.pool();
  const created = await create(identityPoolId, 'Sealed');
  const rows = await query<{ sealed_secret: string }>(
    'select sealed_secret from aws_developer_key where access_key_id = $1',
    [created.key.accessKeyId],
  );
  expect(rows).toHaveLength(1);
  const sealed = rows[0]!.sealed_secret;
  expect(sealed).not.toBe(created.secretAccessKey);
  expect(sealed).not.toContain(created.secretAccessKey);
  expect(JSON.stringify(await query('select * from aws_developer_key'))).not.toContain(
    created.secretAccessKey,
  );
});

test('revoke sets revokedAt and the key stops working at once; unknown keys are not found', async () => {
  const identityPoolId = await h.pool();
  const kept = await create(identityPoolId, 'Kept');
  const gone = await create(identityPoolId, 'Gone');
  const revoked = await api().revoke.mutate({
    identityPoolId,
    accessKeyId: gone.key.accessKeyId,
  });
  listed.push(revoked);
  expect(revoked).toEqual({ ...gone.key, revokedAt: expect.any(Number) });
  expect(revoked.revokedAt).toBeGreaterThanOrEqual(gone.key.createdAt);

  const keys = await list(identityPoolId);
  expect(keys.find((k) => k.accessKeyId === gone.key.accessKeyId)?.revokedAt).toBe(
    revoked.revokedAt,
  );
  expect(keys.find((k) => k.accessKeyId === kept.key.accessKeyId)?.revokedAt).toBeNull();
  const box = h.api.deps.secrets.settingsBox;
  expect(await findDeveloperKey(h.database.db, box, gone.key.accessKeyId)).toBeNull();
  expect(await findDeveloperKey(h.database.db, box, kept.key.accessKeyId)).not.toBeNull();

  // Revoking again keeps the first revocation time.
  const again = await api().revoke.mutate({ identityPoolId, accessKeyId: gone.key.accessKeyId });
  expect(again.revokedAt).toBe(revoked.revokedAt);

  // Unknown key, or a key of another pool: not found (and the other pool's key stays active).
  const otherPool = await h.pool();
  const other = await create(otherPool, 'Other pool');
  for (const accessKeyId of ['TKDVAAAAAAAAAAAAAAAA', other.key.accessKeyId]) {
    expect(await errorOf(api().revoke.mutate({ identityPoolId, accessKeyId }))).toEqual({
      kind: 'ResourceNotFoundException',
      status: 404,
      message: `Developer key '${accessKeyId}' not found.`,
    });
  }
  expect(await findDeveloperKey(h.database.db, box, other.key.accessKeyId)).not.toBeNull();
});

test('unknown pools are not found; bad names are refused', async () => {
  for (const call of [
    () => api().list.query({ identityPoolId: UNKNOWN_POOL }),
    () => api().create.mutate({ identityPoolId: UNKNOWN_POOL, name: 'x' }),
    () =>
      api().revoke.mutate({ identityPoolId: UNKNOWN_POOL, accessKeyId: 'TKDVAAAAAAAAAAAAAAAA' }),
  ]) {
    expect(await errorOf(call())).toEqual({
      kind: 'ResourceNotFoundException',
      status: 404,
      message: `IdentityPool '${UNKNOWN_POOL}' not found.`,
    });
  }
  const identityPoolId = await h.pool();
  for (const name of ['', '   ', 'x'.repeat(65)]) {
    expect((await errorOf(api().create.mutate({ identityPoolId, name })))?.kind).toBe(
      'InvalidParameterException',
    );
  }
  expect((await create(identityPoolId, 'x'.repeat(64))).key.name).toHaveLength(64);
});

test('at most 20 active keys per pool: the 21st is refused until one is revoked', async () => {
  const identityPoolId = await h.pool();
  const keys = [];
  for (let i = 0; i < 20; i++) keys.push(await create(identityPoolId, `key ${i}`));
  expect(await errorOf(api().create.mutate({ identityPoolId, name: 'one too many' }))).toEqual({
    kind: 'LimitExceededException',
    status: 400,
    message:
      'An identity pool may have at most 20 active developer keys; revoke one before creating another.',
  });
  expect(await list(identityPoolId)).toHaveLength(20);
  // Other pools have their own allowance.
  await create(await h.pool(), 'elsewhere');
  // A revoked key no longer counts.
  await api().revoke.mutate({ identityPoolId, accessKeyId: keys[0]!.key.accessKeyId });
  await create(identityPoolId, 'replacement');
  expect(await list(identityPoolId)).toHaveLength(21);
  expect((await errorOf(api().create.mutate({ identityPoolId, name: 'again' })))?.kind).toBe(
    'LimitExceededException',
  );
});

test('concurrent creates cannot pass the limit together', async () => {
  const identityPoolId = await h.pool();
  for (let i = 0; i < 18; i++) await create(identityPoolId, `key ${i}`);
  const results = await Promise.all(
    Array.from({ length: 5 }, (_, i) =>
      errorOf(create(identityPoolId, `racer ${i}`)).then((e) => e?.kind ?? 'ok'),
    ),
  );
  expect(results.filter((r) => r === 'ok')).toHaveLength(2);
  expect(results.filter((r) => r !== 'ok')).toEqual([
    'LimitExceededException',
    'LimitExceededException',
    'LimitExceededException',
  ]);
  expect((await list(identityPoolId)).filter((k) => k.revokedAt === null)).toHaveLength(20);
});

test('non-administrators are refused every developer key procedure', async () => {
  const identityPoolId = await h.pool();
  const existing = await create(identityPoolId, 'Existing');
  const user = await h.signUp();
  const guest = await h.guest();
  for (const client of [user.client, guest.client, h.client(null)]) {
    const p = client.admin.developerKey;
    for (const call of [
      () => p.list.query({ identityPoolId }),
      () => p.create.mutate({ identityPoolId, name: 'mine' }),
      () => p.revoke.mutate({ identityPoolId, accessKeyId: existing.key.accessKeyId }),
    ]) {
      expect(await errorOf(call())).toMatchObject({ kind: 'NotAuthorizedException', status: 403 });
    }
  }
  const keys = await list(identityPoolId);
  expect(keys).toEqual([existing.key]);
});
