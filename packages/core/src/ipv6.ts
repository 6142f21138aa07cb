// IPv6 addresses as 16 octets: RFC 4291 §2.2 text in, RFC 5952 text out. No regexes, no splits.
import { parseIpv4 } from './ipv4.js';

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Parses an IPv6 address in s[start, end) (`::`, a trailing strict dotted quad; no zone, no prefix length) into
 * out[off, off + 16). Returns false when it is not one (out's octets are then unspecified).
 */
export function parseIpv6(s: string, start: number, end: number, out: Uint8Array, off = 0): boolean {
  if (end - start < 2 || end - start > 45) return false;
  let w = 0; // groups written
  let gap = -1; // where `::` stands, in groups
  let i = start;
  if (s.charCodeAt(i) === 58) {
    if (s.charCodeAt(i + 1) !== 58) return false;
    gap = 0;
    i += 2;
  }
  while (i < end) {
    let j = i;
    let v = 0;
    for (; j < end && j - i < 5; j++) {
      const d = hexDigit(s.charCodeAt(j));
      if (d < 0) break;
      v = v * 16 + d;
    }
    if (j < end && s.charCodeAt(j) === 46) {
      const v4 = parseIpv4(s, i, end);
      if (v4 < 0 || w > 6) return false;
      out[off + 2 * w] = v4 >>> 24;
      out[off + 2 * w + 1] = (v4 >>> 16) & 255;
      out[off + 2 * w + 2] = (v4 >>> 8) & 255;
      out[off + 2 * w + 3] = v4 & 255;
      w += 2;
      break;
    }
    if (j === i || j - i > 4 || w >= 8) return false;
    out[off + 2 * w] = v >>> 8;
    out[off + 2 * w + 1] = v & 255;
    w++;
    i = j;
    if (i === end) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < end && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = w;
      i++;
    } else if (i === end) {
      return false; // a trailing single colon
    }
  }
  if (gap < 0) return w === 8;
  if (w > 7) return false;
  const shift = 8 - w;
  for (let k = w - 1; k >= gap; k--) {
    out[off + 2 * (k + shift)] = out[off + 2 * k]!;
    out[off + 2 * (k + shift) + 1] = out[off + 2 * k + 1]!;
  }
  for (let k = gap; k < gap + shift; k++) {
    out[off + 2 * k] = 0;
    out[off + 2 * k + 1] = 0;
  }
  return true;
}

/**
 * RFC 5952 text of the 16 octets at buf[off]: lower case, no leading zeros, the longest run (≥ 2, the first on a tie)
 * of zero groups as `::`, and an IPv4-mapped address (::ffff:0:0/96) with its last 32 bits as a dotted quad (§5).
 */
export function formatIpv6(buf: Uint8Array, off = 0): string {
  let mapped = buf[off + 10] === 255 && buf[off + 11] === 255;
  for (let k = 0; mapped && k < 10; k++) if (buf[off + k] !== 0) mapped = false;
  if (mapped) return `::ffff:${buf[off + 12]}.${buf[off + 13]}.${buf[off + 14]}.${buf[off + 15]}`;
  let bestAt = -1;
  let bestLen = 1;
  let runAt = -1;
  for (let k = 0; k <= 8; k++) {
    if (k < 8 && buf[off + 2 * k] === 0 && buf[off + 2 * k + 1] === 0) {
      if (runAt < 0) runAt = k;
    } else if (runAt >= 0) {
      if (k - runAt > bestLen) {
        bestAt = runAt;
        bestLen = k - runAt;
      }
      runAt = -1;
    }
  }
  let text = '';
  for (let k = 0; k < 8; k++) {
    if (k === bestAt) {
      text += '::';
      k += bestLen - 1;
      continue;
    }
    if (text.length > 0 && text.charCodeAt(text.length - 1) !== 58) text += ':';
    text += ((buf[off + 2 * k]! << 8) | buf[off + 2 * k + 1]!).toString(16);
  }
  return text;
}
