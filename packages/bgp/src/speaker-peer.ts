// One configured peer inside the speaker: its session, its place in the RIB, graceful-restart helper timers and
// the counters behind speaker.peers().
import type { TimerHandle } from '@gannet/core';
import { BgpError } from './errors.js';
import { type FsmConfig, type FsmReason, isHelperModeReason, type Transition } from './fsm/types.js';
import { exportAttributesOf } from './peer-export.js';
import type { PeerHost, PeerStatus } from './peer-host.js';
import { isMultihop, transportSecurity } from './peer-transport.js';
import { nextHopProblem } from './policy/next-hop.js';
import type { RibPeerConfig } from './rib/types.js';
import type { TransportSecurity } from './session/connection.js';
import type { Negotiated, OpenParams } from './session/open.js';
import { treatAsWithdraw } from './session/outbound.js';
import { type Logger, type Outbound, PeerSession } from './session/peer-session.js';
import type { PeerOptions } from './speaker-options.js';
import type { UpdateMessage } from './wire/types.js';

/** How often a peer with a TCP-MD5 password that is not up has the kernel's MD5 drop counters looked at. */
const MD5_WATCH_MS = 5_000;
/** How long the stale routes of a restarted peer wait for its End-of-RIB once it is back (RFC 4724 §4.2). */
const STALE_PATH_MS = 360_000;
const EMPTY: Outbound = { announce: [], withdraw: [], completed: [] };

/** dst.push(...src) without the argument-count limit (a million changes do not fit on the stack). */
function append<T>(dst: T[], src: readonly T[]): void {
  for (const x of src) dst.push(x);
}

function ribConfig(p: PeerOptions): RibPeerConfig {
  const c: RibPeerConfig = { address: p.address, asn: p.asn };
  if (Array.isArray(p.import)) c.importPolicy = { rules: p.import };
  if (Array.isArray(p.export)) c.exportPolicy = { rules: p.export };
  if (p.maxPrefixes !== undefined) {
    c.maxPrefixes = { limit: p.maxPrefixes, restartAfterSeconds: (p.maxPrefixRestartMs ?? 60_000) / 1000 };
  }
  if (p.nextHopSelf !== undefined) c.nextHopSelf = p.nextHopSelf;
  if (p.routeReflectorClient !== undefined) c.routeReflectorClient = p.routeReflectorClient;
  const attach = exportAttributesOf(p);
  if (attach) c.exportAttributes = attach;
  return c;
}

export class PeerEntry {
  readonly session: PeerSession;
  /** TCP-MD5 key and TTLs of this peer's connections (both directions). */
  readonly security: TransportSecurity;
  /** A dynamic peer: the range (prefix) it was accepted from; it goes away when its session ends. */
  dynamicRange: string | undefined;
  readonly log: Logger;
  readonly open: OpenParams;
  /** Families whose End-of-RIB arrived on the current session. */
  private readonly eor = new Set<number>();
  /** GR helper: the peer's stale routes are kept until this timer (restart time, then stale-path time). */
  private staleTimer: TimerHandle | undefined;
  /** Enhanced route refresh in progress from the peer (BoRR seen, EoRR not yet): prefixes re-sent per family. */
  private readonly refreshing = new Map<number, Set<string>>();
  /** Prefix announcements ignored for an unusable next hop (RFC 7606 §7.3), since start. */
  nextHopInvalid = 0;
  /** eBGP UPDATEs whose AS_PATH did not start with the peer's AS, treated as withdraw (RFC 7606 §7.2), since start. */
  firstAsViolations = 0;

  constructor(
    private readonly speaker: PeerHost,
    public opts: PeerOptions,
  ) {
    const o = speaker.options;
    this.log = speaker.log.child?.({ peer: opts.address, asn: opts.asn }) ?? speaker.log;
    speaker.rib.addPeer(ribConfig(opts));
    const families = (opts.families ?? ['ipv4', 'ipv6']).map((f) => (f === 'ipv4' ? 1 : 2));
    const holdTime = opts.holdTime ?? o.holdTime ?? 90;
    this.open = { asn: o.asn, routerId: o.routerId, holdTime, families };
    if (opts.gracefulRestart !== false) {
      const gr = o.gracefulRestart;
      this.open.gracefulRestart = {
        restartTime: gr?.restartTime ?? 120,
        restarting: gr?.restarting === true,
        forwardingStateKept: gr?.forwardingStateKept === true,
        helperOnly: gr === undefined,
      };
    }
    const fsm: FsmConfig = {
      passive: opts.passive ?? false,
      holdTime,
      connectRetryMs: 30_000,
      backoff: { initialMs: 1_000, maxMs: 60_000 },
    };
    if (opts.sendHoldTime !== undefined) fsm.sendHoldMs = opts.sendHoldTime * 1000;
    const sessionOpts = {
      address: opts.address,
      asn: opts.asn,
      port: opts.port ?? 179,
      fsm,
      open: this.open,
      clock: speaker.clock,
      defer: speaker.defer,
      random: speaker.random,
      factory: speaker.factory,
      log: this.log,
      handlers: {
        transition: (t: Transition) => {
          const reason = t.detail ?? t.reason; // the event's own words when it had some
          this.log.info(t.to === 'Established' ? 'peer up' : `peer ${t.to}`, { from: t.from, reason });
          this.md5Diagnosis(t);
          // after this event's own work (which may clear the peer's timers)
          if (t.to !== 'Established' && this.security.md5Key) speaker.defer(() => this.armMd5Watch());
          speaker.peerState({
            address: opts.address,
            asn: opts.asn,
            state: t.to,
            previous: t.from,
            reason,
          });
        },
        established: (n: Negotiated) => this.established(n),
        down: (d: { reason: FsmReason; graceful: boolean; negotiated: Negotiated | undefined }) => this.down(d),
        update: (u: UpdateMessage) => this.update(u),
        endOfRib: (afi: number) => this.endOfRib(afi),
        routeRefresh: (afi: number, subtype: number) => this.routeRefresh(afi, subtype),
        pull: (limit: number) => (speaker.isDeferring ? EMPTY : speaker.rib.takeOutbound(opts.address, limit)),
      },
    };
    if (opts.localAddress) Object.assign(sessionOpts, { localAddress: opts.localAddress });
    this.security = transportSecurity(speaker.asn, opts);
    if (Object.keys(this.security).length > 0) Object.assign(sessionOpts, { security: this.security });
    if (this.security.md5Key) this.md5Seen = speaker.tcpMd5Counters();
    this.session = new PeerSession(sessionOpts);
  }

  /** The peer has sent End-of-RIB for every family it negotiated (or it is up without any family). */
  syncDone(): boolean {
    const n = this.session.negotiated;
    return n?.families.every((afi) => this.eor.has(afi)) ?? false;
  }

  /** Our own restart is over (initial sync): later OPENs no longer carry the R bit. */
  restartDone(): void {
    if (this.open.gracefulRestart) this.open.gracefulRestart.restarting = false;
    this.session.wake();
  }

  wake(): void {
    if (this.session.state === 'Established' && this.speaker.rib.hasOutbound(this.opts.address)) this.session.wake();
  }

  setPolicy(p: PeerOptions): void {
    const c = ribConfig(p);
    const r = this.speaker.rib.setPolicy(p.address, {
      importPolicy: c.importPolicy ?? null,
      exportPolicy: c.exportPolicy ?? null,
      exportAttributes: c.exportAttributes ?? null,
    });
    this.opts = p;
    this.speaker.changes(r.changes);
    this.wake();
  }

  clearTimers(): void {
    if (this.staleTimer !== undefined) this.speaker.clock.clearTimeout(this.staleTimer);
    this.staleTimer = undefined;
    if (this.md5Timer !== undefined) this.speaker.clock.clearTimeout(this.md5Timer);
    this.md5Timer = undefined;
  }

  status(): PeerStatus {
    const c = this.speaker.rib.counters(this.opts.address);
    const s = this.session;
    const up = s.establishedAt;
    return {
      address: this.opts.address,
      asn: this.opts.asn,
      state: s.state,
      uptimeSeconds: up === undefined ? 0 : Math.floor((this.speaker.clock.now() - up) / 1000),
      lastError: this.md5Hint !== undefined && s.state !== 'Established' ? this.md5Hint : s.lastError,
      lastReason: s.lastReason,
      prefixesReceived: c.received,
      prefixesAccepted: c.accepted,
      prefixesAdvertised: c.advertised,
      updatesIn: s.counters.updatesIn,
      updatesOut: s.counters.updatesOut,
      flaps: s.counters.flaps,
      treatAsWithdraw: s.counters.treatAsWithdraw,
      attributesDiscarded: s.counters.attributeDiscard,
      nextHopInvalid: this.nextHopInvalid,
      firstAsViolations: this.firstAsViolations,
      sendHoldExpired: s.counters.sendHoldExpired,
      ...this.transportStatus(),
    };
  }

  /** Why a TCP-MD5 session does not come up (shown as lastError while it is down, and logged when it changes). */
  private md5Hint: string | undefined;
  private md5Seen: Record<string, number> | undefined;
  private md5Timer: TimerHandle | undefined;

  /**
   * While a peer with a password is not up, the counters are looked at every MD5_WATCH_MS too: a connection the
   * kernel drops makes no event (our own attempt just waits, theirs never reaches the listener).
   */
  private armMd5Watch(): void {
    if (this.md5Timer !== undefined || !this.speaker.isRunning) return;
    this.md5Timer = this.speaker.clock.setTimeout(() => {
      this.md5Timer = undefined;
      if (!this.speaker.isRunning || this.session.state === 'Established') return;
      this.md5Diagnosis({ to: this.session.state, reason: 'md5-watch' });
      this.armMd5Watch();
    }, MD5_WATCH_MS);
  }

  /**
   * The kernel drops segments without the right TCP-MD5 signature silently: the session only sees connections that
   * never complete. On each failed step of a peer with a password, the kernel's TcpExt MD5 counters (of the whole
   * network namespace) tell whether segments were dropped since the last look, and which kind.
   */
  private md5Diagnosis(t: { to: string; reason: string; detail?: string }): void {
    if (!this.security.md5Key) return;
    if (t.to === 'Established') {
      this.md5Hint = undefined;
      return;
    }
    const now = this.speaker.tcpMd5Counters();
    const before = this.md5Seen;
    if (now) this.md5Seen = now;
    const rose = now && before ? Object.keys(now).filter((k) => (now[k] ?? 0) > (before[k] ?? 0)) : ([] as string[]);
    let hint: string | undefined;
    if (rose.length > 0) {
      const why: Record<string, string> = {
        TCPMD5Failure: 'signed with another password',
        TCPMD5NotFound: 'unsigned: the sender has no password',
        TCPMD5Unexpected: 'signed where we expect no signature',
      };
      const parts = rose.map((k) => `${k} +${(now?.[k] ?? 0) - (before?.[k] ?? 0)} (${why[k] ?? k})`);
      hint = `TCP-MD5: the kernel dropped segments since the last attempt: ${parts.join(', ')} — check the password on both sides`;
    } else if (
      t.reason === 'connect-retry-expired' ||
      (t.reason === 'connection-refused' && !(t.detail ?? '').includes('ECONNREFUSED'))
    ) {
      // what the counters said before stays the better explanation
      if (this.md5Hint === undefined)
        hint = 'TCP-MD5: no answer to our connection: a peer with another password, or none, drops it silently';
    }
    if (hint !== undefined && hint !== this.md5Hint) this.log.warn('session not up', { why: hint });
    if (hint !== undefined) this.md5Hint = hint;
  }

  private transportStatus(): Pick<PeerStatus, 'dynamic' | 'transport'> {
    const out: Pick<PeerStatus, 'dynamic' | 'transport'> = {};
    if (this.dynamicRange !== undefined) out.dynamic = this.dynamicRange;
    const { md5Key, ttl, minTtl } = this.security;
    if (md5Key || ttl !== undefined || minTtl !== undefined) {
      out.transport = { md5: md5Key !== undefined };
      if (ttl !== undefined) out.transport.ttl = ttl;
      if (minTtl !== undefined) out.transport.minTtl = minTtl;
    }
    return out;
  }

  private established(n: Negotiated): void {
    this.eor.clear();
    this.refreshing.clear();
    const rib = this.speaker.rib;
    const local = this.session.localAddress;
    const info: Parameters<typeof rib.peerUp>[1] = { routerId: n.remoteId };
    if (local?.includes(':')) info.localAddress6 = local;
    else if (local) info.localAddress = local;
    const changes = rib.peerUp(this.opts.address, info, n.families);
    if (this.staleTimer !== undefined) {
      // The peer is back from a restart: keep its stale routes only for the families it preserved (F bit).
      this.clearTimers();
      const kept = n.peerGracefulRestart?.families;
      for (const afi of [1, 2]) if (!kept?.get(afi)) append(changes, rib.sweepStale(this.opts.address, afi));
      this.staleTimer = this.speaker.clock.setTimeout(() => this.sweep('stale-path-timer'), STALE_PATH_MS);
    }
    this.speaker.changes(changes);
    this.session.wake();
  }

  private down(d: { reason: FsmReason; graceful: boolean; negotiated: Negotiated | undefined }): void {
    const gr = d.negotiated?.peerGracefulRestart;
    // Helper mode (RFC 4724 §4.2): the peer's routes stay, as stale, when the session ended without a NOTIFICATION
    // about a malformed message, a policy limit or an administrative stop — that is, when TCP dropped or the hold
    // timer expired — and the peer said it can restart (families listed).
    const helper = gr !== undefined && gr.families.size > 0 && isHelperModeReason(d.reason);
    const rib = this.speaker.rib;
    const secondRestart = this.staleTimer !== undefined;
    this.clearTimers();
    const changes = secondRestart ? rib.peerDown(this.opts.address, { graceful: false }) : [];
    if (helper && !secondRestart) {
      append(changes, rib.peerDown(this.opts.address, { graceful: true }));
      const ms = Math.max(1, gr.restartTime) * 1000;
      this.staleTimer = this.speaker.clock.setTimeout(() => this.sweep('restart-timer'), ms);
      this.log.info('keeping stale routes of restarting peer', { restartTime: gr.restartTime });
    } else if (!secondRestart) {
      append(changes, rib.peerDown(this.opts.address, { graceful: false }));
    }
    this.eor.clear();
    this.refreshing.clear();
    this.speaker.changes(changes);
  }

  private sweep(why: string): void {
    this.staleTimer = undefined;
    this.log.info('sweeping stale routes', { why });
    this.speaker.changes(this.speaker.rib.sweepStale(this.opts.address));
  }

  /** EoRR: withdraw this peer's paths of `afi` that it did not re-send since BoRR. */
  private endOfRefresh(afi: number): void {
    const seen = this.refreshing.get(afi);
    if (!seen) return;
    this.refreshing.delete(afi);
    const rib = this.speaker.rib;
    const gone: string[] = [];
    for (const r of rib.routes(afi)) {
      if (seen.has(r.prefix)) continue;
      if (rib.candidates(afi, r.prefix).some((p) => p.source.address === this.opts.address)) gone.push(r.prefix);
    }
    if (gone.length > 0) this.log.info('route refresh purged prefixes not re-sent', { afi, count: gone.length });
    this.speaker.changes(rib.withdraw(this.opts.address, afi, gone));
  }

  private get external(): boolean {
    return this.opts.asn !== this.speaker.asn;
  }

  /**
   * RFC 4271 §6.3 first-AS check on eBGP, handled as RFC 7606 §7.2 prescribes for a malformed AS_PATH:
   * treat-as-withdraw (no NOTIFICATION, session kept). Returns the UPDATE to apply.
   */
  private checkFirstAs(u: UpdateMessage): UpdateMessage {
    if (!this.external || this.opts.enforceFirstAs === false) return u;
    if (u.nlri.length === 0 && (u.mpReach?.nlri.length ?? 0) === 0) return u;
    const first = u.attributes.asPath?.[0];
    if (first?.type === 'sequence' && first.asns[0] === this.opts.asn) return u;
    this.firstAsViolations++;
    this.log.warn('AS_PATH does not start with the peer AS: UPDATE treated as withdraw (RFC 7606 §7.2)', {
      firstAs: first?.asns[0] ?? null,
      segment: first?.type ?? 'empty',
    });
    return treatAsWithdraw(u);
  }

  /**
   * NEXT_HOP validation (RFC 4271 §6.3, RFC 7606 §7.3): announcements with an unusable next hop (ours, loopback,
   * unspecified, multicast, broadcast, link-local, or off-link from an eBGP single-hop peer) are ignored: taken
   * out of the UPDATE and withdrawn, so they never join an ECMP group with good paths.
   */
  private checkNextHops(u: UpdateMessage): { update: UpdateMessage; bad: { afi: number; prefixes: string[] }[] } {
    const bad: { afi: number; prefixes: string[] }[] = [];
    if (u.nlri.length === 0 && (u.mpReach?.nlri.length ?? 0) === 0) return { update: u, bad };
    const o = this.speaker.options;
    const ctx = {
      localAddress: this.session.localAddress,
      isLocal: o.isLocalAddress,
      isConnected:
        this.external && this.opts.disableConnectedCheck !== true && !isMultihop(this.opts) ? o.isConnected : undefined,
    };
    let update = u;
    const reject = (afi: number, nextHop: string, prefixes: string[], why: string) => {
      this.nextHopInvalid += prefixes.length;
      this.log.warn('announcement with an unusable next hop ignored (RFC 7606 §7.3)', {
        afi,
        nextHop,
        why,
        prefixes: prefixes.length,
      });
      bad.push({ afi, prefixes });
    };
    const v4 = u.attributes.nextHop;
    if (u.nlri.length > 0 && v4 !== undefined) {
      const why = nextHopProblem(v4, 1, ctx);
      if (why) {
        reject(1, v4, u.nlri, why);
        update = { ...update, nlri: [] };
      }
    }
    const mp = u.mpReach;
    if (mp && mp.nlri.length > 0) {
      const why = nextHopProblem(mp.nextHop, mp.afi, ctx);
      if (why) {
        reject(mp.afi, mp.nextHop, mp.nlri, why);
        const { mpReach: _dropped, ...rest } = update;
        update = rest;
      }
    }
    return { update, bad };
  }

  private update(received: UpdateMessage): void {
    const { update: u, bad } = this.checkNextHops(this.checkFirstAs(received));
    for (const b of bad) this.speaker.changes(this.speaker.rib.withdraw(this.opts.address, b.afi, b.prefixes));
    if (this.refreshing.size > 0) {
      for (const p of u.nlri) this.refreshing.get(1)?.add(p);
      const mp = u.mpReach;
      if (mp) for (const p of mp.nlri) this.refreshing.get(mp.afi)?.add(p);
    }
    const rib = this.speaker.rib;
    let result: ReturnType<typeof rib.applyUpdate>;
    try {
      result = rib.applyUpdate(this.opts.address, u);
    } catch (err) {
      // The codec lets nothing through that the RIB cannot take; if it ever does, withdraw rather than crash.
      this.log.warn('UPDATE rejected by the RIB, treated as withdraw', {
        error: err instanceof BgpError ? err.code : String(err),
      });
      result = rib.applyUpdate(this.opts.address, u, { treatAsWithdraw: true });
    }
    this.speaker.changes(result.changes);
    for (const e of result.events) {
      if (e.type === 'max-prefix-warning') {
        this.log.warn('max-prefix warning', { afi: e.afi, count: e.count, limit: e.limit });
      } else {
        this.log.error('max-prefix exceeded', { afi: e.afi, count: e.count, limit: e.limit });
        this.session.maxPrefixExceeded(e.notification.data, e.restartAfterSeconds * 1000);
        return;
      }
    }
  }

  private endOfRib(afi: number): void {
    this.eor.add(afi);
    const changes = this.speaker.rib.endOfRib(this.opts.address, afi);
    if (this.staleTimer !== undefined && this.speaker.rib.counters(this.opts.address).stale === 0) this.clearTimers();
    this.speaker.changes(changes);
    this.speaker.endOfRibReceived(this.opts.address, afi);
  }

  private routeRefresh(afi: number, subtype: number): void {
    const n = this.session.negotiated;
    if (subtype === 1) {
      // BoRR (RFC 7313 §4): what the peer does not re-send before EoRR is gone.
      this.refreshing.set(afi, new Set());
      return;
    }
    if (subtype === 2) {
      this.endOfRefresh(afi);
      return;
    }
    if (!n?.families.includes(afi)) return;
    this.session.beginRefreshReply(afi);
    this.speaker.rib.routeRefresh(this.opts.address, afi);
    this.session.wake();
  }
}
