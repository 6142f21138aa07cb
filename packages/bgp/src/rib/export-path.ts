// What one Loc-RIB best path becomes when sent to one peer (RFC 4271 §5.1, §9.2): never back to the peer it came
// from; iBGP split horizon unless we reflect (RFC 4456 §6: client routes to every iBGP peer, non-client routes to
// clients only, ORIGINATOR_ID set if absent, our cluster ID prepended to CLUSTER_LIST, next hop kept); towards eBGP: our ASN prepended, NEXT_HOP ourselves, LOCAL_PREF
// and MED removed; towards iBGP: LOCAL_PREF set, NEXT_HOP kept unless next-hop-self or locally originated. Unknown
// optional transitive attributes travel on with the Partial bit; unknown non-transitive ones are dropped. The
// well-known communities NO_ADVERTISE and NO_EXPORT (RFC 1997) are honoured. Then what the peer's configuration
// attaches (export-attributes.ts): to every route towards eBGP, to the routes we originate or learned from eBGP
// towards iBGP (a route reflected from one iBGP peer to another travels unchanged, RFC 4456 §10).
import { WellKnownCommunity } from '../policy/communities.js';
import { type AsPathSegment, AttrFlag, type PathAttributes } from '../wire/types.js';
import { applyExportAttributes, type ExportAttributes } from './export-attributes.js';
import { type PathSource, pathKey, type RibPath } from './path.js';

export interface ExportTarget {
  source: PathSource; // the receiving peer
  localAsn: number;
  nextHopSelf: boolean;
  localAddress: string | undefined;
  localAddress6: string | undefined;
  linkLocalAddress6: string | undefined;
  /** Our cluster ID when we are a route reflector (RFC 4456); undefined: plain iBGP split horizon. */
  clusterId?: string | undefined;
  /** Attributes this peer's configuration attaches (undefined or empty: none). */
  attach?: ExportAttributes | undefined;
}

/** A route as advertised to one peer. */
export interface OutRoute {
  readonly afi: number;
  readonly attributes: Readonly<PathAttributes>;
  readonly nextHop: string;
  readonly linkLocalNextHop: string | undefined;
  /** Equal keys ⇔ identical UPDATE contents (used to skip re-announcing the same thing). */
  readonly key: string;
}

/** Why a path is not advertised to a peer, or undefined when it is. */
export type ExportBlock =
  | 'from-this-peer'
  | 'ibgp-split-horizon'
  | 'to-originator'
  | 'no-advertise'
  | 'no-export'
  | 'no-local-address';

/** Well-known communities (RFC 1997 §2). */
const { NO_EXPORT, NO_ADVERTISE } = WellKnownCommunity;
const NO_EXPORT_SUBCONFED = WellKnownCommunity.NO_EXPORT_SUBCONFED; // no confederations here: same as NO_EXPORT

export function exportBlock(path: RibPath, to: ExportTarget): ExportBlock | undefined {
  if (path.source.address === to.source.address && path.source.kind !== 'local') return 'from-this-peer';
  if (path.source.kind === 'ibgp' && to.source.kind === 'ibgp') {
    // RFC 4456 §6: a reflector sends a client's route to every iBGP peer and a non-client's to clients only.
    if (to.clusterId === undefined || (!path.source.rrClient && !to.source.rrClient)) return 'ibgp-split-horizon';
    // The originator would drop it as a loop (§8): not sent at all (as FRR does).
    if (originatorOf(path) === to.source.routerId) return 'to-originator';
  }
  const communities = path.attributes.communities;
  if (communities !== undefined && communities.length > 0) {
    if (communities.includes(NO_ADVERTISE)) return 'no-advertise';
    if (to.source.kind === 'ebgp' && (communities.includes(NO_EXPORT) || communities.includes(NO_EXPORT_SUBCONFED))) {
      return 'no-export';
    }
  }
  if (needsSelf(path, to) && (path.afi === 2 ? to.localAddress6 : to.localAddress) === undefined) {
    return 'no-local-address';
  }
  return undefined;
}

/** Whether `path` is reflected to `to` (iBGP to iBGP through us as a reflector). */
function reflected(path: RibPath, to: ExportTarget): boolean {
  return to.clusterId !== undefined && path.source.kind === 'ibgp' && to.source.kind === 'ibgp';
}

/** The ORIGINATOR_ID a reflected path carries: the one it came with, else the BGP identifier of its peer (§8). */
function originatorOf(path: RibPath): string {
  return path.attributes.originatorId ?? path.source.routerId;
}

function needsSelf(path: RibPath, to: ExportTarget): boolean {
  return to.source.kind === 'ebgp' || to.nextHopSelf || path.source.kind === 'local';
}

/** The advertised form of `path` for `to`, or undefined when it must not be sent (see exportBlock). */
/**
 * A reflected route is the same towards every iBGP peer that does not ask for next-hop self (nothing of the peer goes
 * into it): one object per path and cluster ID, shared by every peer's Adj-RIB-Out. A reflector of 500 clients
 * otherwise holds 500 copies of each of the 499 others' routes (~150 MB).
 */
const reflectedRoutes = new WeakMap<RibPath, { clusterId: string; route: OutRoute }>();

export function exportPath(path: RibPath, to: ExportTarget): OutRoute | undefined {
  if (exportBlock(path, to) !== undefined) return undefined;
  const shared = reflected(path, to) && !needsSelf(path, to);
  if (shared) {
    const c = reflectedRoutes.get(path);
    if (c && c.clusterId === to.clusterId) return c.route;
    const route = computeExport(path, to);
    reflectedRoutes.set(path, { clusterId: to.clusterId as string, route });
    return route;
  }
  return computeExport(path, to);
}

function computeExport(path: RibPath, to: ExportTarget): OutRoute {
  const a = path.attributes;
  const ebgp = to.source.kind === 'ebgp';
  const out: PathAttributes = { origin: (path.source.kind === 'local' ? 0 : path.origin) as PathAttributes['origin'] };
  const asPath = a.asPath ?? [];
  // Confederation segments never leave the confederation (RFC 5065 §5.3); we are never inside one.
  out.asPath = ebgp
    ? prependAs(
        asPath.filter((s) => s.type === 'sequence' || s.type === 'set'),
        to.localAsn,
      )
    : asPath.map((s) => ({ type: s.type, asns: [...s.asns] }));
  let nextHop: string;
  let linkLocal: string | undefined;
  if (needsSelf(path, to)) {
    nextHop = (path.afi === 2 ? to.localAddress6 : to.localAddress) as string;
    linkLocal = path.afi === 2 ? to.linkLocalAddress6 : undefined;
  } else {
    nextHop = path.nextHop;
    linkLocal = undefined; // a link-local next hop is meaningless beyond the link it was learned on
  }
  if (path.afi !== 2) out.nextHop = nextHop;
  // MED: kept inside the AS; towards eBGP only our own (locally originated) MED, never one learned from another AS.
  if (a.med !== undefined && (!ebgp || path.source.kind === 'local')) out.med = a.med;
  if (!ebgp) out.localPref = path.localPref;
  if (a.atomicAggregate) out.atomicAggregate = true;
  if (a.aggregator) out.aggregator = { ...a.aggregator };
  if (a.communities) out.communities = [...a.communities];
  if (a.largeCommunities) out.largeCommunities = a.largeCommunities.map((c) => [c[0], c[1], c[2]]);
  // ORIGINATOR_ID and CLUSTER_LIST are non-transitive and iBGP-only: set when reflecting, kept towards other iBGP
  // peers (never the case without reflection), dropped towards eBGP.
  if (reflected(path, to)) {
    out.originatorId = originatorOf(path);
    out.clusterList = [to.clusterId as string, ...(a.clusterList ?? [])];
  } else if (!ebgp) {
    if (a.originatorId !== undefined) out.originatorId = a.originatorId;
    if (a.clusterList) out.clusterList = [...a.clusterList];
  }
  if (a.unknown) {
    const passOn = a.unknown
      .filter((u) => (u.flags & AttrFlag.OPTIONAL) !== 0 && (u.flags & AttrFlag.TRANSITIVE) !== 0)
      .map((u) => ({ flags: u.flags | AttrFlag.PARTIAL, code: u.code, value: u.value }));
    if (passOn.length > 0) out.unknown = passOn;
  }
  if (to.attach && (ebgp || path.source.kind !== 'ibgp')) applyExportAttributes(out, to.attach, ebgp, to.localAsn);
  return {
    afi: path.afi,
    attributes: out,
    nextHop,
    linkLocalNextHop: linkLocal,
    key: pathKey(path.afi, out, nextHop, linkLocal),
  };
}

/** Prepends an ASN to the leading AS_SEQUENCE (a new segment if the path starts with a set or one is full). */
export function prependAs(path: readonly AsPathSegment[], asn: number): AsPathSegment[] {
  const copy = path.map((s) => ({ type: s.type, asns: [...s.asns] }));
  const first = copy[0];
  if (first && first.type === 'sequence' && first.asns.length < 255) first.asns.unshift(asn);
  else copy.unshift({ type: 'sequence', asns: [asn] });
  return copy;
}
