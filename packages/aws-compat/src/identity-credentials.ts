/**
 * Per-identity temporary AWS credentials, as Cognito Identity's GetCredentialsForIdentity vends
 * them (spec §3.1: a drop-in replacement must issue key/secret/session-token triples it can map
 * back to an identity).
 *
 * They are stateless: the session token carries `{pool, identity, access key id, expiry}` under
 * an HMAC-SHA256 tag, and the secret access key is an HMAC of the access key id and expiry, so
 * the server re-derives it from the token alone. Both HMAC keys come from the server secret
 * through HKDF under their own labels. Nothing is stored, so credentials cannot be revoked
 * before they expire (one hour by default, as Cognito's); rotating the server secret revokes
 * them all.
 */
import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
import { signatureErrors } from './errors.js';

export interface IdentityCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  expiration: Date;
}

export interface OpenedIdentityCredentials {
  identityPoolId: string;
  identityId: string;
  secretAccessKey: string;
  expiration: Date;
}

export interface IdentityCredentialIssuer {
  issue(args: { identityPoolId: string; identityId: string; now: Date }): IdentityCredentials;
  /**
   * The identity and secret behind a key + session token; throws AwsError
   * (signatureErrors.unknownKey() for forged/garbled/mismatched, signatureErrors.expired() when
   * past expiration).
   */
  open(accessKeyId: string, sessionToken: string | undefined, now: Date): OpenedIdentityCredentials;
}

/** Cognito's credentials last one hour. */
export const DEFAULT_IDENTITY_CREDENTIALS_TTL_MS = 60 * 60 * 1000;

/** `TKID` marks Tandem identity keys (AWS's temporary keys start with `ASIA`). */
export const IDENTITY_ACCESS_KEY_PREFIX = 'TKID';
const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const ACCESS_KEY_PATTERN = /^TKID[A-Z2-7]{16}$/;

const TOKEN_KEY_LABEL = 'tandem/aws-session-token/v1';
const SECRET_KEY_LABEL = 'tandem/aws-secret-access-key/v1';
const HKDF_SALT = 'tandem/aws-compat';

interface TokenClaims {
  v: 1;
  pool: string;
  identity: string;
  akid: string;
  /** Expiry, epoch seconds (what GetCredentialsForIdentity reports). */
  exp: number;
}

const isClaims = (value: unknown): value is TokenClaims => {
  if (typeof value !== 'object' || value === null) return false;
  const c = value as Record<string, unknown>;
  return (
    c['v'] === 1 &&
    typeof c['pool'] === 'string' &&
    typeof c['identity'] === 'string' &&
    typeof c['akid'] === 'string' &&
    typeof c['exp'] === 'number' &&
    Number.isSafeInteger(c['exp'])
  );
};

export function createIdentityCredentialIssuer(
  serverSecret: string,
  options: { ttlMs?: number } = {},
): IdentityCredentialIssuer {
  if (serverSecret.length === 0) throw new Error('identity credentials need a server secret');
  const ttlMs = options.ttlMs ?? DEFAULT_IDENTITY_CREDENTIALS_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs < 1000) {
    throw new Error(`identity credentials ttlMs must be at least 1000, got ${ttlMs}`);
  }
  const derive = (label: string) =>
    Buffer.from(hkdfSync('sha256', serverSecret, HKDF_SALT, label, 32));
  const tokenKey = derive(TOKEN_KEY_LABEL);
  const secretKey = derive(SECRET_KEY_LABEL);

  const tag = (payload: string) =>
    createHmac('sha256', tokenKey).update(payload).digest('base64url');
  // 30 bytes: 40 base64 characters, the length of an AWS secret access key.
  const secretFor = (accessKeyId: string, exp: number) =>
    createHmac('sha256', secretKey)
      .update(`${accessKeyId}\n${exp}`)
      .digest()
      .subarray(0, 30)
      .toString('base64');

  return {
    issue({ identityPoolId, identityId, now }) {
      const accessKeyId =
        IDENTITY_ACCESS_KEY_PREFIX +
        [...randomBytes(16)].map((b) => KEY_ALPHABET[b % KEY_ALPHABET.length]).join('');
      // Whole seconds, so the expiry reported (epoch seconds) is exactly the one enforced.
      const exp = Math.floor((now.getTime() + ttlMs) / 1000);
      const claims: TokenClaims = {
        v: 1,
        pool: identityPoolId,
        identity: identityId,
        akid: accessKeyId,
        exp,
      };
      const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
      return {
        accessKeyId,
        secretAccessKey: secretFor(accessKeyId, exp),
        sessionToken: `${payload}.${tag(payload)}`,
        expiration: new Date(exp * 1000),
      };
    },

    open(accessKeyId, sessionToken, now) {
      if (!sessionToken || !ACCESS_KEY_PATTERN.test(accessKeyId)) {
        throw signatureErrors.unknownKey();
      }
      const parts = sessionToken.split('.');
      if (parts.length !== 2) throw signatureErrors.unknownKey();
      const [payload = '', given = ''] = parts;
      // Compare the tag's text, not its decoded bytes: base64 decoding ignores stray characters
      // and the unused low bits of the last one, so different texts could decode alike.
      const expected = Buffer.from(tag(payload));
      const actual = Buffer.from(given);
      if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
        throw signatureErrors.unknownKey();
      }
      let claims: unknown;
      try {
        claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
      } catch {
        throw signatureErrors.unknownKey();
      }
      if (!isClaims(claims) || claims.akid !== accessKeyId) throw signatureErrors.unknownKey();
      const expiration = new Date(claims.exp * 1000);
      if (now.getTime() >= expiration.getTime()) throw signatureErrors.expired();
      return {
        identityPoolId: claims.pool,
        identityId: claims.identity,
        secretAccessKey: secretFor(accessKeyId, claims.exp),
        expiration,
      };
    },
  };
}
