/**
 * Test harness: a real API process-in-the-test on a real HTTP port, over a fresh database
 * (PGlite clone, or a new PostgreSQL database when DATABASE_URL is set), with real tRPC clients
 * authenticated by bearer tokens obtained through better-auth's HTTP endpoints.
 */
import type { AppRouter } from '@tandem/api-router';
import { createAdminUser } from '@tandem/auth';
import { createIdentityPool } from '@tandem/db';
import { createTestDatabase, type TestDatabase } from '@tandem/db/testing';
import { createSyncTriggerRunner, type SyncTriggerRunnerOptions } from '@tandem/triggers';
import {
  createTRPCClient,
  httpLink,
  httpSubscriptionLink,
  splitLink,
  TRPCClientError,
  type TRPCClient,
} from '@trpc/client';
import { EventSource } from 'eventsource';
import { pino } from 'pino';
import { startApi, type RunningApi } from '../app.js';
import { readEnv } from '../env.js';

export type ApiClient = TRPCClient<AppRouter>;

export interface TestUser {
  token: string;
  userId: string;
  client: ApiClient;
}

export interface Harness {
  api: RunningApi;
  database: TestDatabase;
  url: string;
  /** A fresh identity pool (guests allowed unless said otherwise). */
  pool(options?: { allowUnauthenticated?: boolean }): Promise<string>;
  signUp(email?: string): Promise<TestUser>;
  signIn(email: string, password?: string, asGuestToken?: string): Promise<TestUser>;
  guest(): Promise<TestUser>;
  admin(): Promise<TestUser>;
  client(token: string | null): ApiClient;
  close(): Promise<void>;
}

export const PASSWORD = 'correct horse battery staple';
let counter = 0;
export const uniqueEmail = () =>
  `user${Date.now()}.${counter++}.${Math.random().toString(36).slice(2, 8)}@example.test`;

export async function startHarness(
  envOverrides: Record<string, string> = {},
  options: {
    syncTriggers?: SyncTriggerRunnerOptions;
    /** Every log line the API writes (JSON text), e.g. to check secrets never appear. */
    onLog?: (line: string) => void;
  } = {},
): Promise<Harness> {
  const database = await createTestDatabase();
  const env = readEnv({
    PORT: '0',
    HOST: '127.0.0.1',
    BETTER_AUTH_SECRET: 'test-secret-test-secret-test-secret-0123',
    DEFAULT_POOL_NAME: '',
    AUTH_RATE_LIMIT: 'false',
    SESSION_CACHE_TTL_MS: '0',
    LOG_LEVEL: 'silent',
    // The stream worker runs only in tests that ask for it (RUN_WORKER: 'true').
    RUN_WORKER: 'false',
    ...envOverrides,
  });
  const onLog = options.onLog;
  const logger = onLog
    ? pino({ level: env.LOG_LEVEL }, { write: (line: string) => onLog(line) })
    : pino({ level: env.LOG_LEVEL });
  const api = await startApi(env, { database, logger });
  const url = api.url;
  // The tests' own sync trigger runner (a shorter budget keeps timeouts fast); it replaces the
  // one the app built, if any.
  const appTriggers = api.deps.syncTriggers;
  const syncTriggers = createSyncTriggerRunner(options.syncTriggers);
  api.deps.syncTriggers = syncTriggers;
  await appTriggers?.close();

  const client = (token: string | null): ApiClient => {
    const headers = (): Record<string, string> =>
      token ? { authorization: `Bearer ${token}` } : {};
    return createTRPCClient<AppRouter>({
      links: [
        splitLink({
          condition: (op) => op.type === 'subscription',
          true: httpSubscriptionLink({
            url: `${url}/trpc`,
            EventSource,
            eventSourceOptions: () => ({
              fetch: (input, init) =>
                fetch(input, { ...init, headers: { ...init?.headers, ...headers() } }),
            }),
          }),
          false: httpLink({ url: `${url}/trpc`, headers }),
        }),
      ],
    });
  };

  async function authCall(path: string, body: unknown, bearer?: string): Promise<TestUser> {
    const response = await fetch(`${url}/api/auth/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
      },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`${path} failed: ${response.status} ${await response.text()}`);
    const token = response.headers.get('set-auth-token');
    const json = (await response.json()) as { user: { id: string } };
    if (!token) throw new Error(`${path}: no set-auth-token header`);
    return { token, userId: json.user.id, client: client(token) };
  }

  return {
    api,
    database,
    url,
    pool: async (options = {}) =>
      (
        await createIdentityPool(database.db, {
          name: 'test pool',
          allowUnauthenticated: options.allowUnauthenticated ?? true,
          region: 'local-1',
        })
      ).id,
    signUp: (email = uniqueEmail()) =>
      authCall('sign-up/email', { email, password: PASSWORD, name: email }),
    signIn: (email, password = PASSWORD, asGuestToken) =>
      authCall('sign-in/email', { email, password }, asGuestToken),
    guest: () => authCall('sign-in/anonymous', {}),
    async admin() {
      const email = uniqueEmail();
      await createAdminUser(api.deps.auth, database, { email, password: PASSWORD });
      return authCall('sign-in/email', { email, password: PASSWORD });
    },
    client,
    async close() {
      await api.stop();
      await syncTriggers.close();
      await database.close();
    },
  };
}

/** The Cognito error name a tRPC call failed with (or 'ok'). */
export async function cognitoErrorOf(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'ok';
  } catch (error) {
    if (error instanceof TRPCClientError) {
      const data = error.data as { cognitoError?: string; httpStatus?: number } | undefined;
      return data?.cognitoError ?? `untyped:${error.message}`;
    }
    throw error;
  }
}

/** Status + Cognito name + message, for assertions on the whole error. */
export async function errorOf(
  call: Promise<unknown>,
): Promise<{ kind: string; status: number; message: string } | null> {
  try {
    await call;
    return null;
  } catch (error) {
    if (!(error instanceof TRPCClientError)) throw error;
    const data = error.data as { cognitoError?: string; httpStatus?: number } | undefined;
    return {
      kind: data?.cognitoError ?? 'untyped',
      status: data?.httpStatus ?? 0,
      message: error.message,
    };
  }
}

/** One device's view of a sync: pull then push the given patches. */
export async function syncOnce(
  client: ApiClient,
  scope: { identityPoolId: string; datasetName: string; identityId?: string },
  patches: Array<{ op: 'replace' | 'remove'; key: string; value?: string; syncCount: number }>,
) {
  const pulled = await client.record.list.query({ ...scope });
  return client.record.update.mutate({
    ...scope,
    recordPatches: patches,
    syncSessionToken: pulled.syncSessionToken,
  });
}
