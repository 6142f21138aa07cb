// Bit-level IPv4/IPv6 prefixes for policy matching and next-hop ordering: a prefix as at most four 32-bit words
// (policy runs once per NLRI). The text parsing and formatting are @gannet/core's.
import { formatIpv6, maskIpv4, parseIpv4, parseIpv4Prefix, parseIpv6 } from '@gannet/core';
import { BgpError } from '../errors.js';

/** A parsed prefix: `words` holds the address as 32-bit unsigned words (1 for IPv4, 4 for IPv6), host bits zero. */
export interface IpPrefix {
  afi: 1 | 2;
  words: number[];
  length: number;
  /** Canonical text (RFC 5952 for IPv6). */
  text: string;
}

/** Parses a strict dotted quad into an unsigned 32-bit number, or -1 if it is not one (@gannet/core). */
export const parseIPv4 = parseIpv4;

const scratch6 = new Uint8Array(16);

/** Parses IPv6 text (with `::` and an optional embedded dotted quad) into 4 words, or undefined. */
export function parseIPv6(text: string): number[] | undefined {
  if (!parseIpv6(text, 0, text.length, scratch6)) return undefined;
  const words: number[] = [];
  for (let w = 0; w < 16; w += 4) {
    words.push(((scratch6[w]! << 24) | (scratch6[w + 1]! << 16) | (scratch6[w + 2]! << 8) | scratch6[w + 3]!) >>> 0);
  }
  return words;
}

/** RFC 5952 text for 4 words (@gannet/core's formatter). */
export function formatIPv6(words: readonly number[]): string {
  for (let w = 0; w < 4; w++) {
    const v = words[w] ?? 0;
    scratch6[4 * w] = v >>> 24;
    scratch6[4 * w + 1] = (v >>> 16) & 255;
    scratch6[4 * w + 2] = (v >>> 8) & 255;
    scratch6[4 * w + 3] = v & 255;
  }
  return formatIpv6(scratch6);
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
export const maskWord = maskIpv4;

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
 * Parses canonical IPv4 CIDR text ("10.244.1.0/24", host bits zero) into address × 64 + length, or -1 (the caller
 * falls back to the full parser). No allocation: the hot path of prefix filters and RIB table keys (@gannet/core).
 */
export const parseIPv4Prefix = parseIpv4Prefix;
