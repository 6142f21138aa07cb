// BFD sessions with their timers and one transport: carries out what bfdStep decides, demultiplexes received
// packets (RFC 5880 §6.8.6: by Your Discriminator, else by source address), and reports state changes.
import { EventEmitter } from 'node:events';
import { type Clock, type Defer, systemClock, systemDefer, type TimerHandle } from '@gannet/core';
import type { Logger } from '../session/peer-session.js';
import type { BfdService } from './bfd-service.js';
import { BfdDiag, type BfdStateName, bfdDiagName, decodeBfdPacket, encodeBfdPacket } from './packet.js';
import {
  type BfdEvent,
  type BfdSessionState,
  bfdStep,
  checkBfdConfig,
  detectionTimeUs,
  initialBfdState,
  txIntervalUs,
} from './step.js';
import type { BfdDatagram, BfdTransport, BfdTransportFactory } from './transport.js';

export interface BfdPeerOptions {
  /** The peer's address (single hop: directly connected). */
  peer: string;
  /** Our address towards it (source of our packets), when fixed. */
  local?: string;
  /** Desired Min TX and Required Min RX, ms (default 300), and the detect multiplier (default 3). */
  minTxMs?: number;
  minRxMs?: number;
  multiplier?: number;
}

export interface BfdStateEvent {
  peer: string;
  from: BfdStateName;
  to: BfdStateName;
  /** Our diagnostic after the change (why we went down), e.g. 'control-detection-time-expired'. */
  diag: string;
  /** The peer said it is administratively down (RFC 5880 AdminDown): not a path failure (RFC 5882 §3.2). */
  peerAdminDown: boolean;
  /** The peer's C bit: its BFD does not share fate with its control plane. */
  remoteCpi: boolean;
}

export interface BfdSessionStatus {
  peer: string;
  state: BfdStateName;
  /** Our last diagnostic and the peer's, as names ('none' when none). */
  localDiag: string;
  remoteDiag: string;
  remoteState: BfdStateName;
  localDiscr: number;
  remoteDiscr: number;
  /** The agreed transmit interval and our detection time, ms (0 while unknown). */
  txIntervalMs: number;
  detectTimeMs: number;
  /** Seconds since the session came Up (0 when it is not Up). */
  uptimeSeconds: number;
  /** Transitions from Up to anything else, since the session was added. */
  downs: number;
  /**
   * The same by our diagnostic: 'control-detection-time-expired' (we stopped hearing the peer),
   * 'neighbor-signaled-session-down' (it stopped hearing us, or went AdminDown), 'administratively-down' (ours).
   */
  downsByDiag: Record<string, number>;
  packetsIn: number;
  packetsOut: number;
}

export interface BfdManagerEvents {
  state: [event: BfdStateEvent];
}

export interface BfdManagerOptions {
  transport: BfdTransportFactory;
  clock?: Clock;
  /** Runs a callback after pending I/O (setImmediate by default; FakeClock's defer in tests). */
  defer?: Defer;
  random?: () => number;
  logger?: Logger;
}

interface Entry {
  opts: BfdPeerOptions;
  fsm: BfdSessionState;
  timer?: TimerHandle;
  /** When the armed timer fires (clock ms). */
  timerAt?: number;
  /** The detection deadline passed; the check waits for the socket's pending packets (fire()). */
  expiring?: boolean;
  upAt?: number;
  downs: number;
  downsByDiag: Record<string, number>;
  packetsIn: number;
  packetsOut: number;
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The RFC 5880 configuration of a peer's options (ms → µs, defaults 300/300/3). */
export function bfdConfigOf(o: BfdPeerOptions): {
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  detectMult: number;
} {
  return {
    desiredMinTxUs: Math.round((o.minTxMs ?? 300) * 1000),
    requiredMinRxUs: Math.round((o.minRxMs ?? 300) * 1000),
    detectMult: o.multiplier ?? 3,
  };
}

export class BfdManager extends EventEmitter<BfdManagerEvents> implements BfdService {
  private readonly clock: Clock;
  private readonly defer: Defer;
  private readonly random: () => number;
  private readonly log: Logger;
  private readonly byPeer = new Map<string, Entry>();
  private readonly byDiscr = new Map<number, Entry>();
  private transport: BfdTransport | undefined;
  private started = false;
  private opening: Promise<void> | undefined;
  /** Why the transport could not be opened (e.g. port 3784 taken), until it opens. */
  transportError: Error | undefined;
  /** Packets discarded, by reason (§6.8.6 checks, or no session for them). */
  readonly discarded = new Map<string, number>();

  constructor(private readonly options: BfdManagerOptions) {
    super();
    this.clock = options.clock ?? systemClock;
    this.defer = options.defer ?? systemDefer;
    this.random = options.random ?? Math.random;
    this.log = options.logger ?? noopLogger;
  }

  /**
   * Starts every session added so far, and those added later. The transport (UDP port 3784) opens with the first
   * session: an agent without BFD peers binds nothing. A failure to open it is logged and kept in transportError;
   * the next set() tries again.
   */
  async start(): Promise<void> {
    this.started = true;
    await this.open();
  }

  private open(): Promise<void> {
    if (!this.started || this.transport || this.byPeer.size === 0) return Promise.resolve();
    this.opening ??= (async () => {
      try {
        this.transport = await this.options.transport((d) => this.receive(d));
        this.transportError = undefined;
        for (const e of this.byPeer.values()) this.handle(e, { type: 'start' });
      } catch (err) {
        this.transportError = err as Error;
        this.log.error('bfd: cannot open the transport', { error: (err as Error).message });
      } finally {
        this.opening = undefined;
      }
    })();
    return this.opening;
  }

  /** Stops every session (each sends AdminDown once, so the peer does not count it as a failure) and the transport. */
  async close(): Promise<void> {
    for (const peer of [...this.byPeer.keys()]) this.remove(peer);
    this.started = false;
    await this.opening;
    await this.transport?.close();
    this.transport = undefined;
  }

  has(peer: string): boolean {
    return this.byPeer.has(peer);
  }

  /** Adds a session, or applies new timers to an existing one (a Poll Sequence when it is Up). */
  set(o: BfdPeerOptions): void {
    const config = bfdConfigOf(o);
    checkBfdConfig(config);
    const e = this.byPeer.get(o.peer);
    if (e) {
      e.opts = o;
      this.handle(e, { type: 'configure', config });
      if (!this.transport) void this.open();
      return;
    }
    const entry: Entry = {
      opts: o,
      fsm: initialBfdState(config, this.newDiscriminator()),
      downs: 0,
      downsByDiag: {},
      packetsIn: 0,
      packetsOut: 0,
    };
    this.byPeer.set(o.peer, entry);
    this.byDiscr.set(entry.fsm.localDiscr, entry);
    if (this.transport) this.handle(entry, { type: 'start' });
    else void this.open();
  }

  /** Removes a session: AdminDown goes out once (RFC 5880 §6.8.16 would repeat it; the peer's timers cover a loss). */
  remove(peer: string): void {
    const e = this.byPeer.get(peer);
    if (!e) return;
    if (this.transport && e.fsm.state !== 'AdminDown') this.handle(e, { type: 'admin-down' });
    this.disarm(e);
    this.byPeer.delete(peer);
    this.byDiscr.delete(e.fsm.localDiscr);
    this.transport?.release(peer);
  }

  /** Administratively disables (true) or re-enables a session (RFC 5880 AdminDown). */
  adminDown(peer: string, down: boolean): void {
    const e = this.byPeer.get(peer);
    if (e) this.handle(e, { type: down ? 'admin-down' : 'admin-up' });
  }

  state(peer: string): BfdStateName | undefined {
    return this.byPeer.get(peer)?.fsm.state;
  }

  status(peer: string): BfdSessionStatus | undefined {
    const e = this.byPeer.get(peer);
    if (!e) return undefined;
    const s = e.fsm;
    const known = s.remote.detectMult > 0;
    return {
      peer,
      state: s.state,
      localDiag: bfdDiagName(s.localDiag),
      remoteDiag: bfdDiagName(s.remote.diag),
      remoteState: s.remote.state,
      localDiscr: s.localDiscr,
      remoteDiscr: s.remoteDiscr,
      txIntervalMs: known ? txIntervalUs(s) / 1000 : 0,
      detectTimeMs: known ? detectionTimeUs(s) / 1000 : 0,
      uptimeSeconds: e.upAt === undefined ? 0 : Math.floor((this.clock.now() - e.upAt) / 1000),
      downs: e.downs,
      downsByDiag: { ...e.downsByDiag },
      packetsIn: e.packetsIn,
      packetsOut: e.packetsOut,
    };
  }

  statuses(): BfdSessionStatus[] {
    return [...this.byPeer.keys()].map((p) => this.status(p) as BfdSessionStatus);
  }

  private newDiscriminator(): number {
    for (;;) {
      const d = 1 + Math.floor(this.random() * 0xfffffffe);
      if (!this.byDiscr.has(d)) return d;
    }
  }

  private discard(reason: string): void {
    this.discarded.set(reason, (this.discarded.get(reason) ?? 0) + 1);
  }

  private receive(d: BfdDatagram): void {
    const r = decodeBfdPacket(d.data);
    if (!r.ok) {
      this.discard(r.reason);
      return;
    }
    const p = r.packet;
    // §6.8.6: a non-zero Your Discriminator selects the session; zero: the session is found by the source address
    // (single hop, RFC 5881 §3).
    const e = p.yourDiscr !== 0 ? this.byDiscr.get(p.yourDiscr) : this.byPeer.get(d.from);
    if (!e || e.opts.peer !== d.from) {
      this.discard(e ? 'wrong-source' : 'no-session');
      return;
    }
    e.packetsIn++;
    this.handle(e, { type: 'received', packet: p });
  }

  private handle(e: Entry, event: BfdEvent): void {
    if (!this.byPeer.has(e.opts.peer) && event.type !== 'admin-down') return;
    const r = bfdStep(e.fsm, event, { now: this.clock.now(), random: this.random });
    if (!this.transport) {
      // Not started (or the transport is not open yet): keep the configuration, run no timer; 'start' arms them.
      e.fsm = { ...r.state, deadlines: {} };
      return;
    }
    e.fsm = r.state;
    for (const a of r.actions) {
      e.packetsOut++;
      this.transport?.send(e.opts.peer, e.opts.local, encodeBfdPacket(a.packet));
    }
    this.schedule(e);
    const t = r.transition;
    if (t) {
      if (t.to === 'Up') e.upAt = this.clock.now();
      if (t.from === 'Up') {
        e.downs++;
        const why = bfdDiagName(t.diag);
        e.downsByDiag[why] = (e.downsByDiag[why] ?? 0) + 1;
        e.upAt = undefined;
      }
      const ev: BfdStateEvent = {
        peer: e.opts.peer,
        from: t.from,
        to: t.to,
        diag: bfdDiagName(t.diag),
        peerAdminDown: t.diag === BfdDiag.NeighborDown && t.remote.state === 'AdminDown',
        remoteCpi: t.remote.cpi,
      };
      const level = t.from === 'Up' && !ev.peerAdminDown ? 'warn' : 'info';
      this.log[level](`bfd ${t.to}`, {
        peer: ev.peer,
        from: t.from,
        diag: ev.diag,
        remoteDiag: bfdDiagName(t.remote.diag),
      });
      this.emit('state', ev);
    }
  }

  /**
   * One timer per session, armed for its earliest deadline. A received packet pushes the detection deadline later,
   * so a timer already armed earlier than the new earliest deadline is kept: it fires early, finds nothing due and
   * re-arms. That saves a clearTimeout/setTimeout pair per received packet.
   */
  private schedule(e: Entry): void {
    if (!this.byPeer.has(e.opts.peer)) {
      this.disarm(e);
      return;
    }
    const { tx, detect } = e.fsm.deadlines;
    const at = Math.min(
      tx ?? Number.POSITIVE_INFINITY,
      !e.expiring && detect !== undefined ? detect : Number.POSITIVE_INFINITY,
    );
    if (at === Number.POSITIVE_INFINITY) {
      this.disarm(e);
      return;
    }
    if (e.timer !== undefined && e.timerAt !== undefined && e.timerAt <= at) return;
    this.disarm(e);
    e.timerAt = at;
    e.timer = this.clock.setTimeout(() => {
      e.timer = undefined;
      e.timerAt = undefined;
      this.fire(e);
    }, at - this.clock.now());
  }

  private disarm(e: Entry): void {
    if (e.timer !== undefined) this.clock.clearTimeout(e.timer);
    e.timer = undefined;
    e.timerAt = undefined;
  }

  /** The timer fired: the deadlines that are due (within 1 ms, the timers' granularity) become events. */
  private fire(e: Entry): void {
    const due = this.clock.now() + 1;
    const { tx, detect } = e.fsm.deadlines;
    if (tx !== undefined && tx <= due) this.handle(e, { type: 'timer', timer: 'tx' });
    if (detect !== undefined && detect <= due && !e.expiring) {
      e.expiring = true;
      // The event loop runs timers before it reads sockets: after a stall (the machine busy, a long callback), the
      // peer's packets that arrived in time may still wait in the socket. Expire only after they are read
      // (setImmediate runs after the poll phase); a packet among them moves the deadline on.
      this.defer(() => {
        e.expiring = false;
        if (!this.byPeer.has(e.opts.peer)) return;
        const d = e.fsm.deadlines.detect;
        if (d !== undefined && d <= this.clock.now() + 1) this.handle(e, { type: 'timer', timer: 'detect' });
        else this.schedule(e);
      });
    }
    this.schedule(e);
  }
}
