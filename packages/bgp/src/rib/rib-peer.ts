// One peer's state inside the Rib: its path source, Adj-RIB-In, policy, max-prefix guard, Adj-RIB-Out while
// established, and cumulative counters. Built and validated from RibPeerConfig.
import { BgpConfigError } from '../errors.js';
import { MaxPrefixGuard } from '../policy/max-prefix.js';
import { PrefixFilter, type PrefixFilterConfig } from '../policy/prefix-filter.js';
import { AdjRibIn } from './adj-rib-in.js';
import type { AdjRibOut } from './adj-rib-out.js';
import { checkExportAttributes, type ExportAttributes, isEmptyExport } from './export-attributes.js';
import { createSource, type PathSource } from './path.js';
import type { PeerCounters, RibPeerConfig } from './types.js';

/** Rejected paths kept per peer by default: enough for soft reconfiguration of a large table, bounded. */
export const DEFAULT_KEEP_REJECTED = 200_000;

export interface RibPeer {
  adjIn: AdjRibIn;
  importFilter: PrefixFilter;
  exportFilter: PrefixFilter;
  maxPrefix: MaxPrefixGuard | undefined;
  nextHopSelf: boolean;
  /** Attached to the routes sent to this peer (undefined: nothing). */
  exportAttributes: ExportAttributes | undefined;
  out: AdjRibOut | undefined;
  asLoopRejected: number;
  reflectionLoopRejected: number;
  policyRejected: number;
  overLimitDropped: number;
  withdrawn: number;
  rejectedNotKept: number;
}

export function createRibPeer(config: RibPeerConfig, localAsn: number, defaultLocalPref: number): RibPeer {
  const { address, asn } = config;
  if (typeof address !== 'string' || address === '') throw new BgpConfigError('peer address is required');
  if (!Number.isInteger(asn) || asn < 1 || asn > 0xffffffff) {
    throw new BgpConfigError(`peer ${address}: asn must be an integer in 1..4294967295, got ${asn}`);
  }
  const kind = asn === localAsn ? 'ibgp' : 'ebgp';
  const client = config.routeReflectorClient ?? false;
  if (typeof client !== 'boolean') throw new BgpConfigError(`peer ${address}: routeReflectorClient must be a boolean`);
  if (client && kind !== 'ibgp') {
    throw new BgpConfigError(`peer ${address}: a route reflector client must be iBGP (asn ${localAsn}), got ${asn}`);
  }
  const source = createSource(kind, address, asn, localAsn, undefined, client);
  const mp = config.maxPrefixes;
  const keepRejected = config.keepRejected ?? DEFAULT_KEEP_REJECTED;
  if (!(Number.isInteger(keepRejected) && keepRejected >= 0)) {
    throw new BgpConfigError(`peer ${address}: keepRejected must be an integer ≥ 0, got ${keepRejected}`);
  }
  if (config.exportAttributes) checkExportAttributes(config.exportAttributes, `peer ${address}: `);
  return {
    adjIn: new AdjRibIn(source, defaultLocalPref, keepRejected),
    importFilter: resolveFilter(config.importPolicy, kind),
    exportFilter: resolveFilter(config.exportPolicy, kind),
    maxPrefix: mp === undefined ? undefined : new MaxPrefixGuard(address, typeof mp === 'number' ? { limit: mp } : mp),
    nextHopSelf: config.nextHopSelf ?? false,
    exportAttributes: isEmptyExport(config.exportAttributes) ? undefined : config.exportAttributes,
    out: undefined,
    asLoopRejected: 0,
    reflectionLoopRejected: 0,
    policyRejected: 0,
    overLimitDropped: 0,
    withdrawn: 0,
    rejectedNotKept: 0,
  };
}

/** A policy as configured, or the RFC 8212 default: nothing from/to an eBGP peer, everything for iBGP. */
export function resolveFilter(
  policy: PrefixFilterConfig | PrefixFilter | undefined,
  kind: PathSource['kind'],
): PrefixFilter {
  if (policy instanceof PrefixFilter) return policy;
  if (policy === undefined) return kind === 'ebgp' ? PrefixFilter.denyAll() : PrefixFilter.permitAll();
  return new PrefixFilter(policy);
}

export function peerCounters(peer: RibPeer): PeerCounters {
  const { received, accepted, stale } = peer.adjIn.counts();
  return {
    received,
    accepted,
    stale,
    advertised: peer.out?.advertisedCount() ?? 0,
    asLoopRejected: peer.asLoopRejected,
    reflectionLoopRejected: peer.reflectionLoopRejected,
    policyRejected: peer.policyRejected,
    overLimitDropped: peer.overLimitDropped,
    withdrawn: peer.withdrawn,
    rejectedNotKept: peer.rejectedNotKept,
    attributeSets: peer.adjIn.interner.size,
  };
}
