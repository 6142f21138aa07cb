// One Loc-RIB route as the speaker reports it (Speaker.routes(), Speaker.route()): the best path's attributes in
// the text operators read (communities as "65000:100", large communities as "65000:1:2").
import { formatCommunity, formatLargeCommunity } from './policy/communities.js';
import type { RibPath } from './rib/path.js';

export interface RouteStatus {
  afi: number;
  prefix: string;
  nexthops: string[];
  best: {
    source: 'local' | 'ebgp' | 'ibgp';
    peer: string;
    asPath: number[];
    localPref: number;
    med: number;
    origin: number;
    /** Standard communities as text ("65000:100", "no-export"); absent when none. */
    communities?: string[];
    /** Large communities as text ("65000:1:2"); absent when none. */
    largeCommunities?: string[];
    /** RFC 4456 attributes of a reflected route, when it carries them. */
    originatorId?: string;
    clusterList?: string[];
  };
  paths: number;
}
// `best` is shared between the routes of one path and frozen: read it, do not change it.

/**
 * The `best` part depends only on the path, which is shared by every prefix of one UPDATE: made once per path and
 * frozen (a route listing of 100,000 prefixes formats a few hundred community lists, not 100,000).
 */
const bestOf = new WeakMap<RibPath, RouteStatus['best']>();

export function routeStatus(
  afi: number,
  prefix: string,
  b: RibPath,
  nexthops: readonly string[],
  paths: number,
): RouteStatus {
  return { afi, prefix, nexthops: [...nexthops], best: bestStatusOf(b), paths };
}

/** The `best` part of a route whose best path is `b` (made once per path, frozen). */
export function bestStatusOf(b: RibPath): RouteStatus['best'] {
  let best = bestOf.get(b);
  if (!best) {
    best = bestStatus(b);
    bestOf.set(b, best);
  }
  return best;
}

function bestStatus(b: RibPath): RouteStatus['best'] {
  const best: RouteStatus['best'] = {
    source: b.source.kind,
    peer: b.source.address,
    asPath: (b.attributes.asPath ?? []).flatMap((s) => s.asns),
    localPref: b.localPref,
    med: b.med,
    origin: b.origin,
  };
  const { communities, largeCommunities } = b.attributes;
  if (communities?.length) best.communities = communities.map(formatCommunity);
  if (largeCommunities?.length) best.largeCommunities = largeCommunities.map(formatLargeCommunity);
  const { originatorId, clusterList } = b.attributes;
  if (originatorId !== undefined) best.originatorId = originatorId;
  if (clusterList?.length) best.clusterList = [...clusterList];
  for (const v of Object.values(best)) if (Array.isArray(v)) Object.freeze(v);
  return Object.freeze(best);
}
