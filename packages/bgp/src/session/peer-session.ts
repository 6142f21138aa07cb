// One BGP peer: carries out the FSM's actions on a connection (connect, send, close), frames and decodes what
// arrives, resolves connection collisions (§6.8) and writes what handlers.pull() returns while the socket takes it
// (backpressure). It knows nothing of RIBs: received routes go to the handlers.
import type { TimerHandle } from '@gannet/core';
import { onOpen } from '../fsm/collision.js';
import { step } from '../fsm/step.js';
import type { FsmAction, FsmEvent, FsmState, Notify, StepResult } from '../fsm/types.js';
import { BgpWireError } from '../wire/bgp-wire-error.js';
import type { CodecOptions, ErrorAction, OpenMessage } from '../wire/types.js';
import type { Connection, ConnectOptions } from './connection.js';
import { clearLinkTimer, type Link, newLink, scheduleLinkTimer } from './link.js';
import { MessageCodec } from './message-codec.js';
import { buildOpen, checkOpen, type Negotiated } from './open.js';
import { treatAsWithdraw } from './outbound.js';
import { OutboundFlusher } from './outbound-flush.js';
import type { PeerSessionOptions } from './session-types.js';

export type { Outbound } from './outbound.js';
export type { Logger, PeerSessionOptions, SessionHandlers } from './session-types.js';

interface Held {
  link: Link;
  open: OpenMessage;
  frames: Buffer[];
  timer: TimerHandle;
}

/** Frames kept after a held OPEN: a peer in OpenConfirm sends only KEEPALIVEs. */
const HELD_FRAMES = 16;

/** How long a candidate connection with the peer's OPEN waits for the main connection's OPEN (see hold()). */
export const STALLED_OPEN_GRACE_MS = 2_000;

export class PeerSession {
  private main: Link;
  private candidate: Link | undefined;
  private readonly out: OutboundFlusher;
  /** The candidate's OPEN (and what followed) while the main connection may still send its own (hold()). */
  private held: Held | undefined;
  readonly counters = {
    updatesIn: 0,
    updatesOut: 0,
    flaps: 0,
    treatAsWithdraw: 0,
    attributeDiscard: 0,
    sendHoldExpired: 0,
  };
  lastError = '';
  establishedAt: number | undefined;

  constructor(readonly opts: PeerSessionOptions) {
    this.main = newLink(opts.fsm);
    this.out = new OutboundFlusher(
      {
        link: () => this.main,
        pull: (limit) => this.opts.handlers.pull(limit),
        write: (link, buf) => this.write(link, buf),
        sent: (n) => {
          this.counters.updatesOut += n;
        },
      },
      opts.defer,
    );
  }

  get state(): FsmState['state'] {
    return this.main.fsm.state;
  }
  /** Our address on the current connection (the next hop we announce). */
  get localAddress(): string | undefined {
    return this.main.conn?.localAddress;
  }
  get lastReason(): string {
    return this.main.fsm.detail ?? this.main.fsm.reason;
  }
  get negotiated(): Negotiated | undefined {
    return this.main.fsm.state === 'Established' ? this.main.negotiated : undefined;
  }

  start(): void {
    this.handle(this.main, { type: 'start' });
  }

  /** Stops the peer: Cease/2 (or `notify`) unless graceful, which closes TCP without a NOTIFICATION. */
  stop(o: { graceful?: boolean; reason?: string; notify?: Notify } = {}): void {
    if (this.candidate) this.dropCandidate();
    const ev: FsmEvent = { type: 'stop', graceful: o.graceful ?? false, reason: o.reason ?? 'admin-shutdown' };
    if (o.notify) ev.notify = o.notify;
    this.handle(this.main, ev);
    this.clearTimer(this.main);
  }

  /** BFD reports the path to the peer down: the session drops at once (Cease/10), and retries with backoff. */
  bfdDown(): void {
    if (this.candidate) this.dropCandidate();
    this.handle(this.main, { type: 'bfd-down' });
  }

  /** The path is back (BFD Up): a session waiting out its reconnect backoff tries now. */
  retryNow(): void {
    const m = this.main;
    if (m.fsm.state === 'Idle' && m.fsm.started && m.fsm.deadlines['idle-hold'] !== undefined) {
      this.handle(m, { type: 'timer', timer: 'idle-hold' });
    }
  }

  /** An incoming connection from this peer's address (the speaker's listener routes it here). */
  accept(conn: Connection): void {
    const m = this.main;
    if (!m.fsm.started) {
      conn.destroy();
      return;
    }
    if (m.fsm.state === 'Established' && m.negotiated?.peerGracefulRestart) {
      // RFC 4724 §4.2: a new connection from a restarting peer ends the old session (helper mode).
      this.handle(m, { type: 'tcp-closed' });
    }
    if (m.fsm.state === 'Idle' && m.fsm.reason === 'connection-closed') {
      this.handle(m, { type: 'timer', timer: 'idle-hold' }); // the restarting peer is back: no backoff
    }
    if (m.fsm.state === 'Connect' || m.fsm.state === 'Active') {
      // An outgoing attempt still in flight becomes the collision candidate if it connects (see connect()).
      this.attach(m, conn, false);
      this.handle(m, { type: 'tcp-connected' });
      return;
    }
    if (m.fsm.state === 'OpenSent' || m.fsm.state === 'OpenConfirm') {
      // A second connection (§6.8). One that never sent its OPEN gives way to a newer one: a stalled connection
      // must not keep the peer's genuine reconnect out (one whose OPEN is held did send it, and stays).
      if (this.candidate?.fsm.state === 'OpenSent' && this.held?.link !== this.candidate) {
        this.opts.log.info('replacing a connection that sent no OPEN', { state: m.fsm.state });
        this.dropCandidate();
      }
      if (!this.candidate) {
        this.addCandidate(conn, false);
        return;
      }
    }
    this.opts.log.info('connection refused', { state: m.fsm.state });
    conn.destroy();
  }

  /** There are changes to pull (handlers.pull) and send while the connection takes them. */
  wake(): void {
    if (this.main.fsm.state === 'Established') this.out.schedule();
  }

  /** Answers a ROUTE-REFRESH: BoRR now (enhanced, RFC 7313); the caller re-marks the routes; EoRR after them. */
  beginRefreshReply(afi: number): void {
    if (!this.main.negotiated?.enhancedRouteRefresh) return;
    this.sendMessage(this.main, { type: 'route-refresh', afi, safi: 1, subtype: 1 });
    this.out.refreshReplyStarted(afi);
  }

  /** Asks the peer to send its routes of `afi` again (RFC 2918). False when the peer did not negotiate it. */
  requestRefresh(afi: number): boolean {
    const n = this.negotiated;
    if (!n?.routeRefresh || !n.families.includes(afi)) return false;
    this.sendMessage(this.main, { type: 'route-refresh', afi, safi: 1, subtype: 0 });
    return true;
  }

  /** Max-prefix exceeded: Cease/1 with the RFC 4486 `data` (AFI, SAFI, limit); restart after `restartMs`. */
  maxPrefixExceeded(data: Buffer, restartMs?: number): void {
    const ev: FsmEvent = { type: 'max-prefix', data };
    if (restartMs !== undefined) ev.restartMs = restartMs;
    this.handle(this.main, ev);
  }

  /** A second connection while the first is in OpenSent/OpenConfirm: both exchange OPENs, then §6.8 decides. */
  private addCandidate(conn: Connection, outgoing: boolean): void {
    const c = newLink({ ...this.opts.fsm, passive: true });
    this.candidate = c;
    this.handle(c, { type: 'start' });
    this.attach(c, conn, outgoing);
    this.handle(c, { type: 'tcp-connected' });
  }

  private handle(link: Link, event: FsmEvent): StepResult {
    const r = step(link.fsm, event, { now: this.opts.clock.now(), random: this.opts.random });
    link.fsm = r.state;
    for (const a of r.actions) this.perform(link, a);
    scheduleLinkTimer(this.opts.clock, link, (timer) => this.handle(link, { type: 'timer', timer }));
    if (r.transition && link === this.main) {
      if (r.transition.reason === 'send-hold-timer-expired') this.counters.sendHoldExpired++;
      if (r.transition.from === 'Established') {
        this.counters.flaps++;
        this.establishedAt = undefined;
      }
      this.opts.handlers.transition(r.transition);
    }
    if (link === this.candidate && link.fsm.state === 'Idle') this.dropCandidate();
    return r;
  }

  private perform(link: Link, a: FsmAction): void {
    switch (a.type) {
      case 'connect': {
        this.connect(link);
        return;
      }
      case 'send-open': {
        this.sendMessage(link, buildOpen(this.opts.open));
        return;
      }
      case 'send-keepalive': {
        this.sendMessage(link, { type: 'keepalive' });
        return;
      }
      case 'send-notification':
        this.lastError = `sent NOTIFICATION ${a.code}/${a.subcode} (${link.fsm.detail ?? link.fsm.reason})`;
        {
          this.sendMessage(link, {
            type: 'notification',
            code: a.code,
            subcode: a.subcode,
            data: a.data ?? Buffer.alloc(0),
          });
          return;
        }
      case 'close': {
        this.detach(link);
        return;
      }
      case 'deliver':
        return; // the caller of handle() looks at the result
      case 'established':
        this.establishedAt = this.opts.clock.now();
        if (link.negotiated) this.opts.handlers.established(link.negotiated);
        return;
      case 'down':
        this.out.reset();
        this.opts.handlers.down({ reason: link.fsm.reason, graceful: a.graceful, negotiated: link.negotiated });
        return;
    }
  }

  private connect(link: Link): void {
    const attempt = ++link.attempt;
    const o: ConnectOptions = { host: this.opts.address, port: this.opts.port };
    if (this.opts.localAddress) o.localAddress = this.opts.localAddress;
    if (this.opts.security) o.security = this.opts.security;
    this.opts.factory.connect(o).then(
      (conn) => {
        if (link.attempt !== attempt || link !== this.main) return conn.destroy();
        if (link.fsm.state === 'Connect') {
          this.attach(link, conn, true);
          this.handle(link, { type: 'tcp-connected' });
        } else if ((link.fsm.state === 'OpenSent' || link.fsm.state === 'OpenConfirm') && !this.candidate) {
          this.addCandidate(conn, true); // the peer connected to us meanwhile: a collision
        } else conn.destroy();
      },
      (err: NodeJS.ErrnoException) => {
        if (link.attempt !== attempt || link !== this.main || link.fsm.state !== 'Connect') return;
        this.lastError = err.message;
        const reason = err.code === 'ECONNREFUSED' ? 'connection-refused' : 'connect-failed';
        this.handle(link, { type: 'tcp-failed', reason });
      },
    );
  }

  private attach(link: Link, conn: Connection, outgoing: boolean): void {
    link.conn = conn;
    link.outgoing = outgoing;
    link.codec = new MessageCodec();
    link.blocked = false;
    conn.on('data', (chunk) => {
      if (link.conn === conn) this.receive(link, conn, chunk);
    });
    conn.on('drain', () => {
      if (link.conn !== conn) return;
      link.blocked = false;
      this.handle(link, { type: 'send-drained' });
      this.out.schedule();
    });
    conn.on('error', (err) => {
      if (link.conn === conn) this.lastError = err.message;
    });
    conn.on('close', () => {
      if (link.conn === conn) this.handle(link, { type: 'tcp-closed' });
    });
  }

  private detach(link: Link): void {
    const conn = link.conn;
    link.conn = undefined;
    link.attempt++;
    conn?.end();
  }

  private sendMessage(link: Link, msg: Parameters<MessageCodec['encode']>[0]): void {
    if (!link.conn) return;
    this.write(link, link.codec.encode(msg));
  }

  private write(link: Link, buf: Buffer): void {
    const conn = link.conn;
    if (!conn || conn.write(buf) || link.blocked) return;
    link.blocked = true;
    // RFC 9687: the SendHoldTimer runs until 'drain'. Started outside the write: we may be inside handle().
    queueMicrotask(() => {
      if (link.conn === conn && link.blocked) this.handle(link, { type: 'send-blocked' });
    });
  }

  private receive(link: Link, conn: Connection, chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = link.codec.frame(chunk);
    } catch (err) {
      this.wireError(link, err);
      return;
    }
    for (const frame of frames) {
      if (link.conn !== conn) return; // closed while handling an earlier message
      try {
        this.receiveFrame(link, frame);
      } catch (err) {
        // A bug in a handler must not take the process down: reset this session and say why.
        this.opts.log.error('internal error handling a message', {
          error: err instanceof Error ? err.stack : String(err),
        });
        if (link.conn === conn) {
          this.handle(link, { type: 'message-error', error: { code: 6, subcode: 0 }, reason: 'internal-error' });
        }
        return;
      }
    }
  }

  private wireError(link: Link, err: unknown): void {
    if (err instanceof BgpWireError) {
      this.opts.log.warn('malformed message', { reason: err.reason, code: err.notification.code });
      this.handle(link, { type: 'message-error', error: err.notification, reason: err.reason });
      return;
    }
    this.opts.log.error('unexpected decode failure', { error: String(err) });
    this.handle(link, { type: 'message-error', error: { code: 6, subcode: 0 }, reason: 'internal-error' });
  }

  private receiveFrame(link: Link, frame: Buffer): void {
    if (this.held?.link === link) {
      if (this.held.frames.length < HELD_FRAMES) this.held.frames.push(frame);
      return;
    }
    let decoded: { message: Parameters<MessageCodec['encode']>[0]; action?: ErrorAction; errors: { reason: string }[] };
    try {
      decoded = link.codec.decode(frame);
    } catch (err) {
      this.wireError(link, err);
      return;
    }
    const msg = decoded.message;
    switch (msg.type) {
      case 'open': {
        this.receiveOpen(link, msg);
        return;
      }
      case 'keepalive':
        this.handle(link, { type: 'keepalive-received' });
        return;
      case 'notification':
        this.lastError = `received NOTIFICATION ${msg.code}/${msg.subcode}`;
        this.opts.log.warn('notification received', { code: msg.code, subcode: msg.subcode });
        this.handle(link, { type: 'notification-received', code: msg.code, subcode: msg.subcode });
        return;
      case 'route-refresh':
        if (this.handle(link, { type: 'route-refresh-received' }).actions.some((a) => a.type === 'deliver')) {
          this.opts.handlers.routeRefresh(msg.afi, msg.subtype);
        }
        return;
      case 'update': {
        this.counters.updatesIn++;
        if (!this.handle(link, { type: 'update-received' }).actions.some((a) => a.type === 'deliver')) return;
        if (msg.endOfRib) {
          this.opts.handlers.endOfRib(msg.endOfRib.afi);
          return;
        }
        let update = msg;
        if (decoded.action === 'treat-as-withdraw') {
          this.counters.treatAsWithdraw++;
          this.opts.log.warn('malformed UPDATE treated as withdraw', { errors: decoded.errors.map((e) => e.reason) });
          update = treatAsWithdraw(msg);
        } else if (decoded.action === 'attribute-discard') {
          this.counters.attributeDiscard++;
          this.opts.log.warn('malformed attribute discarded', { errors: decoded.errors.map((e) => e.reason) });
        }
        this.opts.handlers.update(update);
        return;
      }
    }
  }

  private receiveOpen(link: Link, open: Extract<Parameters<MessageCodec['encode']>[0], { type: 'open' }>): void {
    const checked = checkOpen(open, this.opts.open, this.opts.asn);
    if (!checked.ok) {
      this.handle(link, { type: 'message-error', error: checked.error, reason: checked.reason });
      return;
    }
    const n = checked.negotiated;
    const other = link === this.main ? this.candidate : this.main;
    const decision = onOpen({
      role: link === this.main ? 'main' : 'candidate',
      other: other && { state: other.fsm.state, outgoing: other.outgoing, held: this.held?.link === other },
      localId: this.opts.open.routerId,
      remoteId: n.remoteId,
    });
    if (decision !== 'proceed') this.opts.log.info('connection collision', { decision });
    switch (decision) {
      case 'hold':
        this.hold(link, open);
        return;
      case 'lose':
        this.handle(link, { type: 'collision-lost' }); // a losing candidate is dropped by handle()
        if (link === this.main && other) this.promote(other);
        return;
      case 'take-over':
        this.promote(link);
        break;
      case 'proceed-other-loses':
        if (other) this.handle(other, { type: 'collision-lost' });
        break;
    }
    link.negotiated = n;
    const codec: CodecOptions = {
      fourOctetAs: n.fourOctetAs,
      extendedMessage: n.extendedMessage,
      external: n.remoteAsn !== this.opts.open.asn,
    };
    link.codec.configure(codec);
    this.handle(link, { type: 'open-received', holdTime: open.holdTime });
  }

  /** The candidate connection becomes the peer's connection; the old one gets Cease/7 and closes. */
  private promote(link: Link): void {
    const old = this.main;
    const held = this.unhold(link);
    if (old !== link && old.fsm.state !== 'Idle') this.handle(old, { type: 'collision-lost' });
    this.clearTimer(old);
    this.detach(old);
    this.candidate = undefined;
    this.main = link;
    link.fsm = { ...link.fsm, config: this.opts.fsm };
    if (!held) return;
    const conn = link.conn;
    this.receiveOpen(link, held.open);
    for (const f of held.frames) {
      if (link.conn !== conn) return;
      this.receiveFrame(link, f);
    }
  }

  /**
   * The candidate has the peer's OPEN and, by the identifiers, should give way to the main connection, which has
   * no OPEN yet. That one is either half of a simultaneous open (its OPEN is on the way; once it arrives, the
   * candidate loses) or a connection that will never send one. Hold the candidate's OPEN briefly; without the other
   * OPEN by then, the candidate takes the main connection's place.
   */
  private hold(link: Link, open: OpenMessage): void {
    const timer = this.opts.clock.setTimeout(() => {
      if (this.held?.link !== link || this.candidate !== link) return;
      this.opts.log.info('connection without OPEN replaced', { state: this.main.fsm.state });
      this.promote(link);
    }, STALLED_OPEN_GRACE_MS);
    this.held = { link, open, frames: [], timer };
  }

  /** Ends a hold (of `link`, or any when undefined); returns what was held. */
  private unhold(link?: Link): Held | undefined {
    const h = this.held;
    if (!h || (link && h.link !== link)) return undefined;
    this.held = undefined;
    this.opts.clock.clearTimeout(h.timer);
    return h;
  }

  private dropCandidate(): void {
    const c = this.candidate;
    if (!c) return;
    this.unhold(c);
    this.candidate = undefined;
    this.clearTimer(c);
    this.detach(c);
  }

  private clearTimer(link: Link): void {
    clearLinkTimer(this.opts.clock, link);
  }
}
