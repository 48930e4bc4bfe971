/**
 * What the AWS-compatible tests share: credentials obtained the way apps obtain them (the real
 * Cognito Identity client against our endpoint), developer keys, and Cognito Sync clients.
 */
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { CognitoSyncClient, type CognitoSyncClientConfig } from '@aws-sdk/client-cognito-sync';
import { createDeveloperKey } from '@tandem/db';
import type { Harness } from '../testing/harness.js';

export const REGION = 'local-1';

export interface AwsKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** An identity's credentials, as an app gets them: GetId, then GetCredentialsForIdentity. */
export async function identityCredentials(
  h: Harness,
  identityPoolId: string,
  sessionToken: string | null,
): Promise<{ identityId: string; keys: AwsKeys }> {
  const identity = new CognitoIdentityClient({
    region: REGION,
    endpoint: h.url,
    // GetId and GetCredentialsForIdentity are unsigned calls.
    credentials: { accessKeyId: 'unused', secretAccessKey: 'unused' },
  });
  const Logins = sessionToken ? { tandem: sessionToken } : undefined;
  const { IdentityId } = await identity.send(
    new GetIdCommand({ IdentityPoolId: identityPoolId, ...(Logins ? { Logins } : {}) }),
  );
  const { Credentials } = await identity.send(
    new GetCredentialsForIdentityCommand({ IdentityId, ...(Logins ? { Logins } : {}) }),
  );
  identity.destroy();
  return {
    identityId: IdentityId!,
    keys: {
      accessKeyId: Credentials!.AccessKeyId!,
      secretAccessKey: Credentials!.SecretKey!,
      sessionToken: Credentials!.SessionToken!,
    },
  };
}

export async function developerKeys(h: Harness, identityPoolId: string): Promise<AwsKeys> {
  const { key, secretAccessKey } = await createDeveloperKey(
    h.database.db,
    h.api.deps.secrets.settingsBox,
    { identityPoolId, name: 'test server', createdBy: 'test' },
  );
  return { accessKeyId: key.accessKeyId, secretAccessKey };
}

export function syncClient(
  h: Harness,
  keys: AwsKeys,
  options: Partial<CognitoSyncClientConfig> = {},
): CognitoSyncClient {
  return new CognitoSyncClient({
    region: REGION,
    endpoint: h.url,
    credentials: keys,
    // The tests look at every answer; the SDK's own retries would hide 429/5xx.
    maxAttempts: 1,
    ...options,
  });
}

/** The AWS error a call failed with: its name, HTTP status and message. */
export async function awsErrorOf(
  call: Promise<unknown>,
): Promise<{ name: string; status: number | undefined; message: string }> {
  try {
    await call;
  } catch (error) {
    const e = error as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, status: e.$metadata?.httpStatusCode, message: e.message };
  }
  throw new Error('expected the call to fail');
}
