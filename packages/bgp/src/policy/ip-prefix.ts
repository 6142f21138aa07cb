// Bit-level IPv4/IPv6 prefixes for policy matching and next-hop ordering. Hand-written and allocation-light:
// policy runs once per NLRI, so a prefix is parsed into at most four 32-bit words without regexes or BigInt.
import { BgpError } from '../errors.js';

/** A parsed prefix: `words` holds the address as 32-bit unsigned words (1 for IPv4, 4 for IPv6), host bits zero. */
export interface IpPrefix {
  afi: 1 | 2;
  words: number[];
  length: number;
  /** Canonical text (RFC 5952 for IPv6). */
  text: string;
}

/** Parses a dotted quad into an unsigned 32-bit number, or -1 if it is not one. */
export function parseIPv4(text: string): number {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // leading zero: ambiguous (octal in some parsers)
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + octet;
}

/** Parses IPv6 text (with `::` and an optional embedded dotted quad) into 4 words, or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
  }
  while (i < text.length) {
    let j = i;
    let v = 0;
    while (j < text.length && j - i < 5) {
      const c = text.charCodeAt(j);
      const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
      if (d < 0) break;
      v = v * 16 + d;
      j++;
    }
    if (j < text.length && text.charCodeAt(j) === 46) {
      const v4 = parseIPv4(text.slice(i));
      if (v4 < 0 || groups.length > 6) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
      i = text.length;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    groups.push(v);
    if (j === text.length) {
      i = j;
      break;
    }
    if (text.charCodeAt(j) !== 58) return undefined;
    if (text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return undefined;
      gap = groups.length;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === text.length) return undefined; // trailing single colon
    }
  }
  if (gap >= 0) {
    if (groups.length > 7) return undefined;
    groups.splice(gap, 0, ...new Array<number>(8 - groups.length).fill(0));
  } else if (groups.length !== 8) {
    return undefined;
  }
  const words: number[] = [];
  for (let w = 0; w < 4; w++) words.push(((groups[2 * w] ?? 0) * 0x10000 + (groups[2 * w + 1] ?? 0)) >>> 0);
  return words;
}

/** RFC 5952 text for 4 words: lower case, no leading zeros, the longest run (≥ 2) of zero groups as `::`. */
export function formatIPv6(words: readonly number[]): string {
  const g: number[] = [];
  for (const w of words) g.push(w >>> 16, w & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  for (let s = 0; s < 8; ) {
    if (g[s] !== 0) {
      s++;
      continue;
    }
    let e = s;
    while (e < 8 && g[e] === 0) e++;
    if (e - s > bestLen) {
      bestStart = s;
      bestLen = e - s;
    }
    s = e;
  }
  const hex = (a: number, b: number) => g.slice(a, b).map((x) => x.toString(16));
  if (bestStart < 0) return hex(0, 8).join(':');
  return `${hex(0, bestStart).join(':')}::${hex(bestStart + bestLen, 8).join(':')}`;
}

/** Parses "a.b.c.d/len" or "x::/len"; undefined when malformed or when host bits are set. */
export function tryParsePrefix(text: string): IpPrefix | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash === text.length - 1 || text.length - slash > 4) return undefined;
  const lenText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(lenText)) return undefined;
  const length = Number(lenText);
  const addr = text.slice(0, slash);
  if (addr.includes(':')) {
    const words = parseIPv6(addr);
    if (!words || length > 128) return undefined;
    const masked = words.map((w, i) => maskWord(w, length - 32 * i));
    if (masked.some((w, i) => w !== words[i])) return undefined;
    return { afi: 2, words, length, text: `${formatIPv6(words)}/${length}` };
  }
  const v = parseIPv4(addr);
  if (v < 0 || length > 32 || maskWord(v, length) !== v) return undefined;
  return { afi: 1, words: [v], length, text: `${addr}/${length}` };
}

/** Like tryParsePrefix but throws a BgpError naming the problem. */
export function parsePrefix(text: string): IpPrefix {
  const p = tryParsePrefix(text);
  if (p) return p;
  const slash = text.indexOf('/');
  const hint = slash > 0 && tryParseLoose(text) ? ' (host bits set)' : '';
  throw new BgpError('invalid-prefix', `invalid prefix ${JSON.stringify(text)}${hint}`);
}

function tryParseLoose(text: string): boolean {
  const [addr = '', len = ''] = text.split('/');
  const n = Number(len);
  if (!/^[0-9]+$/.test(len)) return false;
  return addr.includes(':') ? parseIPv6(addr) !== undefined && n <= 128 : parseIPv4(addr) >= 0 && n <= 32;
}

/** Keeps the first `bits` bits of a 32-bit word (bits ≤ 0 → 0, ≥ 32 → the word). */
export function maskWord(word: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return word >>> 0;
  return (word & (0xffffffff << (32 - bits))) >>> 0;
}

/** True when `inner` lies inside `outer` (same family, at least as long, same leading outer.length bits). */
export function prefixContains(outer: IpPrefix, inner: IpPrefix): boolean {
  if (outer.afi !== inner.afi || inner.length < outer.length) return false;
  const ow = outer.words;
  const iw = inner.words;
  for (let i = 0; i < ow.length; i++) {
    const bits = outer.length - 32 * i;
    if (bits <= 0) return true;
    if (maskWord(iw[i] ?? 0, bits) !== ow[i]) return false;
  }
  return true;
}

/**
 * A sort key for an address so that string order equals numeric order (IPv4 before IPv6): used to order next hops
 * and to compare peer addresses in the decision process. Unparseable text sorts last, by its text.
 */
export function addressSortKey(address: string): string {
  const v4 = parseIPv4(address);
  if (v4 >= 0) return `4${v4.toString(16).padStart(8, '0')}`;
  const pct = address.indexOf('%'); // zone index of a link-local address
  const v6 = parseIPv6(pct >= 0 ? address.slice(0, pct) : address);
  if (v6) return `6${v6.map((w) => w.toString(16).padStart(8, '0')).join('')}${pct >= 0 ? address.slice(pct) : ''}`;
  return `9${address}`;
}

/**
 * Parses canonical IPv4 CIDR text ("10.244.1.0/24", host bits zero) into address × 64 + length, or -1 when the
 * text is anything else (IPv6, malformed, host bits set: the caller falls back to the full parser). No allocation:
 * the hot path of prefix filters and RIB table keys.
 */
export function parseIPv4Prefix(text: string): number {
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else if (c === 46 && digits > 0 && dots < 3) {
      addr = addr * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 47 && digits > 0 && dots === 3) {
      break;
    } else {
      return -1;
    }
  }
  addr = addr * 256 + octet;
  if (i >= n - 1 || n - i > 3) return -1;
  let length = 0;
  for (let j = i + 1; j < n; j++) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57 || (j > i + 1 && length === 0)) return -1;
    length = length * 10 + (c - 48);
  }
  if (length > 32 || maskWord(addr, length) !== addr) return -1;
  return addr * 64 + length;
}
