import { createHmac, timingSafeEqual } from 'node:crypto';

const SETUP_TOKEN_LABEL = 'tandem/console-setup-token/v1';

/**
 * The first-run setup token: HMAC-SHA256(server secret, fixed label), base64url, first 24
 * characters (144 bits). Derived, not stored, so every replica sharing BETTER_AUTH_SECRET
 * prints and accepts the same one; it only works while no administrator exists.
 */
export function deriveSetupToken(serverSecret: string): string {
  return createHmac('sha256', serverSecret)
    .update(SETUP_TOKEN_LABEL)
    .digest('base64url')
    .slice(0, 24);
}

/** Constant-time comparison of a presented token with the expected one. */
export function setupTokenMatches(expected: string, presented: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(presented, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
