import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AwsError } from './errors.js';
import { createIdentityCredentialIssuer } from './identity-credentials.js';
import { fastCheckSeed } from '@tandem/db/testing';

// A fixed seed in CI; FC_SEED=random explores, FC_SEED=<n> replays.
fc.configureGlobal(fastCheckSeed === undefined ? {} : { seed: fastCheckSeed });

const SECRET = 'server-secret-server-secret-0123456789';
const POOL = 'local-1:0f8e4c1a-1111-4222-8333-944445555666';
const IDENTITY = 'local-1:9a8b7c6d-aaaa-4bbb-8ccc-dddddddddddd';
const now = new Date('2030-01-02T03:04:05.678Z');

/** The AWS error type `fn` throws, or 'ok'. */
function refusal(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof AwsError) return error.type;
    throw error;
  }
}

describe('identity credentials', () => {
  const issuer = createIdentityCredentialIssuer(SECRET);
  const issued = issuer.issue({ identityPoolId: POOL, identityId: IDENTITY, now });

  it('look like AWS temporary credentials and expire after an hour, in whole seconds', () => {
    expect(issued.accessKeyId).toMatch(/^TKID[A-Z2-7]{16}$/);
    expect(issued.secretAccessKey).toMatch(/^[A-Za-z0-9+/]{40}$/);
    expect(issued.sessionToken).toMatch(/^[\w-]+\.[\w-]{43}$/);
    expect(issued.expiration.getTime()).toBe(Math.floor((now.getTime() + 3_600_000) / 1000) * 1000);
  });

  it('open to the identity and secret they were issued for', () => {
    expect(issuer.open(issued.accessKeyId, issued.sessionToken, now)).toEqual({
      identityPoolId: POOL,
      identityId: IDENTITY,
      secretAccessKey: issued.secretAccessKey,
      expiration: issued.expiration,
    });
    // Another issuer with the same server secret (another replica, a restart) opens them too.
    const replica = createIdentityCredentialIssuer(SECRET);
    expect(replica.open(issued.accessKeyId, issued.sessionToken, now).identityId).toBe(IDENTITY);
  });

  it('need their session token', () => {
    expect(refusal(() => issuer.open(issued.accessKeyId, undefined, now))).toBe(
      'UnrecognizedClientException',
    );
    expect(refusal(() => issuer.open(issued.accessKeyId, '', now))).toBe(
      'UnrecognizedClientException',
    );
  });

  it('refuse any changed character of the session token', () => {
    const token = issued.sessionToken;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=';
    for (let i = 0; i < token.length; i++) {
      for (const c of [...alphabet].filter((ch) => ch !== token[i]).slice(0, 6)) {
        const tampered = token.slice(0, i) + c + token.slice(i + 1);
        expect(
          refusal(() => issuer.open(issued.accessKeyId, tampered, now)),
          tampered,
        ).toBe('UnrecognizedClientException');
      }
      // ...nor a truncated or extended one.
      expect(refusal(() => issuer.open(issued.accessKeyId, token.slice(0, i), now))).toBe(
        'UnrecognizedClientException',
      );
    }
    expect(refusal(() => issuer.open(issued.accessKeyId, `${token}A`, now))).toBe(
      'UnrecognizedClientException',
    );
  });

  it('refuse any changed character of the access key id', () => {
    const key = issued.accessKeyId;
    for (let i = 0; i < key.length; i++) {
      const c = key[i] === 'A' ? 'B' : 'A';
      const tampered = key.slice(0, i) + c + key.slice(i + 1);
      expect(refusal(() => issuer.open(tampered, issued.sessionToken, now))).toBe(
        'UnrecognizedClientException',
      );
    }
    expect(refusal(() => issuer.open(key.toLowerCase(), issued.sessionToken, now))).toBe(
      'UnrecognizedClientException',
    );
  });

  it('refuse a session token paired with another key', () => {
    const other = issuer.issue({ identityPoolId: POOL, identityId: IDENTITY, now });
    expect(refusal(() => issuer.open(other.accessKeyId, issued.sessionToken, now))).toBe(
      'UnrecognizedClientException',
    );
  });

  it('refuse garbled tokens, whatever they hold', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.string({ maxLength: 30 }), (token, key) => {
        expect(refusal(() => issuer.open(key, token, now))).toBe('UnrecognizedClientException');
        expect(refusal(() => issuer.open(issued.accessKeyId, token, now))).toBe(
          'UnrecognizedClientException',
        );
      }),
    );
  });

  it('expire', () => {
    const justBefore = new Date(issued.expiration.getTime() - 1);
    expect(refusal(() => issuer.open(issued.accessKeyId, issued.sessionToken, justBefore))).toBe(
      'ok',
    );
    expect(
      refusal(() => issuer.open(issued.accessKeyId, issued.sessionToken, issued.expiration)),
    ).toBe('ExpiredTokenException');
    const short = createIdentityCredentialIssuer(SECRET, { ttlMs: 5_000 });
    const brief = short.issue({ identityPoolId: POOL, identityId: IDENTITY, now });
    expect(refusal(() => short.open(brief.accessKeyId, brief.sessionToken, now))).toBe('ok');
    expect(
      refusal(() =>
        short.open(brief.accessKeyId, brief.sessionToken, new Date(now.getTime() + 6_000)),
      ),
    ).toBe('ExpiredTokenException');
  });

  it('are refused by a server with another secret', () => {
    const stranger = createIdentityCredentialIssuer(`${SECRET}-other`);
    expect(refusal(() => stranger.open(issued.accessKeyId, issued.sessionToken, now))).toBe(
      'UnrecognizedClientException',
    );
  });

  it('have a different secret for every key, and keys are random', () => {
    const many = Array.from({ length: 200 }, () =>
      issuer.issue({ identityPoolId: POOL, identityId: IDENTITY, now }),
    );
    expect(new Set(many.map((c) => c.accessKeyId)).size).toBe(200);
    expect(new Set(many.map((c) => c.secretAccessKey)).size).toBe(200);
    expect(many.map((c) => c.secretAccessKey)).not.toContain(issued.secretAccessKey);
  });

  it('reject unusable settings', () => {
    expect(() => createIdentityCredentialIssuer('')).toThrow();
    expect(() => createIdentityCredentialIssuer(SECRET, { ttlMs: 0 })).toThrow();
  });
});
