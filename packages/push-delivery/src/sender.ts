/**
 * Sends one web push (RFC 8030/8291/8292) to one subscription and classifies the outcome.
 *
 * Crypto: `web-push`'s `generateRequestDetails` encrypts (a fresh ECDH key per message, as it must
 * be), but it would also re-sign the VAPID JWT for every message, which costs ~3.9× the rest
 * (research §A3). The sender signs once per (push-service origin, VAPID public key, subject) with
 * a 12 h `exp`, caches the `Authorization` header for less than that (10 h by default), and hands
 * it to `web-push` as a plain header with `vapidDetails: null` so it does not sign again.
 *
 * Transport: our own `http(s).request` (never `sendNotification`) so that the connection goes to
 * the address `resolve.ts` checked (pinned `lookup`), redirects are never followed (3xx is a
 * failure), and each push-service origin gets its own keep-alive agent, concurrency cap, bounded
 * wait queue and `Retry-After` window. A push service that stalls therefore fills only its own
 * slots and queue (each request has a deadline); sends to other origins are unaffected.
 *
 * Outcomes (the caller acts on them, the sender keeps no per-message state):
 *   delivered  2xx
 *   gone       404/410: the subscription is dead, delete the device
 *   throttled  429 (or the origin/endpoint is still inside a 429 window: `deferred`); retry at
 *              `retryAt`
 *   retry      5xx, 408, network error, timeout, origin queue full: retry after `retryAfterMs`
 *              (exponential backoff with jitter over the caller's `attempt`; a longer
 *              `Retry-After` wins)
 *   rejected   400/413/401/403/other 4xx/3xx: do not retry this message as is
 *   refused    the endpoint fails the SSRF rules at send time (policy changed, DNS now points at
 *              a private address, bad keys): do not send; the caller may delete the device
 *
 * Secrets: the VAPID private key, the JWT and the endpoint path never appear in an outcome or an
 * error thrown from here; push-service response bodies are drained and discarded, never read.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import webpush from 'web-push';
import type { RequestOptions as WebPushRequestOptions, Urgency } from 'web-push';
import {
  PushEndpointError,
  isValidAuthSecret,
  isValidP256dh,
  validatePushEndpoint,
  PushEndpointErrorReason,
} from './endpoint.js';
import type { PushEndpointPolicy } from './endpoint.js';
import { assertPushPayloadSize, isValidTopic } from './payload.js';
import { pinnedLookup, resolvePushTarget } from './resolve.js';
import type { PushHostResolver, ResolvedAddress } from './resolve.js';

export type { Urgency } from 'web-push';

/** A pool's VAPID key pair (base64url, as `web-push` generates them) and contact. */
export interface VapidCredentials {
  /** 65-byte uncompressed P-256 point, base64url. */
  readonly publicKey: string;
  /** 32-byte P-256 scalar, base64url. Never logged, never returned. */
  readonly privateKey: string;
  /** `mailto:` or `https:` contact for the push service operator. */
  readonly subject: string;
}

export interface PushTarget {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
}

export interface PushSendRequest {
  readonly subscription: PushTarget;
  readonly vapid: VapidCredentials;
  /** Plaintext (JSON bytes), at most 3,993 bytes; `null`/absent sends a payloadless tickle. */
  readonly payload?: Uint8Array | null | undefined;
  /** ≤ 32 base64url characters; a newer push with the same topic replaces a pending one. */
  readonly topic?: string | undefined;
  readonly urgency?: Urgency | undefined;
  readonly ttlSeconds?: number | undefined;
  /** How many times this message already failed with `retry` (drives the backoff). */
  readonly attempt?: number | undefined;
}

export type PushRejectReason =
  'redirect' | 'bad_request' | 'unauthorized' | 'payload_too_large' | 'client_error';
export type PushRetryReason = 'server_error' | 'network' | 'timeout' | 'origin_busy';

export type PushOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  | { readonly kind: 'gone'; readonly status: number }
  | {
      readonly kind: 'throttled';
      /** Epoch ms before which this origin (or endpoint) must not be sent to. */
      readonly retryAt: number;
      readonly retryAfterMs: number;
      /** True when no request was made because an earlier 429's window is still open. */
      readonly deferred: boolean;
    }
  | {
      readonly kind: 'retry';
      readonly reason: PushRetryReason;
      readonly retryAfterMs: number;
      readonly status?: number;
    }
  | { readonly kind: 'rejected'; readonly reason: PushRejectReason; readonly status: number }
  | { readonly kind: 'refused'; readonly reason: PushEndpointErrorReason };

export interface PushSenderOptions {
  readonly policy: PushEndpointPolicy;
  /** Host resolver for the send-time SSRF check; defaults to `dns.lookup` (all addresses). */
  readonly resolver?: PushHostResolver | undefined;
  /** Default `TTL` header, seconds. Default 60: a sync tickle is useless once stale. */
  readonly ttlSeconds?: number | undefined;
  /** Default `Urgency`. Default `normal`. */
  readonly urgency?: Urgency | undefined;
  /** Deadline for one request (connect → response end). Default 10 s. */
  readonly requestTimeoutMs?: number | undefined;
  /** Deadline for the DNS lookup. Default 5 s. */
  readonly resolveTimeoutMs?: number | undefined;
  /** Requests in flight per push-service origin. Default 16. */
  readonly maxConcurrentPerOrigin?: number | undefined;
  /** Sends waiting for a slot per origin before `retry`/`origin_busy`. Default 256. */
  readonly maxQueuedPerOrigin?: number | undefined;
  /** How long a signed VAPID header is reused; must be < 12 h (its JWT `exp`). Default 10 h. */
  readonly vapidCacheMs?: number | undefined;
  /** A send inside a 429 window waits up to this long instead of returning `deferred`. Default 0. */
  readonly maxThrottleWaitMs?: number | undefined;
  /**
   * What a 429 blocks: only that endpoint (default: research §B4 control 6; one throttled
   * device must not hold up a whole push service for everyone) or the whole origin.
   */
  readonly throttleScope?: 'origin' | 'endpoint' | undefined;
  /** Retry-After used for a 429 without one. Default 60 s. */
  readonly defaultThrottleMs?: number | undefined;
  /** Upper bound on any honoured Retry-After. Default 1 h. */
  readonly maxRetryAfterMs?: number | undefined;
  readonly backoff?: { readonly baseMs?: number | undefined; readonly maxMs?: number | undefined };
  /** Clock and randomness, injectable for tests. */
  readonly now?: (() => number) | undefined;
  readonly random?: (() => number) | undefined;
}

export interface PushSenderStats {
  /** VAPID JWTs signed since creation (one per origin × key per cache period when all is well). */
  readonly vapidSignatures: number;
  readonly vapidCacheSize: number;
  /** Per origin: requests in flight and sends waiting for a slot. */
  readonly origins: Readonly<Record<string, { active: number; queued: number }>>;
}

export interface PushSender {
  send(request: PushSendRequest): Promise<PushOutcome>;
  stats(): PushSenderStats;
  /** Destroys the keep-alive agents; later sends throw. */
  close(): void;
}

/** Misuse by the caller (bad VAPID credentials, topic, TTL, oversized payload, closed sender). */
export class PushSenderError extends Error {
  override readonly name = 'PushSenderError';
}

/** VAPID allows `exp` up to 24 h; `web-push` defaults to 12 h. */
const VAPID_JWT_LIFETIME_S = 12 * 60 * 60;
const MAX_VAPID_CACHE_ENTRIES = 10_000;
const MAX_THROTTLE_ENTRIES = 10_000;
const URGENCIES: readonly Urgency[] = ['very-low', 'low', 'normal', 'high'];

/**
 * `Retry-After` → milliseconds from `now`: delta-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * Returns `undefined` when absent or unparsable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^[0-9]+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

interface OriginState {
  readonly agent: http.Agent;
  active: number;
  readonly waiting: (() => void)[];
}

interface HttpResult {
  readonly status: number;
  readonly retryAfter: string | undefined;
}

class RequestTimeoutError extends Error {}

export function createPushSender(options: PushSenderOptions): PushSender {
  const policy = options.policy;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const defaultTtl = options.ttlSeconds ?? 60;
  const defaultUrgency = options.urgency ?? 'normal';
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const maxConcurrent = options.maxConcurrentPerOrigin ?? 16;
  const maxQueued = options.maxQueuedPerOrigin ?? 256;
  const vapidCacheMs = options.vapidCacheMs ?? 10 * 60 * 60 * 1000;
  const maxThrottleWaitMs = options.maxThrottleWaitMs ?? 0;
  const throttleScope = options.throttleScope ?? 'endpoint';
  const defaultThrottleMs = options.defaultThrottleMs ?? 60_000;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 60 * 60 * 1000;
  const backoffBaseMs = options.backoff?.baseMs ?? 1000;
  const backoffMaxMs = options.backoff?.maxMs ?? 5 * 60 * 1000;

  if (!(vapidCacheMs > 0 && vapidCacheMs < VAPID_JWT_LIFETIME_S * 1000 - 60_000)) {
    throw new PushSenderError('vapidCacheMs must be positive and below 12 hours');
  }
  checkTtl(defaultTtl);
  checkUrgency(defaultUrgency);
  if (!(maxConcurrent >= 1 && maxQueued >= 0 && requestTimeoutMs > 0)) {
    throw new PushSenderError('invalid concurrency or timeout settings');
  }

  const origins = new Map<string, OriginState>();
  const vapidCache = new Map<string, { authorization: string; expiresAt: number }>();
  /** Key (origin or endpoint, per throttleScope) → epoch ms until which sending is deferred. */
  const throttledUntil = new Map<string, number>();
  let vapidSignatures = 0;
  let closed = false;

  function backoffMs(attempt: number): number {
    const cap = Math.min(backoffMaxMs, backoffBaseMs * 2 ** Math.min(attempt, 30));
    // "Equal jitter": never less than half the step, so retries do spread out.
    return Math.round(cap / 2 + random() * (cap / 2));
  }

  function vapidAuthorization(origin: string, vapid: VapidCredentials): string {
    const key = `${origin}\n${vapid.publicKey}\n${vapid.subject}`;
    const at = now();
    const cached = vapidCache.get(key);
    if (cached && cached.expiresAt > at) return cached.authorization;
    let authorization: string;
    try {
      authorization = webpush.getVapidHeaders(
        origin,
        vapid.subject,
        vapid.publicKey,
        vapid.privateKey,
        'aes128gcm',
        Math.floor(at / 1000) + VAPID_JWT_LIFETIME_S,
      ).Authorization;
    } catch {
      // web-push's messages are safe today, but do not depend on that: nothing of the keys here.
      throw new PushSenderError('invalid VAPID credentials (subject, public or private key)');
    }
    vapidSignatures += 1;
    vapidCache.delete(key);
    if (vapidCache.size >= MAX_VAPID_CACHE_ENTRIES) {
      const oldest = vapidCache.keys().next();
      if (!oldest.done) vapidCache.delete(oldest.value);
    }
    vapidCache.set(key, { authorization, expiresAt: at + vapidCacheMs });
    return authorization;
  }

  function originState(url: URL): OriginState {
    let state = origins.get(url.origin);
    if (!state) {
      const agentOptions = { keepAlive: true, maxSockets: maxConcurrent, timeout: 30_000 };
      const agent =
        url.protocol === 'https:' ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
      state = { agent, active: 0, waiting: [] };
      origins.set(url.origin, state);
    }
    return state;
  }

  /** Takes a slot for the origin, waiting in its bounded queue; false when the queue is full. */
  async function acquire(state: OriginState): Promise<boolean> {
    if (state.active < maxConcurrent) {
      state.active += 1;
      return true;
    }
    if (state.waiting.length >= maxQueued) return false;
    // release() hands its slot over directly, so `active` is unchanged here.
    await new Promise<void>((resolve) => state.waiting.push(resolve));
    return true;
  }

  function release(state: OriginState): void {
    const next = state.waiting.shift();
    if (next) next();
    else state.active -= 1;
  }

  function post(
    url: URL,
    state: OriginState,
    target: ResolvedAddress,
    headers: OutgoingHttpHeaders,
    body: Buffer | null,
  ): Promise<HttpResult> {
    return new Promise<HttpResult>((resolve, reject) => {
      const isHttps = url.protocol === 'https:';
      const request = (isHttps ? https : http).request({
        method: 'POST',
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port === '' ? (isHttps ? 443 : 80) : Number(url.port),
        path: `${url.pathname}${url.search}`,
        headers,
        agent: state.agent,
        lookup: pinnedLookup(target),
        ...(isHttps ? { servername: url.hostname } : {}),
      });
      let response: IncomingMessage | undefined;
      const timer = setTimeout(() => request.destroy(new RequestTimeoutError()), requestTimeoutMs);
      const finish = (result: HttpResult) => {
        clearTimeout(timer);
        resolve(result);
      };
      request.on('response', (res) => {
        response = res;
        const retryAfter = res.headers['retry-after'];
        const result = { status: res.statusCode ?? 0, retryAfter };
        // Drain and discard: the body is never read, so it can never be echoed.
        res.on('end', () => finish(result));
        res.on('error', () => finish(result));
        res.on('aborted', () => finish(result));
        res.resume();
      });
      request.on('error', (error) => {
        clearTimeout(timer);
        if (response) {
          resolve({
            status: response.statusCode ?? 0,
            retryAfter: response.headers['retry-after'],
          });
        } else {
          reject(error);
        }
      });
      request.end(body ?? undefined);
    });
  }

  function throttleKey(url: URL): string {
    return throttleScope === 'origin' ? url.origin : url.href;
  }

  function classify(url: URL, result: HttpResult, attempt: number): PushOutcome {
    const { status } = result;
    const at = now();
    if (status >= 200 && status < 300) return { kind: 'delivered', status };
    if (status === 404 || status === 410) return { kind: 'gone', status };
    if (status === 429) {
      const retryAfterMs = Math.min(
        maxRetryAfterMs,
        parseRetryAfter(result.retryAfter, at) ?? defaultThrottleMs,
      );
      const key = throttleKey(url);
      const retryAt = Math.max(throttledUntil.get(key) ?? 0, at + retryAfterMs);
      if (throttledUntil.size >= MAX_THROTTLE_ENTRIES) {
        for (const [k, until] of throttledUntil) if (until <= at) throttledUntil.delete(k);
      }
      throttledUntil.set(key, retryAt);
      return { kind: 'throttled', retryAt, retryAfterMs: retryAt - at, deferred: false };
    }
    if (status >= 500 || status === 408) {
      const hinted = parseRetryAfter(result.retryAfter, at);
      const retryAfterMs = Math.max(backoffMs(attempt), Math.min(hinted ?? 0, maxRetryAfterMs));
      return { kind: 'retry', reason: 'server_error', retryAfterMs, status };
    }
    if (status >= 300 && status < 400) return { kind: 'rejected', reason: 'redirect', status };
    if (status === 413) return { kind: 'rejected', reason: 'payload_too_large', status };
    if (status === 400) return { kind: 'rejected', reason: 'bad_request', status };
    if (status === 401 || status === 403)
      return { kind: 'rejected', reason: 'unauthorized', status };
    return { kind: 'rejected', reason: 'client_error', status };
  }

  async function sendInSlot(
    url: URL,
    state: OriginState,
    request: PushSendRequest,
    ttl: number,
    urgency: Urgency,
    attempt: number,
  ): Promise<PushOutcome> {
    let target: ResolvedAddress;
    try {
      target = await resolvePushTarget(policy, url, {
        resolver: options.resolver,
        timeoutMs: options.resolveTimeoutMs,
      });
    } catch (error) {
      if (error instanceof PushEndpointError) return { kind: 'refused', reason: error.reason };
      throw error;
    }
    const authorization = vapidAuthorization(url.origin, request.vapid);
    const webPushOptions: WebPushRequestOptions = {
      TTL: ttl,
      urgency,
      contentEncoding: 'aes128gcm',
      headers: { Authorization: authorization },
      // null (not undefined): web-push then skips signing and keeps our cached header.
      vapidDetails: null as unknown as undefined,
      ...(request.topic === undefined ? {} : { topic: request.topic }),
    };
    let details: ReturnType<typeof webpush.generateRequestDetails>;
    try {
      const payload = request.payload ? Buffer.from(request.payload) : null;
      details = webpush.generateRequestDetails(
        { endpoint: url.href, keys: request.subscription.keys },
        payload ?? undefined,
        webPushOptions,
      );
    } catch {
      throw new PushSenderError('could not build the push request');
    }
    let result: HttpResult;
    try {
      result = await post(
        url,
        state,
        target,
        details.headers as OutgoingHttpHeaders,
        details.body ?? null,
      );
    } catch (error) {
      const reason: PushRetryReason = error instanceof RequestTimeoutError ? 'timeout' : 'network';
      return { kind: 'retry', reason, retryAfterMs: backoffMs(attempt) };
    }
    return classify(url, result, attempt);
  }

  async function send(request: PushSendRequest): Promise<PushOutcome> {
    if (closed) throw new PushSenderError('push sender is closed');
    const ttl = request.ttlSeconds ?? defaultTtl;
    const urgency = request.urgency ?? defaultUrgency;
    const attempt = request.attempt ?? 0;
    checkTtl(ttl);
    checkUrgency(urgency);
    if (request.topic !== undefined && !isValidTopic(request.topic)) {
      throw new PushSenderError('topic must be 1–32 base64url characters');
    }
    if (request.payload) assertPushPayloadSize(request.payload);

    let url: URL;
    try {
      url = validatePushEndpoint(policy, request.subscription.endpoint);
    } catch (error) {
      if (error instanceof PushEndpointError) return { kind: 'refused', reason: error.reason };
      throw error;
    }
    if (!isValidP256dh(request.subscription.keys.p256dh)) {
      return { kind: 'refused', reason: PushEndpointErrorReason.invalidP256dh };
    }
    if (!isValidAuthSecret(request.subscription.keys.auth)) {
      return { kind: 'refused', reason: PushEndpointErrorReason.invalidAuth };
    }

    const key = throttleKey(url);
    const until = throttledUntil.get(key);
    if (until !== undefined) {
      const wait = until - now();
      if (wait <= 0) {
        throttledUntil.delete(key);
      } else if (wait <= maxThrottleWaitMs) {
        await new Promise((resolve) => setTimeout(resolve, wait));
      } else {
        return { kind: 'throttled', retryAt: until, retryAfterMs: wait, deferred: true };
      }
    }

    const state = originState(url);
    if (!(await acquire(state))) {
      return { kind: 'retry', reason: 'origin_busy', retryAfterMs: backoffMs(attempt) };
    }
    try {
      if (closed) throw new PushSenderError('push sender is closed');
      return await sendInSlot(url, state, request, ttl, urgency, attempt);
    } finally {
      release(state);
    }
  }

  return {
    send,
    stats: () => ({
      vapidSignatures,
      vapidCacheSize: vapidCache.size,
      origins: Object.fromEntries(
        [...origins].map(([origin, s]) => [origin, { active: s.active, queued: s.waiting.length }]),
      ),
    }),
    close: () => {
      closed = true;
      for (const state of origins.values()) state.agent.destroy();
      origins.clear();
      vapidCache.clear();
    },
  };
}

function checkTtl(ttl: number): void {
  if (!Number.isInteger(ttl) || ttl < 0 || ttl > 28 * 24 * 60 * 60) {
    throw new PushSenderError('ttlSeconds must be an integer between 0 and 28 days');
  }
}

function checkUrgency(urgency: Urgency): void {
  if (!URGENCIES.includes(urgency)) throw new PushSenderError('unsupported urgency');
}
