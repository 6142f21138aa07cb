// NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5): <length octet><the significant octets>, both directions, for IPv4 and
// IPv6. Prefixes are CIDR strings. Hot path of the ingest benchmark: no regexes, no splits, one string per prefix.
// Address text is @gannet/core's (strict dotted quads, RFC 5952).
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from '@gannet/core';
import { invalidArgument } from './bgp-wire-error.js';
import { Afi } from './types.js';

const scratch6 = new Uint8Array(16);

/**
 * Decodes the IPv4 prefixes in buf[start, end) onto `out`. Host bits beyond the prefix length are cleared.
 * Returns undefined when the field is well formed, else the RFC 7606 §5.3 reason (the caller picks the NOTIFICATION).
 */
export function decodeIpv4Prefixes(buf: Buffer, start: number, end: number, out: string[]): string | undefined {
  let p = start;
  while (p < end) {
    const len = buf[p]!;
    if (len > 32) return 'prefix-length-invalid';
    const n = (len + 7) >> 3;
    if (p + 1 + n > end) return 'prefix-overrun';
    let v = 0;
    if (n > 0) v = buf[p + 1]! << 24;
    if (n > 1) v |= buf[p + 2]! << 16;
    if (n > 2) v |= buf[p + 3]! << 8;
    if (n > 3) v |= buf[p + 4]!;
    if (len < 32) v &= ~(0xffffffff >>> len);
    out.push(`${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${len}`);
    p += 1 + n;
  }
  return undefined;
}

/** Same as decodeIpv4Prefixes for IPv6 (length at most 128). */
export function decodeIpv6Prefixes(buf: Buffer, start: number, end: number, out: string[]): string | undefined {
  let p = start;
  while (p < end) {
    const len = buf[p]!;
    if (len > 128) return 'prefix-length-invalid';
    const n = (len + 7) >> 3;
    if (p + 1 + n > end) return 'prefix-overrun';
    scratch6.fill(0);
    for (let i = 0; i < n; i++) scratch6[i] = buf[p + 1 + i]!;
    if (len & 7) scratch6[n - 1]! &= 0xff << (8 - (len & 7));
    out.push(`${formatIpv6(scratch6, 0)}/${len}`);
    p += 1 + n;
  }
  return undefined;
}

/** Decodes prefixes of the given AFI (1 or 2). */
export function decodePrefixes(
  afi: number,
  buf: Buffer,
  start: number,
  end: number,
  out: string[],
): string | undefined {
  return afi === Afi.IPV4 ? decodeIpv4Prefixes(buf, start, end, out) : decodeIpv6Prefixes(buf, start, end, out);
}

/** Address family of a prefix or address string: IPv6 when it contains a colon. */
export function familyOf(s: string): Afi {
  return s.includes(':') ? Afi.IPV6 : Afi.IPV4;
}

/**
 * Writes `prefix` in NLRI form at buf[off]; returns the offset after it, or -1 when it would pass `limit` (nothing
 * written then). Host bits are cleared. Throws on a malformed prefix string, or one not of `afi` when given.
 */
export function writePrefix(buf: Buffer, off: number, limit: number, prefix: string, afi?: number): number {
  const slash = prefix.indexOf('/');
  const len = slash > 0 ? parseDecimal(prefix, slash + 1, prefix.length) : -1;
  const v4 = prefix.indexOf(':') < 0;
  if (afi !== undefined && afi !== (v4 ? Afi.IPV4 : Afi.IPV6)) {
    throw invalidArgument(`prefix ${JSON.stringify(prefix)} is not of AFI ${afi}`);
  }
  if (v4) {
    const v = parseIpv4(prefix, 0, slash);
    if (v < 0 || len < 0 || len > 32) throw invalidArgument(`invalid IPv4 prefix ${JSON.stringify(prefix)}`);
    const n = (len + 7) >> 3;
    if (off + 1 + n > limit) return -1;
    const m = len === 32 ? v : (v & ~(0xffffffff >>> len)) >>> 0;
    buf[off] = len;
    if (n > 0) buf[off + 1] = m >>> 24;
    if (n > 1) buf[off + 2] = (m >>> 16) & 255;
    if (n > 2) buf[off + 3] = (m >>> 8) & 255;
    if (n > 3) buf[off + 4] = m & 255;
    return off + 1 + n;
  }
  if (slash < 0 || len < 0 || len > 128 || !parseIpv6(prefix, 0, slash, scratch6)) {
    throw invalidArgument(`invalid prefix ${JSON.stringify(prefix)}`);
  }
  const n = (len + 7) >> 3;
  if (off + 1 + n > limit) return -1;
  buf[off] = len;
  for (let i = 0; i < n; i++) buf[off + 1 + i] = scratch6[i]!;
  if (len & 7) buf[off + n] = buf[off + n]! & (0xff << (8 - (len & 7)));
  return off + 1 + n;
}

/** Octets `prefix` takes in NLRI form (1 + significant octets). */
export function prefixSize(prefix: string): number {
  const slash = prefix.indexOf('/');
  const len = slash > 0 ? parseDecimal(prefix, slash + 1, prefix.length) : -1;
  if (len < 0 || len > 128) throw invalidArgument(`invalid prefix ${JSON.stringify(prefix)}`);
  return 1 + ((len + 7) >> 3);
}

function parseDecimal(s: string, start: number, end: number): number {
  if (start >= end || end - start > 3) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return -1;
    v = v * 10 + c;
  }
  return v;
}

/** Parses an IPv6 address string; throws on a malformed one (encoders only). */
export function ipv6Bytes(s: string): Uint8Array {
  const out = new Uint8Array(16);
  if (!parseIpv6(s, 0, s.length, out)) throw invalidArgument(`invalid IPv6 address ${JSON.stringify(s)}`);
  return out;
}

/** Parses a dotted quad; throws on a malformed one (encoders only). */
export function ipv4Number(s: string): number {
  const v = parseIpv4(s);
  if (v < 0) throw invalidArgument(`invalid IPv4 address ${JSON.stringify(s)}`);
  return v;
}

export { formatIpv4, formatIpv6 };
