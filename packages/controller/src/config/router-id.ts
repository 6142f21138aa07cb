// The BGP Identifier of a node that has no IPv4 address to use (an IPv6-only node): any non-zero 32-bit value
// unique within the AS will do (RFC 6286 §2.1), so it is derived from what identifies the node: its name. The same
// name always gives the same ID (a restart keeps it, graceful restart needs that), and different names collide with
// a probability of n²/2³³ (1 in 8 million for 100 nodes, ~0.3% for 5,000): set routerId where that matters.
import { formatIpv4, parseIpv4 } from '@gannet/core';

/** FNV-1a (32 bit) of the name's UTF-16 code units, as a dotted quad; never 0.0.0.0 or 255.255.255.255. */
export function routerIdFromName(name: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  if (h === 0 || h === 0xffffffff) h = 0x01000001;
  return formatIpv4(h);
}

/**
 * The router ID when the config sets none: the listen address when it is a specific IPv4 address, else derived
 * from the node name. Returns the ID and where it came from (for the log line at start).
 */
export function defaultRouterId(nodeName: string, listenAddress: string): { routerId: string; from: string } {
  const v = parseIpv4(listenAddress);
  if (v > 0 && v !== 0xffffffff) return { routerId: listenAddress, from: 'listen.address' };
  return { routerId: routerIdFromName(nodeName), from: `a hash of nodeName ${nodeName}` };
}
