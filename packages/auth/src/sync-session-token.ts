import { invalidSyncSessionToken } from '@tandem/domain';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * SyncSessionToken (spec §7.4): returned by every ListRecords, required by UpdateRecords. It is
 * an HMAC-signed `{pool, identity, dataset, issuedAt, nonce}`, reusable until it expires and
 * bound to one dataset of one identity. It carries no concurrency meaning (sync counts do).
 */
export interface SyncSessionScope {
  identityPoolId: string;
  identityId: string;
  datasetName: string;
}

export interface SyncSessionTokens {
  issue(scope: SyncSessionScope): string;
  /** Throws InvalidParameterException "SyncSessionToken not valid for these inputs". */
  verify(token: string, scope: SyncSessionScope): void;
}

export function createSyncSessionTokens(options: {
  secret: string;
  ttlMs?: number | undefined;
  now?: (() => number) | undefined;
}): SyncSessionTokens {
  const key = createHmac('sha256', options.secret).update('tandem:sync-session-token').digest();
  const ttlMs = options.ttlMs ?? 60 * 60 * 1000;
  const now = options.now ?? Date.now;
  const mac = (body: string) => createHmac('sha256', key).update(body).digest();
  const scopeText = (s: SyncSessionScope) =>
    JSON.stringify([s.identityPoolId, s.identityId, s.datasetName]);

  return {
    issue(scope) {
      const body = Buffer.from(
        JSON.stringify({ s: scopeText(scope), t: now(), n: randomBytes(8).toString('base64url') }),
      ).toString('base64url');
      return `${body}.${mac(body).toString('base64url')}`;
    },
    verify(token, scope) {
      const dot = token.indexOf('.');
      if (dot <= 0) throw invalidSyncSessionToken();
      const body = token.slice(0, dot);
      const given = Buffer.from(token.slice(dot + 1), 'base64url');
      const expected = mac(body);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
        throw invalidSyncSessionToken();
      }
      let claims: { s?: unknown; t?: unknown };
      try {
        claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as typeof claims;
      } catch {
        throw invalidSyncSessionToken();
      }
      const issuedAt = typeof claims.t === 'number' ? claims.t : -Infinity;
      if (claims.s !== scopeText(scope) || now() - issuedAt > ttlMs || issuedAt - now() > 60_000) {
        throw invalidSyncSessionToken();
      }
    },
  };
}
