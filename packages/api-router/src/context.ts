import type { Auth, SessionUser, SyncSessionTokens } from '@tandem/auth';
import { getSessionUser } from '@tandem/auth';
import type { ChangeFeed, Database, IdentityRow } from '@tandem/db';
import type { PushSubscriptionJson, SyncTriggerSettings } from '@tandem/sync-protocol';
import type { SyncTriggerRunner } from '@tandem/triggers';
import type { ApiSecrets } from './secrets.js';
import { TtlCache } from './ttl-cache.js';

/** Long-lived services the routers use; built once by the host (apps/api main.ts). */
export interface ApiDeps {
  database: Database;
  auth: Auth;
  syncSessionTokens: SyncSessionTokens;
  changeFeed: ChangeFeed;
  caches: ApiCaches;
  /**
   * Runs pools' sync triggers on identity writes (spec §11). The host builds it and closes it
   * at stop; when absent, one with the default settings is made on first use (its child
   * processes never keep the host alive and exit with it).
   */
  syncTriggers?: SyncTriggerRunner | undefined;
  /**
   * Decides whether a browser push subscription may be registered (endpoint safety: research
   * B4); throws a SyncError saying why not.
   */
  pushEndpoints: { check(subscription: PushSubscriptionJson): Promise<void> };
  /** Derived from the server secret: the setup token and the settings encryption key. */
  secrets: ApiSecrets;
  /**
   * The URL apps reach this API at (PUBLIC_URL, else the address it listens on): the console
   * shows it as the endpoint for AWS SDK clients.
   */
  publicUrl: string;
  /** Region for new identity pools' ids (`<region>:<uuid>`). */
  region: string;
  /** The pool announced to apps by `meta.defaultIdentityPool` (the embedded default's), if any. */
  defaultIdentityPoolId: string | null;
}

/**
 * Per-process caches. A session stays valid here up to `sessionTtlMs` after sign-out; identity
 * ids never change for a (user, pool) except by a guest merge, whose guest user is deleted.
 */
export interface ApiCaches {
  sessions: TtlCache<SessionUser>;
  identities: TtlCache<IdentityRow>;
  /**
   * "An administrator exists", once seen: the public `setup.status` would otherwise scan the
   * user table on every call.
   */
  adminExists: TtlCache<true>;
  /**
   * Each pool's sync trigger (`trigger: null` when none), read on every identity write. Saving
   * a trigger clears this process's entry; other replicas see the change within the TTL.
   */
  syncTriggers: TtlCache<{ trigger: SyncTriggerSettings | null }>;
  /**
   * Who acts for an identity's AWS credentials (the identity's owner), by identity id: read on
   * every AWS-compatible request. Kept as long as a session (a merge takes effect within it).
   */
  identityOwners: TtlCache<SessionUser>;
}

export const createApiCaches = (options: { sessionTtlMs?: number } = {}): ApiCaches => ({
  sessions: new TtlCache(options.sessionTtlMs ?? 5_000, 50_000),
  identities: new TtlCache(60_000, 50_000),
  adminExists: new TtlCache(60_000, 1),
  syncTriggers: new TtlCache(5_000, 10_000),
  identityOwners: new TtlCache(options.sessionTtlMs ?? 5_000, 50_000),
});

export interface Context {
  deps: ApiDeps;
  /** The request's headers, built on demand: only a session lookup that misses the cache needs them. */
  headers: () => Headers;
  /** The caller, looked up once per request (and cached briefly per credential). */
  user: () => Promise<SessionUser | null>;
}

export function createContextFactory(deps: ApiDeps) {
  /** `credential`: the Authorization header, else the Cookie header, else null. */
  return (request: { credential: string | null; headers: () => Headers }): Context => {
    let lookup: Promise<SessionUser | null> | undefined;
    return {
      deps,
      headers: request.headers,
      user: () => (lookup ??= lookupUser(deps, request.credential, request.headers)),
    };
  };
}

async function lookupUser(
  deps: ApiDeps,
  credential: string | null,
  headers: () => Headers,
): Promise<SessionUser | null> {
  if (!credential) return null;
  const cached = deps.caches.sessions.get(credential);
  if (cached) return cached;
  const user = await getSessionUser(deps.auth, headers());
  if (user) deps.caches.sessions.set(credential, user);
  return user;
}
