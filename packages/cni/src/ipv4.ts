// IPv4 prefixes as { network, length } for IPAM and the special-use check; the parsing is @gannet/core's (small and
// side-effect free, so the single executable still starts fast).
import { parseIpv4 as coreParseIpv4, parseIpv4Prefix as coreParseIpv4Prefix, formatIpv4, maskIpv4 } from '@gannet/core';

export { formatIpv4 };

export interface Ipv4Prefix {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly length: number;
}

/** Parses a strict dotted quad (@gannet/core's rules); undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const v = typeof text === 'string' ? coreParseIpv4(text) : -1;
  return v < 0 ? undefined : v;
}

/** Parses `a.b.c.d/len` (length without a leading zero) with host bits zero; undefined when malformed. */
export function parseIpv4Prefix(text: string): Ipv4Prefix | undefined {
  const key = typeof text === 'string' ? coreParseIpv4Prefix(text) : -1;
  return key < 0 ? undefined : { network: Math.floor(key / 64), length: key % 64 };
}

export function formatPrefix(p: Ipv4Prefix): string {
  return `${formatIpv4(p.network)}/${p.length}`;
}

export function prefixMask(length: number): number {
  return maskIpv4(0xffffffff, length);
}

export function prefixSize(p: Ipv4Prefix): number {
  return 2 ** (32 - p.length);
}

export function prefixContains(p: Ipv4Prefix, addr: number): boolean {
  return (addr & prefixMask(p.length)) >>> 0 === p.network;
}

/**
 * IPv4 ranges no pod may be numbered from (IANA special-purpose registry, RFC 6890): their packets are dropped,
 * looped back or flooded by the kernel before any route of ours is read. Shared with the agent's config checks.
 */
const SPECIAL_USE: readonly (Ipv4Prefix & { readonly what: string })[] = [
  { network: 0x00000000, length: 8, what: '"this network" (0.0.0.0/8)' },
  { network: 0x7f000000, length: 8, what: 'loopback (127.0.0.0/8)' },
  { network: 0xa9fe0000, length: 16, what: 'link-local (169.254.0.0/16)' },
  { network: 0xe0000000, length: 4, what: 'multicast (224.0.0.0/4)' },
  { network: 0xf0000000, length: 4, what: 'reserved and broadcast (240.0.0.0/4)' },
];

/** The special-use range a prefix overlaps (as "loopback (127.0.0.0/8)"), or undefined when it overlaps none. */
export function ipv4SpecialUse(p: Ipv4Prefix): string | undefined {
  for (const s of SPECIAL_USE) {
    const shorter = Math.min(s.length, p.length);
    if ((p.network & prefixMask(shorter)) >>> 0 === (s.network & prefixMask(shorter)) >>> 0) return s.what;
  }
  return undefined;
}
