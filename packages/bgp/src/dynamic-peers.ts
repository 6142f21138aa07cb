// Dynamic neighbours (FRR's `bgp listen range`): a range of addresses (a prefix) from which the speaker accepts
// sessions it has no configured peer for, each becoming a passive peer of its own that goes away when its session
// ends. The peer's AS is read from its OPEN (an exact `asn` or an `asnRange`), which arrives before our OPEN is sent:
// PeekedConnection holds what the socket delivers until the session reads it, so nothing is lost.
import { EventEmitter } from 'node:events';
import { checkIpPrefix, type IpPrefix, ipPrefixContains, parseIp } from '@gannet/core';
import { BgpConfigError } from './errors.js';
import type { Connection, TransportSecurity } from './session/connection.js';
import type { PeerOptions } from './speaker-options.js';
import { decodeMessage } from './wire/message.js';

/** A range of peer addresses. Every PeerOptions key but address, asn and passive applies to each peer from it. */
export type PeerRangeOptions = Omit<PeerOptions, 'address' | 'asn' | 'passive' | 'bfd'> & {
  /** The addresses accepted, e.g. 172.30.0.0/24 (IPv4 or IPv6). */
  prefix: string;
  /** The peers' AS: exactly this one... */
  asn?: number;
  /** ...or any in min..max (inclusive). One of asn and asnRange is required. */
  asnRange?: { min: number; max: number };
  /** At most this many peers from the range at once (FRR's bgp listen limit); default 100. */
  limit?: number;
};

export const DEFAULT_RANGE_LIMIT = 100;
/** How long an accepted connection from a range may take to send its OPEN. */
export const DYNAMIC_OPEN_WAIT_MS = 10_000;

export interface ParsedRange {
  opts: PeerRangeOptions;
  prefix: IpPrefix;
}

function checkAsn(v: unknown, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 4294967295)
    throw new BgpConfigError(`${name} must be an integer in 1..4294967295, got ${JSON.stringify(v)}`);
}

/** Validates a range (its peer options are validated as a peer's at the first address). Throws BgpConfigError. */
export function parseRange(r: PeerRangeOptions): ParsedRange {
  if (typeof r !== 'object' || r === null) throw new BgpConfigError('peer range must be an object');
  const c = checkIpPrefix(r.prefix);
  if (typeof c === 'string') throw new BgpConfigError(`peer range prefix ${JSON.stringify(r.prefix)} ${c}`);
  const at = `peer range ${c.text}`;
  if ((r.asn === undefined) === (r.asnRange === undefined))
    throw new BgpConfigError(`${at}: give exactly one of asn and asnRange`);
  if (r.asn !== undefined) checkAsn(r.asn, `${at}: asn`);
  if (r.asnRange !== undefined) {
    if (typeof r.asnRange !== 'object' || r.asnRange === null)
      throw new BgpConfigError(`${at}: asnRange must be { min, max }`);
    checkAsn(r.asnRange.min, `${at}: asnRange.min`);
    checkAsn(r.asnRange.max, `${at}: asnRange.max`);
    if (r.asnRange.min > r.asnRange.max) throw new BgpConfigError(`${at}: asnRange.min is above asnRange.max`);
  }
  if (r.limit !== undefined && (!Number.isInteger(r.limit) || r.limit < 1 || r.limit > 10_000))
    throw new BgpConfigError(`${at}: limit must be an integer in 1..10000, got ${JSON.stringify(r.limit)}`);
  return { opts: { ...r, prefix: c.text }, prefix: c };
}

/** The most specific range containing `address`, or undefined. */
export function matchRange(ranges: readonly ParsedRange[], address: string): ParsedRange | undefined {
  const a = parseIp(address);
  if (!a) return undefined;
  let best: ParsedRange | undefined;
  for (const r of ranges) {
    if (!ipPrefixContains(r.prefix, a)) continue;
    if (!best || r.prefix.length > best.prefix.length) best = r;
  }
  return best;
}

/** Whether a peer's AS is one the range accepts. */
export function rangeAcceptsAsn(r: PeerRangeOptions, asn: number): boolean {
  if (r.asn !== undefined) return asn === r.asn;
  return r.asnRange !== undefined && asn >= r.asnRange.min && asn <= r.asnRange.max;
}

/** The options of a peer accepted from a range. */
export function dynamicPeerOptions(r: PeerRangeOptions, address: string, asn: number): PeerOptions {
  const { prefix: _prefix, asnRange: _asnRange, limit: _limit, ...rest } = r;
  return { ...rest, address, asn, passive: true };
}

/** The listener key for a range: the whole prefix (TCP_MD5SIG_EXT). */
export function rangeSecurityKey(r: ParsedRange): { address: string; prefixLength: number } {
  const [address] = r.opts.prefix.split('/');
  return { address: address ?? '', prefixLength: r.prefix.length };
}

export type { TransportSecurity };

/**
 * An accepted connection whose first bytes the speaker reads (the OPEN, for the peer's AS) before a session takes
 * it: everything received is held until the session listens for 'data', then delivered in order.
 */
export class PeekedConnection extends EventEmitter implements Connection {
  private held: Buffer[] = [];
  private flowing = false;
  private waiting: (() => void) | undefined;

  constructor(
    readonly inner: Connection,
    private readonly defer: (fn: () => void) => void,
  ) {
    super();
    inner.on('data', (chunk) => {
      if (this.flowing) this.emit('data', chunk);
      else {
        this.held.push(chunk);
        this.waiting?.();
      }
    });
    inner.on('drain', () => this.emit('drain'));
    inner.on('close', () => {
      this.waiting?.();
      this.emit('close');
    });
    inner.on('error', (err) => this.emit('error', err));
  }
  get remoteAddress(): string {
    return this.inner.remoteAddress;
  }
  get remotePort(): number {
    return this.inner.remotePort;
  }
  get localAddress(): string {
    return this.inner.localAddress;
  }
  write(data: Buffer): boolean {
    return this.inner.write(data);
  }
  end(): void {
    this.inner.end();
  }
  destroy(): void {
    this.inner.destroy();
  }
  secure(security: TransportSecurity): void {
    this.inner.secure?.(security);
  }
  override on(event: string | symbol, fn: (...args: never[]) => void): this {
    super.on(event, fn as (...args: unknown[]) => void);
    if (event === 'data' && !this.flowing) {
      this.defer(() => {
        const held = this.held;
        this.held = [];
        this.flowing = true;
        for (const c of held) this.emit('data', c);
      });
    }
    return this;
  }

  /**
   * The AS in the peer's OPEN (the four-octet-as capability's when present), once the whole message is here;
   * undefined when the first message is not a valid OPEN or the connection closed. `timer` bounds the wait.
   */
  openAsn(timer: (fn: () => void) => () => void): Promise<number | undefined> {
    return new Promise((resolve) => {
      let cancel = () => {};
      const done = (v: number | undefined) => {
        this.waiting = undefined;
        cancel();
        resolve(v);
      };
      const check = () => {
        const buf = Buffer.concat(this.held);
        if (buf.length < 19) return false;
        const length = buf.readUInt16BE(16);
        if (buf[18] !== 1 || length < 29 || length > 4096) {
          done(undefined);
          return true;
        }
        if (buf.length < length) return false;
        try {
          const { message } = decodeMessage(buf.subarray(0, length), { fourOctetAs: false, extendedMessage: false });
          if (message.type !== 'open') {
            done(undefined);
            return true;
          }
          const four = message.capabilities.find((c) => c.name === 'four-octet-as');
          done(four && four.name === 'four-octet-as' ? four.asn : message.myAs);
        } catch {
          done(undefined);
        }
        return true;
      };
      if (check()) return;
      cancel = timer(() => done(undefined));
      this.waiting = () => {
        if (!check() && (this.inner as { closed?: boolean }).closed) done(undefined);
      };
    });
  }
}
