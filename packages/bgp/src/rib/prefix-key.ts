// Map keys for prefixes in the RIB tables. A canonical IPv4 prefix of length 0–31 ("10.244.1.0/24", host bits zero)
// becomes one 32-bit integer: the address with a marker bit just below the prefix (bit 31 − length), so address and
// length are both recoverable and the key is a small integer (no string kept alive, cheap to hash and compare).
// Everything else (IPv6, /32, non-canonical text) keeps its string as the key, so distinct texts stay distinct keys
// exactly as before; one Map holds both kinds and keeps its insertion order.

export type PrefixKey = number | string;

/** The table key for `prefix` of family `afi`. */
export function prefixKey(afi: number, prefix: string): PrefixKey {
  if (afi !== 1) return prefix;
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  let i = 0;
  const n = prefix.length;
  for (; i < n; i++) {
    const c = prefix.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return prefix;
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return prefix;
    } else if (c === 46 && digits > 0 && dots < 3) {
      addr = ((addr << 8) | octet) >>> 0;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c === 47 && digits > 0 && dots === 3) {
      break;
    } else {
      return prefix;
    }
  }
  if (i >= n - 1 || n - i > 3) return prefix;
  addr = ((addr << 8) | octet) >>> 0;
  let length = 0;
  for (let j = i + 1; j < n; j++) {
    const c = prefix.charCodeAt(j);
    if (c < 48 || c > 57 || (j > i + 1 && length === 0)) return prefix;
    length = length * 10 + (c - 48);
  }
  if (length > 31) return prefix;
  const marker = 1 << (31 - length);
  // Host bits (at and below the marker) must be zero: the text is then canonical and the key reversible.
  if ((addr & ((marker << 1) - 1)) !== 0) return prefix;
  return addr | marker;
}

/** The prefix text of a key made by prefixKey (canonical CIDR for an integer key). */
export function keyPrefix(key: PrefixKey): string {
  if (typeof key === 'string') return key;
  const marker = key & -key;
  const v = key ^ marker;
  return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}/${Math.clz32(marker)}`;
}

/** The unsigned address of an integer key. */
export function keyAddress(key: number): number {
  return (key ^ (key & -key)) >>> 0;
}

/** The prefix length of an integer key. */
export function keyLength(key: number): number {
  return Math.clz32(key & -key);
}
