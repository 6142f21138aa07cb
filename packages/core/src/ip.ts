// Both families behind one shape: an address is 4 or 16 octets, a prefix adds a length, and each has exactly one
// canonical text (dotted quad; RFC 5952). Parsers return undefined or a reason instead of throwing, so each package
// wraps them in its own typed error.
import { formatIpv4, parseIpv4, parsePrefixLength } from './ipv4.js';
import { formatIpv6, parseIpv6 } from './ipv6.js';

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** 4 or 16 octets, network order. */
  readonly bytes: Uint8Array;
}

export interface IpPrefix extends IpAddress {
  /** 0..32 or 0..128; the bits of `bytes` past it are zero. */
  readonly length: number;
  /** Canonical text: "10.0.0.0/8", "2001:db8::/32". */
  readonly text: string;
}

/** Parses an IPv4 or IPv6 address (no zone, no prefix length); undefined when it is neither. */
export function parseIp(s: string): IpAddress | undefined {
  if (typeof s !== 'string') return undefined;
  const v4 = parseIpv4(s);
  if (v4 >= 0) return { family: 4, bytes: new Uint8Array([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255]) };
  const bytes = new Uint8Array(16);
  return parseIpv6(s, 0, s.length, bytes) ? { family: 6, bytes } : undefined;
}

/** Canonical text of an address. */
export function formatIp(a: IpAddress): string {
  const b = a.bytes;
  return a.family === 4 ? formatIpv4(((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0) : formatIpv6(b);
}

/** Canonical text of an address string, or undefined when it is not an address. A dotted quad is returned as is. */
export function canonicalIp(s: string): string | undefined {
  if (typeof s !== 'string') return undefined;
  if (parseIpv4(s) >= 0) return s;
  const a = parseIp(s);
  return a ? formatIp(a) : undefined;
}

/** The family of a valid address or prefix text (IPv6 when it has a colon); does not validate. */
export function ipFamilyOf(s: string): IpFamily {
  return s.indexOf(':') >= 0 ? 6 : 4;
}

/**
 * Parses "addr/len" (or, with `bareIsHost`, a bare address as /32 or /128). Returns the prefix, or a reason phrase
 * ("is not an IP prefix", "has a bad prefix length (0..32)", "has host bits set beyond /24") for the caller's error.
 */
export function checkIpPrefix(s: string, opts: { bareIsHost?: boolean; family?: IpFamily } = {}): IpPrefix | string {
  if (typeof s !== 'string') return 'is not a string';
  const slash = s.indexOf('/');
  if (slash < 0 && !opts.bareIsHost) return 'has no prefix length';
  const a = parseIp(slash < 0 ? s : s.slice(0, slash));
  if (!a) return `is not an IP${opts.family ? `v${opts.family}` : ''} prefix`;
  if (opts.family && a.family !== opts.family) return `is not an IPv${opts.family} prefix`;
  const max = a.family === 4 ? 32 : 128;
  const length = slash < 0 ? max : parsePrefixLength(s, slash + 1, s.length, max);
  if (length < 0) return `has a bad prefix length (0..${max})`;
  for (let bit = length; bit < max; bit++) {
    if ((a.bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return `has host bits set beyond /${length}`;
  }
  return { family: a.family, bytes: a.bytes, length, text: `${formatIp(a)}/${length}` };
}

/** Like checkIpPrefix, undefined instead of a reason. */
export function parseIpPrefix(s: string, opts?: { bareIsHost?: boolean; family?: IpFamily }): IpPrefix | undefined {
  const p = checkIpPrefix(s, opts);
  return typeof p === 'string' ? undefined : p;
}

/** True when `inner` lies inside `outer` (same family, at least as long, same leading outer.length bits). */
export function ipPrefixContains(outer: IpPrefix, inner: IpAddress & { length?: number }): boolean {
  const innerLength = inner.length ?? inner.bytes.length * 8;
  if (outer.family !== inner.family || innerLength < outer.length) return false;
  const full = outer.length >> 3;
  for (let i = 0; i < full; i++) if (outer.bytes[i] !== inner.bytes[i]) return false;
  const rest = outer.length & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (outer.bytes[full]! & mask) === (inner.bytes[full]! & mask);
}
