// Small IPv4 helpers: addresses as unsigned 32-bit numbers, prefixes as { network, length }. Kept local (no library)
// so that the single executable stays small and starts fast.

export interface Ipv4Prefix {
  /** The network address as an unsigned 32-bit number. */
  readonly network: number;
  readonly length: number;
}

const QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** Parses a dotted quad; undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const m = QUAD.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] ?? '';
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const b = Number(part);
    if (b > 255) return undefined;
    n = n * 256 + b;
  }
  return n;
}

export function formatIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** Parses `a.b.c.d/len` with host bits zero; undefined when malformed. */
export function parseIpv4Prefix(text: string): Ipv4Prefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addr = parseIpv4(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (addr === undefined || !/^\d{1,2}$/.test(lenText)) return undefined;
  const length = Number(lenText);
  if (length > 32) return undefined;
  if ((addr & ~prefixMask(length)) >>> 0 !== 0) return undefined;
  return { network: addr, length };
}

export function formatPrefix(p: Ipv4Prefix): string {
  return `${formatIpv4(p.network)}/${p.length}`;
}

export function prefixMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
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
