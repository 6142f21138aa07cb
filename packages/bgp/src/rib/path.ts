// Paths are interned: one RibPath per (source, afi, next hop, attribute set), shared by every prefix the source
// announced with it, so a million prefixes from ~1,200 UPDATEs cost ~1,200 path objects. Decision inputs are
// computed once per interned path. Reference counts (one per Loc-RIB candidate or rejected entry that holds the
// path) drop a path from its interner when no prefix uses it any more.

import { parseIpv4 } from '@gannet/core';
import { BgpConfigError } from '../errors.js';
import { addressSortKey } from '../policy/ip-prefix.js';
import type { PathAttributes } from '../wire/types.js';

/** Where paths come from: a peer, or this speaker itself (locally originated). */
export interface PathSource {
  readonly kind: 'ebgp' | 'ibgp' | 'local';
  readonly address: string; // peer address; '' for local
  readonly asn: number; // peer ASN; the local ASN for local
  readonly localAsn: number;
  /** The peer's BGP identifier (dotted quad), set when the session comes up. */
  routerId: string;
  /** Numeric router id for the tie-break (unsigned 32 bits). */
  routerIdValue: number;
  /** addressSortKey(address): numeric order for the final tie-break. */
  readonly addressKey: string;
  /** An iBGP peer we reflect for (RFC 4456 client); false for every other source. */
  readonly rrClient: boolean;
}

export function createSource(
  kind: PathSource['kind'],
  address: string,
  asn: number,
  localAsn: number,
  routerId = '0.0.0.0',
  rrClient = false,
): PathSource {
  return {
    rrClient,
    kind,
    address,
    asn,
    localAsn,
    routerId,
    routerIdValue: routerIdToNumber(routerId),
    addressKey: addressSortKey(address),
  };
}

/** A router ID as an unsigned 32-bit number; throws on anything but a strict dotted quad (was: "256.1.1.1" → 65793). */
export function routerIdToNumber(id: string): number {
  const v = parseIpv4(id);
  if (v < 0) throw new BgpConfigError(`router ID ${JSON.stringify(id)} is not a dotted quad`);
  return v;
}

/** A path as the RIB and its consumers see it (immutable; shared by many prefixes). */
export interface RibPath {
  readonly source: PathSource;
  readonly afi: number;
  readonly attributes: Readonly<PathAttributes>;
  /** The next hop (IPv4 NEXT_HOP or the MP_REACH global address); '' for locally originated paths. */
  readonly nextHop: string;
  readonly linkLocalNextHop: string | undefined;
  /** Effective LOCAL_PREF: the received one from iBGP, else the default (RFC 4271 §5.1.5). */
  readonly localPref: number;
  /** AS_PATH length for the decision: an AS_SET counts 1, confederation segments 0 (RFC 5065). */
  readonly asPathLength: number;
  readonly origin: number;
  /** MED, 0 when absent (RFC 4271 §9.1.2.2). */
  readonly med: number;
  /** The neighbouring AS: first ASN of the AS_PATH, or the local ASN for an empty path. */
  readonly neighborAs: number;
  /** Our own ASN appears in the AS_PATH: rejected on import (RFC 4271 §9.1.2). */
  readonly asLoop: boolean;
  /** [nextHop] (frozen) or [] for local: the ECMP next-hop list when this path is the only best. */
  readonly nexthops: readonly string[];
  readonly nextHopKey: string;
  /** The router-id tie-break value: ORIGINATOR_ID when the path carries one, else the peer's id (RFC 4456 §9). */
  readonly tieBreakId: number;
  /** CLUSTER_LIST length, 0 when absent: the shorter wins after the router id (RFC 4456 §9). */
  readonly clusterListLength: number;
}

export class InternedPath implements RibPath {
  refs = 0;
  /** The interner's table, so that the last release removes the path from it. */
  owner: Map<string, InternedPath> | undefined;
  readonly localPref: number;
  readonly asPathLength: number;
  readonly origin: number;
  readonly med: number;
  readonly neighborAs: number;
  readonly asLoop: boolean;
  readonly nexthops: readonly string[];
  readonly nextHopKey: string;
  readonly clusterListLength: number;
  private readonly originatorIdValue: number;

  constructor(
    readonly key: string,
    readonly source: PathSource,
    readonly afi: number,
    readonly attributes: Readonly<PathAttributes>,
    readonly nextHop: string,
    readonly linkLocalNextHop: string | undefined,
    defaultLocalPref: number,
  ) {
    const a = attributes;
    this.localPref = source.kind !== 'ebgp' && a.localPref !== undefined ? a.localPref : defaultLocalPref;
    let len = 0;
    let loop = false;
    let first: number | undefined;
    for (const seg of a.asPath ?? []) {
      if (seg.type === 'sequence') len += seg.asns.length;
      else if (seg.type === 'set') len += 1;
      if (first === undefined && seg.type === 'sequence' && seg.asns.length > 0) first = seg.asns[0];
      if (!loop && seg.asns.includes(source.localAsn)) loop = true;
    }
    this.asPathLength = len;
    this.asLoop = loop;
    this.neighborAs = first ?? source.localAsn;
    this.origin = a.origin ?? 2;
    this.med = a.med ?? 0;
    this.nexthops = Object.freeze(nextHop === '' ? [] : [nextHop]);
    this.nextHopKey = addressSortKey(nextHop);
    this.clusterListLength = a.clusterList?.length ?? 0;
    this.originatorIdValue = a.originatorId === undefined ? -1 : routerIdToNumber(a.originatorId);
  }

  /** Read at each decision: the peer's router id is only known once its session is up (and may change). */
  get tieBreakId(): number {
    return this.originatorIdValue >= 0 ? this.originatorIdValue : this.source.routerIdValue;
  }
}

/** A canonical string for an attribute set plus next hop: equal keys ⇔ equal paths from one source. */
export function pathKey(afi: number, attrs: PathAttributes, nextHop: string, linkLocal: string | undefined): string {
  let k = `${afi}|${nextHop}|${linkLocal ?? ''}|${attrs.nextHop ?? ''}|${attrs.origin ?? ''}|`;
  if (attrs.asPath) for (const s of attrs.asPath) k += `${s.type[0]}${s.type.length}:${s.asns.join(',')};`;
  k += `|${attrs.med ?? ''}|${attrs.localPref ?? ''}|${attrs.atomicAggregate ? 1 : 0}|`;
  if (attrs.aggregator) k += `${attrs.aggregator.asn}@${attrs.aggregator.address}`;
  k += `|${attrs.communities ? attrs.communities.join(',') : ''}|`;
  if (attrs.largeCommunities) for (const c of attrs.largeCommunities) k += `${c[0]}:${c[1]}:${c[2]},`;
  k += `|${attrs.originatorId ?? ''}|${attrs.clusterList ? attrs.clusterList.join(',') : ''}|`;
  if (attrs.unknown) for (const u of attrs.unknown) k += `${u.flags}/${u.code}/${u.value.toString('hex')},`;
  return k;
}

/** One source's interned paths. */
export class PathInterner {
  private readonly paths = new Map<string, InternedPath>();

  constructor(
    readonly source: PathSource,
    private readonly defaultLocalPref: number,
  ) {}

  get size(): number {
    return this.paths.size;
  }

  /** Returns the shared path for these attributes (a private frozen copy is kept; the caller's object is not). */
  intern(afi: number, attrs: PathAttributes, nextHop: string, linkLocal?: string): InternedPath {
    const key = pathKey(afi, attrs, nextHop, linkLocal);
    let p = this.paths.get(key);
    if (!p) {
      p = new InternedPath(key, this.source, afi, freezeAttrs(attrs), nextHop, linkLocal, this.defaultLocalPref);
      p.owner = this.paths;
      this.paths.set(key, p);
    }
    return p;
  }
}

export function retainPath(p: RibPath): void {
  (p as InternedPath).refs++;
}

export function releasePath(p: RibPath): void {
  const ip = p as InternedPath;
  if (--ip.refs <= 0 && ip.owner?.get(ip.key) === ip) ip.owner.delete(ip.key);
}

function freezeAttrs(a: PathAttributes): Readonly<PathAttributes> {
  const c: PathAttributes = { ...a };
  if (a.asPath)
    c.asPath = a.asPath.map((s) => Object.freeze({ type: s.type, asns: Object.freeze([...s.asns]) as number[] }));
  if (a.communities) c.communities = Object.freeze([...a.communities]) as number[];
  if (a.largeCommunities)
    c.largeCommunities = a.largeCommunities.map((x) => Object.freeze([...x]) as [number, number, number]);
  if (a.aggregator) c.aggregator = Object.freeze({ ...a.aggregator });
  if (a.clusterList) c.clusterList = Object.freeze([...a.clusterList]) as string[];
  if (a.unknown) c.unknown = a.unknown.map((u) => Object.freeze({ ...u }));
  return Object.freeze(c);
}
