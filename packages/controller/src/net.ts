// Address and prefix helpers for the agent's config: the parsing and canonical text are @gannet/core's.
import { checkIpPrefix, formatIp, ipSpecialUse, parseIp, parseIpv4 } from '@gannet/core';

export interface Cidr {
  family: 4 | 6;
  /** Canonical network address (host bits must be zero in input). */
  address: string;
  length: number;
  /** Canonical text, e.g. 10.244.1.0/24 or 2001:db8::/64 */
  text: string;
  /** Network address as a bigint, for containment tests. */
  value: bigint;
}

/** A strict dotted quad (@gannet/core: no leading zeros, octets 0..255). */
export function isIPv4(s: string): boolean {
  return typeof s === 'string' && parseIpv4(s) >= 0;
}

export function isIP(s: string): boolean {
  return parseIp(s) !== undefined;
}

function toBigint(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

/** Parses "a.b.c.d/n" or "x::/n"; throws an Error with a readable message when malformed or host bits are set. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  if (slash < 0) throw new Error(`"${text}" is not a CIDR (expected address/length)`);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) throw new Error(`"${text}": prefix length must be a number`);
  const length = Number(lenText);
  const addr = text.slice(0, slash);
  const a = parseIp(addr);
  if (!a) throw new Error(`"${text}": "${addr}" is not an IPv4 or IPv6 address`);
  const max = a.family === 4 ? 32 : 128;
  if (length > max) throw new Error(`"${text}": IPv${a.family} prefix length must be 0..${max}`);
  const address = formatIp(a);
  const p = checkIpPrefix(`${address}/${length}`);
  if (typeof p === 'string') {
    const masked = a.bytes.map((b, i) => b & (0xff << Math.max(0, Math.min(8, 8 * (i + 1) - length))) & 0xff);
    const hint = a.family === 4 ? ` (did you mean ${formatIp({ family: 4, bytes: masked })}/${length}?)` : '';
    throw new Error(`"${text}" has host bits set${hint}`);
  }
  return { family: a.family, address, length, text: p.text, value: toBigint(a.bytes) };
}

/** True when `inner` lies inside `outer` (same family, at least as long, same leading bits). */
export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || inner.length < outer.length) return false;
  const bits = outer.family === 4 ? 32 : 128;
  const shift = BigInt(bits - outer.length);
  return outer.value >> shift === inner.value >> shift;
}

/** Parses "host:port" or "[v6]:port". */
export function parseHostPort(text: string): { host: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(text) ?? /^([^:]+):(\d+)$/.exec(text);
  if (!m) throw new Error(`"${text}" is not host:port`);
  const port = Number(m[2]);
  if (!isIP(m[1]!) && m[1] !== 'localhost') throw new Error(`"${m[1]}" is not an IP address`);
  if (port < 1 || port > 65535) throw new Error(`port ${port} is not in 1..65535`);
  return { host: m[1]!, port };
}

/** True when the two prefixes share at least one address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return cidrContains(a, b) || cidrContains(b, a);
}

/**
 * Why a prefix cannot number pods, or undefined: the whole address space, or an overlap with a special-use range
 * (@gannet/core's list, which gannet-cni checks too, so the agent and the plugin refuse the same prefixes).
 */
export function podCidrProblem(c: Cidr): string | undefined {
  if (c.length === 0) return 'is the whole address space (a default route), not a pod range';
  const p = checkIpPrefix(c.text);
  const what = typeof p === 'string' ? undefined : ipSpecialUse(p);
  return what ? `overlaps the special-use range ${what}` : undefined;
}

/** Why an address cannot be a BGP peer's (unspecified, multicast, broadcast), or undefined. */
export function peerAddressProblem(address: string): string | undefined {
  const c = parseCidr(`${address}/${address.includes(':') ? 128 : 32}`);
  if (c.value === 0n) return 'is the unspecified address';
  if (c.family === 4) {
    if (c.value >> 28n === 0xen) return 'is a multicast address';
    if (c.value === 0xffffffffn) return 'is the broadcast address';
  } else if (c.value >> 120n === 0xffn) return 'is a multicast address';
  return undefined;
}
