// Writes the peer's pending changes (Adj-RIB-Out, pulled in batches) while the connection takes them, and the
// End-of-RIB / EoRR (RFC 7313) that close a full advertisement. Stops on backpressure; the session calls
// schedule() again on 'drain'.
import type { Defer } from '@gannet/core';
import type { UpdateMessage } from '../wire/types.js';
import type { Link } from './link.js';
import { announcement, type Outbound, withdrawal } from './outbound.js';

const BATCH = 4096;

export interface FlushTarget {
  /** The connection to write to (the session's main link). */
  link(): Link;
  pull(limit: number): Outbound;
  write(link: Link, buf: Buffer): void;
  /** UPDATE messages written. */
  sent(count: number): void;
}

export class OutboundFlusher {
  /** Families whose End-of-RIB we sent on this session. */
  private readonly eorSent = new Set<number>();
  /** Families with an enhanced route refresh reply in progress (EoRR due when their re-advertisement ends). */
  private readonly eorrPending = new Set<number>();
  private scheduled = false;

  constructor(
    private readonly t: FlushTarget,
    private readonly defer: Defer,
  ) {}

  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** A BoRR went out for `afi`: the EoRR follows the re-advertisement. */
  refreshReplyStarted(afi: number): void {
    this.eorrPending.add(afi);
    this.schedule();
  }

  /** The session went down: a new one starts with a full advertisement again. */
  reset(): void {
    this.eorSent.clear();
    this.eorrPending.clear();
  }

  private flush(): void {
    const link = this.t.link();
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (link.fsm.state !== 'Established' || !link.conn || link.blocked) return; // resumed on 'drain'
      const out = this.t.pull(BATCH);
      for (const w of out.withdraw) this.writeUpdate(link, withdrawal(w.afi, w.prefixes));
      for (const a of out.announce) {
        if (a.afi === 1 && a.attributes.nextHop === a.nextHop) {
          const bufs = link.codec.encodeIpv4Announcement(a.attributes, a.prefixes);
          this.t.sent(bufs.length);
          for (const buf of bufs) this.t.write(link, buf);
        } else {
          this.writeUpdate(link, announcement(a));
        }
      }
      for (const afi of out.completed) {
        if (this.eorrPending.delete(afi)) {
          this.t.write(link, link.codec.encode({ type: 'route-refresh', afi, safi: 1, subtype: 2 }));
        } else if (!this.eorSent.has(afi)) {
          this.eorSent.add(afi);
          this.t.write(link, link.codec.encodeEndOfRib(afi));
        }
      }
      if (out.announce.length === 0 && out.withdraw.length === 0 && out.completed.length === 0) return;
    }
  }

  private writeUpdate(link: Link, u: UpdateMessage): void {
    const bufs = link.codec.encodeUpdate(u);
    this.t.sent(bufs.length);
    for (const buf of bufs) this.t.write(link, buf);
  }
}
