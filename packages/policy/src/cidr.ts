// Address and prefix helpers on top of the ip-address library (the project's choice for parsing; see issue 17).
import { Address4, Address6 } from 'ip-address';

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
  if (s.includes('/') || s.includes(':') || !Address4.isValid(s)) return undefined;
  return new Address4(s).correctForm();
}

/** True when `s` is a bare IPv6 address. */
export function isIPv6(s: string): boolean {
  return !s.includes('/') && Address6.isValid(s);
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
  if (!addr.includes(':') && Address4.isValid(addr)) {
    if (length > 32) return `"${text}": an IPv4 prefix length must be 0..32`;
    const a = new Address4(`${addr}/${length}`);
    return { family: 4, text: `${a.startAddress().correctForm()}/${length}`, length, start: a._startAddress() };
  }
  if (addr.includes(':') && Address6.isValid(addr)) {
    if (length > 128) return `"${text}": an IPv6 prefix length must be 0..128`;
    const a = new Address6(`${addr}/${length}`);
    return { family: 6, text: `${a.startAddress().correctForm()}/${length}`, length, start: a._startAddress() };
  }
  return `"${text}": "${addr}" is not an IPv4 or IPv6 address`;
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
  return new Address4(ip).bigInt() >> shift === cidr.start >> shift;
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
