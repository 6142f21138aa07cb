// CIDR helpers for policy documents (host bits cleared, as the API server accepts them); the address parsing and
// canonical text are @gannet/core's.
import { formatIp, parseIp, parseIpv4 } from '@gannet/core';

export interface Cidr {
  family: 4 | 6;
  /** Canonical text with host bits cleared, e.g. `10.0.0.0/8`. */
  text: string;
  length: number;
  /** First address as an integer, for containment tests. */
  start: bigint;
}

/** A bare IPv4 address in canonical form, or undefined when `s` is not one (no prefix length allowed). */
export function ipv4(s: string): string | undefined {
  return typeof s === 'string' && parseIpv4(s) >= 0 ? s : undefined;
}

/** True when `s` is a bare IPv6 address. */
export function isIPv6(s: string): boolean {
  return typeof s === 'string' && s.includes(':') && parseIp(s) !== undefined;
}

function toBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/**
 * Parses `address/length` (IPv4 or IPv6). Host bits are cleared, as the API server accepts them; returns a message
 * string instead of throwing so callers can name the field.
 */
export function parseCidr(text: string): Cidr | string {
  if (typeof text !== 'string') return 'must be a string';
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not a CIDR (expected address/length)`;
  if (!/^\d{1,3}$/.test(text.slice(slash + 1))) return `"${text}": the prefix length must be a number`;
  const length = Number(text.slice(slash + 1));
  const addr = text.slice(0, slash);
  const a = parseIp(addr);
  if (!a) return `"${text}": "${addr}" is not an IPv4 or IPv6 address`;
  const max = a.family === 4 ? 32 : 128;
  if (length > max) return `"${text}": an IPv${a.family} prefix length must be 0..${max}`;
  const bytes = a.bytes;
  for (let bit = length; bit < max; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { family: a.family, text: `${formatIp(a)}/${length}`, length, start: toBigint(bytes) };
}

/** True when `inner` lies inside `outer` (same family, at least as long, same leading bits). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.length < outer.length) return false;
  const shift = BigInt((outer.family === 4 ? 32 : 128) - outer.length);
  return outer.start >> shift === inner.start >> shift;
}

/** True when the IPv4 address (canonical text) lies inside the IPv4 prefix. */
export function ipv4InCidr(ip: string, cidr: Cidr): boolean {
  if (cidr.family !== 4) return false;
  const shift = BigInt(32 - cidr.length);
  return BigInt(parseIpv4(ip)) >> shift === cidr.start >> shift;
}

/**
 * The IPv4 prefixes of `cidrs` without those contained in another (two prefixes either nest or are disjoint), sorted:
 * an nftables interval set refuses overlapping elements.
 */
export function minimalIPv4(cidrs: readonly Cidr[]): string[] {
  const v4 = cidrs.filter((c) => c.family === 4).sort((a, b) => a.length - b.length);
  const kept: Cidr[] = [];
  for (const c of v4) if (!kept.some((k) => cidrContains(k, c))) kept.push(c);
  return kept.map((c) => c.text).sort();
}
