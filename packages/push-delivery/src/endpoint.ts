/**
 * Registration-time validation of a browser `PushSubscription` (issue 6 item 1; research §B4).
 *
 * Push endpoints are URLs chosen by the client that our push worker later POSTs to, so they are
 * an SSRF surface. At registration an endpoint must be:
 *   - `https:` on port 443 (explicit `:443` or none), no userinfo, at most 1,000 bytes;
 *   - on a host named (not an IP literal, in any of the forms the WHATWG URL parser accepts:
 *     decimal, hex, octal, IPv6, IPv4-mapped) by the allow-list of push services, which is closed
 *     by default and configurable for self-hosted push services;
 *   - or exactly on one of the explicitly configured development origins
 *     (`http://127.0.0.1:<port>`, e.g. web-push-testing). There is no wildcard form: each origin
 *     is listed with its port, and production configurations list none.
 * The keys must decode to a 65-byte uncompressed P-256 point (`p256dh`) on the curve and a
 * 16-byte `auth` secret.
 *
 * This check is not enough on its own: a name on the allow-list can resolve to a private address
 * later (DNS rebinding), so `resolve.ts` re-checks every send and pins the address it checked.
 *
 * Errors carry a reason code and at most the endpoint's origin: the path of a push endpoint is a
 * bearer capability for the subscription, and reflecting input back helps blind SSRF probing.
 */
import { ECDH } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';

/** UnifiedPush caps endpoints at 1,000 bytes; real FCM/Mozilla/Apple/WNS endpoints stay well under. */
export const MAX_ENDPOINT_BYTES = 1000;
/** Uncompressed P-256 point: 0x04 ‖ X (32) ‖ Y (32). */
export const P256DH_BYTES = 65;
/** RFC 8291 auth secret. */
export const AUTH_SECRET_BYTES = 16;

/**
 * Browser push services (research §B4 control 1). `*.` matches one or more labels under the
 * suffix, never the suffix itself.
 *
 * Left out on purpose: `android.googleapis.com` (legacy GCM, shut down in 2019; `web-push` also
 * treats `/gcm/send` URLs as GCM and skips VAPID for them).
 */
export const DEFAULT_PUSH_SERVICE_HOSTS: readonly string[] = Object.freeze([
  'fcm.googleapis.com',
  'updates.push.services.mozilla.com',
  '*.push.apple.com',
  '*.notify.windows.com',
]);

export const PushEndpointErrorReason = {
  /** Not a subscription object of the expected shape. */
  invalidShape: 'invalid_shape',
  invalidUrl: 'invalid_url',
  tooLong: 'too_long',
  notHttps: 'not_https',
  badPort: 'bad_port',
  credentials: 'credentials',
  ipLiteral: 'ip_literal',
  hostNotAllowed: 'host_not_allowed',
  invalidP256dh: 'invalid_p256dh',
  invalidAuth: 'invalid_auth',
  /** Send time: the host resolved to a loopback/private/link-local/… address. */
  privateAddress: 'private_address',
  /** Send time: the host did not resolve (or resolving timed out). */
  unresolvable: 'unresolvable',
} as const;
export type PushEndpointErrorReason =
  (typeof PushEndpointErrorReason)[keyof typeof PushEndpointErrorReason];

const REASON_TEXT: Record<PushEndpointErrorReason, string> = {
  invalid_shape: 'expected {endpoint, keys: {p256dh, auth}}',
  invalid_url: 'endpoint is not a URL',
  too_long: `endpoint is longer than ${MAX_ENDPOINT_BYTES} bytes`,
  not_https: 'endpoint must use https',
  bad_port: 'endpoint must use port 443',
  credentials: 'endpoint must not contain credentials',
  ip_literal: 'endpoint host must be a name, not an IP address',
  host_not_allowed: 'endpoint host is not an allowed push service',
  invalid_p256dh: `keys.p256dh must be a ${P256DH_BYTES}-byte uncompressed P-256 point (base64url)`,
  invalid_auth: `keys.auth must be ${AUTH_SECRET_BYTES} bytes (base64url)`,
  private_address: 'endpoint host resolves to a non-public address',
  unresolvable: 'endpoint host could not be resolved',
};

/** Longest origin an error message will quote (a hostname can be 253 characters). */
const MAX_QUOTED_ORIGIN = 300;

/** A refused push endpoint. `origin` is set only when the endpoint parsed as a URL. */
export class PushEndpointError extends Error {
  override readonly name = 'PushEndpointError';
  readonly reason: PushEndpointErrorReason;
  readonly origin: string | undefined;

  constructor(reason: PushEndpointErrorReason, origin?: string | undefined) {
    const quoted =
      origin !== undefined && origin !== 'null' && origin.length <= MAX_QUOTED_ORIGIN
        ? origin
        : undefined;
    super(`Push endpoint refused: ${REASON_TEXT[reason]}${quoted ? ` (${quoted})` : ''}`);
    this.reason = reason;
    this.origin = quoted;
  }
}

export interface PushEndpointPolicyOptions {
  /**
   * Allowed push-service hosts: exact names or `*.suffix`. Defaults to
   * {@link DEFAULT_PUSH_SERVICE_HOSTS}. An empty list allows no https endpoint at all.
   */
  allowedHosts?: readonly string[] | undefined;
  /**
   * Development/test only: exact `http://127.0.0.1:<port>` origins whose endpoints skip the
   * https/port/allow-list/private-address rules (e.g. a local web-push-testing server).
   */
  devOrigins?: readonly string[] | undefined;
}

/** A validated, normalised policy; build it with {@link createPushEndpointPolicy}. */
export interface PushEndpointPolicy {
  readonly exactHosts: ReadonlySet<string>;
  /** Suffixes with their leading dot, e.g. `.push.apple.com`. */
  readonly hostSuffixes: readonly string[];
  readonly devOrigins: ReadonlySet<string>;
}

const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const isDnsName = (name: string) => {
  const labels = name.split('.');
  return name.length <= 253 && labels.length >= 2 && labels.every((l) => HOST_LABEL.test(l));
};
const DEV_ORIGIN = /^http:\/\/127\.0\.0\.1:([0-9]{1,5})$/;

/**
 * Validates and normalises a policy. Throws (a plain `Error`: this is configuration, not client
 * input) on a bare `*`, a wildcard without at least two labels under it, an IP address in the
 * allow-list, or a development origin that is not exactly `http://127.0.0.1:<port>`.
 */
export function createPushEndpointPolicy(
  options: PushEndpointPolicyOptions = {},
): PushEndpointPolicy {
  const exactHosts = new Set<string>();
  const hostSuffixes: string[] = [];
  for (const raw of options.allowedHosts ?? DEFAULT_PUSH_SERVICE_HOSTS) {
    const entry = raw.trim().toLowerCase();
    const wildcard = entry.startsWith('*.');
    const name = wildcard ? entry.slice(2) : entry;
    if (!isDnsName(name) || isIP(name) !== 0) {
      throw new Error(`Invalid push-service host pattern: ${JSON.stringify(raw)}`);
    }
    if (wildcard) hostSuffixes.push(`.${name}`);
    else exactHosts.add(name);
  }
  const devOrigins = new Set<string>();
  for (const origin of options.devOrigins ?? []) {
    const match = DEV_ORIGIN.exec(origin);
    const port = match ? Number(match[1]) : 0;
    if (!match || port < 1 || port > 65535 || String(port) !== match[1]) {
      throw new Error(
        `Invalid development push origin ${JSON.stringify(origin)}: expected exactly http://127.0.0.1:<port>`,
      );
    }
    devOrigins.add(origin);
  }
  return { exactHosts, hostSuffixes, devOrigins };
}

/** Whether `hostname` (already lower-cased by the URL parser) is on the allow-list. */
export function isAllowedPushHost(policy: PushEndpointPolicy, hostname: string): boolean {
  if (!isDnsName(hostname)) return false;
  if (policy.exactHosts.has(hostname)) return true;
  return policy.hostSuffixes.some(
    (suffix) => hostname.endsWith(suffix) && hostname.length > suffix.length,
  );
}

/** Whether `url` is on one of the policy's explicit development origins. */
export const isDevOrigin = (policy: PushEndpointPolicy, url: URL): boolean =>
  policy.devOrigins.has(url.origin);

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');
/** Userinfo in the raw string, including forms the parser drops (`https://:@host`, `https://@host`). */
const RAW_USERINFO = /^[a-z][a-z0-9+.-]*:[/\\]*[^/\\?#]*@/i;

/**
 * Checks an endpoint URL against the policy and returns it parsed. Throws
 * {@link PushEndpointError}.
 */
export function validatePushEndpoint(policy: PushEndpointPolicy, endpoint: string): URL {
  if (byteLength(endpoint) > MAX_ENDPOINT_BYTES) {
    throw new PushEndpointError(PushEndpointErrorReason.tooLong);
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new PushEndpointError(PushEndpointErrorReason.invalidUrl);
  }
  // The origin of a URL with userinfo does not contain it, so quoting it is safe.
  if (url.username !== '' || url.password !== '' || RAW_USERINFO.test(endpoint)) {
    throw new PushEndpointError(PushEndpointErrorReason.credentials, url.origin);
  }
  if (isDevOrigin(policy, url)) return url;
  if (url.protocol !== 'https:') {
    throw new PushEndpointError(PushEndpointErrorReason.notHttps, url.origin);
  }
  // The parser drops a default port, so `:443` and no port both leave `url.port` empty.
  if (url.port !== '') throw new PushEndpointError(PushEndpointErrorReason.badPort, url.origin);
  // The parser has already normalised `0x7f.1`, `2130706433`, `[::ffff:7f00:1]`, … to IP form.
  if (url.hostname.startsWith('[') || isIP(url.hostname) !== 0) {
    throw new PushEndpointError(PushEndpointErrorReason.ipLiteral, url.origin);
  }
  if (!isAllowedPushHost(policy, url.hostname)) {
    throw new PushEndpointError(PushEndpointErrorReason.hostNotAllowed, url.origin);
  }
  return url;
}

const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Strict unpadded base64url decode (browsers' `PushSubscription.toJSON()` emits no padding). */
export function decodeBase64Url(text: string): Buffer | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  const bytes = Buffer.from(text, 'base64url');
  // Reject non-canonical trailing bits so one key has one spelling.
  return bytes.toString('base64url') === text ? bytes : undefined;
}

/** Whether `p256dh` is a base64url uncompressed point that lies on P-256. */
export function isValidP256dh(p256dh: string): boolean {
  const bytes = decodeBase64Url(p256dh);
  if (bytes?.length !== P256DH_BYTES || bytes[0] !== 0x04) return false;
  try {
    ECDH.convertKey(bytes, 'prime256v1');
    return true;
  } catch {
    return false;
  }
}

export const isValidAuthSecret = (auth: string): boolean =>
  decodeBase64Url(auth)?.length === AUTH_SECRET_BYTES;

/**
 * Shape of `PushSubscription.toJSON()` as a browser sends it. Length caps keep a hostile body
 * from costing anything before the real checks run.
 */
export const pushSubscriptionSchema = z.strictObject({
  // Length is checked (cheaply, first) by validatePushEndpoint, so it gets its own reason.
  endpoint: z.string().min(1),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    p256dh: z.string().max(200),
    auth: z.string().max(100),
  }),
});
export type PushSubscriptionInput = z.infer<typeof pushSubscriptionSchema>;

/** A subscription that passed {@link parsePushSubscription}. */
export interface ValidPushSubscription {
  /** The endpoint as the URL parser normalised it (store this one). */
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  /** The push-service origin (the VAPID audience). */
  readonly origin: string;
}

/**
 * Registration-time validation of an untrusted subscription. Throws {@link PushEndpointError};
 * the zod issues are dropped so that nothing of the input is echoed back.
 */
export function parsePushSubscription(
  policy: PushEndpointPolicy,
  input: unknown,
): ValidPushSubscription {
  const parsed = pushSubscriptionSchema.safeParse(input);
  if (!parsed.success) throw new PushEndpointError(PushEndpointErrorReason.invalidShape);
  const { endpoint, keys } = parsed.data;
  const url = validatePushEndpoint(policy, endpoint);
  if (!isValidP256dh(keys.p256dh)) {
    throw new PushEndpointError(PushEndpointErrorReason.invalidP256dh, url.origin);
  }
  if (!isValidAuthSecret(keys.auth)) {
    throw new PushEndpointError(PushEndpointErrorReason.invalidAuth, url.origin);
  }
  return { endpoint: url.href, keys: { p256dh: keys.p256dh, auth: keys.auth }, origin: url.origin };
}
