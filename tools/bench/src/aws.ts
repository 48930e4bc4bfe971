/**
 * S1aws and S2aws: the S1 ×1 and S2 workloads over the Amazon Cognito Sync REST API, as an app on
 * the AWS SDK sends them (docs/aws-compat.md). Each device gets an identity's temporary keys the
 * way apps get them — GetId and GetCredentialsForIdentity with the Logins key `tandem` = its
 * session token, unsigned AWS JSON 1.1 calls — and every request is signed with SigV4 by
 * `@smithy/signature-v4`, the signer the v3 clients use, with the same settings (service
 * `cognito-sync`, the pool id's prefix as region, `x-amz-content-sha256`, percent-encoded labels
 * in the path). The load generator signs each UpdateRecords anew; a no-op ListRecords is signed
 * again whenever the signing second changes, which gives exactly the bytes a client signing
 * every call would send (the signature only depends on the request and its second).
 */
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { DATASET_NAME, KEYS, recordValue, type Device } from './devices.js';
import { buildRequest, RawHttpConnection, type LoadDevice, type RawResponse } from './http-load.js';
import type { Target } from './scenarios.js';

export const AWS_TARGET_PREFIX = 'AWSCognitoIdentityService.';

export interface AwsDevice {
  device: Device;
  region: string;
  accessKeyId: string;
  sessionToken: string;
  signer: SignatureV4;
}

/** The pool's region: the part of its id before the colon. */
export const regionOf = (identityPoolId: string): string => {
  const colon = identityPoolId.indexOf(':');
  if (colon <= 0) throw new Error(`pool id without a region prefix: ${identityPoolId}`);
  return identityPoolId.slice(0, colon);
};

/** Labels as the v3 clients put them in a path (encodeURIComponent, plus `!'()*`). */
const label = (value: string): string =>
  encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );

export const datasetPath = (device: Device): string =>
  `/identitypools/${label(device.identityPoolId)}/identities/${label(device.identityId)}/datasets/${label(DATASET_NAME)}`;

/** An unsigned Cognito Identity call (GetId, GetCredentialsForIdentity), AWS JSON 1.1. */
async function identityCall<T>(url: string, operation: string, input: unknown): Promise<T> {
  const response = await fetch(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${AWS_TARGET_PREFIX}${operation}`,
    },
    body: JSON.stringify(input),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${operation} failed: HTTP ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The device's identity credentials (GetId + GetCredentialsForIdentity) and a signer for them. */
export async function awsDevice(url: string, device: Device): Promise<AwsDevice> {
  const Logins = { tandem: device.token };
  const { IdentityId } = await identityCall<{ IdentityId: string }>(url, 'GetId', {
    IdentityPoolId: device.identityPoolId,
    Logins,
  });
  if (IdentityId !== device.identityId)
    throw new Error(
      `GetId gave ${IdentityId}, tRPC identity.getId ${device.identityId}: not the same identity`,
    );
  const { Credentials } = await identityCall<{
    Credentials: { AccessKeyId: string; SecretKey: string; SessionToken: string };
  }>(url, 'GetCredentialsForIdentity', { IdentityId, Logins });
  const region = regionOf(device.identityPoolId);
  return {
    device,
    region,
    accessKeyId: Credentials.AccessKeyId,
    sessionToken: Credentials.SessionToken,
    signer: new SignatureV4({
      credentials: {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretKey,
        sessionToken: Credentials.SessionToken,
      },
      region,
      service: 'cognito-sync',
      sha256: Hash.bind(null, 'sha256'),
    }),
  };
}

/** Signs one request and returns its bytes for the raw load generator. */
export async function signedRequest(
  aws: AwsDevice,
  target: Target,
  method: 'GET' | 'POST',
  path: string,
  query: Record<string, string>,
  body?: string,
): Promise<string> {
  const host = `${target.host}:${target.port}`;
  const headers: Record<string, string> = { host };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  const signed = await aws.signer.sign(
    new HttpRequest({
      method,
      protocol: 'http:',
      hostname: target.host,
      port: target.port,
      path,
      query,
      headers,
      ...(body !== undefined ? { body } : {}),
    }),
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) {
    // buildRequest writes Host and Content-Length itself (the same values as signed).
    if (name !== 'host' && name !== 'content-length') out[name] = value;
  }
  const search = Object.entries(query)
    .map(([name, value]) => `${label(name)}=${label(value)}`)
    .join('&');
  return buildRequest(method, host, search ? `${path}?${search}` : path, out, body);
}

/** AWS error answers: `{"__type": …, "message": …}` (and `x-amzn-ErrorType`). */
export function awsErrorLabel(response: RawResponse): string {
  let kind: string;
  try {
    const parsed = JSON.parse(response.body.toString('utf8')) as {
      __type?: string;
      message?: string;
    };
    kind = parsed.__type ?? parsed.message ?? '';
  } catch {
    kind = response.body.toString('utf8').slice(0, 80);
  }
  return `HTTP ${response.status}${kind ? ` ${kind}` : ''}`;
}

interface AwsListPage {
  Records: Array<{ Key: string; SyncCount: number }>;
  NextToken: string | null;
  Count: number;
  DatasetSyncCount: number;
  SyncSessionToken: string;
}

/** The ListRecords request (signed) since `lastSyncCount`. */
export const listRecordsRequest = (
  aws: AwsDevice,
  target: Target,
  query: Record<string, string>,
): Promise<string> =>
  signedRequest(aws, target, 'GET', `${datasetPath(aws.device)}/records`, query);

/**
 * Pulls the whole dataset over REST (signed ListRecords): exact counts of every key, the dataset
 * count and a fresh SyncSessionToken — what the app does before UpdateRecords.
 */
export async function awsResync(aws: AwsDevice, target: Target): Promise<void> {
  const connection = await RawHttpConnection.connect(target.host, target.port);
  try {
    let nextToken: string | null = null;
    do {
      const query: Record<string, string> = nextToken ? { nextToken } : {};
      const response = await connection.request(await listRecordsRequest(aws, target, query));
      if (response.status !== 200)
        throw new Error(`ListRecords over REST failed: ${awsErrorLabel(response)}`);
      const page = JSON.parse(response.body.toString('utf8')) as AwsListPage;
      for (const r of page.Records) aws.device.counts.set(r.Key, r.SyncCount);
      aws.device.datasetSyncCount = page.DatasetSyncCount;
      aws.device.syncSessionToken = page.SyncSessionToken;
      nextToken = page.NextToken;
    } while (nextToken);
  } finally {
    connection.close();
  }
}

/** S1aws device: UpdateRecords of 1 key with the device's known sync count, signed per request. */
export function awsUpdateDevice(
  aws: AwsDevice,
  connection: RawHttpConnection,
  target: Target,
  records: number,
): LoadDevice {
  const device = aws.device;
  const keys = KEYS.slice(0, records);
  const path = datasetPath(device);
  return {
    connection,
    next() {
      const body = JSON.stringify({
        DeviceId: device.deviceId,
        RecordPatches: keys.map((key) => ({
          Key: key,
          Op: 'replace',
          SyncCount: device.counts.get(key) ?? 0,
          Value: recordValue(device),
        })),
        SyncSessionToken: device.syncSessionToken,
      });
      return signedRequest(aws, target, 'POST', path, {}, body);
    },
    handle(response) {
      if (response.status !== 200) return awsErrorLabel(response);
      const parsed = JSON.parse(response.body.toString('utf8')) as {
        Records?: Array<{ Key: string; SyncCount: number }>;
      };
      const written = parsed.Records;
      if (!written || written.length !== keys.length) return 'unexpected response';
      for (const r of written) {
        device.counts.set(r.Key, r.SyncCount);
        device.datasetSyncCount = Math.max(device.datasetSyncCount, r.SyncCount);
      }
      return null;
    },
    recover: () => awsResync(aws, target),
  };
}

/**
 * S2aws device: ListRecords at the device's current count (nothing has changed). Signed again
 * when the second of `x-amz-date` changes; within a second the bytes would be the same anyway.
 */
export function awsNoopListDevice(
  aws: AwsDevice,
  connection: RawHttpConnection,
  target: Target,
): LoadDevice {
  let second = -1;
  let request: Buffer = Buffer.alloc(0);
  const query = { lastSyncCount: String(aws.device.datasetSyncCount) };
  return {
    connection,
    next() {
      const now = Math.floor(Date.now() / 1000);
      if (now === second) return request;
      return listRecordsRequest(aws, target, query).then((text) => {
        second = now;
        request = Buffer.from(text);
        return request;
      });
    },
    handle(response) {
      if (response.status !== 200) return awsErrorLabel(response);
      // Nothing changed: an empty page. (A substring check keeps the generator cheap.)
      return response.body.includes('"Count":0') ? null : 'records returned by a no-op sync';
    },
    recover: () => awsResync(aws, target),
  };
}
