// The agent's routing policy, resolved per peer before the speaker sees it.
// Import: only prefixes inside clusterCIDRs no longer than the pod block length, never our own pod CIDRs (or parts
// of them), never node addresses (/32, /128 are longer than any block). Export: our own pod CIDRs only, so one peer's
// routes are never passed to another. A peer's own `import`/`export` rules replace the defaults, but our own pod CIDRs
// are never imported whatever the rules say. The speaker evaluates the rules (@gannet/bgp PrefixFilter: first match
// decides, no match denies).
import { resolvePeerAttributes } from './config/load-peer-attributes.js';
import type { AgentConfig, PeerConfig, PeerRangeConfig, PrefixRule } from './config/types.js';
import { parseCidr } from './net.js';
import type { SpeakerPeer, SpeakerPeerRange } from './ports.js';

/** Sane default: a /16 cluster with /24 blocks has 256 prefixes; ten thousand covers large clusters and ToR tables. */
export const DEFAULT_MAX_PREFIXES = 10_000;

export function defaultImportRules(config: Pick<AgentConfig, 'podCIDRs' | 'clusterCIDRs'>): PrefixRule[] {
  const pods = config.podCIDRs.map((p) => parseCidr(p));
  const rules: PrefixRule[] = ownDenyRules(config.podCIDRs);
  for (const c of config.clusterCIDRs.map((x) => parseCidr(x))) {
    const max = c.family === 4 ? 32 : 128;
    const sameFamily = pods.filter((p) => p.family === c.family).map((p) => p.length);
    // Block length: the longest pod CIDR of this node in this family (every node gets equal blocks).
    const block = sameFamily.length > 0 ? Math.max(...sameFamily) : max;
    rules.push({ prefix: c.text, ge: c.length, le: Math.max(block, c.length), action: 'permit' });
  }
  return rules;
}

export function defaultExportRules(config: Pick<AgentConfig, 'podCIDRs' | 'advertise'>): PrefixRule[] {
  return originPrefixes(config).map((p) => ({ prefix: parseCidr(p).text, action: 'permit' as const }));
}

/** What the node originates: its pod CIDRs, then the `advertise` prefixes (Service addresses), without repeats. */
export function originPrefixes(config: Pick<AgentConfig, 'podCIDRs' | 'advertise'>): string[] {
  if (!config.advertise?.length) return config.podCIDRs;
  return [...new Set([...config.podCIDRs, ...config.advertise.map((p) => parseCidr(p).text)])];
}

/**
 * A route reflector's default export towards iBGP peers passes on whatever the import rules accepted (everything in
 * its Loc-RIB: its own pod CIDRs and what it learned); the speaker's RFC 4456 rules then decide which iBGP peer gets
 * which route. Towards eBGP peers the default stays own pod CIDRs only.
 */
export function defaultExportFor(
  config: Pick<AgentConfig, 'podCIDRs' | 'advertise' | 'asn' | 'routeReflector'>,
  peer: PeerConfig,
) {
  if (config.routeReflector && peer.asn === config.asn) return reflectorExportRules();
  return defaultExportRules(config);
}

/** Everything (IPv4 and IPv6, any length): what reaches the Loc-RIB already passed the import rules. */
export function reflectorExportRules(): PrefixRule[] {
  return [
    { prefix: '0.0.0.0/0', ge: 0, le: 32, action: 'permit' },
    { prefix: '::/0', ge: 0, le: 128, action: 'permit' },
  ];
}

function ownDenyRules(podCIDRs: string[]): PrefixRule[] {
  return podCIDRs.map((p) => {
    const c = parseCidr(p);
    return { prefix: c.text, ge: c.length, le: c.family === 4 ? 32 : 128, action: 'deny' as const };
  });
}

export function resolvePeer(config: AgentConfig, peer: PeerConfig): SpeakerPeer {
  const out: SpeakerPeer = {
    address: peer.address,
    asn: peer.asn,
    maxPrefixes: peer.maxPrefixes ?? DEFAULT_MAX_PREFIXES,
    import: peer.import ? [...ownDenyRules(config.podCIDRs), ...peer.import] : defaultImportRules(config),
    export: peer.export ? [...peer.export] : defaultExportFor(config, peer),
    gracefulRestart: peer.gracefulRestart ?? true,
  };
  if (peer.port !== undefined) out.port = peer.port;
  if (peer.holdTime !== undefined) out.holdTime = peer.holdTime;
  if (peer.passive !== undefined) out.passive = peer.passive;
  if (peer.localAddress !== undefined) out.localAddress = peer.localAddress;
  if (peer.enforceFirstAs !== undefined) out.enforceFirstAs = peer.enforceFirstAs;
  if (peer.routeReflectorClient) out.routeReflectorClient = true;
  if (peer.bfd?.enabled) {
    const { minRxMs, minTxMs, multiplier, checkControlPlaneFailure } = peer.bfd;
    out.bfd = { minRxMs, minTxMs, multiplier };
    if (checkControlPlaneFailure !== undefined) out.bfd.checkControlPlaneFailure = checkControlPlaneFailure;
  }
  Object.assign(out, resolvePeerAttributes(config.peerDefaults, peer));
  // one session per family: a session carries its own address family only, whose next hop (our local address of
  // the session) is of that family; IPv4 over IPv6 (RFC 8950) is not spoken (docs/dual-stack.md)
  out.families = [peer.address.includes(':') ? 'ipv6' : 'ipv4'];
  if (peer.password !== undefined) out.password = peer.password;
  if (peer.ebgpMultihop !== undefined) out.ebgpMultihop = peer.ebgpMultihop;
  if (peer.ttlSecurity !== undefined) out.ttlSecurity = peer.ttlSecurity;
  return out;
}

/** A dynamic-neighbour range with the agent's policy, as resolvePeer does for a peer (its AS: `asn` if exact). */
export function resolvePeerRange(config: AgentConfig, range: PeerRangeConfig): SpeakerPeerRange {
  const { prefix, asn, asnRange, limit, ...rest } = range;
  const asPeer = resolvePeer(config, { ...rest, address: prefix.split('/')[0] ?? '', asn: asn ?? asnRange?.min ?? 0 });
  const { address: _a, asn: _b, ...options } = asPeer;
  const out: SpeakerPeerRange = { ...options, prefix };
  if (asn !== undefined) out.asn = asn;
  if (asnRange !== undefined) out.asnRange = { ...asnRange };
  if (limit !== undefined) out.limit = limit;
  return out;
}

/**
 * Pod CIDRs that no session carries: a session carries its own family only, so an IPv6 pod CIDR on a node whose peers
 * are all IPv4 (or the reverse) is never advertised. The agent warns of each (key, CIDR, why); none without peers.
 */
export function unadvertisedPodCidrs(config: Pick<AgentConfig, 'podCIDRs' | 'peers'>): { key: string; why: string }[] {
  if (config.peers.length === 0) return [];
  const family = (a: string) => (a.includes(':') ? 6 : 4);
  const out: { key: string; why: string }[] = [];
  config.podCIDRs.forEach((p, i) => {
    const f = family(p);
    if (config.peers.some((peer) => family(peer.address ?? '') === f)) return;
    out.push({
      key: `podCIDRs[${i}]`,
      why: `${p} is IPv${f} but every peer is IPv${f === 4 ? 6 : 4}: a session carries its own family only (one session per family), so ${p} is not advertised; add a peer with an IPv${f} address`,
    });
  });
  return out;
}
