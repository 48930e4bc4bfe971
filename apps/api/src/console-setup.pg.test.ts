/**
 * First-run setup: the setup token printed at start creates the first administrator, once, even
 * under concurrent requests; afterwards setup is closed.
 */
import { deriveSetupToken } from '@tandem/auth';
import { pino } from 'pino';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { startApi } from './app.js';
import { readEnv } from './env.js';
import { printBanner } from './host.js';
import { errorOf, PASSWORD, startHarness, uniqueEmail, type Harness } from './testing/harness.js';

const SECRET = 'test-secret-test-secret-test-secret-0123'; // the harness's BETTER_AUTH_SECRET

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h?.close());

let statementCounter = 0;
const query = <Row = Record<string, unknown>>(text: string, params: unknown[] = []) =>
  h.database.sql.query<Row>({ name: `console_setup_test_${statementCounter++}`, text }, params);
const adminCount = async () =>
  (
    await query<{ n: number }>(
      `select count(*)::int as n from "user" where 'admin' = any(string_to_array(role, ','))`,
    )
  )[0]!.n;

test('the setup token is derived from the server secret and printed while no admin exists', () => {
  const token = deriveSetupToken(SECRET);
  expect(token).toMatch(/^[A-Za-z0-9_-]{24}$/);
  expect(deriveSetupToken(SECRET)).toBe(token); // every replica agrees
  expect(deriveSetupToken(`${SECRET}x`)).not.toBe(token);
  expect(h.api.setupToken).toBe(token);
  expect(h.api.deps.secrets.setupToken).toBe(token);

  const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  try {
    const env = readEnv({ TANDEM_HOME: '/tmp/tandem-banner-test' });
    const info = { url: 'http://127.0.0.1:4000', defaultPool: null, workers: 1 };
    printBanner(env, { ...info, setupToken: token });
    printBanner(env, { ...info, setupToken: null });
    const [withToken, without] = write.mock.calls.map((call) => String(call[0]));
    expect(withToken).toContain(
      `  Console setup   token ${token}  (creates the first admin; or: npm run tandem --workspace @tandem/api -- admin:create)`,
    );
    // Tools read the first URL of the banner.
    expect(/Tandem API +(http:\/\/\S+)/.exec(withToken!)?.[1]).toBe('http://127.0.0.1:4000');
    expect(without).not.toContain('Console setup');
  } finally {
    write.mockRestore();
  }
});

test('setup refuses wrong tokens, bad input, taken emails and a lock held by another request', async () => {
  const setup = h.client(null).setup;
  expect(await setup.status.query()).toEqual({ needsFirstAdmin: true });
  const body = { email: uniqueEmail(), password: PASSWORD, name: 'Ada' };

  for (const setupToken of ['wrong', deriveSetupToken(`${SECRET}x`), `${h.api.setupToken}x`]) {
    expect(await errorOf(setup.createFirstAdmin.mutate({ ...body, setupToken }))).toMatchObject({
      kind: 'NotAuthorizedException',
      status: 403,
      message: 'The setup token is not valid.',
    });
  }
  const setupToken = h.api.setupToken!;
  const short = await errorOf(
    setup.createFirstAdmin.mutate({ ...body, setupToken, password: 'hunter2' }),
  );
  expect(short).toMatchObject({ kind: 'InvalidParameterException', status: 400 });
  expect(short!.message).toContain("Value '***' at 'password'"); // never echoed back
  expect(short!.message).not.toContain('hunter2');
  expect(
    await errorOf(setup.createFirstAdmin.mutate({ ...body, setupToken, email: 'not-an-email' })),
  ).toMatchObject({ kind: 'InvalidParameterException' });

  // An existing account is not promoted by whoever holds the token (it proves no password).
  const existing = await h.signUp();
  const [{ email } = { email: '' }] = await query<{ email: string }>(
    'select email from "user" where id = $1',
    [existing.userId],
  );
  expect(
    await errorOf(setup.createFirstAdmin.mutate({ ...body, setupToken, email })),
  ).toMatchObject({ kind: 'ResourceConflictException', status: 409 });

  // A lock held by a request elsewhere (another replica) refuses; once expired it is taken over.
  await query(
    `insert into setup_lock (name, holder, expires_at) values ('first-admin', 'elsewhere', now() + interval '1 minute')`,
  );
  expect(await errorOf(setup.createFirstAdmin.mutate({ ...body, setupToken }))).toMatchObject({
    kind: 'ResourceConflictException',
    message: 'The first administrator is being created by another request.',
  });
  await query(`update setup_lock set expires_at = now() - interval '1 second'`);

  expect(await adminCount()).toBe(0);
  expect(await setup.status.query()).toEqual({ needsFirstAdmin: true });
});

test('concurrent calls create exactly one admin; setup is then closed', async () => {
  const setup = h.client(null).setup;
  const setupToken = h.api.setupToken!;
  const emails = Array.from({ length: 6 }, () => uniqueEmail());
  const results = await Promise.all(
    emails.map((email) =>
      setup.createFirstAdmin.mutate({ setupToken, email, password: PASSWORD, name: 'Admin' }).then(
        (created) => ({ created }),
        async (error: unknown) => ({ error: await errorOf(Promise.reject(error)) }),
      ),
    ),
  );
  const created = results.flatMap((r) => ('created' in r ? [r.created] : []));
  expect(created).toHaveLength(1);
  for (const r of results) {
    if ('error' in r) expect(r.error).toMatchObject({ kind: 'ResourceConflictException' });
  }
  expect(await adminCount()).toBe(1);
  expect(created[0]!.email).toBe(emails[results.findIndex((r) => 'created' in r)]);
  expect(await setup.status.query()).toEqual({ needsFirstAdmin: false });

  // The new administrator signs in and administers.
  const admin = await h.signIn(created[0]!.email);
  expect(admin.userId).toBe(created[0]!.userId);
  await expect(admin.client.admin.identityPool.list.query({})).resolves.toBeDefined();

  // Closed for good: the right token gets a conflict, a wrong one is still not authorized.
  expect(
    await errorOf(
      setup.createFirstAdmin.mutate({
        setupToken,
        email: uniqueEmail(),
        password: PASSWORD,
        name: 'Late',
      }),
    ),
  ).toMatchObject({
    kind: 'ResourceConflictException',
    status: 409,
    message: expect.stringContaining('An administrator already exists'),
  });
  expect(
    (
      await errorOf(
        setup.createFirstAdmin.mutate({
          setupToken: 'wrong',
          email: uniqueEmail(),
          password: PASSWORD,
          name: 'Late',
        }),
      )
    )?.kind,
  ).toBe('NotAuthorizedException');
  expect(await adminCount()).toBe(1);
  expect(await query('select * from setup_lock')).toEqual([]); // released

  // An API started now prints no setup token.
  const env = readEnv({
    PORT: '0',
    BETTER_AUTH_SECRET: SECRET,
    DEFAULT_POOL_NAME: '',
    LOG_LEVEL: 'silent',
    MIGRATE_ON_START: 'false',
  });
  const second = await startApi(env, { database: h.database, logger: pino({ level: 'silent' }) });
  try {
    expect(second.setupToken).toBeNull();
  } finally {
    await second.stop();
  }
});
