// NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5): <length octet><the significant octets>, both directions, for IPv4 and
// IPv6. Prefixes are CIDR strings. Hot path of the ingest benchmark: no regexes, no splits, one string per prefix.
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

/** Parses a dotted quad in s[start, end) to an unsigned 32-bit number; -1 when malformed. */
export function parseIpv4(s: string, start = 0, end = s.length): number {
  let v = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      v = v * 256 + octet;
      octet = 0;
      digits = 0;
    } else if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Parses an IPv6 address in s[start, end) (RFC 4291 §2.2, incl. `::` and a trailing dotted quad) into out[0..16). */
export function parseIpv6(s: string, start: number, end: number, out: Uint8Array): boolean {
  const words: number[] = [];
  let gap = -1;
  let i = start;
  if (end - start < 2 || end - start > 45) return false;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let j = i;
    let w = 0;
    while (j < end && j - i < 5) {
      const c = s.charCodeAt(j);
      const h = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (h < 0) break;
      w = w * 16 + h;
      j++;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      const v4 = parseIpv4(s, i, end);
      if (v4 < 0 || words.length > 6) return false;
      words.push(v4 >>> 16, v4 & 0xffff);
      i = end;
      break;
    }
    if (j === i || j - i > 4) return false;
    words.push(w);
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = words.length;
      i++;
    } else if (i === end) {
      return false;
    }
  }
  if (words.length > 8 || (gap < 0 && words.length !== 8) || (gap >= 0 && words.length > 7)) return false;
  out.fill(0);
  const tail = gap < 0 ? 0 : words.length - gap;
  for (let k = 0; k < words.length; k++) {
    const at = gap >= 0 && k >= gap ? 8 - tail + (k - gap) : k;
    out[at * 2] = words[k]! >>> 8;
    out[at * 2 + 1] = words[k]! & 0xff;
  }
  return true;
}

/** Formats 16 octets at buf[off] as RFC 5952 text (lower case, longest zero run as `::`). */
export function formatIpv6(buf: Uint8Array, off: number): string {
  let bestAt = -1;
  let bestLen = 1;
  let runAt = -1;
  for (let k = 0; k <= 8; k++) {
    const zero = k < 8 && buf[off + 2 * k] === 0 && buf[off + 2 * k + 1] === 0;
    if (zero) {
      if (runAt < 0) runAt = k;
    } else if (runAt >= 0) {
      if (k - runAt > bestLen) {
        bestAt = runAt;
        bestLen = k - runAt;
      }
      runAt = -1;
    }
  }
  let s = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      s += '::';
      k += bestLen - 1;
      continue;
    }
    if (s.length > 0 && !s.endsWith(':')) s += ':';
    s += ((buf[off + 2 * k]! << 8) | buf[off + 2 * k + 1]!).toString(16);
  }
  return s;
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
