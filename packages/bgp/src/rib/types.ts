// Public shapes of the RIB: options, peer configuration, results and counters.
import type { MaxPrefixConfig, MaxPrefixEvent } from '../policy/max-prefix.js';
import type { PrefixFilter, PrefixFilterConfig } from '../policy/prefix-filter.js';
import type { ExportAttributes } from './export-attributes.js';
import type { RibChange } from './loc-rib.js';

export interface RibOptions {
  localAsn: number;
  /** Our BGP identifier (dotted quad). */
  routerId: string;
  /** LOCAL_PREF for eBGP-learned and locally originated paths, and for iBGP paths without one (default 100). */
  defaultLocalPref?: number;
  /** Compare MED across neighbouring ASes (default false). */
  alwaysCompareMed?: boolean;
  /** Largest ECMP set (default 16; 1 disables multipath). */
  maxPaths?: number;
  /** Multipath only between paths from the same neighbouring AS (default false). */
  multipathSameNeighborAs?: boolean;
  /** Next-hop reachability (default: every next hop is reachable). Call refreshReachability() when answers change. */
  isReachable?: (nextHop: string, afi: number) => boolean;
  /**
   * Be a route reflector (RFC 4456): iBGP routes from clients go to every iBGP peer, routes from non-clients to
   * clients only, with ORIGINATOR_ID and CLUSTER_LIST set. clusterId is a dotted quad (default: routerId).
   */
  routeReflector?: { clusterId?: string };
}

export interface RibPeerConfig {
  address: string;
  asn: number;
  /**
   * Import prefix filter. Undefined: RFC 8212 default: deny all from an eBGP peer, permit all from an iBGP peer.
   */
  importPolicy?: PrefixFilterConfig | PrefixFilter;
  /** Export prefix filter; same defaults as importPolicy. */
  exportPolicy?: PrefixFilterConfig | PrefixFilter;
  /** Max accepted prefixes per family (a number is the limit with default warning 90% and hold-down 60 s). */
  maxPrefixes?: number | MaxPrefixConfig;
  /** Set NEXT_HOP to ourselves towards this iBGP peer too (always done towards eBGP). Default false. */
  nextHopSelf?: boolean;
  /** An iBGP peer we reflect routes for (RFC 4456 client). Needs RibOptions.routeReflector. Default false. */
  routeReflectorClient?: boolean;
  /** Communities, large communities, LOCAL_PREF (iBGP), MED and AS_PATH prepends attached to the routes sent. */
  exportAttributes?: ExportAttributes;
  /**
   * Most prefixes rejected by import policy that are kept (default 200,000) so that a policy change can be applied
   * without asking the peer again; beyond it rejected prefixes are only counted, and setPolicy() reports the
   * families for which the session should send a ROUTE-REFRESH.
   */
  keepRejected?: number;
}

/** What the session learns when it reaches Established. */
export interface PeerSessionInfo {
  /** The peer's BGP identifier from its OPEN. */
  routerId: string;
  /** Our IPv4 address on this session (next hop self for IPv4). */
  localAddress?: string;
  /** Our global IPv6 address on this session (next hop self for IPv6). */
  localAddress6?: string;
  /** Our link-local IPv6 address on this session, sent as the second MP_REACH next hop (RFC 2545). */
  linkLocalAddress6?: string;
}

export interface RibResult {
  changes: RibChange[];
  events: MaxPrefixEvent[];
}

export interface PolicyResult extends RibResult {
  /** Families whose rejected routes were not all kept: send the peer a ROUTE-REFRESH for each to re-learn them. */
  refresh: number[];
}

export interface PeerCounters {
  /** Prefixes the peer announced and has not withdrawn (before import policy). */
  received: number;
  /** Of those, accepted by import policy (Loc-RIB candidates). */
  accepted: number;
  /** Paths kept as stale from a graceful restart. */
  stale: number;
  /** Prefixes currently advertised to the peer (Adj-RIB-Out). */
  advertised: number;
  /** Prefix announcements rejected because our ASN was in the AS_PATH (cumulative). */
  asLoopRejected: number;
  /**
   * Prefix announcements rejected as a reflection loop (RFC 4456 §8): our router ID as ORIGINATOR_ID, or our
   * cluster ID in the CLUSTER_LIST (cumulative).
   */
  reflectionLoopRejected: number;
  /** Prefix announcements rejected by import policy (cumulative). */
  policyRejected: number;
  /** Prefix announcements dropped after the max-prefix limit was exceeded (cumulative). */
  overLimitDropped: number;
  /** Prefixes withdrawn by the peer, including treat-as-withdraw (cumulative). */
  withdrawn: number;
  /** Rejected announcements not kept because keepRejected was reached (cumulative). */
  rejectedNotKept: number;
  /** Distinct attribute sets (interned paths) of the current session still in use. */
  attributeSets: number;
}
