import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { expect, test } from 'vitest';
import { datasetPath, regionOf, signedRequest, type AwsDevice } from './aws.js';
import type { Device } from './devices.js';

const device = {
  identityPoolId: 'local-1:6f0c0000-0000-4000-8000-000000000001',
  identityId: 'local-1:abc',
} as Device;

const aws: AwsDevice = {
  device,
  region: 'local-1',
  accessKeyId: 'TKAKEXAMPLE',
  sessionToken: 'session-token',
  signer: new SignatureV4({
    credentials: {
      accessKeyId: 'TKAKEXAMPLE',
      secretAccessKey: 'secret',
      sessionToken: 'session-token',
    },
    region: 'local-1',
    service: 'cognito-sync',
    sha256: Hash.bind(null, 'sha256'),
  }),
};

test('region: the pool id prefix; labels percent-encoded as the v3 clients send them', () => {
  expect(regionOf(device.identityPoolId)).toBe('local-1');
  expect(() => regionOf('no-colon')).toThrow(/region/);
  expect(datasetPath(device)).toBe(
    '/identitypools/local-1%3A6f0c0000-0000-4000-8000-000000000001/identities/local-1%3Aabc/datasets/bench',
  );
});

test('signed requests: SigV4 for cognito-sync with the session token; a new body, a new signature', async () => {
  const target = { host: '127.0.0.1', port: 4000 };
  const get = await signedRequest(aws, target, 'GET', `${datasetPath(device)}/records`, {
    lastSyncCount: '7',
  });
  expect(get).toMatch(
    /^GET \/identitypools\/local-1%3A.*\/records\?lastSyncCount=7 HTTP\/1\.1\r\n/,
  );
  expect(get).toContain('Host: 127.0.0.1:4000\r\n');
  expect(get).toContain('x-amz-security-token: session-token\r\n');
  expect(get).toMatch(
    /authorization: AWS4-HMAC-SHA256 Credential=TKAKEXAMPLE\/\d{8}\/local-1\/cognito-sync\/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token, Signature=[0-9a-f]{64}\r\n/,
  );
  expect(get.endsWith('\r\n\r\n')).toBe(true);

  const post = (body: string) => signedRequest(aws, target, 'POST', datasetPath(device), {}, body);
  const a = await post('{"n":1}');
  const b = await post('{"n":2}');
  expect(a).toContain('SignedHeaders=content-length;content-type;host;');
  expect(a).toContain('Content-Length: 7\r\n\r\n{"n":1}');
  const signature = (text: string) => /Signature=([0-9a-f]{64})/.exec(text)?.[1];
  expect(signature(a)).not.toBe(signature(b));
});
