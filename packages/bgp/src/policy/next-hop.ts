// NEXT_HOP validation (RFC 4271 §6.3, RFC 7606 §7.3): a next hop that cannot be a neighbour's address is
// "semantically incorrect": the route is ignored (logged, counted), with no NOTIFICATION and the session kept.
// Pure: what is local or connected comes from the caller (the speaker knows no interfaces).
import { formatIpv4 } from '@gannet/core';
import { parseIPv4, parseIPv6 } from './ip-prefix.js';

export interface NextHopContext {
  /** Our address on this session: a route pointing back at us is a loop. */
  localAddress?: string | undefined;
  /** Any other address of ours (the caller's interfaces). */
  isLocal?: ((address: string) => boolean) | undefined;
  /** eBGP single-hop: the next hop must be on a directly connected subnet. Absent: not checked. */
  isConnected?: ((address: string) => boolean) | undefined;
}

/** Why `address` is not a usable IPv4 next hop, or undefined when it is one. */
function ipv4Problem(address: string): string | undefined {
  const v = parseIPv4(address);
  if (v < 0) return 'not an IPv4 address';
  const first = v >>> 24;
  if (first === 0) return v === 0 ? 'unspecified (0.0.0.0)' : 'this-network (0.0.0.0/8)';
  if (first === 127) return 'loopback';
  if (first >= 224 && first <= 239) return 'multicast';
  if (v === 0xffffffff) return 'broadcast';
  if (first >= 240) return 'reserved (240.0.0.0/4)';
  return undefined;
}

/** Why `address` is not a usable IPv6 (global) next hop, or undefined when it is one. */
function ipv6Problem(address: string): string | undefined {
  const w = parseIPv6(address);
  if (!w) return 'not an IPv6 address';
  const [a = 0, b = 0, c = 0, d = 0] = w;
  if (a === 0 && b === 0 && c === 0 && d === 0) return 'unspecified (::)';
  if (a === 0 && b === 0 && c === 0 && d === 1) return 'loopback (::1)';
  if (a >>> 24 === 0xff) return 'multicast (ff00::/8)';
  // A link-local address needs the interface it belongs to, which a route to it cannot name here.
  if (a >>> 22 === 0x3fa) return 'link-local (fe80::/10) without an interface';
  if (a === 0 && b === 0 && c === 0xffff) {
    const v4 = formatIpv4(d);
    const p = ipv4Problem(v4);
    if (p) return `IPv4-mapped ${p}`;
  }
  return undefined;
}

/** A one-line reason why `nextHop` (of address family `afi`) is not acceptable, or undefined when it is. */
export function nextHopProblem(nextHop: string, afi: number, ctx: NextHopContext = {}): string | undefined {
  const special = afi === 1 ? ipv4Problem(nextHop) : ipv6Problem(nextHop);
  if (special) return special;
  if (ctx.localAddress !== undefined && ctx.localAddress === nextHop) return 'our own address on this session';
  if (ctx.isLocal?.(nextHop)) return 'one of our own addresses';
  if (ctx.isConnected && !ctx.isConnected(nextHop)) return 'not on a directly connected subnet (eBGP single-hop)';
  return undefined;
}
