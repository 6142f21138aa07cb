// A node's pod CIDR of either family as the IPAM sees it: a prefix (parsed by @gannet/core) and a window of offsets
// from its network address that pods may get. Addresses are handed out and stored as their canonical text (dotted
// quad; RFC 5952), so the store's file names are the same for a reader of any version.
//
// The window: all host addresses but the network address, the first one and the last (IPv4: network, the first
// address kept free as on every Gannet node since 0.1, broadcast; IPv6 the same three, for one rule). An IPv6 prefix
// shorter than /96 has more than 2^32 addresses: the IPAM uses the first 2^32 of it (a node never holds that many
// pods), so offsets stay plain numbers.
import {
  formatIp,
  type IpFamily,
  type IpPrefix,
  ipPrefixContains,
  ipSpecialUse,
  parseIp,
  parseIpPrefix,
} from '@gannet/core';

export interface PodCidr {
  readonly family: IpFamily;
  readonly prefix: IpPrefix;
  /** Canonical text, "10.244.1.0/24" or "fd00:10:244:1::/64". */
  readonly text: string;
  /** Offsets from the network address that pods may get: first..last, count of them. */
  readonly first: number;
  readonly last: number;
  readonly count: number;
}

/** Longest pod CIDR per family: IPv4 /30 holds one pod; IPv6 /120 holds 253, the IPAM's least (one IPv4 /24). */
export const MAX_POD_CIDR_LENGTH: Readonly<Record<IpFamily, number>> = { 4: 30, 6: 120 };
/** Shortest pod CIDR per family. */
export const MIN_POD_CIDR_LENGTH: Readonly<Record<IpFamily, number>> = { 4: 8, 6: 16 };
/** Host bits the IPAM numbers at most (the window). */
const WINDOW_BITS = 32;

/**
 * Checks a pod CIDR: an IPv4 or IPv6 prefix with host bits zero, between the family's shortest and longest length,
 * not special-use. Returns the prefix, or the reason it is refused ("must be between /16 and /120 …").
 */
export function checkPodCidr(value: unknown): PodCidr | string {
  const prefix = typeof value === 'string' ? parseIpPrefix(value) : undefined;
  if (!prefix) {
    return `must be an IPv4 or IPv6 prefix with host bits zero like 10.244.1.0/24 or fd00:10:244:1::/64, got ${JSON.stringify(value)}`;
  }
  const { family, length } = prefix;
  const min = MIN_POD_CIDR_LENGTH[family];
  const max = MAX_POD_CIDR_LENGTH[family];
  if (length < min || length > max) {
    const why = family === 6 ? ` (the IPAM needs at least ${128 - max} host bits)` : '';
    return `${value} must be between /${min} and /${max} to hold pods${why}`;
  }
  const special = ipSpecialUse(prefix);
  if (special) return `${value} overlaps the special-use range ${special}: pods cannot use it`;
  const hostBits = Math.min((family === 4 ? 32 : 128) - length, WINDOW_BITS);
  const size = 2 ** hostBits;
  return { family, prefix, text: prefix.text, first: 2, last: size - 2, count: size - 3 };
}

/** The canonical text of the address at `offset` from the network address (offset < 2^32, inside the window). */
export function addressAt(c: PodCidr, offset: number): string {
  const bytes = Uint8Array.from(c.prefix.bytes);
  const n = bytes.length;
  // host bits are zero and the offset fits the window: adding into the last four octets never carries out of them
  const low = (((bytes[n - 4]! << 24) | (bytes[n - 3]! << 16) | (bytes[n - 2]! << 8) | bytes[n - 1]!) >>> 0) + offset;
  bytes[n - 4] = low >>> 24;
  bytes[n - 3] = (low >>> 16) & 255;
  bytes[n - 2] = (low >>> 8) & 255;
  bytes[n - 1] = low & 255;
  return formatIp({ family: c.family, bytes });
}

/** The offset of an address (text) in the pod CIDR's window, or undefined when it is outside (or not an address). */
export function offsetOf(c: PodCidr, text: string): number | undefined {
  const a = parseIp(text);
  if (!a || !ipPrefixContains(c.prefix, a)) return undefined;
  const n = a.bytes.length;
  for (let i = 0; i < n - 4; i++) if (a.bytes[i] !== c.prefix.bytes[i]) return undefined; // beyond the window
  const word = (b: Uint8Array) => ((b[n - 4]! << 24) | (b[n - 3]! << 16) | (b[n - 2]! << 8) | b[n - 1]!) >>> 0;
  return (word(a.bytes) - word(c.prefix.bytes)) >>> 0;
}

/** The canonical text of a store file name that is an address, or undefined (temp files, locks, hints). */
export function storedAddress(name: string): string | undefined {
  const a = parseIp(name);
  if (!a) return undefined;
  const text = formatIp(a);
  return text === name ? text : undefined;
}
