/**
 * Sign-in against Tandem's auth endpoints (better-auth at `/api/auth`), with bearer tokens so
 * the same code works in browsers, service workers and Node.
 *
 * Guests: `signInAsGuest()` gives an anonymous session. Signing up or in while a guest session
 * is active sends the guest's token along, and the server adopts the guest: its identity
 * becomes the account's, or (if the account already has data in the pool) its datasets are
 * merged in as `<name>.<guestIdentityId>` (reported to `onDatasetsMerged`).
 */
import { TandemSyncError } from './errors.js';
import type { FetchLike } from './transport.js';

export interface Session {
  token: string;
  userId: string;
  /** A guest (anonymous) session. */
  isGuest: boolean;
  email: string | null;
}

interface AuthResponse {
  user?: { id: string; email?: string | null; isAnonymous?: boolean | null };
  message?: string;
  code?: string;
}

export async function authRequest(
  fetch: FetchLike,
  baseUrl: string,
  path: string,
  body: unknown,
  bearer: string | null,
  origin?: string,
): Promise<Session> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl.replace(/\/+$/, '')}/api/auth/${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(bearer ? { authorization: `Bearer ${bearer}` } : {}),
        // Browsers send Origin themselves (and forbid setting it); other clients must.
        ...(origin ? { origin } : {}),
      },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new TandemSyncError('NetworkError', 'The server could not be reached', { cause: error });
  }
  const json = (await response.json().catch(() => ({}))) as AuthResponse;
  if (!response.ok) {
    const kind =
      response.status === 401 || response.status === 403
        ? 'NotAuthorizedException'
        : response.status === 429
          ? 'TooManyRequestsException'
          : response.status >= 500
            ? 'InternalErrorException'
            : 'InvalidParameterException';
    throw new TandemSyncError(kind, json.message ?? `Sign-in failed (${response.status})`, {
      status: response.status,
    });
  }
  const token = response.headers.get('set-auth-token');
  if (!token || !json.user) {
    throw new TandemSyncError(
      'InternalErrorException',
      'The server did not return a session token (is the bearer plugin on, and is the header exposed to this origin?)',
    );
  }
  return {
    token,
    userId: json.user.id,
    isGuest: json.user.isAnonymous === true,
    email: json.user.isAnonymous ? null : (json.user.email ?? null),
  };
}

export async function signOutRequest(fetch: FetchLike, baseUrl: string, token: string) {
  // Best effort: the local session is forgotten whatever the server says.
  await fetch(`${baseUrl.replace(/\/+$/, '')}/api/auth/sign-out`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: '{}',
  }).catch(() => undefined);
}
