/**
 * GetId without Logins is unauthenticated and creates an identity: with rate limits on (the
 * default, AUTH_RATE_LIMIT), one address gets at most 30 new guest identities a minute, then
 * TooManyRequestsException (429), which the SDKs retry later.
 */
import { CognitoIdentityClient, GetIdCommand } from '@aws-sdk/client-cognito-identity';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHarness, type Harness } from '../testing/harness.js';
import { REGION } from './testing.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ AUTH_RATE_LIMIT: 'true' });
});
afterAll(() => h?.close());

test('the 31st new guest identity from one address within a minute is refused', async () => {
  const poolId = await h.pool();
  const client = new CognitoIdentityClient({
    region: REGION,
    endpoint: h.url,
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
    maxAttempts: 1,
  });
  try {
    const ids = new Set<string>();
    for (let i = 0; i < 30; i += 1) {
      ids.add((await client.send(new GetIdCommand({ IdentityPoolId: poolId }))).IdentityId!);
    }
    expect(ids.size).toBe(30);
    const refused = await client.send(new GetIdCommand({ IdentityPoolId: poolId })).then(
      () => null,
      (error: { name: string; $metadata?: { httpStatusCode?: number } }) => error,
    );
    expect(refused?.name).toBe('TooManyRequestsException');
    expect(refused?.$metadata?.httpStatusCode).toBe(429);
  } finally {
    client.destroy();
  }
});
