/**
 * Send-time SSRF re-check (research §B4 control 2): resolve the push service's host, refuse it if
 * ANY address is not public unicast, and pin the connection to an address that was checked.
 * Which addresses are public, and why and how connections are pinned: @tandem/net-guard.
 *
 * The explicit development origins of the policy (`http://127.0.0.1:<port>`) are exempt: they are
 * IP literals on loopback by construction and are never resolved.
 */
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import {
  isPublicAddress,
  pinnedLookup,
  systemResolver,
  type HostResolver,
  type ResolvedAddress,
} from '@tandem/net-guard';
import { PushEndpointError, PushEndpointErrorReason, isDevOrigin } from './endpoint.js';
import type { PushEndpointPolicy } from './endpoint.js';

/** The address rules and pinning live in @tandem/net-guard (shared with sync trigger webhooks). */
export { isPublicAddress, pinnedLookup, systemResolver, type ResolvedAddress };
export type PushHostResolver = HostResolver;

export interface ResolvePushTargetOptions {
  resolver?: PushHostResolver | undefined;
  /** Bound on the lookup; `dns.lookup` itself has no timeout. Default 5 s. */
  timeoutMs?: number | undefined;
}

/**
 * Resolves the host of an already validated endpoint URL and returns the address to pin.
 * Throws {@link PushEndpointError} (`private_address`, `unresolvable`, `ip_literal`).
 */
export async function resolvePushTarget(
  policy: PushEndpointPolicy,
  url: URL,
  options: ResolvePushTargetOptions = {},
): Promise<ResolvedAddress> {
  if (isDevOrigin(policy, url)) return { address: '127.0.0.1', family: 4 };
  if (url.hostname.startsWith('[') || isIP(url.hostname) !== 0) {
    throw new PushEndpointError(PushEndpointErrorReason.ipLiteral, url.origin);
  }
  const resolver = options.resolver ?? systemResolver;
  const timeoutMs = options.timeoutMs ?? 5000;
  let timer: NodeJS.Timeout | undefined;
  let addresses: readonly LookupAddress[];
  try {
    addresses = await Promise.race([
      resolver(url.hostname),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('lookup timed out')), timeoutMs);
      }),
    ]);
  } catch {
    throw new PushEndpointError(PushEndpointErrorReason.unresolvable, url.origin);
  } finally {
    clearTimeout(timer);
  }
  const first = addresses[0];
  if (first === undefined) {
    throw new PushEndpointError(PushEndpointErrorReason.unresolvable, url.origin);
  }
  // Refuse when ANY address is private: otherwise a mixed answer could still be used for a
  // connection by some later code path (happy eyeballs, retries on another address).
  if (!addresses.every((entry) => isPublicAddress(entry.address))) {
    throw new PushEndpointError(PushEndpointErrorReason.privateAddress, url.origin);
  }
  return { address: first.address, family: isIP(first.address) === 6 ? 6 : 4 };
}
