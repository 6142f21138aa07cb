// Why a prefix is (or is not) in the Loc-RIB and advertised: every path each peer sent for it — accepted, or
// rejected with the reason (AS loop, reflection loop, the import rule that denied it, no rule matching) — the
// decision with the step each losing path was eliminated at, and per peer whether the best path is sent and, if
// not, why (split horizon, NO_EXPORT, the export rule). For `gannet explain`: read-only, off the data path.
import { formatCommunity, formatLargeCommunity } from '../policy/communities.js';
import type { PrefixFilter } from '../policy/prefix-filter.js';
import type { AdjRibIn } from './adj-rib-in.js';
import type { AdjRibOut } from './adj-rib-out.js';
import { type DecisionOptions, type DecisionReason, selectBest } from './decision.js';
import { exportBlock } from './export-path.js';
import type { RibPath } from './path.js';

export interface PathExplanation {
  /** The peer that sent it ('' for a locally originated prefix). */
  peer: string;
  source: 'ebgp' | 'ibgp' | 'local';
  nextHop: string;
  asPath: number[];
  localPref: number;
  med: number;
  origin: number;
  communities?: string[];
  largeCommunities?: string[];
  originatorId?: string;
  clusterList?: string[];
  /** From an earlier session of the peer, kept through its graceful restart. */
  stale: boolean;
  /** best: the chosen path; ecmp: installed alongside it; lost: a candidate that lost; rejected: not a candidate. */
  status: 'best' | 'ecmp' | 'lost' | 'rejected';
  /** lost: the decision step that eliminated it; rejected: why it was refused. */
  why?: string;
  /** For a path received from a peer and accepted: the import rule that let it in. */
  imported?: string;
}

export interface ExportExplanation {
  peer: string;
  /** sent: advertised now; not-sent: withheld (why says by what); down: no session to send it over. */
  status: 'sent' | 'not-sent' | 'down';
  why?: string;
}

export interface PrefixExplanation {
  afi: number;
  prefix: string;
  paths: PathExplanation[];
  /** The decision: which step made the best path win (undefined without a candidate). */
  decision?: DecisionReason;
  nexthops: string[];
  exports: ExportExplanation[];
}

/** What the RIB lends the explanation for one prefix. */
export interface ExplainContext {
  afi: number;
  prefix: string;
  candidates: readonly RibPath[];
  decision: DecisionOptions;
  peers: Iterable<{
    address: string;
    adjIn: AdjRibIn;
    importFilter: PrefixFilter;
    out: AdjRibOut | undefined;
    maxPrefixExceeded: boolean;
  }>;
  reflectionLoop(path: RibPath): boolean;
}

const STEP: Record<DecisionReason, string> = {
  'only-path': 'the only path',
  'nexthop-unreachable': 'its next hop is not reachable',
  'local-origin': 'a locally originated path wins',
  'local-pref': 'lower LOCAL_PREF',
  'as-path': 'longer AS_PATH',
  origin: 'worse ORIGIN',
  med: 'higher MED (same neighbouring AS)',
  'ebgp-over-ibgp': 'iBGP path, an eBGP path wins',
  multipath: 'equal: installed as ECMP',
  'router-id': 'higher router ID (tie-break)',
  'cluster-list': 'longer CLUSTER_LIST (tie-break)',
  'peer-address': 'higher peer address (tie-break)',
};

export function describeStep(r: DecisionReason): string {
  return STEP[r];
}

function describe(p: RibPath, stale: boolean): Omit<PathExplanation, 'status'> {
  const a = p.attributes;
  const out: Omit<PathExplanation, 'status'> = {
    peer: p.source.address,
    source: p.source.kind,
    nextHop: p.nextHop,
    asPath: (a.asPath ?? []).flatMap((s) => s.asns),
    localPref: p.localPref,
    med: p.med,
    origin: p.origin,
    stale,
  };
  if (a.communities?.length) out.communities = a.communities.map(formatCommunity);
  if (a.largeCommunities?.length) out.largeCommunities = a.largeCommunities.map(formatLargeCommunity);
  if (a.originatorId !== undefined) out.originatorId = a.originatorId;
  if (a.clusterList?.length) out.clusterList = [...a.clusterList];
  return out;
}

function ruleText(r: {
  prefix: string;
  ge?: number;
  le?: number;
  community?: string;
  largeCommunity?: string;
}): string {
  return [
    r.prefix,
    r.ge !== undefined ? `ge ${r.ge}` : '',
    r.le !== undefined ? `le ${r.le}` : '',
    r.community ? `community ${r.community}` : '',
    r.largeCommunity ? `large community ${r.largeCommunity}` : '',
  ]
    .filter(Boolean)
    .join(' ');
}

/** Why `filter` refuses (or allows) a prefix, in words. */
export function filterWhy(filter: PrefixFilter, prefix: string, attrs: RibPath['attributes'], what: string): string {
  const e = filter.explain(prefix, attrs);
  if (e.rule !== undefined) return `${what} rule ${e.rule} (${ruleText(e.matched!)}) says ${e.action}`;
  return `no ${what} rule matches: default ${e.action}`;
}

export function explainPrefix(ctx: ExplainContext): PrefixExplanation {
  const { afi, prefix } = ctx;
  const eliminated = new Map<RibPath, DecisionReason>();
  const sel = ctx.candidates.length > 0 ? selectBest(ctx.candidates, ctx.decision, eliminated) : undefined;
  const peers = [...ctx.peers];
  const staleOf = (p: RibPath) => peers.find((x) => x.address === p.source.address)?.adjIn.isStale(p) ?? false;
  const paths: PathExplanation[] = ctx.candidates.map((p) => {
    const base: Omit<PathExplanation, 'status'> = describe(p, staleOf(p));
    const from = peers.find((x) => x.address === p.source.address);
    if (from && p.source.kind !== 'local') base.imported = filterWhy(from.importFilter, prefix, p.attributes, 'import');
    if (p === sel?.best) return { ...base, status: 'best' };
    const why = eliminated.get(p);
    if (why === 'multipath') return { ...base, status: 'ecmp' };
    return { ...base, status: 'lost', why: why ? STEP[why] : 'not selected' };
  });
  for (const peer of peers) {
    for (const [rp, path] of peer.adjIn.rejectedEntries(afi)) {
      if (rp !== prefix) continue;
      const why = path.asLoop
        ? 'AS_PATH contains our own AS (loop)'
        : ctx.reflectionLoop(path)
          ? 'ORIGINATOR_ID is ours or CLUSTER_LIST holds our cluster ID (reflection loop)'
          : filterWhy(peer.importFilter, prefix, path.attributes, 'import');
      paths.push({ ...describe(path, false), status: 'rejected', why });
    }
    if (peer.maxPrefixExceeded && !paths.some((p) => p.peer === peer.address)) {
      paths.push({
        peer: peer.address,
        source: peer.adjIn.source.kind,
        nextHop: '',
        asPath: [],
        localPref: 0,
        med: 0,
        origin: 0,
        stale: false,
        status: 'rejected',
        why: 'the peer is over its max-prefix limit: further announcements are dropped',
      });
    }
  }
  const exports: ExportExplanation[] = [];
  const best = sel?.best;
  for (const peer of peers) {
    if (!peer.out) {
      exports.push({ peer: peer.address, status: 'down' });
      continue;
    }
    if (!best) {
      if (peer.out.advertisedRoute(afi, prefix))
        exports.push({ peer: peer.address, status: 'sent', why: 'withdrawal pending' });
      continue;
    }
    const block = exportBlock(best, peer.out.target);
    if (block !== undefined) {
      exports.push({ peer: peer.address, status: 'not-sent', why: BLOCK[block] });
      continue;
    }
    const e = peer.out.filter.explain(prefix, best.attributes);
    if (e.action === 'deny') {
      exports.push({
        peer: peer.address,
        status: 'not-sent',
        why: filterWhy(peer.out.filter, prefix, best.attributes, 'export'),
      });
      continue;
    }
    exports.push(
      peer.out.advertisedRoute(afi, prefix)
        ? { peer: peer.address, status: 'sent' }
        : { peer: peer.address, status: 'not-sent', why: 'queued: the next UPDATE to this peer carries it' },
    );
  }
  const out: PrefixExplanation = { afi, prefix, paths, nexthops: sel ? [...sel.nexthops] : [], exports };
  if (sel?.best) out.decision = sel.reason;
  return out;
}

const BLOCK: Record<NonNullable<ReturnType<typeof exportBlock>>, string> = {
  'from-this-peer': 'learned from this peer (never sent back)',
  'ibgp-split-horizon': 'iBGP split horizon: learned over iBGP, not reflected to this iBGP peer',
  'to-originator': 'the peer originated it (reflection)',
  'no-advertise': 'carries NO_ADVERTISE',
  'no-export': 'carries NO_EXPORT (this is an eBGP peer)',
  'no-local-address': 'no local address of this family for the next hop',
};
