// What a peer's TCP connection carries beyond Node.js's defaults, from its options: the TCP-MD5 key (RFC 2385), the
// TTL we send and the least TTL we accept. As FRR and BIRD do, eBGP is single-hop unless told otherwise: TTL 1, or
// ebgpMultihop; iBGP keeps the system's TTL. GTSM (RFC 5082, ttlSecurity) sends 255 and accepts only what can have
// crossed at most `hops` routers: TTL ≥ 255 − hops + 1, hops being ebgpMultihop (default 1).
import { createHash } from 'node:crypto';
import { BgpConfigError } from './errors.js';
import type { TransportSecurity } from './session/connection.js';
import { MD5_MAX_KEY_BYTES } from './session/socket-options.js';

export interface PeerTransportOptions {
  asn: number;
  /** TCP-MD5 password (RFC 2385): 1..80 bytes of UTF-8. Never logged, never in status. */
  password?: string;
  /** eBGP: the TTL we send (routers the peer may be behind + 1), 1..255; default 1 (single hop). */
  ebgpMultihop?: number;
  /** GTSM (RFC 5082): send TTL 255, accept only TTL ≥ 256 − hops (hops = ebgpMultihop, default 1). */
  ttlSecurity?: boolean;
}

export function checkTransport(p: PeerTransportOptions, at: string): void {
  if (p.password !== undefined) {
    if (typeof p.password !== 'string' || p.password.length === 0)
      throw new BgpConfigError(`${at}password must be a non-empty string`);
    const bytes = Buffer.byteLength(p.password, 'utf8');
    if (bytes > MD5_MAX_KEY_BYTES)
      throw new BgpConfigError(`${at}password is ${bytes} bytes, TCP-MD5 takes at most ${MD5_MAX_KEY_BYTES}`);
  }
  if (p.ebgpMultihop !== undefined) {
    const v = p.ebgpMultihop;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 255)
      throw new BgpConfigError(`${at}ebgpMultihop must be an integer in 1..255, got ${JSON.stringify(v)}`);
  }
  if (p.ttlSecurity !== undefined && typeof p.ttlSecurity !== 'boolean')
    throw new BgpConfigError(`${at}ttlSecurity must be true or false`);
}

/** The socket options of a peer's connections (both directions). */
export function transportSecurity(localAsn: number, p: PeerTransportOptions): TransportSecurity {
  const s: TransportSecurity = {};
  if (p.password !== undefined) s.md5Key = Buffer.from(p.password, 'utf8');
  if (p.ttlSecurity === true) {
    s.ttl = 255;
    s.minTtl = 256 - (p.ebgpMultihop ?? 1);
  } else if (p.asn !== localAsn) {
    s.ttl = p.ebgpMultihop ?? 1;
  }
  return s;
}

/** eBGP peers allowed beyond one hop: the connected check on their next hops does not apply. */
export function isMultihop(p: PeerTransportOptions): boolean {
  return (p.ebgpMultihop ?? 1) > 1;
}

/** For peerKey (a change resets the session): the password only as a digest. */
export function transportKey(p: PeerTransportOptions): unknown[] {
  const digest = p.password === undefined ? null : createHash('sha256').update(p.password).digest('base64');
  return [digest, p.ebgpMultihop ?? null, p.ttlSecurity ?? false];
}
