// The public face of the package: a BGP speaker with peers added and removed at run time, local prefixes
// originated and withdrawn, and best-path changes emitted in batches. It wires sessions (session/) to the RIB (rib/).
import { EventEmitter } from 'node:events';
import { type Clock, type Defer, systemClock, systemDefer, type TimerHandle } from '@gannet/core';
import type { PeerRangeOptions } from './dynamic-peers.js';
import { BgpConfigError, BgpStateError } from './errors.js';
import { Cease } from './fsm/step.js';
import { withoutExport } from './peer-export.js';
import type { PeerHost, PeerStateEvent, PeerStatus } from './peer-host.js';
import { parsePrefix, tryParsePrefix } from './policy/ip-prefix.js';
import type { PrefixExplanation } from './rib/explain.js';
import type { RibChange } from './rib/loc-rib.js';
import { Rib } from './rib/rib.js';
import { bestStatusOf, type RouteStatus, routeStatus } from './route-status.js';
import { type ConnectionFactory, type Listener, tcpConnectionFactory } from './session/connection.js';
import type { Negotiated } from './session/open.js';
import type { Logger } from './session/peer-session.js';
import { readTcpMd5Counters } from './session/socket-options.js';
import { PeerAcceptor } from './speaker-accept.js';
import { SpeakerBfd } from './speaker-bfd.js';
import {
  type PeerOptions,
  peerKey,
  type SpeakerOptions,
  validatePeerOptions,
  validateSpeakerOptions,
} from './speaker-options.js';
import { PeerEntry } from './speaker-peer.js';

/**
 * One prefix's new best-path state, emitted in batches by 'best' in the order they happened (a prefix may appear
 * more than once in a batch: the last one counts). `nexthops` is the sorted ECMP set, [] when withdrawn or for a
 * locally originated best; it is shared with the RIB: do not modify it.
 */
export interface BestChange {
  readonly afi: number;
  readonly prefix: string;
  readonly nexthops: string[];
  readonly withdrawn: boolean;
  /** Where the best path comes from: 'local' (originated here), 'ebgp' or 'ibgp'; undefined when withdrawn. */
  readonly source: 'local' | 'ebgp' | 'ibgp' | undefined;
  /** Peer address of the best path ('' for local or withdrawn). */
  readonly peer: string;
  /** Why the best path changed (the decision step, or 'withdrawn'). */
  readonly reason: string;
}

/** A BestChange read straight from the RIB's change record: one small object per change, no copies. */
class RibBestChange implements BestChange {
  constructor(private readonly c: RibChange) {}
  get afi(): number {
    return this.c.afi;
  }
  get prefix(): string {
    return this.c.prefix;
  }
  get nexthops(): string[] {
    return this.c.nexthops as string[];
  }
  get withdrawn(): boolean {
    return this.c.newBest === undefined;
  }
  get source(): 'local' | 'ebgp' | 'ibgp' | undefined {
    return this.c.newBest?.source.kind;
  }
  get peer(): string {
    return this.c.newBest?.source.address ?? '';
  }
  get reason(): string {
    return this.c.reason;
  }
  toJSON(): object {
    const { afi, prefix, nexthops, withdrawn, source, peer, reason } = this;
    return { afi, prefix, nexthops, withdrawn, source, peer, reason };
  }
}

export type { RouteStatus } from './route-status.js';
export type { PeerStateEvent, PeerStatus };

export interface SpeakerEvents {
  best: [changes: BestChange[]];
  'peer-state': [event: PeerStateEvent];
  'end-of-rib': [event: { address: string; afi: number }];
  'initial-sync-complete': [];
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

export class Speaker extends EventEmitter<SpeakerEvents> {
  readonly asn: number;
  readonly routerId: string;
  private readonly rib: Rib;
  readonly clock: Clock;
  readonly defer: Defer;
  readonly factory: ConnectionFactory;
  readonly random: () => number;
  readonly log: Logger & { child?(meta: object): Logger };
  private readonly entries = new Map<string, PeerEntry>();
  /** What the peers see of the speaker (PeerHost): a narrow view, not the speaker itself. */
  private readonly host: PeerHost;
  private listener: Listener | undefined;
  private readonly bfd: SpeakerBfd;
  /** Listener keys, accepted connections' TTLs and dynamic neighbours (speaker-accept.ts). */
  private readonly acceptor: PeerAcceptor;
  private running = false;
  /** RIB changes not yet emitted as 'best' (kept as the RIB's own lists: no copy per change). */
  private pendingBest: RibChange[][] = [];
  private bestScheduled = false;
  /** Restarting speaker (RFC 4724 §4.1): no best-path events and no advertisements until initial sync. */
  private deferring: boolean;
  private syncWaiting: Set<string> | undefined;
  private syncTimer: TimerHandle | undefined;
  syncComplete = false;

  constructor(readonly options: SpeakerOptions) {
    super();
    validateSpeakerOptions(options);
    this.asn = options.asn;
    this.routerId = options.routerId;
    this.clock = options.clock ?? systemClock;
    this.defer = options.defer ?? systemDefer;
    this.factory = options.connect ?? tcpConnectionFactory;
    this.random = options.random ?? Math.random;
    this.log = options.logger ?? noopLogger;
    this.rib = new Rib({
      localAsn: options.asn,
      routerId: options.routerId,
      ...(options.routeReflector ? { routeReflector: options.routeReflector } : {}),
    });
    this.deferring = options.gracefulRestart?.restarting === true;
    this.bfd = new SpeakerBfd(options.bfd, (address) => this.entries.get(address), this.log);
    const speaker = this;
    this.host = {
      asn: this.asn,
      options,
      rib: this.rib,
      clock: this.clock,
      defer: this.defer,
      factory: this.factory,
      random: this.random,
      log: this.log,
      get isDeferring() {
        return speaker.deferring;
      },
      get isRunning() {
        return speaker.running;
      },
      changes: (changes) => this.changes(changes),
      endOfRibReceived: (address, afi) => this.endOfRibReceived(address, afi),
      tcpMd5Counters: () => (options.tcpMd5Counters ?? (options.connect ? undefined : readTcpMd5Counters))?.(),
      peerState: (event) => {
        this.emit('peer-state', event);
        this.dynamicState(event);
      },
    };
    this.acceptor = new PeerAcceptor({
      asn: this.asn,
      clock: this.clock,
      defer: this.defer,
      log: this.log,
      entries: this.entries,
      listener: () => this.listener,
      addDynamic: (p, range) => {
        this.addPeer(p);
        const e = this.entry(p.address);
        e.dynamicRange = range;
        return e;
      },
    });
  }

  /** Starts listening (unless listen: false) and starts every configured peer. */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    // '::' is dual-stack on Linux: IPv4 peers arrive as ::ffff:a.b.c.d (normalized by the connection).
    const listen = this.options.listen === undefined ? { address: '::', port: 179 } : this.options.listen;
    if (listen) this.listener = await this.factory.listen(listen, (conn) => this.acceptor.incoming(conn));
    this.acceptor.syncKeys();
    await this.bfd.start();
    this.syncWaiting = new Set(this.entries.keys());
    const ms = this.options.gracefulRestart?.selectionDeferralMs ?? this.options.initialSyncTimeoutMs ?? 60_000;
    this.syncTimer = this.clock.setTimeout(() => this.finishSync('timer'), ms);
    for (const e of this.entries.values()) e.session.start();
    this.checkSync();
  }

  /** Stops every session (graceful: TCP closed without NOTIFICATION, so peers keep our routes) and the listener. */
  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.syncTimer) this.clock.clearTimeout(this.syncTimer);
    for (const e of this.entries.values()) {
      e.session.stop({
        graceful: opts.graceful ?? false,
        reason: opts.graceful ? 'graceful-restart' : 'admin-shutdown',
      });
      e.clearTimers();
    }
    await this.listener?.close();
    this.listener = undefined;
    this.acceptor.listenerClosed();
    await this.bfd.close();
    this.flushBest();
  }

  /** The listening port (useful with port 0), or undefined. */
  get port(): number | undefined {
    return this.listener?.port;
  }

  /** Replaces the peer set: only added, removed and changed peers are touched. Validated before anything changes. */
  setPeers(peers: PeerOptions[]): void {
    const seen = new Set<string>();
    for (const p of peers) {
      validatePeerOptions(p);
      if (seen.has(p.address)) throw new BgpConfigError(`peer ${p.address} is listed twice`);
      seen.add(p.address);
    }
    for (const [address, e] of [...this.entries]) {
      // dynamic peers stay until their session ends, unless a configured peer takes their address
      if (e.dynamicRange !== undefined ? seen.has(address) : !seen.has(address)) this.removePeer(address);
    }
    for (const p of peers) {
      if (this.entries.has(p.address)) this.updatePeer(p);
      else this.addPeer(p);
    }
    this.acceptor.syncKeys();
  }

  /**
   * Dynamic neighbours (FRR's bgp listen range): connections from these prefixes, from no configured peer, become
   * passive peers with the AS their OPEN announces (if the range accepts it), removed when their session ends.
   * Validated before anything changes; peers already accepted stay.
   */
  setPeerRanges(ranges: PeerRangeOptions[]): void {
    this.acceptor.setRanges(ranges);
  }

  /** A dynamic peer whose session ended goes away (after the event, outside the session's own call). */
  private dynamicState(event: PeerStateEvent): void {
    if (event.state !== 'Idle') return;
    const e = this.entries.get(event.address);
    if (e?.dynamicRange === undefined) return;
    this.defer(() => {
      if (this.entries.get(event.address) !== e || e.session.state !== 'Idle') return;
      this.log.info('dynamic peer removed: its session ended', { address: event.address, range: e.dynamicRange });
      this.removePeer(event.address);
    });
  }

  addPeer(p: PeerOptions): void {
    validatePeerOptions(p);
    if (this.entries.has(p.address)) throw new BgpConfigError(`peer ${p.address} already exists`);
    const entry = new PeerEntry(this.host, p);
    this.entries.set(p.address, entry);
    this.bfd.sync(p);
    if (this.running) {
      entry.session.start();
    }
    this.acceptor.syncKeys();
  }

  /** Applies new options to a peer: a change of import/export rules only re-filters; anything else resets it. */
  updatePeer(p: PeerOptions): void {
    validatePeerOptions(p);
    const e = this.entry(p.address);
    this.bfd.sync(p); // BFD timers change without touching the BGP session
    if (peerKey(e.opts) === peerKey(p)) {
      e.opts = p;
      return;
    }
    // Policy (import/export rules, attached attributes) changes without a session reset.
    const { import: i1, export: x1, ...rest1 } = withoutExport(e.opts);
    const { import: i2, export: x2, ...rest2 } = withoutExport(p);
    if (peerKey({ ...rest1 }) === peerKey({ ...rest2 })) {
      e.setPolicy(p);
      return;
    }
    this.removePeer(p.address, Cease.OTHER_CONFIG_CHANGE);
    this.addPeer(p);
  }

  removePeer(address: string, subcode: number = Cease.PEER_DECONFIGURED): void {
    const e = this.entry(address);
    this.bfd.removed(address);
    e.session.stop({ reason: 'peer-removed', notify: { code: 6, subcode } });
    e.clearTimers();
    this.entries.delete(address);
    this.changes(this.rib.removePeer(address));
    this.syncWaiting?.delete(address);
    this.checkSync();
    this.acceptor.syncKeys();
  }

  /** Originates a local prefix (e.g. the node's pod CIDR). */
  originate(prefix: string): void {
    parsePrefix(prefix);
    this.changes(this.rib.originate(prefix));
  }

  withdrawOrigin(prefix: string): void {
    parsePrefix(prefix);
    this.changes(this.rib.withdrawOrigin(prefix));
  }

  /** Asks a peer to send its routes again (RFC 2918). False when it is not up or did not negotiate route refresh. */
  refresh(address: string, afi = 1): boolean {
    return this.entry(address).session.requestRefresh(afi);
  }

  peers(): PeerStatus[] {
    return [...this.entries.values()].map((e) => {
      const s = e.status();
      const bfd = this.bfd.status(e.opts.address);
      if (bfd) s.bfd = bfd;
      return s;
    });
  }

  routes(): RouteStatus[] {
    const out: RouteStatus[] = [];
    for (const r of this.rib.routes()) {
      out.push(routeStatus(r.afi, r.prefix, r.best, r.nexthops, this.rib.candidates(r.afi, r.prefix).length));
    }
    return out;
  }

  /**
   * One prefix's best path as routes() lists it (undefined when the Loc-RIB has none or the text is no prefix). O(1)
   * for the canonical text the speaker itself reports; other spellings are parsed first.
   */
  route(prefix: string): RouteStatus | undefined {
    let afi = prefix.includes(':') ? 2 : 1;
    let text = prefix;
    let sel = this.rib.lookup(afi, text);
    if (!sel) {
      const p = tryParsePrefix(prefix);
      if (!p || p.text === prefix) return undefined;
      afi = p.afi;
      text = p.text;
      sel = this.rib.lookup(afi, text);
    }
    if (!sel?.best) return undefined;
    return routeStatus(afi, text, sel.best, sel.nexthops, this.rib.candidates(afi, text).length);
  }

  /**
   * The best path of a prefix as routes() shows it, for listings of many routes: `prefix` must be the canonical text
   * the speaker reports ('best' events, routes()); O(1), the result shared per path and frozen.
   */
  bestOf(prefix: string): RouteStatus['best'] | undefined {
    const b = this.rib.best(prefix.includes(':') ? 2 : 1, prefix);
    return b && bestStatusOf(b);
  }

  /**
   * Why a prefix is or is not in the Loc-RIB and advertised: every path received for it (accepted, or rejected and
   * why), the decision step each losing path was eliminated at, and per peer whether the best path is sent.
   * Undefined when the text is no prefix.
   */
  explain(prefix: string): PrefixExplanation | undefined {
    const p = tryParsePrefix(prefix);
    if (!p) return undefined;
    return this.rib.explain(p.afi, p.text);
  }

  /** Number of prefixes in the Loc-RIB (cheaper than routes().length). */
  routeCount(afi?: number): number {
    return this.rib.size(afi);
  }

  /** The negotiated parameters of an Established peer (for diagnostics and tests). */
  negotiated(address: string): Negotiated | undefined {
    return this.entry(address).session.negotiated;
  }

  // ---- used by PeerEntry, through this.host ----

  /** RIB changes: queue 'best' events and wake the sessions that have something to send. */
  private changes(changes: RibChange[]): void {
    if (changes.length === 0) return;
    if (this.listenerCount('best') > 0) {
      this.pendingBest.push(changes);
      this.scheduleBest();
    }
    if (!this.deferring) for (const e of this.entries.values()) e.wake();
  }

  private endOfRibReceived(address: string, afi: number): void {
    this.emit('end-of-rib', { address, afi });
    this.checkSync();
  }

  private scheduleBest(): void {
    if (this.bestScheduled || this.deferring) return;
    this.bestScheduled = true;
    this.defer(() => {
      this.bestScheduled = false;
      this.flushBest();
    });
  }

  private flushBest(): void {
    if (this.deferring || this.pendingBest.length === 0) return;
    const lists = this.pendingBest;
    this.pendingBest = [];
    const batch: BestChange[] = [];
    for (const list of lists) for (const c of list) batch.push(new RibBestChange(c));
    this.emit('best', batch);
  }

  private checkSync(): void {
    if (!this.running || this.syncComplete || !this.syncWaiting) return;
    for (const address of this.syncWaiting) {
      if (this.entries.get(address)?.syncDone()) this.syncWaiting.delete(address);
    }
    if (this.syncWaiting.size === 0) this.finishSync('end-of-rib');
  }

  private finishSync(why: 'end-of-rib' | 'timer'): void {
    if (this.syncComplete || !this.running) return;
    this.syncComplete = true;
    if (this.syncTimer) this.clock.clearTimeout(this.syncTimer);
    this.log.info('initial sync complete', { why });
    if (this.deferring) {
      this.deferring = false;
      for (const e of this.entries.values()) e.restartDone();
    }
    // The best paths selected so far go out first: a listener that sweeps stale state on initial sync (the agent
    // removes kernel routes it adopted) must see them, or it removes routes it is about to re-add.
    this.flushBest();
    this.emit('initial-sync-complete');
  }

  private entry(address: string): PeerEntry {
    const e = this.entries.get(address);
    if (!e) throw new BgpStateError('unknown-peer', `no peer ${address}`);
    return e;
  }
}

export function createSpeaker(options: SpeakerOptions): Speaker {
  return new Speaker(options);
}
