/**
 * What an operator does in the console, done over the API's HTTP routes: create the first
 * administrator with the setup token the API printed, sign in, and turn push sync on for the
 * default identity pool (which creates the pool's VAPID key).
 */
import type { Api } from '@tandem/e2e-kit';
import { PASSWORD, uniqueEmail } from './browser.js';

interface TrpcAnswer<T> {
  result?: { data?: T };
  error?: { message?: string };
}

/** A tRPC call the way the SDK makes it: a GET for a query, a POST of the input for a mutation. */
async function trpc<T>(
  api: Api,
  procedure: string,
  options: { input?: unknown; mutation?: boolean; token?: string } = {},
): Promise<T> {
  const url = new URL(`/trpc/${procedure}`, api.url);
  if (!options.mutation && options.input !== undefined) {
    url.searchParams.set('input', JSON.stringify(options.input));
  }
  const response = await fetch(url, {
    method: options.mutation ? 'POST' : 'GET',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
    ...(options.mutation ? { body: JSON.stringify(options.input ?? {}) } : {}),
  });
  const answer = (await response.json()) as TrpcAnswer<T>;
  if (!response.ok || answer.result === undefined) {
    throw new Error(`${procedure}: ${response.status} ${answer.error?.message ?? ''}`);
  }
  return answer.result.data as T;
}

/** Signs in to the API (better-auth) and returns the bearer token. */
async function signInToApi(api: Api, email: string): Promise<string> {
  const response = await fetch(new URL('/api/auth/sign-in/email', api.url), {
    method: 'POST',
    // A production-mode API checks the Origin of sign-ins: its own is trusted.
    headers: { 'content-type': 'application/json', origin: new URL(api.url).origin },
    body: JSON.stringify({ email, password: PASSWORD }),
  });
  const token = response.headers.get('set-auth-token');
  if (!response.ok || !token) throw new Error(`admin sign-in failed: ${response.status}`);
  return token;
}

/** Makes the first admin and turns push sync on for the default pool; returns the pool id. */
export async function enablePushOnDefaultPool(api: Api): Promise<string> {
  if (!api.setupToken) throw new Error('The API printed no setup token (an admin exists)');
  const email = uniqueEmail();
  await trpc(api, 'setup.createFirstAdmin', {
    mutation: true,
    input: { setupToken: api.setupToken, email, password: PASSWORD, name: 'Demo admin' },
  });
  const token = await signInToApi(api, email);
  const { identityPoolId } = await trpc<{ identityPoolId: string | null }>(
    api,
    'meta.defaultIdentityPool',
  );
  if (!identityPoolId) throw new Error('The API has no default identity pool');
  await trpc(api, 'admin.identityPool.setPush', {
    mutation: true,
    token,
    input: { identityPoolId, enabled: true },
  });
  return identityPoolId;
}
