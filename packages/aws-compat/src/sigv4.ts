/**
 * AWS Signature Version 4 verification for requests made by the unmodified AWS SDKs (spec §3.1).
 * Pure: the caller supplies the clock and the secret lookup; only node:crypto is used.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { signatureErrors } from './errors.js';
import type { AwsHttpRequest } from './http.js';

export interface SignedBy {
  accessKeyId: string;
  /** `x-amz-security-token`, when sent. */
  sessionToken: string | undefined;
  /** Lower-case hex, for replay detection by the caller (its spelling is canonical, see parse). */
  signature: string;
  /** From `x-amz-date` (or the `Date` header). */
  signedAt: Date;
  /** From the credential scope. */
  region: string;
  /** The header names the signature covers, as listed in `SignedHeaders=`. */
  signedHeaders: string[];
}

export interface VerifyOptions {
  /** Signing name the scope must carry: 'cognito-sync' or 'cognito-identity'. */
  service: string;
  now: Date;
  /** Allowed |now - signedAt|; default 5 minutes. */
  maxSkewMs?: number;
  /**
   * Accept `x-amz-content-sha256: UNSIGNED-PAYLOAD` (body not covered by the signature). Default
   * false: no Cognito client sends it, and accepting it would let a captured request carry any body.
   */
  allowUnsignedPayload?: boolean;
  /**
   * The secret for a key; throws an AwsError (e.g. signatureErrors.unknownKey()/expired()) when
   * the key is unknown, revoked or expired. Called only after the Authorization header parsed
   * correctly and the time is within skew.
   */
  secretFor(accessKeyId: string, sessionToken: string | undefined): Promise<string>;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const TERMINATOR = 'aws4_request';
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const DEFAULT_MAX_SKEW_MS = 5 * 60_000;

export async function verifySigV4(
  request: AwsHttpRequest,
  options: VerifyOptions,
): Promise<SignedBy> {
  const authorization = header(request, 'authorization');
  if (authorization === undefined) throw signatureErrors.missing();
  const auth = parseAuthorization(authorization);

  if (auth.service !== options.service) {
    throw signatureErrors.incomplete(
      `Credential should be scoped to correct service: '${options.service}'.`,
    );
  }
  if (!auth.signedHeaders.includes('host')) {
    throw signatureErrors.incomplete("'Host' must be a signed header.");
  }
  for (const name of auth.signedHeaders) {
    if (header(request, name) === undefined) {
      throw signatureErrors.incomplete(`Signed header '${name}' is missing from the request.`);
    }
  }
  const sessionToken = header(request, 'x-amz-security-token');
  if (sessionToken !== undefined && !auth.signedHeaders.includes('x-amz-security-token')) {
    // An unsigned token could be swapped for another identity's token.
    throw signatureErrors.incomplete("'X-Amz-Security-Token' must be a signed header.");
  }

  const { amzDate, signedAt } = requestTime(request);
  if (auth.scopeDate !== amzDate.slice(0, 8)) {
    throw signatureErrors.incomplete(
      `Credential should be scoped to a valid date: '${amzDate.slice(0, 8)}' (request date), not '${auth.scopeDate}'.`,
    );
  }
  checkSkew(amzDate, signedAt, options.now, options.maxSkewMs ?? DEFAULT_MAX_SKEW_MS);

  const payloadHash = payloadHashOf(request, options.allowUnsignedPayload ?? false);
  const secret = await options.secretFor(auth.accessKeyId, sessionToken);

  const scope = `${auth.scopeDate}/${auth.region}/${auth.service}/${TERMINATOR}`;
  const signingKey = signingKeyOf(secret, auth.scopeDate, auth.region, auth.service);
  const given = Buffer.from(auth.signature, 'hex');
  // SDKs sign the path as sent; SigV4 also allows normalizing it (smithy does, v2 does not).
  // They only differ for `.`, `..` or empty segments, e.g. a dataset named `..`.
  const matches = canonicalUris(request.rawPath).some((uri) => {
    const canonicalRequest = [
      request.method, // as sent: HTTP methods are case-sensitive
      uri,
      canonicalQuery(request.rawQuery),
      ...auth.signedHeaders.map((name) => `${name}:${canonicalHeaderValue(request, name)}`),
      '',
      auth.signedHeaders.join(';'),
      payloadHash,
    ].join('\n');
    const stringToSign = [ALGORITHM, amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
    return timingSafeEqual(hmac(signingKey, stringToSign), given);
  });
  if (!matches) throw signatureErrors.mismatch();

  return {
    accessKeyId: auth.accessKeyId,
    sessionToken,
    signature: auth.signature,
    signedAt,
    region: auth.region,
    signedHeaders: auth.signedHeaders,
  };
}

interface ParsedAuthorization {
  accessKeyId: string;
  scopeDate: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** `AWS4-HMAC-SHA256 Credential=<akid>/<date>/<region>/<service>/aws4_request, SignedHeaders=a;b, Signature=<hex>` */
function parseAuthorization(value: string): ParsedAuthorization {
  const space = value.indexOf(' ');
  const algorithm = space < 0 ? value : value.slice(0, space);
  if (algorithm !== ALGORITHM) {
    throw signatureErrors.incomplete(
      `Unsupported authorization algorithm '${algorithm}'; expected '${ALGORITHM}'.`,
    );
  }
  const params = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const trimmed = part.trim();
    const eq = trimmed.indexOf('=');
    const name = eq < 0 ? trimmed : trimmed.slice(0, eq);
    if (eq < 0 || params.has(name)) {
      throw signatureErrors.incomplete(
        `Authorization header parameter '${name}' is malformed or repeated.`,
      );
    }
    params.set(name, trimmed.slice(eq + 1));
  }
  const credential = params.get('Credential');
  const signedHeaders = params.get('SignedHeaders');
  const signature = params.get('Signature');
  if (credential === undefined || signedHeaders === undefined || signature === undefined) {
    throw signatureErrors.incomplete(
      "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.",
    );
  }

  const [accessKeyId, scopeDate, region, service, terminator, ...extra] = credential.split('/');
  if (
    !accessKeyId ||
    scopeDate === undefined ||
    !/^\d{8}$/.test(scopeDate) ||
    !region ||
    !service ||
    extra.length > 0
  ) {
    throw signatureErrors.incomplete(
      `Credential must have the form <access key>/<yyyymmdd>/<region>/<service>/${TERMINATOR}.`,
    );
  }
  if (terminator !== TERMINATOR) {
    throw signatureErrors.incomplete(
      `Credential should be scoped with a valid terminator: '${TERMINATOR}'.`,
    );
  }

  const names = signedHeaders.split(';');
  // Lower-case, non-empty, unrepeated names: anything else is not what a SigV4 signer produces.
  if (
    names.some((name) => !/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) ||
    new Set(names).size !== names.length
  ) {
    throw signatureErrors.incomplete(
      'SignedHeaders must be a list of distinct lower-case header names separated by `;`.',
    );
  }
  // Exactly the form signers emit, so one signature has one spelling (replay detection relies on it).
  if (!/^[0-9a-f]{64}$/.test(signature)) {
    throw signatureErrors.incomplete('Signature must be 64 lower-case hex digits.');
  }
  return { accessKeyId, scopeDate, region, service, signedHeaders: names, signature };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The signing time: `x-amz-date` (basic ISO 8601), else the RFC 1123 `Date` header. */
function requestTime(request: AwsHttpRequest): { amzDate: string; signedAt: Date } {
  const amzDate = header(request, 'x-amz-date');
  if (amzDate !== undefined) {
    const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    const signedAt = m && utc(m[1], Number(m[2]) - 1, m[3], m[4], m[5], m[6]);
    if (!signedAt) {
      throw signatureErrors.incomplete(
        `X-Amz-Date must be in the ISO 8601 basic format yyyyMMddTHHmmssZ, got '${amzDate}'.`,
      );
    }
    return { amzDate, signedAt };
  }
  const date = header(request, 'date');
  if (date !== undefined) {
    const m =
      /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\d{2}) ([A-Z][a-z]{2}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT$/.exec(
        date,
      );
    const signedAt = m && utc(m[3], MONTHS.indexOf(m[2] ?? ''), m[1], m[4], m[5], m[6]);
    if (!signedAt) {
      throw signatureErrors.incomplete(`Date must be an RFC 1123 date, got '${date}'.`);
    }
    return { amzDate: basicIso(signedAt), signedAt };
  }
  throw signatureErrors.incomplete(
    "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
  );
}

/** A UTC date from its fields, or undefined when they do not name a real instant (e.g. Feb 30). */
function utc(
  year: string | undefined,
  monthIndex: number,
  ...rest: (string | undefined)[]
): Date | undefined {
  const [day, hours, minutes, seconds] = rest.map(Number) as [number, number, number, number];
  const date = new Date(Date.UTC(Number(year), monthIndex, day, hours, minutes, seconds));
  const valid =
    monthIndex >= 0 &&
    date.getUTCFullYear() === Number(year) &&
    date.getUTCMonth() === monthIndex &&
    date.getUTCDate() === day &&
    date.getUTCHours() === hours &&
    date.getUTCMinutes() === minutes &&
    date.getUTCSeconds() === seconds;
  return valid ? date : undefined;
}

const basicIso = (date: Date) => date.toISOString().replace(/[-:]|\.\d{3}/g, '');

/** Worded like AWS, which the v3 SDK recognises (with the `Date` response header) to fix its clock. */
function checkSkew(amzDate: string, signedAt: Date, now: Date, maxSkewMs: number): void {
  const minutes = `${maxSkewMs / 60_000} min.`;
  const nowText = basicIso(now);
  if (signedAt.getTime() < now.getTime() - maxSkewMs) {
    const limit = basicIso(new Date(now.getTime() - maxSkewMs));
    throw signatureErrors.skew(
      `Signature expired: ${amzDate} is now earlier than ${limit} (${nowText} - ${minutes})`,
    );
  }
  if (signedAt.getTime() > now.getTime() + maxSkewMs) {
    const limit = basicIso(new Date(now.getTime() + maxSkewMs));
    throw signatureErrors.skew(
      `Signature not yet current: ${amzDate} is still later than ${limit} (${nowText} + ${minutes})`,
    );
  }
}

/** The hash the client signed for the body; when it declares one, it must be the body's. */
function payloadHashOf(request: AwsHttpRequest, allowUnsignedPayload: boolean): string {
  const actual = sha256Hex(request.body);
  const declared = header(request, 'x-amz-content-sha256');
  if (declared === undefined) return actual; // Android does not send it.
  if (declared === UNSIGNED_PAYLOAD) {
    if (allowUnsignedPayload) return declared;
    throw signatureErrors.incomplete('UNSIGNED-PAYLOAD is not accepted; sign the request body.');
  }
  // Otherwise the signature would cover the declared hash and the body could be swapped.
  if (declared !== actual) {
    throw signatureErrors.incomplete(
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
  }
  return declared;
}

/**
 * Non-S3 services encode the path twice: each raw segment (already percent-encoded by the client)
 * is encoded again, so `us-east-1%3Aabc` becomes `us-east-1%253Aabc`. The second candidate is the
 * RFC 3986-normalized path (no empty, `.` or `..` segments), which smithy (SDK v3) signs.
 */
function canonicalUris(rawPath: string): string[] {
  const encode = (segments: string[]) => segments.map(uriEncode).join('/');
  const segments = rawPath.split('/');
  const asSent = rawPath === '' ? '/' : encode(segments);

  const normalized: string[] = [];
  for (const segment of segments) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') normalized.pop();
    else normalized.push(segment);
  }
  const trailing = normalized.length > 0 && rawPath.endsWith('/') ? '/' : '';
  const normal = `/${encode(normalized)}${trailing}`;
  return normal === asSent ? [asSent] : [asSent, normal];
}

/** Decode `%XX` only (SDKs send spaces as `%20`, so a literal `+` is a plus), re-encode, sort. */
function canonicalQuery(rawQuery: string): string {
  const pairs = rawQuery
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      const name = eq < 0 ? part : part.slice(0, eq);
      const value = eq < 0 ? '' : part.slice(eq + 1);
      return [canonicalComponent(name), canonicalComponent(value)] as const;
    });
  pairs.sort(([n1, v1], [n2, v2]) => (n1 < n2 ? -1 : n1 > n2 ? 1 : v1 < v2 ? -1 : v1 > v2 ? 1 : 0));
  return pairs.map(([name, value]) => `${name}=${value}`).join('&');
}

/** Trimmed, runs of spaces/tabs collapsed (as signers do), repeated headers joined by `,`. */
function canonicalHeaderValue(request: AwsHttpRequest, name: string): string {
  return (headerValues(request, name) ?? [])
    .map((v) =>
      v
        .replace(/[\r\n]/g, ' ')
        .replace(/[ \t]+/g, ' ')
        .replace(/^ | $/g, ''),
    )
    .join(',');
}

/** A header's values; own properties only, so a signed header named `__proto__` finds nothing. */
function headerValues(request: AwsHttpRequest, name: string): string[] | undefined {
  if (!Object.hasOwn(request.headers, name)) return undefined;
  const value = request.headers[name];
  if (typeof value === 'string') return [value];
  return Array.isArray(value) && value.length > 0 ? value : undefined;
}

/** A header's value, repeated headers joined by `,`. */
function header(request: AwsHttpRequest, name: string): string | undefined {
  return headerValues(request, name)?.join(',');
}

/**
 * RFC 3986 encoding of the UTF-8 bytes: everything but A-Z a-z 0-9 - _ . ~ becomes `%XX`. Works on
 * bytes, so odd input (lone surrogates, invalid UTF-8 after decoding) never throws.
 */
const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/** A query name or value, decoded (`%XX` only) and encoded again; fast for the usual text. */
function canonicalComponent(text: string): string {
  if (UNRESERVED.test(text)) return text;
  try {
    // Plain `%XX` that decode to UTF-8 text: the same bytes as the byte-wise path below.
    return uriEncode(decodeURIComponent(text));
  } catch {
    return uriEncode(percentDecode(text)); // malformed `%` or bytes that are not UTF-8
  }
}

function uriEncode(value: string | Buffer): string {
  if (typeof value === 'string') {
    if (UNRESERVED.test(value)) return value;
    try {
      // encodeURIComponent leaves !'()* alone, which SigV4 encodes.
      return encodeURIComponent(value).replace(
        /[!'()*]/g,
        (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
      );
    } catch {
      // A lone surrogate: encoded byte by byte below, as the SDKs' UTF-8 encoders do.
    }
  }
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  let out = '';
  for (const byte of bytes) {
    const ch = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-_.~]/.test(ch)
      ? ch
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `%XX` → byte; anything else (including a malformed `%`) stays as its UTF-8 bytes. */
function percentDecode(value: string): Buffer {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const hex = value.slice(i + 1, i + 3);
    if (value[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      const code = value.codePointAt(i) ?? 0;
      if (code > 0xffff) i++;
      bytes.push(...Buffer.from(String.fromCodePoint(code), 'utf8'));
    }
  }
  return Buffer.from(bytes);
}

const sha256Hex = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer, data: string) => createHmac('sha256', key).update(data, 'utf8').digest();

/**
 * The signing key of a secret for one day, region and service: four HMACs, the same for every
 * request a client signs that day, so kept for reuse (bounded; oldest dropped first).
 */
const signingKeys = new Map<string, Buffer>();
const MAX_SIGNING_KEYS = 10_000;

function signingKeyOf(secret: string, date: string, region: string, service: string): Buffer {
  const cacheKey = `${secret}\u0000${date}\u0000${region}\u0000${service}`;
  const known = signingKeys.get(cacheKey);
  if (known) return known;
  const key = [date, region, service, TERMINATOR].reduce<Buffer>(
    (previous, part) => hmac(previous, part),
    Buffer.from(`AWS4${secret}`, 'utf8'),
  );
  if (signingKeys.size >= MAX_SIGNING_KEYS) {
    const oldest = signingKeys.keys().next();
    if (!oldest.done) signingKeys.delete(oldest.value);
  }
  signingKeys.set(cacheKey, key);
  return key;
}
