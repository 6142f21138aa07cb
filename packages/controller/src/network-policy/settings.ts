// The policy engine's settings from the agent's config: cluster ranges, NAT and the addresses never NATed.
import { networkInterfaces } from 'node:os';
import type { AgentConfig } from '../config/types.js';
import { isIPv4, parseCidr } from '../net.js';
import type { PolicySettings } from './policy-engine.js';

/**
 * clusterCIDRs, or the node's podCIDRs when the config names none (a pod range is never "outside"); IPv4 only (the
 * policy tables are IPv4, see @gannet/policy's README). natOutgoing is on unless the config says false, and off when
 * there is no IPv4 pod range to masquerade from.
 */
export function policySettings(config: AgentConfig, hostAddresses: string[] = localIPv4Addresses()): PolicySettings {
  const ranges = config.clusterCIDRs.length > 0 ? config.clusterCIDRs : config.podCIDRs;
  const clusterCidrs = ranges.filter((c) => parseCidr(c).family === 4);
  const nodeAddresses = new Set<string>([config.routerId, ...hostAddresses]);
  // The peers are the other nodes or their routers: what they reach us from is never NATed either.
  for (const p of config.peers) if (isIPv4(p.address)) nodeAddresses.add(p.address);
  return {
    nodeAddresses: [...nodeAddresses],
    clusterCidrs,
    natOutgoing: (config.natOutgoing ?? true) && clusterCidrs.length > 0,
    natExclude: (config.natExclude ?? []).filter((c) => parseCidr(c).family === 4),
  };
}

/** The host's own IPv4 addresses (not loopback). */
export function localIPv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}
