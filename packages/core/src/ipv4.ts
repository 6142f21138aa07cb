// IPv4 addresses as unsigned 32-bit numbers, parsed without allocation (the RIB keys its tables by them). Strict:
// exactly four decimal octets 0..255 without leading zeros ("010.0.0.1" is octal to inet_aton, so it is refused).

/** Parses a dotted quad in s[start, end) to an unsigned 32-bit number; -1 unless it is one. */
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
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return v * 256 + octet;
}

/** Dotted-quad text of an unsigned 32-bit number. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** Keeps the first `bits` bits of a 32-bit word (bits ≤ 0 → 0, ≥ 32 → the word). */
export function maskIpv4(word: number, bits: number): number {
  if (bits <= 0) return 0;
  if (bits >= 32) return word >>> 0;
  return (word & (0xffffffff << (32 - bits))) >>> 0;
}

/**
 * A prefix length in s[start, end): decimal, no leading zero, at most `max`; -1 otherwise. No allocation.
 */
export function parsePrefixLength(s: string, start: number, end: number, max: number): number {
  const n = end - start;
  if (n < 1 || n > 3 || (n > 1 && s.charCodeAt(start) === 48)) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= max ? v : -1;
}

/**
 * The hot path: canonical IPv4 CIDR text ("10.244.1.0/24": strict address, length without leading zero, host bits
 * zero) as address × 64 + length, or -1 for anything else (IPv6, malformed, host bits set, no "/len"). No allocation.
 */
export function parseIpv4Prefix(s: string): number {
  // One pass, as the RIB's own scanner was (the RIB keys a million prefixes a second through it).
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  const n = s.length;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
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
  if (i >= n - 1 || n - i > 3) return -1; // no "/", nothing after it, or more than two digits
  let length = 0;
  for (let j = i + 1; j < n; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57 || (j > i + 1 && length === 0)) return -1;
    length = length * 10 + (c - 48);
  }
  if (length > 32 || maskIpv4(addr, length) !== addr) return -1;
  return addr * 64 + length;
}
