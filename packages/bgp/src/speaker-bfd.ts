// The speaker's side of BFD (RFC 5882): a BFD session per peer that enables it, and what a BFD state change does to
// the BGP session — down drops it at once, unless the peer said it was administratively down (RFC 5882 §3.2) or
// graceful restart covers a control-plane-dependent peer (FRR's check-control-plane-failure); up retries a session
// waiting out its backoff.
import type { BfdPeerOptions, BfdSessionStatus, BfdStateEvent } from './bfd/bfd-manager.js';
import type { BfdService } from './bfd/bfd-service.js';
import type { Logger } from './session/peer-session.js';
import type { PeerOptions } from './speaker-options.js';
import type { PeerEntry } from './speaker-peer.js';

export class SpeakerBfd {
  constructor(
    private readonly manager: BfdService | undefined,
    private readonly entry: (address: string) => PeerEntry | undefined,
    private readonly log: Logger,
  ) {
    manager?.on('state', (ev) => this.changed(ev));
  }

  /** A peer was added or changed: start, retune or stop its BFD session. */
  sync(p: PeerOptions): void {
    const wanted = p.bfd !== undefined && p.bfd.enabled !== false;
    if (!wanted) {
      this.manager?.remove(p.address);
      return;
    }
    if (!this.manager) {
      this.log.warn('bfd requested but the speaker has no BFD manager: ignored', { peer: p.address });
      return;
    }
    const o: BfdPeerOptions = { peer: p.address };
    if (p.localAddress !== undefined) o.local = p.localAddress;
    if (p.bfd?.minTxMs !== undefined) o.minTxMs = p.bfd.minTxMs;
    if (p.bfd?.minRxMs !== undefined) o.minRxMs = p.bfd.minRxMs;
    if (p.bfd?.multiplier !== undefined) o.multiplier = p.bfd.multiplier;
    this.manager.set(o);
  }

  removed(address: string): void {
    this.manager?.remove(address);
  }

  status(address: string): BfdSessionStatus | undefined {
    return this.manager?.status(address);
  }

  start(): Promise<void> {
    return this.manager?.start() ?? Promise.resolve();
  }

  close(): Promise<void> {
    return this.manager?.close() ?? Promise.resolve();
  }

  private changed(ev: BfdStateEvent): void {
    const e = this.entry(ev.peer);
    if (!e) return;
    if (ev.to === 'Up') {
      e.session.retryNow();
      return;
    }
    if (ev.from !== 'Up' || ev.to === 'AdminDown') return;
    if (ev.peerAdminDown) {
      // RFC 5882 §3.2: the peer took BFD down on purpose; that says nothing about the path.
      e.log.info('bfd: peer signalled AdminDown; session kept', {});
      return;
    }
    const gr = e.session.negotiated?.peerGracefulRestart;
    if (e.opts.bfd?.checkControlPlaneFailure && gr && !ev.remoteCpi) {
      // As FRR: the peer's BFD shares fate with its control plane, so this may be a restart; graceful restart (and
      // the hold timer) decide.
      e.log.info('bfd down ignored: graceful restart with a control-plane-dependent peer (C bit clear)', {});
      return;
    }
    e.log.warn('bfd down: dropping the session', { diag: ev.diag });
    e.session.bfdDown();
  }
}
