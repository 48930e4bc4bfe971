/**
 * The Cognito Identity endpoint over a real database and a real better-auth: driven directly,
 * and through the unmodified AWS SDKs (v3 `fromCognitoIdentityPool`, v2
 * `AWS.CognitoIdentityCredentials`) over HTTP.
 */
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
  GetOpenIdTokenCommand,
} from '@aws-sdk/client-cognito-identity';
import { fromCognitoIdentityPool } from '@aws-sdk/credential-providers';
import { initAuth, type Auth } from '@tandem/auth';
import {
  createIdentityPool,
  findIdentityById,
  findIdentityOfUser,
  mergeIdentities,
  updateIdentityPool,
} from '@tandem/db';
import { createTestDatabase, type TestDatabase, fastCheckSeed } from '@tandem/db/testing';
import AWS from 'aws-sdk';
import fc from 'fast-check';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createCognitoIdentityHandler,
  TANDEM_LOGIN_PROVIDER,
  type CognitoIdentityDeps,
} from './cognito-identity.js';
import type { AwsHttpRequest, AwsHttpResponse } from './http.js';
import { createIdentityCredentialIssuer } from './identity-credentials.js';

// A fixed seed in CI; FC_SEED=random explores, FC_SEED=<n> replays.
fc.configureGlobal(fastCheckSeed === undefined ? {} : { seed: fastCheckSeed });

// aws-sdk v2 prints an end-of-support notice unless told not to before it loads.
vi.hoisted(() => {
  process.env['AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE'] = '1';
});

const REGION = 'local-1';
const AUTH_SECRET = 'test-secret-test-secret-test-secret-0123';
const PASSWORD = 'correct horse battery staple';

let database: TestDatabase;
let auth: Auth;
let handle: (request: AwsHttpRequest, requestId: string) => Promise<AwsHttpResponse>;
let server: Server;
let endpoint: string;
const issuer = createIdentityCredentialIssuer('aws-compat-test-server-secret-0123456789');
const internalErrors: unknown[] = [];
/** The X-Amz-Target of every request the HTTP server received, in order. */
const received: string[] = [];

let counter = 0;
const uniqueEmail = () => `user${Date.now()}.${counter++}@example.test`;

async function signUp(): Promise<{ token: string; userId: string }> {
  const email = uniqueEmail();
  const result = await auth.api.signUpEmail({ body: { email, password: PASSWORD, name: email } });
  if (!result.token) throw new Error('sign-up gave no session token');
  return { token: result.token, userId: result.user.id };
}

async function signInAnonymous(): Promise<{ token: string; userId: string }> {
  const result = await auth.api.signInAnonymous();
  if (!result?.token) throw new Error('anonymous sign-in gave no session token');
  return { token: result.token, userId: result.user.id };
}

const pool = async (allowUnauthenticated = true) =>
  (
    await createIdentityPool(database.db, {
      name: 'aws pool',
      allowUnauthenticated,
      region: REGION,
    })
  ).id;

let requestCounter = 0;
async function call(
  operation: string,
  body: unknown,
  overrides: Partial<AwsHttpRequest> = {},
): Promise<{ status: number; headers: Record<string, string>; json: Record<string, unknown> }> {
  const response = await handle(
    {
      method: 'POST',
      rawPath: '/',
      rawQuery: '',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityService.${operation}`,
      },
      body: Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)),
      ...overrides,
    },
    `req-${requestCounter++}`,
  );
  return {
    status: response.status,
    headers: response.headers,
    json: JSON.parse(response.body) as Record<string, unknown>,
  };
}

const errorOf = (r: { status: number; json: Record<string, unknown> }) => ({
  status: r.status,
  type: r.json['__type'],
  message: r.json['message'],
});

interface WireCredentials {
  AccessKeyId: string;
  SecretKey: string;
  SessionToken: string;
  Expiration: number;
}

beforeAll(async () => {
  database = await createTestDatabase();
  auth = initAuth({ database, secret: AUTH_SECRET, baseURL: 'http://127.0.0.1:3000' });
  const deps: CognitoIdentityDeps = {
    database,
    auth,
    issuer,
    onError: (error) => internalErrors.push(error),
  };
  handle = createCognitoIdentityHandler(deps);
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      received.push(typeof target === 'string' ? target : '');
      const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split(/\?(.*)/s);
      handle(
        {
          method: req.method ?? 'GET',
          rawPath,
          rawQuery,
          headers: req.headers,
          body: Buffer.concat(chunks),
        },
        `http-${requestCounter++}`,
      ).then(
        (response) => res.writeHead(response.status, response.headers).end(response.body),
        (error: unknown) => {
          internalErrors.push(error);
          res.writeHead(500).end();
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await database?.close();
  expect(internalErrors).toEqual([]);
});

describe('GetId', () => {
  it('gives a caller without Logins a new guest identity each time', async () => {
    const poolId = await pool();
    const first = await call('GetId', { IdentityPoolId: poolId });
    expect(first.status).toBe(200);
    expect(first.headers['Content-Type']).toBe('application/x-amz-json-1.1');
    expect(first.headers['x-amzn-RequestId']).toMatch(/^req-/);
    const identityId = first.json['IdentityId'] as string;
    expect(identityId).toMatch(/^local-1:[0-9a-f-]{36}$/);
    const second = await call('GetId', { IdentityPoolId: poolId, AccountId: '123456789012' });
    expect(second.json['IdentityId']).not.toBe(identityId);
    const row = await findIdentityById(database.db, identityId);
    expect(row).toMatchObject({ identityPoolId: poolId, authenticated: false, mergedInto: null });
    expect(row?.userId).toMatch(/^aws-guest:/);
  });

  it('refuses guests where the pool does not allow them', async () => {
    const poolId = await pool(false);
    expect(errorOf(await call('GetId', { IdentityPoolId: poolId }))).toEqual({
      status: 403,
      type: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
    });
    // ...an empty Logins map is no login either.
    expect(errorOf(await call('GetId', { IdentityPoolId: poolId, Logins: {} })).type).toBe(
      'NotAuthorizedException',
    );
  });

  it('gives a signed-in user their own identity, the one the tRPC API uses', async () => {
    const poolId = await pool(false);
    const user = await signUp();
    const logins = { [TANDEM_LOGIN_PROVIDER]: user.token };
    const first = await call('GetId', { IdentityPoolId: poolId, Logins: logins });
    expect(first.status).toBe(200);
    const again = await call('GetId', { IdentityPoolId: poolId, Logins: logins });
    expect(again.json['IdentityId']).toBe(first.json['IdentityId']);
    const row = await findIdentityOfUser(database.db, poolId, user.userId);
    expect(row).toMatchObject({ id: first.json['IdentityId'], authenticated: true });
  });

  it('gives an anonymous Tandem user its unauthenticated identity, where guests are allowed', async () => {
    const guest = await signInAnonymous();
    const logins = { tandem: guest.token };
    const open = await pool(true);
    const got = await call('GetId', { IdentityPoolId: open, Logins: logins });
    expect(got.status).toBe(200);
    expect(await findIdentityById(database.db, got.json['IdentityId'] as string)).toMatchObject({
      userId: guest.userId,
      authenticated: false,
    });
    const closed = await pool(false);
    expect(errorOf(await call('GetId', { IdentityPoolId: closed, Logins: logins }))).toEqual({
      status: 403,
      type: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
    });
  });

  it('refuses a bad token and names the one login it supports', async () => {
    const poolId = await pool();
    for (const token of ['not-a-session', 'x'.repeat(32), 'a.b.c', 'tok en', 'ünïcode']) {
      expect(
        errorOf(await call('GetId', { IdentityPoolId: poolId, Logins: { tandem: token } })),
      ).toEqual({ status: 403, type: 'NotAuthorizedException', message: 'Invalid login token.' });
    }
    const user = await signUp();
    const foreign = errorOf(
      await call('GetId', {
        IdentityPoolId: poolId,
        Logins: { tandem: user.token, 'graph.facebook.com': 'abc' },
      }),
    );
    expect(foreign.status).toBe(403);
    expect(foreign.type).toBe('NotAuthorizedException');
    expect(foreign.message).toContain("'graph.facebook.com'");
    expect(foreign.message).toContain("'tandem'");
  });

  it('refuses a signed-out session', async () => {
    const poolId = await pool();
    const user = await signUp();
    await auth.api.signOut({ headers: new Headers({ authorization: `Bearer ${user.token}` }) });
    expect(
      errorOf(await call('GetId', { IdentityPoolId: poolId, Logins: { tandem: user.token } })),
    ).toEqual({ status: 403, type: 'NotAuthorizedException', message: 'Invalid login token.' });
  });

  it('answers an unknown pool and malformed input as Cognito does', async () => {
    expect(errorOf(await call('GetId', { IdentityPoolId: `${REGION}:0000-ffff` }))).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
      message: `IdentityPool '${REGION}:0000-ffff' not found.`,
    });
    expect(errorOf(await call('GetId', { IdentityPoolId: 'not a pool' }))).toEqual({
      status: 400,
      type: 'InvalidParameterException',
      message: String.raw`1 validation error detected: Value 'not a pool' at 'identityPoolId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
    });
    expect(errorOf(await call('GetId', {}))).toEqual({
      status: 400,
      type: 'InvalidParameterException',
      message:
        "1 validation error detected: Value null at 'identityPoolId' failed to satisfy constraint: Member must not be null",
    });
    const two = errorOf(await call('GetId', { IdentityPoolId: 5, AccountId: 'abc' }));
    expect(two.message).toMatch(/^2 validation errors detected: /);
    expect(errorOf(await call('GetId', '{"IdentityPoolId":')).type).toBe(
      'InvalidParameterException',
    );
    expect(errorOf(await call('GetId', '[]')).type).toBe('InvalidParameterException');
    const tooMany = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`p${i}`, 't']));
    expect(
      errorOf(await call('GetId', { IdentityPoolId: `${REGION}:0000`, Logins: tooMany })).type,
    ).toBe('InvalidParameterException');
  });
});

describe('GetCredentialsForIdentity', () => {
  it('issues a guest credentials that open to its identity', async () => {
    const poolId = await pool();
    const identityId = (await call('GetId', { IdentityPoolId: poolId })).json['IdentityId'];
    const before = Date.now();
    const got = await call('GetCredentialsForIdentity', { IdentityId: identityId });
    expect(got.status).toBe(200);
    expect(got.json['IdentityId']).toBe(identityId);
    const credentials = got.json['Credentials'] as WireCredentials;
    expect(credentials.AccessKeyId).toMatch(/^TKID[A-Z2-7]{16}$/);
    expect(Number.isInteger(credentials.Expiration)).toBe(true);
    expect(credentials.Expiration * 1000).toBeGreaterThan(before + 59 * 60_000);
    expect(credentials.Expiration * 1000).toBeLessThanOrEqual(Date.now() + 60 * 60_000);
    expect(issuer.open(credentials.AccessKeyId, credentials.SessionToken, new Date())).toEqual({
      identityPoolId: poolId,
      identityId,
      secretAccessKey: credentials.SecretKey,
      expiration: new Date(credentials.Expiration * 1000),
    });
  });

  it("needs the owner's login for a user's identity", async () => {
    const poolId = await pool();
    const owner = await signUp();
    const other = await signUp();
    const identityId = (
      await call('GetId', { IdentityPoolId: poolId, Logins: { tandem: owner.token } })
    ).json['IdentityId'] as string;
    const mismatch = {
      status: 403,
      type: 'NotAuthorizedException',
      message:
        "Logins don't match. Please include at least one valid login for this identity or identity pool.",
    };
    expect(errorOf(await call('GetCredentialsForIdentity', { IdentityId: identityId }))).toEqual(
      mismatch,
    );
    expect(
      errorOf(
        await call('GetCredentialsForIdentity', {
          IdentityId: identityId,
          Logins: { tandem: other.token },
        }),
      ),
    ).toEqual(mismatch);
    expect(
      errorOf(
        await call('GetCredentialsForIdentity', {
          IdentityId: identityId,
          Logins: { tandem: 'forged' },
        }),
      ).message,
    ).toBe('Invalid login token.');
    const got = await call('GetCredentialsForIdentity', {
      IdentityId: identityId,
      Logins: { tandem: owner.token },
      CustomRoleArn: 'arn:aws:iam::123456789012:role/Cognito_Auth_Role',
    });
    expect(got.status).toBe(200);
    const credentials = got.json['Credentials'] as WireCredentials;
    expect(
      issuer.open(credentials.AccessKeyId, credentials.SessionToken, new Date()),
    ).toMatchObject({ identityPoolId: poolId, identityId });
  });

  it('protects an anonymous Tandem user’s identity with its session too', async () => {
    const poolId = await pool();
    const guest = await signInAnonymous();
    const identityId = (
      await call('GetId', { IdentityPoolId: poolId, Logins: { tandem: guest.token } })
    ).json['IdentityId'];
    expect(errorOf(await call('GetCredentialsForIdentity', { IdentityId: identityId })).type).toBe(
      'NotAuthorizedException',
    );
    expect(
      (
        await call('GetCredentialsForIdentity', {
          IdentityId: identityId,
          Logins: { tandem: guest.token },
        })
      ).status,
    ).toBe(200);
  });

  it('does not link a login to an AWS guest identity', async () => {
    const poolId = await pool();
    const user = await signUp();
    const identityId = (await call('GetId', { IdentityPoolId: poolId })).json['IdentityId'];
    expect(
      errorOf(
        await call('GetCredentialsForIdentity', {
          IdentityId: identityId,
          Logins: { tandem: user.token },
        }),
      ).message,
    ).toMatch(/^Logins don't match/);
  });

  it('stops serving guests once the pool disallows them', async () => {
    const poolId = await pool();
    const identityId = (await call('GetId', { IdentityPoolId: poolId })).json['IdentityId'];
    await updateIdentityPool(database.db, { id: poolId, allowUnauthenticated: false });
    expect(errorOf(await call('GetCredentialsForIdentity', { IdentityId: identityId }))).toEqual({
      status: 403,
      type: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
    });
  });

  it('refuses an identity merged into another', async () => {
    const poolId = await pool();
    const identityId = (await call('GetId', { IdentityPoolId: poolId })).json['IdentityId'];
    const survivor = (await call('GetId', { IdentityPoolId: poolId })).json['IdentityId'];
    await mergeIdentities(database.db, {
      identityPoolId: poolId,
      fromIdentityId: identityId as string,
      toIdentityId: survivor as string,
    });
    expect(errorOf(await call('GetCredentialsForIdentity', { IdentityId: identityId })).type).toBe(
      'NotAuthorizedException',
    );
  });

  it('answers unknown and malformed identities as Cognito does', async () => {
    const absent = `${REGION}:00000000-0000-4000-8000-000000000000`;
    expect(errorOf(await call('GetCredentialsForIdentity', { IdentityId: absent }))).toEqual({
      status: 404,
      type: 'ResourceNotFoundException',
      message: `Identity '${absent}' not found.`,
    });
    expect(errorOf(await call('GetCredentialsForIdentity', { IdentityId: 'nope' }))).toEqual({
      status: 400,
      type: 'InvalidParameterException',
      message: String.raw`1 validation error detected: Value 'nope' at 'identityId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w-]+:[0-9a-f-]+`,
    });
    expect(
      errorOf(await call('GetCredentialsForIdentity', { IdentityId: absent, CustomRoleArn: 'x' }))
        .type,
    ).toBe('InvalidParameterException');
  });
});

describe('other requests', () => {
  it('are refused with UnknownOperationException, never a 5xx', async () => {
    const openId = errorOf(await call('GetOpenIdToken', { IdentityId: `${REGION}:abc` }));
    expect(openId.status).toBe(400);
    expect(openId.type).toBe('UnknownOperationException');
    expect(openId.message).toContain('not supported');
    for (const target of ['', 'AWSCognitoIdentityService.', 'AWSCognitoSyncService.ListRecords']) {
      const r = await call('', {}, {
        headers: { 'x-amz-target': target },
      } as Partial<AwsHttpRequest>);
      expect(errorOf(r).type).toBe('UnknownOperationException');
    }
    for (const name of ['__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
      expect(errorOf(await call(name, {})).type).toBe('UnknownOperationException');
    }
    expect(errorOf(await call('GetId', {}, { method: 'GET' })).status).toBe(400);
  });

  it('random bodies and targets never yield a 5xx', async () => {
    const poolId = await pool();
    const user = await signUp();
    const identityId = (await call('GetId', { IdentityPoolId: poolId })).json['IdentityId'];
    const idLike = fc.oneof(
      fc.constant(poolId),
      fc.constant(identityId),
      fc.string({ unit: 'binary', maxLength: 60 }),
      fc.stringMatching(/^[a-z0-9-]{1,12}:[0-9a-f-]{1,40}$/),
      fc.integer(),
      fc.constant(null),
    );
    const logins = fc.oneof(
      fc.constant(undefined),
      fc.dictionary(fc.string({ maxLength: 20 }), fc.oneof(fc.string(), fc.integer())),
      fc.record({
        tandem: fc.oneof(fc.constant(user.token), fc.string(), fc.string({ unit: 'binary' })),
      }),
      fc.anything(),
    );
    const body = fc.oneof(
      fc
        .record(
          {
            IdentityPoolId: idLike,
            IdentityId: idLike,
            AccountId: fc.oneof(fc.string(), fc.integer()),
            Logins: logins,
            CustomRoleArn: fc.string({ maxLength: 40 }),
          },
          { requiredKeys: [] },
        )
        .map((value) => JSON.stringify(value)),
      fc.json(),
      fc.string(),
      fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    );
    const target = fc.oneof(
      fc.constantFrom('GetId', 'GetCredentialsForIdentity', 'GetOpenIdToken'),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(target, body, async (op, text) => {
        const response = await handle(
          {
            method: 'POST',
            rawPath: '/',
            rawQuery: '',
            headers: { 'x-amz-target': `AWSCognitoIdentityService.${op}` },
            body: Buffer.from(text, 'utf8'),
          },
          'fuzz',
        );
        expect(response.status).toBeLessThan(500);
        expect(response.status).toBeGreaterThanOrEqual(200);
        expect(() => JSON.parse(response.body) as unknown).not.toThrow();
      }),
      { numRuns: 300 },
    );
    expect(internalErrors).toEqual([]);
  });
});

describe('the AWS SDKs', () => {
  it('v3 fromCognitoIdentityPool gets guest credentials (GetId, then GetCredentialsForIdentity)', async () => {
    const poolId = await pool();
    received.length = 0;
    const provider = fromCognitoIdentityPool({
      identityPoolId: poolId,
      clientConfig: { endpoint, region: REGION },
    });
    const credentials = await provider();
    expect(received).toEqual([
      'AWSCognitoIdentityService.GetId',
      'AWSCognitoIdentityService.GetCredentialsForIdentity',
    ]);
    expect(credentials.accessKeyId).toMatch(/^TKID/);
    expect(credentials.expiration).toBeInstanceOf(Date);
    const opened = issuer.open(credentials.accessKeyId, credentials.sessionToken, new Date());
    expect(opened.identityPoolId).toBe(poolId);
    expect(opened.identityId).toBe(credentials.identityId);
    expect(opened.secretAccessKey).toBe(credentials.secretAccessKey);
    expect(opened.expiration).toEqual(credentials.expiration);
    expect((await findIdentityById(database.db, credentials.identityId))?.userId).toMatch(
      /^aws-guest:/,
    );
  });

  it('v3 fromCognitoIdentityPool signs in with Logins {tandem: <session token>}', async () => {
    const poolId = await pool(false);
    const user = await signUp();
    received.length = 0;
    const credentials = await fromCognitoIdentityPool({
      identityPoolId: poolId,
      logins: { [TANDEM_LOGIN_PROVIDER]: async () => user.token },
      clientConfig: { endpoint, region: REGION },
    })();
    expect(received).toEqual([
      'AWSCognitoIdentityService.GetId',
      'AWSCognitoIdentityService.GetCredentialsForIdentity',
    ]);
    const own = await findIdentityOfUser(database.db, poolId, user.userId);
    expect(credentials.identityId).toBe(own?.id);
    expect(
      issuer.open(credentials.accessKeyId, credentials.sessionToken, new Date()),
    ).toMatchObject({
      identityPoolId: poolId,
      identityId: own?.id,
      secretAccessKey: credentials.secretAccessKey,
    });
  });

  it('v3 surfaces the refusals as typed Cognito Identity errors', async () => {
    const client = new CognitoIdentityClient({ endpoint, region: REGION });
    const closed = await pool(false);
    await expect(
      fromCognitoIdentityPool({
        identityPoolId: closed,
        clientConfig: { endpoint, region: REGION },
      })(),
    ).rejects.toMatchObject({
      name: 'NotAuthorizedException',
      message: 'Unauthenticated access is not supported for this identity pool.',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(
      fromCognitoIdentityPool({
        identityPoolId: closed,
        logins: { tandem: 'not-a-token' },
        clientConfig: { endpoint, region: REGION },
      })(),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException', message: 'Invalid login token.' });
    const owner = await signUp();
    const other = await signUp();
    const { IdentityId } = await client.send(
      new GetIdCommand({ IdentityPoolId: closed, Logins: { tandem: owner.token } }),
    );
    await expect(
      client.send(
        new GetCredentialsForIdentityCommand({
          IdentityId,
          Logins: { tandem: other.token },
        }),
      ),
    ).rejects.toMatchObject({ name: 'NotAuthorizedException' });
    await expect(
      client.send(new GetIdCommand({ IdentityPoolId: `${REGION}:0000` })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      client.send(new GetIdCommand({ IdentityPoolId: 'bad pool' })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(
      client.send(new GetOpenIdTokenCommand({ IdentityId: IdentityId! })),
    ).rejects.toMatchObject({ name: 'UnknownOperationException' });
    client.destroy();
  });

  it('v2 AWS.CognitoIdentityCredentials gets credentials with Logins, and as a guest', async () => {
    const poolId = await pool();
    const user = await signUp();
    received.length = 0;
    const signedIn = new AWS.CognitoIdentityCredentials(
      { IdentityPoolId: poolId, Logins: { tandem: user.token } },
      v2Config(),
    );
    await signedIn.getPromise();
    expect(received).toEqual([
      'AWSCognitoIdentityService.GetId',
      'AWSCognitoIdentityService.GetCredentialsForIdentity',
    ]);
    const own = await findIdentityOfUser(database.db, poolId, user.userId);
    expect(signedIn.identityId).toBe(own?.id);
    expect(signedIn.expireTime).toBeInstanceOf(Date);
    expect(issuer.open(signedIn.accessKeyId, signedIn.sessionToken, new Date())).toMatchObject({
      identityPoolId: poolId,
      identityId: own?.id,
      secretAccessKey: signedIn.secretAccessKey,
      expiration: signedIn.expireTime,
    });

    const guest = new AWS.CognitoIdentityCredentials({ IdentityPoolId: poolId }, v2Config());
    await guest.getPromise();
    expect(issuer.open(guest.accessKeyId, guest.sessionToken, new Date()).identityId).toBe(
      guest.identityId,
    );
    // A refresh reuses the identity: only GetCredentialsForIdentity again.
    received.length = 0;
    await guest.refreshPromise();
    expect(received).toEqual(['AWSCognitoIdentityService.GetCredentialsForIdentity']);

    const refused = new AWS.CognitoIdentityCredentials(
      { IdentityPoolId: poolId, Logins: { tandem: 'wrong' } },
      v2Config(),
    );
    await expect(refused.getPromise()).rejects.toMatchObject({
      code: 'NotAuthorizedException',
      message: 'Invalid login token.',
    });
  });
});

/** aws-sdk v2 client settings: its credential class's typings leave out `endpoint`. */
function v2Config(): AWS.CognitoIdentity.Types.ClientConfiguration {
  return { endpoint, region: REGION };
}
