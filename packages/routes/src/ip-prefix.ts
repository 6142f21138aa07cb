// Address and prefix parsing with one canonical text form, so a route's key is the same whether it came from the
// caller or from `ip -j route show` (which prints `default`, drops `/32`, and may spell IPv6 differently).
import { RoutesError } from './routes-error.js';

export type Family = 4 | 6;

export interface ParsedAddress {
  family: Family;
  /** 4 or 16 bytes. */
  bytes: Uint8Array;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const HEX_GROUP = /^[0-9a-fA-F]{1,4}$/;

/** A prefix length written without leading zeros (`0`..`999`) from `from` to the end, or -1. */
function prefixLength(s: string, from: number): number {
  const len = s.length - from;
  if (len < 1 || len > 3 || (len > 1 && s.charCodeAt(from) === 48)) return -1;
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    n = n * 10 + (c - 48);
  }
  return n;
}

/** Dotted quad to a 32-bit number without allocating; -1 unless it is a plain IPv4 address (no leading zeros). */
function v4Number(s: string, from = 0, to = s.length): number {
  let value = 0;
  let parts = 0;
  let i = from;
  while (parts < 4) {
    const start = i;
    let octet = 0;
    while (i < to) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || octet > 255 || (len > 1 && s.charCodeAt(start) === 48)) return -1;
    value = value * 256 + octet;
    parts++;
    if (parts < 4) {
      if (i >= to || s.charCodeAt(i) !== 46) return -1;
      i++;
    }
  }
  return i === to ? value : -1;
}

function parseV4(s: string): Uint8Array | undefined {
  const m = V4.exec(s);
  if (!m) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = m[i + 1] as string;
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const n = Number(part);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseGroups(s: string, allowV4Tail: boolean): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const words: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (allowV4Tail && i === parts.length - 1 && p.includes('.')) {
      const v4 = parseV4(p);
      if (!v4) return undefined;
      words.push(((v4[0] as number) << 8) | (v4[1] as number), ((v4[2] as number) << 8) | (v4[3] as number));
    } else {
      if (!HEX_GROUP.test(p)) return undefined;
      words.push(Number.parseInt(p, 16));
    }
  }
  return words;
}

function parseV6(s: string): Uint8Array | undefined {
  if (s.length > 45) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  let words: number[];
  if (halves.length === 2) {
    const head = parseGroups(halves[0] as string, false);
    const tail = parseGroups(halves[1] as string, true);
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const all = parseGroups(s, true);
    if (all?.length !== 8) return undefined;
    words = all;
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/** Parses an IPv4 or IPv6 address (no prefix length); undefined when it is neither. */
export function parseAddress(s: string): ParsedAddress | undefined {
  const v4 = parseV4(s);
  if (v4) return { family: 4, bytes: v4 };
  if (!s.includes(':')) return undefined;
  const v6 = parseV6(s);
  return v6 ? { family: 6, bytes: v6 } : undefined;
}

/** Canonical text of an address: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatAddress(a: ParsedAddress): string {
  if (a.family === 4) return Array.from(a.bytes).join('.');
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(((a.bytes[2 * i] as number) << 8) | (a.bytes[2 * i + 1] as number));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(':');
  if (bestStart < 0) return hex(words);
  return `${hex(words.slice(0, bestStart))}::${hex(words.slice(bestStart + bestLen))}`;
}

/** Canonical text of an address string; throws RoutesError when it is not an IPv4 or IPv6 address. */
export function canonicalAddress(s: string, what = 'address'): { family: Family; text: string } {
  if (typeof s === 'string' && v4Number(s) >= 0) return { family: 4, text: s };
  const a = typeof s === 'string' ? parseAddress(s) : undefined;
  if (!a) throw new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `${what} ${JSON.stringify(s)} is not an IP address`);
  return { family: a.family, text: formatAddress(a) };
}

/**
 * Canonical text of a destination prefix: `default` becomes 0.0.0.0/0 or ::/0 (the family must then be given), a
 * bare address becomes a host prefix (/32, /128). Host bits must be zero, as the kernel demands.
 */
export function canonicalPrefix(s: string, family?: Family): { family: Family; text: string; length: number } {
  const bad = (why: string) =>
    new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `destination ${JSON.stringify(s)} ${why}`);
  if (typeof s !== 'string') throw bad('is not a string');
  if (s === 'default') {
    if (!family) throw bad('needs an address family');
    return family === 4 ? { family, text: '0.0.0.0/0', length: 0 } : { family, text: '::/0', length: 0 };
  }
  const slash = s.indexOf('/');
  const fast = family !== 6 ? v4Number(s, 0, slash < 0 ? s.length : slash) : -1;
  if (fast >= 0) {
    // The common case, without allocation: a plain dotted quad is already canonical.
    if (slash < 0) return { family: 4, text: `${s}/32`, length: 32 };
    const length = prefixLength(s, slash + 1);
    if (length < 0 || length > 32) {
      const lenText = s.slice(slash + 1);
      if (/^\d{1,3}$/.test(lenText) && Number(lenText) <= 32)
        return canonicalPrefix(`${s.slice(0, slash)}/${Number(lenText)}`);
      throw bad('has a bad prefix length (0..32)');
    }
    if (length < 32 && fast % 2 ** (32 - length) !== 0) throw bad(`has host bits set beyond /${length}`);
    return { family: 4, text: s, length };
  }
  const addrText = slash < 0 ? s : s.slice(0, slash);
  const a = parseAddress(addrText);
  if (!a) throw bad('is not an IPv4 or IPv6 prefix');
  if (family && a.family !== family) throw bad(`is not an IPv${family} prefix`);
  const max = a.family === 4 ? 32 : 128;
  let length = max;
  if (slash >= 0) {
    const lenText = s.slice(slash + 1);
    if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) throw bad(`has a bad prefix length (0..${max})`);
    length = Number(lenText);
  }
  for (let bit = length; bit < max; bit++) {
    if (((a.bytes[bit >> 3] as number) >> (7 - (bit & 7))) & 1) throw bad(`has host bits set beyond /${length}`);
  }
  return { family: a.family, text: `${formatAddress(a)}/${length}`, length };
}
