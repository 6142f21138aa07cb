// The RIB of one speaker: Adj-RIB-In per peer (with import policy, AS-loop check, max-prefix, graceful-restart
// stale handling), the Loc-RIB with the decision process, local origination, and Adj-RIB-Out per established peer.
// Synchronous and pure: the session feeds it decoded UPDATEs and session events, and gets diffs back.
import { BgpConfigError, BgpError, BgpStateError } from '../errors.js';
import { parsePrefix } from '../policy/ip-prefix.js';
import type { MaxPrefixEvent } from '../policy/max-prefix.js';
import type { PrefixFilter, PrefixFilterConfig } from '../policy/prefix-filter.js';
import type { PathAttributes, UpdateMessage } from '../wire/types.js';
import { AdjRibIn } from './adj-rib-in.js';
import { AdjRibOut, type OutboundUpdate } from './adj-rib-out.js';
import type { Selection } from './decision.js';
import { explainPrefix, type PrefixExplanation } from './explain.js';
import {
  checkExportAttributes,
  type ExportAttributes,
  exportAttributesKey,
  isEmptyExport,
} from './export-attributes.js';
import { LocRib, type RibChange } from './loc-rib.js';
import { createSource, type InternedPath, type RibPath, routerIdToNumber } from './path.js';
import { keyAddress, keyLength, type PrefixKey, prefixKey } from './prefix-key.js';
import {
  checkFamily,
  checkUpdate,
  FAMILIES,
  type OriginAttributes,
  originPathAttributes,
  resolveRibOptions,
  SAFI_UNICAST,
} from './rib-options.js';
import { createRibPeer, peerCounters, type RibPeer, resolveFilter } from './rib-peer.js';
import type { PeerCounters, PeerSessionInfo, PolicyResult, RibOptions, RibPeerConfig, RibResult } from './types.js';

export class Rib {
  readonly localAsn: number;
  readonly routerId: string;
  /** Our cluster ID when we are a route reflector (RFC 4456), else undefined. */
  readonly clusterId: string | undefined;
  private readonly locRib: LocRib;
  private readonly defaultLocalPref: number;
  private readonly peers = new Map<string, RibPeer>();
  private readonly established: RibPeer[] = [];
  private readonly local: AdjRibIn;
  private readonly origins = new Set<string>();

  constructor(options: RibOptions) {
    const o = resolveRibOptions(options);
    this.localAsn = o.localAsn;
    this.routerId = o.routerId;
    this.clusterId = o.clusterId;
    this.defaultLocalPref = o.defaultLocalPref;
    this.locRib = new LocRib(o.decision);
    this.local = new AdjRibIn(createSource('local', '', o.localAsn, o.localAsn, o.routerId), o.defaultLocalPref);
  }

  // ---- peers ----

  addPeer(config: RibPeerConfig): void {
    const peer = createRibPeer(config, this.localAsn, this.defaultLocalPref);
    if (peer.adjIn.source.rrClient && this.clusterId === undefined) {
      throw new BgpConfigError(`peer ${config.address}: routeReflectorClient needs the routeReflector option`);
    }
    if (this.peers.has(config.address)) throw new BgpConfigError(`peer ${config.address} already exists`);
    this.peers.set(config.address, peer);
  }

  /** Removes a peer and every path it contributed. */
  removePeer(address: string): RibChange[] {
    const changes = this.peerDown(address, { graceful: false });
    this.peers.delete(address);
    return changes;
  }

  hasPeer(address: string): boolean {
    return this.peers.has(address);
  }

  /**
   * Replaces a peer's import and/or export policy (undefined keeps the current one; null restores the RFC 8212
   * default). Import is re-applied to what the peer already sent; only if rejected paths were not all kept
   * (keepRejected) does the result list families to ROUTE-REFRESH. Export differences are queued in its Adj-RIB-Out.
   */
  setPolicy(
    address: string,
    policy: {
      importPolicy?: PrefixFilterConfig | PrefixFilter | null;
      exportPolicy?: PrefixFilterConfig | PrefixFilter | null;
      /** What to attach to the routes sent to the peer (null: nothing). */
      exportAttributes?: ExportAttributes | null;
    },
  ): PolicyResult {
    const peer = this.peer(address);
    const kind = peer.adjIn.source.kind;
    const importFilter =
      policy.importPolicy === undefined ? undefined : resolveFilter(policy.importPolicy ?? undefined, kind);
    const exportFilter =
      policy.exportPolicy === undefined ? undefined : resolveFilter(policy.exportPolicy ?? undefined, kind);
    const result: PolicyResult = { changes: [], events: [], refresh: [] };
    if (importFilter) {
      peer.importFilter = importFilter;
      const { adjIn } = peer;
      result.refresh = adjIn.takeIncomplete();
      for (const afi of adjIn.families()) {
        const received = [
          ...[...this.locRib.pathsFrom(afi, adjIn.source.address)].filter(([, p]) => !adjIn.isStale(p)),
          ...adjIn.rejectedEntries(afi),
        ];
        for (const [prefix, path] of received) {
          const ok = !path.asLoop && !this.reflectionLoop(path) && importFilter.permits(prefix, path.attributes);
          this.accept(peer, afi, prefix, prefixKey(afi, prefix), path as InternedPath, ok, result.changes);
        }
        this.checkMaxPrefix(peer, afi, result.events);
      }
    }
    let exportChanged = false;
    if (exportFilter) {
      peer.exportFilter = exportFilter;
      if (peer.out) peer.out.filter = exportFilter;
      exportChanged = true;
    }
    if (policy.exportAttributes !== undefined) {
      const given = policy.exportAttributes ?? undefined;
      if (given) checkExportAttributes(given, `peer ${address}: `);
      const attach = isEmptyExport(given) ? undefined : given;
      if (exportAttributesKey(attach) !== exportAttributesKey(peer.exportAttributes)) {
        peer.exportAttributes = attach;
        peer.out?.setAttach(attach);
        exportChanged = true;
      }
    }
    if (exportChanged && peer.out) {
      for (const afi of FAMILIES) peer.out.markAll(afi, this.locRib.keys(afi), 'policy');
    }
    return result;
  }

  /** The session reached Established: the Adj-RIB-Out starts with a full advertisement of `families`. */
  peerUp(address: string, info: PeerSessionInfo, families: readonly number[] = FAMILIES): RibChange[] {
    const peer = this.peer(address);
    const changes: RibChange[] = [];
    const { adjIn } = peer;
    if (info.routerId !== adjIn.source.routerId) {
      const hasPaths = adjIn.counts().accepted > 0;
      adjIn.source.routerId = info.routerId;
      adjIn.source.routerIdValue = routerIdToNumber(info.routerId);
      // Normally the generation is new and has no paths yet; if it has some, they tie-break with the new id.
      if (hasPaths) {
        for (const afi of FAMILIES) {
          for (const [prefix] of [...this.locRib.pathsFrom(afi, adjIn.source.address)]) {
            this.emit(this.locRib.recompute(afi, prefix), changes);
          }
        }
      }
    }
    if (peer.out) this.established.splice(this.established.indexOf(peer), 1);
    peer.maxPrefix?.reset();
    peer.out = new AdjRibOut(
      {
        source: adjIn.source,
        localAsn: this.localAsn,
        nextHopSelf: peer.nextHopSelf,
        localAddress: info.localAddress,
        localAddress6: info.localAddress6,
        linkLocalAddress6: info.linkLocalAddress6,
        clusterId: this.clusterId,
        attach: peer.exportAttributes,
      },
      peer.exportFilter,
      families,
    );
    for (const afi of families) peer.out.markAll(afi, this.locRib.keys(afi), 'initial');
    this.established.push(peer);
    return changes;
  }

  /**
   * The session left Established. graceful: the peer is restarting (RFC 4724 helper): its paths stay as stale (a
   * second restart before End-of-RIB flushes the earlier stale ones). Otherwise every path it sent is withdrawn.
   */
  peerDown(address: string, opts: { graceful: boolean }): RibChange[] {
    const peer = this.peer(address);
    if (peer.out) {
      this.established.splice(this.established.indexOf(peer), 1);
      peer.out = undefined;
    }
    peer.maxPrefix?.reset();
    const { adjIn } = peer;
    const current = adjIn.source;
    const released = (afi: number, p: RibPath) => adjIn.candidateChanged(afi, p, undefined);
    // Graceful: stale paths of an earlier restart are flushed; the current ones become stale. Else: all go.
    // The counts are exact, so a scan of the table happens only when there is something to remove.
    const { accepted, stale } = adjIn.counts();
    const changes =
      stale > 0 || (!opts.graceful && accepted > 0)
        ? this.removeFrom(
            adjIn.source.address,
            opts.graceful ? (p) => p.source !== current : () => true,
            undefined,
            released,
          )
        : [];
    adjIn.sessionDown(opts.graceful);
    adjIn.newGeneration();
    return changes;
  }

  /** End-of-RIB from a peer: its stale paths of that family are swept. */
  endOfRib(address: string, afi: number): RibChange[] {
    return this.sweepStale(address, afi);
  }

  /** Sweeps a peer's stale paths (restart timer expired, EoR, or the new session lacks the F bit). */
  sweepStale(address: string, afi?: number): RibChange[] {
    const { adjIn } = this.peer(address);
    const released = (f: number, p: RibPath) => adjIn.candidateChanged(f, p, undefined);
    const changes = adjIn.counts(afi).stale > 0 ? this.removeFrom(address, (p) => adjIn.isStale(p), afi, released) : [];
    adjIn.staleSwept(afi);
    return changes;
  }

  private removeFrom(
    address: string,
    which: (p: RibPath) => boolean,
    afi: number | undefined,
    removed: (afi: number, p: RibPath) => void,
  ): RibChange[] {
    const changes: RibChange[] = [];
    for (const c of this.locRib.removeFrom(address, which, afi, removed)) this.emit(c, changes);
    return changes;
  }

  /**
   * Makes `path` the peer's candidate for a prefix (accepted) or records it as rejected, implicitly withdrawing the
   * peer's previous path for the prefix, fresh or stale.
   */
  private accept(
    peer: RibPeer,
    afi: number,
    prefix: string,
    key: PrefixKey,
    path: InternedPath,
    ok: boolean,
    into: RibChange[],
  ): void {
    const { adjIn } = peer;
    if (ok) adjIn.unreject(afi, prefix);
    else if (!adjIn.reject(afi, prefix, path)) peer.rejectedNotKept++;
    const next = ok ? path : undefined;
    const c = this.locRib.setKey(afi, key, prefix, adjIn.source.address, next);
    adjIn.candidateChanged(afi, this.locRib.replaced, next);
    this.emit(c, into);
  }

  // ---- updates from peers ----

  /**
   * Batch announce: one UPDATE's NLRI of one family sharing one attribute set. Each prefix implicitly withdraws the
   * peer's previous path for it. Prefixes are canonical CIDR text, as the codec produces them.
   */
  announce(
    address: string,
    afi: number,
    prefixes: readonly string[],
    attributes: PathAttributes,
    nextHop: string,
    linkLocalNextHop?: string,
  ): RibResult {
    const result: RibResult = { changes: [], events: [] };
    this.announceInto(this.peer(address), afi, prefixes, attributes, nextHop, linkLocalNextHop, result);
    return result;
  }

  private announceInto(
    peer: RibPeer,
    afi: number,
    prefixes: readonly string[],
    attributes: PathAttributes,
    nextHop: string,
    linkLocal: string | undefined,
    result: RibResult,
  ): void {
    if (prefixes.length === 0) return;
    checkFamily(afi);
    if (nextHop === '')
      throw new BgpError('invalid-update', `announcement from ${peer.adjIn.source.address} has no next hop`);
    if (peer.maxPrefix?.exceeded(afi)) {
      peer.overLimitDropped += prefixes.length;
      return;
    }
    const { adjIn, importFilter } = peer;
    const path = adjIn.interner.intern(afi, attributes, nextHop, linkLocal);
    const loop = path.asLoop;
    const rrLoop = !loop && this.reflectionLoop(path);
    for (const prefix of prefixes) {
      // One parse per prefix: the table key also gives the import filter its address and length.
      const key = prefixKey(afi, prefix);
      let accepted = true;
      if (loop) {
        accepted = false;
        peer.asLoopRejected++;
      } else if (rrLoop) {
        accepted = false;
        peer.reflectionLoopRejected++;
      } else if (
        typeof key === 'number'
          ? !importFilter.permitsIPv4(keyAddress(key), keyLength(key), path.attributes)
          : !importFilter.permits(prefix, path.attributes)
      ) {
        accepted = false;
        peer.policyRejected++;
      }
      this.accept(peer, afi, prefix, key, path, accepted, result.changes);
    }
    this.checkMaxPrefix(peer, afi, result.events);
  }

  /**
   * RFC 4456 §8: a route that carries our router ID as ORIGINATOR_ID came back to its originator; one whose
   * CLUSTER_LIST holds our cluster ID went round the reflectors. Either is ignored (kept as rejected, like an AS loop).
   */
  private reflectionLoop(path: RibPath): boolean {
    const a = path.attributes;
    if (a.originatorId === this.routerId) return true;
    return this.clusterId !== undefined && a.clusterList?.includes(this.clusterId) === true;
  }

  /** Withdraws prefixes of one family from a peer (also used for RFC 7606 treat-as-withdraw). */
  withdraw(address: string, afi: number, prefixes: readonly string[]): RibChange[] {
    const changes: RibChange[] = [];
    this.withdrawInto(this.peer(address), afi, prefixes, changes);
    return changes;
  }

  private withdrawInto(peer: RibPeer, afi: number, prefixes: readonly string[], changes: RibChange[]): void {
    const { adjIn } = peer;
    const address = adjIn.source.address;
    for (const prefix of prefixes) {
      const c = this.locRib.set(afi, prefix, address, undefined);
      const prev = this.locRib.replaced;
      if (prev) {
        adjIn.candidateChanged(afi, prev, undefined);
        if (c) this.emit(c, changes);
      } else if (!adjIn.unreject(afi, prefix)) {
        continue;
      }
      peer.withdrawn++;
    }
    if (peer.maxPrefix && prefixes.length > 0) peer.maxPrefix.check(afi, SAFI_UNICAST, adjIn.accepted(afi));
  }

  /**
   * Applies one decoded UPDATE: withdrawn routes and MP_UNREACH first, then NLRI and MP_REACH. With
   * treatAsWithdraw (RFC 7606), every NLRI it carries is withdrawn instead. Validated before anything changes.
   */
  applyUpdate(address: string, update: UpdateMessage, opts: { treatAsWithdraw?: boolean } = {}): RibResult {
    const peer = this.peer(address);
    const { mpReach, mpUnreach } = update;
    checkUpdate(address, update, opts.treatAsWithdraw === true);
    const result: RibResult = { changes: [], events: [] };
    this.withdrawInto(peer, 1, update.withdrawn, result.changes);
    if (mpUnreach) this.withdrawInto(peer, mpUnreach.afi, mpUnreach.withdrawn, result.changes);
    if (opts.treatAsWithdraw) {
      this.withdrawInto(peer, 1, update.nlri, result.changes);
      if (mpReach) this.withdrawInto(peer, mpReach.afi, mpReach.nlri, result.changes);
      return result;
    }
    const attrs = update.attributes;
    this.announceInto(peer, 1, update.nlri, attrs, attrs.nextHop ?? '', undefined, result);
    if (mpReach)
      this.announceInto(peer, mpReach.afi, mpReach.nlri, attrs, mpReach.nextHop, mpReach.linkLocalNextHop, result);
    return result;
  }

  private checkMaxPrefix(peer: RibPeer, afi: number, events: MaxPrefixEvent[]): void {
    if (!peer.maxPrefix) return;
    const e = peer.maxPrefix.check(afi, SAFI_UNICAST, peer.adjIn.accepted(afi));
    if (e) events.push(e);
  }

  // ---- local origination ----

  /** Originates a local prefix (ORIGIN IGP, empty AS_PATH): preferred over learned paths, exported per policy. */
  originate(prefix: string, attributes: OriginAttributes = {}): RibChange[] {
    const p = parsePrefix(prefix);
    const path = this.local.interner.intern(p.afi, originPathAttributes(attributes), '');
    this.origins.add(p.text);
    const changes: RibChange[] = [];
    const c = this.locRib.set(p.afi, p.text, '', path);
    this.local.candidateChanged(p.afi, this.locRib.replaced, path);
    this.emit(c, changes);
    return changes;
  }

  withdrawOrigin(prefix: string): RibChange[] {
    const p = parsePrefix(prefix);
    const changes: RibChange[] = [];
    if (!this.origins.delete(p.text)) return changes;
    const c = this.locRib.set(p.afi, p.text, '', undefined);
    this.local.candidateChanged(p.afi, this.locRib.replaced, undefined);
    this.emit(c, changes);
    return changes;
  }

  /** Locally originated prefixes. */
  originated(): string[] {
    return [...this.origins];
  }

  /** Re-runs the decision for every prefix after the next-hop resolver's answers changed. */
  refreshReachability(): RibChange[] {
    const changes: RibChange[] = [];
    for (const c of this.locRib.recomputeAll()) this.emit(c, changes);
    return changes;
  }

  // ---- Adj-RIB-Out ----

  /** Route refresh from the peer (RFC 2918/7313): re-advertise the whole family, unchanged routes included. */
  routeRefresh(address: string, afi: number): void {
    const out = this.established_(address);
    out.markAll(afi, this.locRib.keys(afi), 'refresh');
  }

  /** Pending outbound changes for a peer, up to `limit` prefixes, grouped by attribute set. */
  takeOutbound(address: string, limit?: number): OutboundUpdate {
    return this.established_(address).take((afi, key) => this.locRib.bestKey(afi, key), limit);
  }

  hasOutbound(address: string): boolean {
    return this.peer(address).out?.hasPending() ?? false;
  }

  /** What is advertised to a peer for one prefix (undefined if nothing or the peer is not established). */
  advertised(address: string, afi: number, prefix: string) {
    return this.peer(address).out?.advertisedRoute(afi, prefix);
  }

  private established_(address: string): AdjRibOut {
    const out = this.peer(address).out;
    if (!out) throw new BgpStateError('peer-not-established', `peer ${address} is not established`);
    return out;
  }

  // ---- reading ----

  lookup(afi: number, prefix: string): Selection | undefined {
    return this.locRib.lookup(afi, prefix);
  }

  /** Every path received for one prefix, accepted or not, the decision and what each peer is sent (explain.ts). */
  explain(afi: number, prefix: string): PrefixExplanation {
    return explainPrefix({
      afi,
      prefix,
      candidates: this.locRib.candidates(afi, prefix),
      decision: this.locRib.options,
      peers: [...this.peers.values()].map((p) => ({
        address: p.adjIn.source.address,
        adjIn: p.adjIn,
        importFilter: p.importFilter,
        out: p.out,
        maxPrefixExceeded: p.maxPrefix?.exceeded(afi) ?? false,
      })),
      reflectionLoop: (path) => this.reflectionLoop(path),
    });
  }

  /** The best path of a prefix (canonical text), without the ECMP set: O(1), no allocation. */
  best(afi: number, prefix: string): RibPath | undefined {
    return this.locRib.best(afi, prefix);
  }

  candidates(afi: number, prefix: string): readonly RibPath[] {
    return this.locRib.candidates(afi, prefix);
  }

  routes(afi?: number): IterableIterator<{ afi: number; prefix: string; best: RibPath; nexthops: readonly string[] }> {
    return this.locRib.routes(afi);
  }

  /** Number of prefixes in the Loc-RIB (with at least one candidate). */
  size(afi?: number): number {
    return this.locRib.size(afi);
  }

  counters(address: string): PeerCounters {
    return peerCounters(this.peer(address));
  }

  private peer(address: string): RibPeer {
    const p = this.peers.get(address);
    if (!p) throw new BgpStateError('unknown-peer', `no peer ${address}`);
    return p;
  }

  private emit(c: RibChange | undefined, into: RibChange[]): void {
    if (!c) return;
    into.push(c);
    for (const peer of this.established) peer.out?.noteChange(c.afi, c.prefix, c.newBest);
  }
}
