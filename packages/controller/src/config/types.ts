// The agent's desired configuration, whatever its source (a YAML file, or the Kubernetes API). Field names follow the
// standalone YAML keys of ../shared/DESIGN.md; every source produces this one shape and the agent reconciles to it.

export interface PrefixRule {
  /** CIDR, e.g. 10.244.0.0/16 */
  prefix: string;
  /** Accept prefix lengths from ge to le (inclusive); defaults: ge = le = the prefix's own length. */
  ge?: number;
  le?: number;
  /** Matches only routes carrying this community ("65000:666", or a well-known name such as "no-export"). */
  community?: string;
  /** Matches only routes carrying this large community ("65000:0:666"). */
  largeCommunity?: string;
  action: 'permit' | 'deny';
}

/** BFD with a peer (RFC 5880/5881): its failure drops the BGP session at once. Intervals in ms. */
export interface PeerBfdConfig {
  enabled: boolean;
  minRxMs: number;
  minTxMs: number;
  multiplier: number;
  /** Leave a BFD down to graceful restart when the peer's BFD shares fate with its control plane (as FRR). */
  checkControlPlaneFailure?: boolean;
}

/**
 * What we attach to the routes we send a peer (per peer, or for every peer as `peerDefaults`; a peer's own key
 * replaces the default's). See docs/peering.md.
 */
export interface PeerAttributes {
  /** Standard communities (RFC 1997): "65000:100" or a well-known name ("no-export"). */
  communities?: string[];
  /** Large communities (RFC 8092): "65000:1:2". */
  largeCommunities?: string[];
  /** LOCAL_PREF, sent to iBGP peers only. */
  localPref?: number;
  /** MULTI_EXIT_DISC. */
  med?: number;
  /** Our ASN prepended this many more times, eBGP peers only (0..10). */
  asPathPrepend?: number;
}

export interface PeerConfig extends PeerAttributes {
  address: string;
  asn: number;
  port?: number;
  /** Seconds: 0 or 3..65535. */
  holdTime?: number;
  passive?: boolean;
  maxPrefixes?: number;
  /** Optional per-peer filters; when absent the agent's defaults apply (clusterCIDRs in, own podCIDRs out). */
  import?: PrefixRule[];
  export?: PrefixRule[];
  /** Graceful restart towards this peer (default on). */
  gracefulRestart?: boolean;
  /** Local address to connect from. */
  localAddress?: string;
  /**
   * eBGP: an UPDATE whose AS_PATH does not start with the peer's AS is treated as withdraw (default true; false for
   * a route server, which does not prepend its AS).
   */
  enforceFirstAs?: boolean;
  /** An iBGP peer this node reflects routes for (RFC 4456 client); needs AgentConfig.routeReflector. */
  routeReflectorClient?: boolean;
  /** BFD with this peer (absent: off). */
  bfd?: PeerBfdConfig;
  /** Where the entry came from, for status and logs (e.g. "config", "mesh", "BGPPeer/tor-a"). */
  source?: string;
  /** TCP-MD5 password (RFC 2385), 1..80 bytes; from the file's `password`, `passwordFile` or a Secret. Never logged. */
  password?: string;
  /** Where `password` was read from (absolute path), when it came from `passwordFile`. */
  passwordFile?: string;
  /** Where `password` was read from, when it came from a Kubernetes Secret (BGPPeer spec.password.secretKeyRef). */
  passwordSecretRef?: { namespace: string; name: string; key: string };
  /** eBGP: the TTL we send, 1..255 (default 1: single hop); > 1 also lifts the connected next-hop check. */
  ebgpMultihop?: number;
  /** GTSM (RFC 5082): send TTL 255, accept only TTL ≥ 256 − hops (hops = ebgpMultihop, default 1). */
  ttlSecurity?: boolean;
}

/**
 * Dynamic neighbours: a `peers` entry with `prefix` instead of `address` accepts sessions from any address in it
 * (FRR's bgp listen range), with the AS `asn` or any in `asnRange`; each becomes a passive peer while its session
 * lasts. The other keys are a peer's.
 */
export interface PeerRangeConfig
  extends Omit<PeerConfig, 'address' | 'asn' | 'passive' | 'localAddress' | 'bfd' | 'routeReflectorClient' | 'port'> {
  prefix: string;
  asn?: number;
  asnRange?: { min: number; max: number };
  /** At most this many peers from the range at once (default 100). */
  limit?: number;
}

export interface AgentConfig {
  nodeName: string;
  asn: number;
  routerId: string;
  podCIDRs: string[];
  clusterCIDRs: string[];
  listen: { address: string; port: number };
  api: { listen: string };
  peers: PeerConfig[];
  /** Dynamic neighbours: `peers` entries with `prefix` instead of `address`. */
  peerRanges?: PeerRangeConfig[];
  /** Extensions (optional in every source; defaults applied by the agent). */
  /** Where the agent writes the node state file that gannet-cni reads. */
  nodeStateFile?: string;
  /** Kernel routing table and reconcile settings. */
  routes?: { table?: number; protocol?: number; resyncIntervalSeconds?: number };
  /** Graceful restart: how long peers keep our routes while we restart, and how long we wait for End-of-RIB. */
  gracefulRestart?: { restartTime?: number; deferralTime?: number };
  /**
   * Be a route reflector (RFC 4456) for the peers marked routeReflectorClient (clusterId: dotted quad, default the
   * routerId). The default export to iBGP peers then reflects what import accepted instead of own pod CIDRs only.
   */
  routeReflector?: { clusterId?: string };
  /** Attached to the routes sent to every peer, unless the peer sets the key itself. */
  peerDefaults?: PeerAttributes;
  /**
   * More prefixes to originate besides podCIDRs, exported by default like them but never blackholed: Service
   * addresses (standalone: the static `advertise:` list; Kubernetes: selected from Services, see serviceRanges).
   */
  advertise?: string[];
  /** Kubernetes mode: BGPConfiguration's Service lists (the list guard); the selection lands in `advertise`. */
  serviceRanges?: { clusterIPs: string[]; externalIPs: string[]; loadBalancerIPs: string[] };
  /** The CNI IPAM store to report addresses used/free in metrics. */
  ipam?: { dataDir?: string; network?: string };
  /** Masquerade pod traffic leaving clusterCIDRs to the node's address (default true). */
  natOutgoing?: boolean;
  /** Destinations outside clusterCIDRs that pod traffic reaches without NAT. */
  natExclude?: string[];
  /** NetworkPolicy enforcement (see docs/network-policy.md). */
  policy?: PolicyConfig;
}

export interface PolicyConfig {
  /** Standalone mode: YAML files of NetworkPolicy and Namespace documents, watched for changes. */
  files?: string[];
  /** Standalone mode: the cluster's pods with labels and named ports (the lab writes it; docs/network-policy.md). */
  podsFile?: string;
}
