// Map keys for prefixes in the RIB tables. A canonical IPv4 prefix of length 0–31 ("10.244.1.0/24", host bits zero)
// becomes one 32-bit integer: the address with a marker bit just below the prefix (bit 31 − length), so address and
// length are both recoverable and the key is a small integer (no string kept alive, cheap to hash and compare).
// Everything else (IPv6, /32, non-canonical text) keeps its string as the key, so distinct texts stay distinct keys
// exactly as before; one Map holds both kinds and keeps its insertion order.

import { formatIpv4, parseIpv4Prefix } from '@gannet/core';

export type PrefixKey = number | string;

/** The table key for `prefix` of family `afi`. */
export function prefixKey(afi: number, prefix: string): PrefixKey {
  if (afi !== 1) return prefix;
  const parsed = parseIpv4Prefix(prefix);
  const length = parsed % 64;
  if (parsed < 0 || length > 31) return prefix;
  // The address with a marker bit just below the prefix: host bits are zero (parseIpv4Prefix checked), so it is free.
  return ((parsed - length) / 64) | (1 << (31 - length));
}

/** The prefix text of a key made by prefixKey (canonical CIDR for an integer key). */
export function keyPrefix(key: PrefixKey): string {
  if (typeof key === 'string') return key;
  const marker = key & -key;
  const v = key ^ marker;
  return `${formatIpv4(v >>> 0)}/${Math.clz32(marker)}`;
}

/** The unsigned address of an integer key. */
export function keyAddress(key: number): number {
  return (key ^ (key & -key)) >>> 0;
}

/** The prefix length of an integer key. */
export function keyLength(key: number): number {
  return Math.clz32(key & -key);
}
