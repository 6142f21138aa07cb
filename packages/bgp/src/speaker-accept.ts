// What the speaker does with the listening socket beyond accepting: the TCP-MD5 keys on it (one per configured peer
// with a password, one per dynamic range with one: accepted connections inherit them), the TTLs of each accepted
// connection (eBGP single-hop, GTSM), and dynamic neighbours — a connection from no configured peer but inside a
// range is read up to its OPEN, and becomes a passive peer with the AS it announces when the range accepts it.
import type { Clock, Defer } from '@gannet/core';
import {
  DEFAULT_RANGE_LIMIT,
  DYNAMIC_OPEN_WAIT_MS,
  dynamicPeerOptions,
  matchRange,
  type ParsedRange,
  PeekedConnection,
  type PeerRangeOptions,
  parseRange,
  rangeAcceptsAsn,
  rangeSecurityKey,
} from './dynamic-peers.js';
import { BgpConfigError } from './errors.js';
import { transportSecurity } from './peer-transport.js';
import { type Connection, type Listener, normalizeAddress } from './session/connection.js';
import type { Logger } from './session/peer-session.js';
import type { PeerOptions } from './speaker-options.js';
import { validatePeerOptions } from './speaker-options.js';
import type { PeerEntry } from './speaker-peer.js';

export interface AcceptHost {
  readonly asn: number;
  readonly clock: Clock;
  readonly defer: Defer;
  readonly log: Logger;
  readonly entries: ReadonlyMap<string, PeerEntry>;
  listener(): Listener | undefined;
  /** Adds a dynamic peer (started at once). */
  addDynamic(opts: PeerOptions, range: string): PeerEntry;
}

export class PeerAcceptor {
  private ranges: ParsedRange[] = [];
  /** The keys on the listening socket: 'address' or 'address/length' → key. */
  private readonly applied = new Map<string, Buffer>();
  /** Connections from a range still sending their OPEN, per range prefix. */
  private readonly pending = new Map<string, number>();

  constructor(private readonly host: AcceptHost) {}

  /** Replaces the dynamic ranges (validated first; existing dynamic peers stay until their session ends). */
  setRanges(ranges: readonly PeerRangeOptions[]): void {
    const parsed = ranges.map((r) => parseRange(r));
    const seen = new Set<string>();
    for (const r of parsed) {
      if (seen.has(r.opts.prefix)) throw new BgpConfigError(`peer range ${r.opts.prefix} is listed twice`);
      seen.add(r.opts.prefix);
      // the template's peer options, checked as a peer at the range's own address would be
      validatePeerOptions(dynamicPeerOptions(r.opts, r.opts.prefix.split('/')[0] ?? '', r.opts.asn ?? 1));
    }
    this.ranges = parsed;
    this.syncKeys();
  }

  rangeList(): PeerRangeOptions[] {
    return this.ranges.map((r) => r.opts);
  }

  /** Brings the listener's TCP-MD5 keys in line with the peers and ranges; a key the kernel refuses is logged. */
  syncKeys(): void {
    const listener = this.host.listener();
    if (!listener?.setMd5Key) return;
    const want = new Map<string, { address: string; prefixLength?: number; key: Buffer }>();
    for (const e of this.host.entries.values()) {
      if (e.dynamicRange === undefined && e.security.md5Key)
        want.set(e.opts.address, { address: e.opts.address, key: e.security.md5Key });
    }
    for (const r of this.ranges) {
      if (r.opts.password === undefined) continue;
      const { address, prefixLength } = rangeSecurityKey(r);
      want.set(r.opts.prefix, { address, prefixLength, key: Buffer.from(r.opts.password, 'utf8') });
    }
    for (const name of [...this.applied.keys()]) if (!want.has(name)) this.apply(listener, name, undefined);
    for (const [name, w] of want) {
      if (this.applied.get(name)?.equals(w.key)) continue;
      this.apply(listener, name, w.key);
    }
  }

  /** Forgets the keys (the listener closed). */
  listenerClosed(): void {
    this.applied.clear();
  }

  private apply(listener: Listener, name: string, key: Buffer | undefined): void {
    const [address = '', length] = name.split('/');
    try {
      listener.setMd5Key?.(address, key, length === undefined ? undefined : Number(length));
      if (key) this.applied.set(name, key);
      else this.applied.delete(name);
    } catch (err) {
      // never the key: the error names the address and the option
      this.host.log.error('TCP-MD5 key not set on the listening socket', {
        peer: name,
        error: (err as Error).message,
      });
    }
  }

  /** An accepted connection: a configured peer's, a range's, or refused. */
  incoming(conn: Connection): void {
    const address = normalizeAddress(conn.remoteAddress);
    const e = this.host.entries.get(address);
    if (e) {
      if (this.secure(conn, e.security, address)) e.session.accept(conn);
      return;
    }
    const range = matchRange(this.ranges, address);
    if (!range) {
      this.host.log.info('connection from unknown address refused', { address: conn.remoteAddress });
      conn.destroy();
      return;
    }
    void this.acceptDynamic(conn, address, range);
  }

  private secure(conn: Connection, security: ReturnType<typeof transportSecurity>, address: string): boolean {
    if (security.ttl === undefined && security.minTtl === undefined) return true;
    try {
      const { md5Key: _inherited, ...ttls } = security; // the key came from the listener
      conn.secure?.(ttls);
      return true;
    } catch (err) {
      this.host.log.error('connection refused: its TTL could not be set', { address, error: (err as Error).message });
      conn.destroy();
      return false;
    }
  }

  private async acceptDynamic(raw: Connection, address: string, range: ParsedRange): Promise<void> {
    const r = range.opts;
    const prefix = r.prefix;
    const limit = r.limit ?? DEFAULT_RANGE_LIMIT;
    let count = this.pending.get(prefix) ?? 0;
    for (const e of this.host.entries.values()) if (e.dynamicRange === prefix) count++;
    if (count >= limit) {
      this.host.log.warn('connection from a peer range refused: the range is full', { address, range: prefix, limit });
      raw.destroy();
      return;
    }
    // TTLs before anything is read (a range's GTSM applies to the OPEN too); with an AS range that holds ours, as
    // iBGP until the OPEN tells
    const local = this.host.asn;
    const provisional = r.asn ?? (rangeAcceptsAsn(r, local) ? local : (r.asnRange?.min ?? local));
    const security = transportSecurity(local, { ...r, asn: provisional });
    if (!this.secure(raw, security, address)) return;
    const conn = new PeekedConnection(raw, this.host.defer);
    this.pending.set(prefix, (this.pending.get(prefix) ?? 0) + 1);
    let asn: number | undefined;
    try {
      asn = await conn.openAsn((fn) => {
        const t = this.host.clock.setTimeout(fn, DYNAMIC_OPEN_WAIT_MS);
        return () => this.host.clock.clearTimeout(t);
      });
    } finally {
      this.pending.set(prefix, (this.pending.get(prefix) ?? 1) - 1);
    }
    if (asn === undefined) {
      this.host.log.info('connection from a peer range closed: no OPEN', { address, range: prefix });
      raw.destroy();
      return;
    }
    if (!rangeAcceptsAsn(r, asn)) {
      this.host.log.warn("connection from a peer range refused: its AS is not the range's", {
        address,
        range: prefix,
        asn,
      });
      raw.destroy();
      return;
    }
    if (this.host.entries.has(address)) {
      // configured (or accepted) meanwhile: that peer's session decides
      this.host.entries.get(address)?.session.accept(conn);
      return;
    }
    const opts = dynamicPeerOptions(r, address, asn);
    // a range that allows both iBGP and eBGP: the TTL follows the AS now known
    const ttl = transportSecurity(local, opts).ttl;
    if (ttl !== undefined && ttl !== security.ttl && !this.secure(raw, { ttl }, address)) return;
    const entry = this.host.addDynamic(opts, prefix);
    this.host.log.info('dynamic peer accepted', { address, asn, range: prefix });
    entry.session.accept(conn);
  }
}
