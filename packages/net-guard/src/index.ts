/**
 * Where the server may connect when a URL comes from outside (push endpoints, sync trigger
 * webhooks: research B4): public unicast addresses only, and a connection pinned to the address
 * that was checked.
 *
 * Address rules. IPv4: everything is allowed except the special-purpose blocks below (RFC 6890
 * and successors). IPv6: only global unicast `2000::/3` minus its special blocks; IPv4-mapped
 * (`::ffff:a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002::/16`) addresses are judged by the
 * IPv4 address they embed, so `::ffff:10.0.0.1` is as private as `10.0.0.1`.
 *
 * Why pin: between a check and the socket's own lookup, a hostile DNS server can answer with a
 * different (private) address (DNS rebinding). A request given `pinnedLookup` connects only to
 * the checked address, while TLS still verifies the certificate against the host name.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { LookupFunction } from 'node:net';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** Resolves a host name to all of its addresses (injectable so tests can simulate rebinding). */
export type HostResolver = (hostname: string) => Promise<readonly LookupAddress[]>;

/** The real resolver: `dns.lookup` with `all`, in the order the system returns. */
export const systemResolver: HostResolver = (hostname) =>
  dnsLookup(hostname, { all: true, verbatim: true });

const IPV4_BLOCKED: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // CGNAT shared address space
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // TEST-NET-1
  ['192.88.99.0', 24], // 6to4 relay anycast (deprecated)
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // TEST-NET-2
  ['203.0.113.0', 24], // TEST-NET-3
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, including 255.255.255.255 broadcast
];

/** Blocks inside global unicast 2000::/3 that are not public. */
const IPV6_BLOCKED: readonly (readonly [string, number])[] = [
  ['2001::', 23], // IETF protocol assignments (Teredo, ORCHID, benchmarking, …)
  ['2001:db8::', 32], // documentation
  ['3fff::', 20], // documentation (RFC 9637)
];

const ipv4Blocked = new BlockList();
for (const [net, prefix] of IPV4_BLOCKED) ipv4Blocked.addSubnet(net, prefix, 'ipv4');
const ipv6Blocked = new BlockList();
for (const [net, prefix] of IPV6_BLOCKED) ipv6Blocked.addSubnet(net, prefix, 'ipv6');

/** Parses a textual IPv6 address (optionally with a dotted-quad tail) into 16 bytes. */
function ipv6Bytes(address: string): Uint8Array | undefined {
  const text = address.split('%')[0] ?? '';
  let head = text;
  const tailWords: number[] = [];
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    if (isIP(tail) !== 4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    tailWords.push((a << 8) | b, (c << 8) | d);
    head = text.slice(0, lastColon + 1);
    if (head.endsWith(':') && !head.endsWith('::')) head = head.slice(0, -1);
  }
  const parseWords = (part: string) =>
    part === '' ? [] : part.split(':').map((word) => Number.parseInt(word, 16));
  const gap = head.indexOf('::');
  let words: number[];
  if (gap === -1) {
    words = [...parseWords(head), ...tailWords];
  } else {
    const left = parseWords(head.slice(0, gap));
    const right = [...parseWords(head.slice(gap + 2)), ...tailWords];
    const fill = 8 - left.length - right.length;
    if (fill < 1) return undefined;
    words = [...left, ...Array<number>(fill).fill(0), ...right];
  }
  if (words.length !== 8 || words.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffff)) {
    return undefined;
  }
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    bytes[i * 2] = word >> 8;
    bytes[i * 2 + 1] = word & 0xff;
  });
  return bytes;
}

const isZero = (bytes: Uint8Array, from: number, to: number) =>
  bytes.subarray(from, to).every((b) => b === 0);
const ipv4At = (bytes: Uint8Array, offset: number) =>
  Array.from(bytes.subarray(offset, offset + 4)).join('.');

function isPublicIpv4(address: string): boolean {
  return isIP(address) === 4 && !ipv4Blocked.check(address, 'ipv4');
}

function isPublicIpv6(address: string): boolean {
  const bytes = ipv6Bytes(address);
  if (!bytes) return false;
  // ::ffff:a.b.c.d — IPv4-mapped.
  if (isZero(bytes, 0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return isPublicIpv4(ipv4At(bytes, 12));
  }
  // 64:ff9b::a.b.c.d — well-known NAT64 prefix (DNS64 networks).
  if (bytes[0] === 0x00 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b) {
    return isZero(bytes, 4, 12) && isPublicIpv4(ipv4At(bytes, 12));
  }
  // 2002:a.b.c.d::/48 — 6to4.
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return isPublicIpv4(ipv4At(bytes, 2));
  // Outside 2000::/3 is unspecified, loopback, IPv4-compatible, ULA, link-local, multicast, …
  if (((bytes[0] ?? 0) & 0xe0) !== 0x20) return false;
  const canonical = Array.from({ length: 8 }, (_, i) =>
    (((bytes[i * 2] ?? 0) << 8) | (bytes[i * 2 + 1] ?? 0)).toString(16),
  ).join(':');
  return !ipv6Blocked.check(canonical, 'ipv6');
}

/** Whether the server may connect to `address` for an outside URL (public unicast only). */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return isPublicIpv4(address);
  if (family === 6) return isPublicIpv6(address);
  return false;
}

/**
 * A `lookup` for `http(s).request` that always answers with the pinned address, for both the
 * single-address and the `all: true` (autoSelectFamily) call shapes.
 */
export function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all) {
      (callback as unknown as (err: null, addresses: LookupAddress[]) => void)(null, [
        { address: target.address, family: target.family },
      ]);
    } else {
      callback(null, target.address, target.family);
    }
  };
}

const LOOPBACK = new Set(['127.0.0.1', '::1']);
/** Loopback addresses (a development URL the admin set explicitly may use them). */
export const isLoopbackAddress = (address: string) =>
  LOOPBACK.has(address) || (isIP(address) === 4 && address.startsWith('127.'));
