/**
 * Simulated devices: one signed-up user each, with its own identity and one dataset, seeded
 * through the public API (better-auth HTTP endpoints + tRPC) before anything is timed. Each
 * device is the only writer of its dataset, so it always knows the current sync count of every
 * key — S1 never conflicts.
 */
import type { AppRouter } from '@tandem/api-router';
import type { FetchLike } from '@tandem/client-sdk';
import { createTRPCClient, httpLink, type TRPCClient } from '@trpc/client';

export const DATASET_NAME = 'bench';
export const KEYS = ['k0', 'k1', 'k2', 'k3', 'k4'] as const;
/** Record values of about 200 bytes, as in the spec's default sizes. */
export const VALUE_BYTES = 200;
/** The bench's API child trusts this origin; better-auth refuses a sign-up without a trusted Origin. */
export const BENCH_ORIGIN = 'http://bench.invalid';
export const PASSWORD = 'bench password, not a secret';

export interface Device {
  index: number;
  email: string;
  token: string;
  identityPoolId: string;
  identityId: string;
  deviceId: string;
  client: TRPCClient<AppRouter>;
  syncSessionToken: string;
  /** Last known server sync count of each key. */
  counts: Map<string, number>;
  datasetSyncCount: number;
  writes: number;
}

/**
 * The fetch the bench's SDK clients use: the global one, plus an Origin header on the auth
 * endpoints. A browser sends Origin by itself; Node does not, and the API (NODE_ENV=production,
 * better-auth) refuses a sign-in without a trusted one. Sync requests go through untouched.
 */
export const sdkFetch: FetchLike = (input, init) => {
  const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
  if (!url.includes('/api/auth/')) return fetch(input, init);
  const headers = new Headers(init?.headers);
  headers.set('origin', BENCH_ORIGIN);
  return fetch(input, { ...init, headers });
};

export function trpcClient(url: string, token: string): TRPCClient<AppRouter> {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({ url: `${url}/trpc`, headers: () => ({ authorization: `Bearer ${token}` }) }),
    ],
  });
}

/** Signs a user up (better-auth email + password); the bearer token of the new session. */
export async function signUp(url: string, email: string): Promise<string> {
  const response = await fetch(`${url}/api/auth/sign-up/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: BENCH_ORIGIN },
    body: JSON.stringify({ email, password: PASSWORD, name: email }),
  });
  if (!response.ok) throw new Error(`sign-up failed: ${response.status} ${await response.text()}`);
  const token = response.headers.get('set-auth-token');
  if (!token) throw new Error('sign-up: no set-auth-token header');
  await response.arrayBuffer();
  return token;
}

export function recordValue(device: Device): string {
  const head = `d${device.index}w${device.writes++}:`;
  return head + 'v'.repeat(Math.max(0, VALUE_BYTES - head.length));
}

export async function seedDevice(
  url: string,
  identityPoolId: string,
  index: number,
  runTag: string,
): Promise<Device> {
  const email = `bench-${runTag}-${index}@bench.test`;
  const token = await signUp(url, email);
  const client = trpcClient(url, token);
  const identity = await client.identity.getId.mutate({ identityPoolId });
  const device: Device = {
    index,
    email,
    token,
    identityPoolId,
    identityId: identity.identityId,
    deviceId: `bench-device-${index}`,
    client,
    syncSessionToken: '',
    counts: new Map(),
    datasetSyncCount: 0,
    writes: 0,
  };
  await resync(device);
  // Create the dataset with every key the scenarios write.
  const created = await client.record.update.mutate({
    identityPoolId,
    datasetName: DATASET_NAME,
    deviceId: device.deviceId,
    syncSessionToken: device.syncSessionToken,
    recordPatches: KEYS.map((key) => ({
      op: 'replace' as const,
      key,
      value: recordValue(device),
      syncCount: 0,
    })),
  });
  for (const r of created.records) device.counts.set(r.key, r.syncCount);
  await resync(device);
  return device;
}

/** Pulls the whole dataset: exact counts of every key, the dataset count and a fresh token. */
export async function resync(device: Device): Promise<void> {
  let nextToken: string | undefined;
  do {
    const page = await device.client.record.list.query({
      identityPoolId: device.identityPoolId,
      datasetName: DATASET_NAME,
      ...(nextToken ? { nextToken } : {}),
    });
    for (const r of page.records) device.counts.set(r.key, r.syncCount);
    device.datasetSyncCount = page.datasetSyncCount;
    device.syncSessionToken = page.syncSessionToken;
    nextToken = page.nextToken ?? undefined;
  } while (nextToken);
}

/** Seeds `count` devices, a few at a time (sign-up hashes a password: CPU-bound). */
export async function seedDevices(
  url: string,
  identityPoolId: string,
  count: number,
  runTag: string,
  parallel = 4,
): Promise<Device[]> {
  const devices: Device[] = new Array<Device>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, count) }, async () => {
      while (next < count) {
        const index = next++;
        devices[index] = await seedDevice(url, identityPoolId, index, runTag);
      }
    }),
  );
  return devices;
}
