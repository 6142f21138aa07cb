// The RFC 4271 §9.1.2 decision process as a sequence of elimination steps over a prefix's candidate paths. Each step
// keeps only the paths that are best at that step, so the result never depends on the order of the candidates (the
// MED step is not transitive as a pairwise comparison; as an elimination it is well defined, RFC 4271 §9.1.2.2).
import type { RibPath } from './path.js';

/** Why the best path won over its last rival (GoBGP-style), or 'only-path'. */
export type DecisionReason =
  | 'only-path'
  | 'nexthop-unreachable'
  | 'local-origin'
  | 'local-pref'
  | 'as-path'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'multipath'
  | 'router-id'
  | 'cluster-list'
  | 'peer-address';

export interface DecisionOptions {
  /** Compare MED between paths from different neighbouring ASes too (default false). */
  alwaysCompareMed: boolean;
  /** Largest ECMP set; 1 disables multipath. */
  maxPaths: number;
  /** Multipath only over paths from the same neighbouring AS (default false: equal AS_PATH length suffices). */
  multipathSameNeighborAs: boolean;
  /** Next-hop resolution (RFC 4271 §9.1.2 (a)); absent means every next hop is reachable. */
  isReachable: ((nextHop: string, afi: number) => boolean) | undefined;
}

export const defaultDecisionOptions: DecisionOptions = {
  alwaysCompareMed: false,
  maxPaths: 16,
  multipathSameNeighborAs: false,
  isReachable: undefined,
};

export interface Selection {
  best: RibPath | undefined;
  /** The multipath set, best first then by router id and peer address; empty when there is no best. */
  ecmp: readonly RibPath[];
  /** Distinct next hops of the ECMP set in numeric order ([] for a locally originated best). */
  nexthops: readonly string[];
  reason: DecisionReason;
}

const NONE: readonly string[] = Object.freeze([]);

export function pathReachable(p: RibPath, opts: DecisionOptions): boolean {
  return p.source.kind === 'local' || opts.isReachable === undefined || opts.isReachable(p.nextHop, p.afi);
}

/**
 * @param eliminated when given (explanations, not the data path), records for every candidate that is not the best
 * the step that removed it; ECMP members other than the best are recorded as 'multipath'.
 */
export function selectBest(
  candidates: readonly RibPath[],
  opts: DecisionOptions,
  eliminated?: Map<RibPath, DecisionReason>,
): Selection {
  let reason: DecisionReason = 'only-path';
  let set: RibPath[] = [];
  for (const p of candidates) {
    if (pathReachable(p, opts)) set.push(p);
    else eliminated?.set(p, 'nexthop-unreachable');
  }
  if (set.length === 0) {
    return {
      best: undefined,
      ecmp: [],
      nexthops: NONE,
      reason: candidates.length > 0 ? 'nexthop-unreachable' : reason,
    };
  }
  if (set.length < candidates.length) reason = 'nexthop-unreachable';
  const step = (next: RibPath[], why: DecisionReason) => {
    if (next.length < set.length) {
      if (eliminated) for (const p of set) if (!next.includes(p)) eliminated.set(p, why);
      set = next;
      reason = why;
    }
  };
  if (set.length > 1) {
    const local = set.filter((p) => p.source.kind === 'local');
    if (local.length > 0) step(local, 'local-origin');
  }
  if (set.length > 1)
    step(
      keepExtreme(set, (p) => p.localPref, true),
      'local-pref',
    );
  if (set.length > 1)
    step(
      keepExtreme(set, (p) => p.asPathLength, false),
      'as-path',
    );
  if (set.length > 1)
    step(
      keepExtreme(set, (p) => p.origin, false),
      'origin',
    );
  if (set.length > 1) step(medStep(set, opts.alwaysCompareMed), 'med');
  if (set.length > 1) {
    const ebgp = set.filter((p) => p.source.kind === 'ebgp');
    if (ebgp.length > 0) step(ebgp, 'ebgp-over-ibgp');
  }
  if (set.length === 1) {
    const only = set[0] as RibPath;
    return { best: only, ecmp: set, nexthops: only.nexthops, reason };
  }
  // Equal up to the router-id tie-break: order by router id (the ORIGINATOR_ID when present), then the shorter
  // CLUSTER_LIST (RFC 4456 §9), then peer address.
  set.sort(tieBreak);
  const best = set[0] as RibPath;
  const second = set[1] as RibPath;
  reason =
    best.tieBreakId !== second.tieBreakId
      ? 'router-id'
      : best.clusterListLength !== second.clusterListLength
        ? 'cluster-list'
        : 'peer-address';
  let ecmp: RibPath[] = [best];
  if (opts.maxPaths > 1) {
    ecmp = opts.multipathSameNeighborAs ? set.filter((p) => p.neighborAs === best.neighborAs) : set;
    if (ecmp.length > opts.maxPaths) ecmp = ecmp.slice(0, opts.maxPaths);
    if (ecmp.length > 1) reason = 'multipath';
  }
  if (eliminated) {
    for (const p of set) {
      if (p === best) continue;
      if (ecmp.includes(p)) eliminated.set(p, 'multipath');
      else
        eliminated.set(
          p,
          p.tieBreakId !== best.tieBreakId
            ? 'router-id'
            : p.clusterListLength !== best.clusterListLength
              ? 'cluster-list'
              : 'peer-address',
        );
    }
  }
  return { best, ecmp, nexthops: ecmp.length === 1 ? best.nexthops : distinctNexthops(ecmp), reason };
}

function tieBreak(a: RibPath, b: RibPath): number {
  const d = a.tieBreakId - b.tieBreakId;
  if (d !== 0) return d;
  const c = a.clusterListLength - b.clusterListLength;
  if (c !== 0) return c;
  return a.source.addressKey < b.source.addressKey ? -1 : a.source.addressKey > b.source.addressKey ? 1 : 0;
}

/** Keeps the paths with the highest (or lowest) value; returns `set` itself when all are equal (no allocation). */
function keepExtreme(set: RibPath[], f: (p: RibPath) => number, highest: boolean): RibPath[] {
  const first = f(set[0] as RibPath);
  let target = first;
  let mixed = false;
  for (const p of set) {
    const v = f(p);
    if (v !== first) mixed = true;
    if (highest ? v > target : v < target) target = v;
  }
  return mixed ? set.filter((p) => f(p) === target) : set;
}

/** RFC 4271 §9.1.2.2 (c): drop a path when a path from the same neighbouring AS has a lower MED. */
function medStep(set: RibPath[], always: boolean): RibPath[] {
  if (always) return keepExtreme(set, (p) => p.med, false);
  const lowest = new Map<number, number>();
  for (const p of set) {
    const m = lowest.get(p.neighborAs);
    if (m === undefined || p.med < m) lowest.set(p.neighborAs, p.med);
  }
  return set.filter((p) => p.med === lowest.get(p.neighborAs));
}

function distinctNexthops(paths: readonly RibPath[]): readonly string[] {
  const byKey = new Map<string, string>();
  for (const p of paths) if (p.nextHop !== '') byKey.set(p.nextHopKey, p.nextHop);
  return [...byKey.keys()].sort().map((k) => byKey.get(k) as string);
}
