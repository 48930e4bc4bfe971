/**
 * What the archived mobile SDKs send differs from the JS SDKs (spec §2.4), and Tandem accepts
 * it: Android's `X-Amz-Target` and `application/x-amz-json-1.0`, signed without an
 * `x-amz-content-sha256` header (the server hashes the body); iOS's `application/x-amz-json-1.1`
 * and timestamps as `%f` strings. Requests are built and signed here the way those SDKs do.
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness, type TestUser } from '../testing/harness.js';
import { identityCredentials, REGION, type AwsKeys } from './testing.js';

let h: Harness;
let poolId: string;
let identityId: string;
let keys: AwsKeys;
let user: TestUser;

beforeAll(async () => {
  h = await startHarness();
  poolId = await h.pool();
  user = await h.signUp();
  ({ identityId, keys } = await identityCredentials(h, poolId, user.token));
});
afterAll(() => h?.close());

/** Signs like the mobile SDKs: only the headers given, and no payload-hash header. */
async function send(method: string, path: string, headers: Record<string, string>, body?: string) {
  const { hostname, port } = new URL(h.url);
  const signer = new SignatureV4({
    credentials: keys,
    region: REGION,
    service: 'cognito-sync',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const queryAt = path.indexOf('?');
  const request = new HttpRequest({
    method,
    protocol: 'http:',
    hostname,
    port: Number(port),
    path: queryAt === -1 ? path : path.slice(0, queryAt),
    query: queryAt === -1 ? {} : Object.fromEntries(new URLSearchParams(path.slice(queryAt + 1))),
    headers: { host: `${hostname}:${port}`, ...headers },
    ...(body !== undefined ? { body } : {}),
  });
  const signed = await signer.sign(request);
  expect(Object.keys(signed.headers)).not.toContain('x-amz-content-sha256');
  const response = await fetch(`${h.url}${path}`, {
    method,
    headers: Object.fromEntries(Object.entries(signed.headers).filter(([name]) => name !== 'host')),
    ...(body !== undefined ? { body } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const datasetPath = (name: string) =>
  `/identitypools/${encodeURIComponent(poolId)}/identities/${encodeURIComponent(identityId)}/datasets/${name}`;

test("Android's UpdateRecords: X-Amz-Target, x-amz-json-1.0, no payload hash header", async () => {
  const pulled = await send(
    'GET',
    `${datasetPath('android')}/records?lastSyncCount=0&maxResults=1024`,
    {},
  );
  expect(pulled.status).toBe(200);
  const written = await send(
    'POST',
    datasetPath('android'),
    {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'AWSCognitoSyncService.UpdateRecords',
    },
    JSON.stringify({
      SyncSessionToken: pulled.body['SyncSessionToken'],
      DeviceId: 'android-device',
      RecordPatches: [
        {
          Op: 'replace',
          Key: 'level',
          Value: '7',
          SyncCount: 0,
          DeviceLastModifiedDate: 1704164645.678,
        },
      ],
    }),
  );
  expect(written).toMatchObject({
    status: 200,
    body: { Records: [{ Key: 'level', Value: '7', SyncCount: 1 }] },
  });
});

test("iOS's UpdateRecords: x-amz-json-1.1 and timestamps as strings", async () => {
  const pulled = await send('GET', `${datasetPath('ios')}/records`, {});
  const written = await send(
    'POST',
    datasetPath('ios'),
    { 'content-type': 'application/x-amz-json-1.1' },
    JSON.stringify({
      SyncSessionToken: pulled.body['SyncSessionToken'],
      RecordPatches: [
        {
          Op: 'replace',
          Key: 'name',
          Value: 'Ada',
          SyncCount: 0,
          DeviceLastModifiedDate: '1704164645.678000',
        },
      ],
    }),
  );
  expect(written.status).toBe(200);
  const records = written.body['Records'] as Array<Record<string, unknown>>;
  // Answers always carry numbers (epoch seconds), which iOS reads with doubleValue.
  expect(records[0]).toMatchObject({ Key: 'name', DeviceLastModifiedDate: 1704164645.678 });
  expect(typeof records[0]!['LastModifiedDate']).toBe('number');
  const viaTrpc = await user.client.record.list.query({
    identityPoolId: poolId,
    datasetName: 'ios',
  });
  expect(viaTrpc.records[0]).toMatchObject({
    value: 'Ada',
    deviceLastModifiedDate: 1_704_164_645_678,
  });
});

test('POSTs without body members accept an empty body and `{}` (v3 and v2)', async () => {
  await send('GET', `${datasetPath('subs')}/records`, {});
  const device = await send(
    'POST',
    `/identitypools/${encodeURIComponent(poolId)}/identity/${encodeURIComponent(identityId)}/device`,
    { 'content-type': 'application/json' },
    JSON.stringify({ Platform: 'APNS_SANDBOX', Token: 'apns-token' }),
  );
  expect(device.status).toBe(200);
  const deviceId = String(device.body['DeviceId']);
  const subscribe = `${datasetPath('subs')}/subscriptions/${encodeURIComponent(deviceId)}`;
  expect((await send('POST', subscribe, {})).status).toBe(200);
  expect((await send('POST', subscribe, { 'content-type': 'application/json' }, '{}')).status).toBe(
    200,
  );
});
