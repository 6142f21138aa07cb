// The speaker's configuration types and their validation: bad input gets a BgpConfigError naming the field.
import { type Clock, type Defer, parseIp, parseIpv4 } from '@gannet/core';
import type { BfdService } from './bfd/bfd-service.js';
import { BgpConfigError } from './errors.js';
import { exportAttributesOf, type PeerExportOptions, peerExportKey } from './peer-export.js';
import { checkTransport, transportKey } from './peer-transport.js';
import { tryParseCommunity, tryParseLargeCommunity } from './policy/communities.js';
import type { PrefixRule } from './policy/prefix-filter.js';
import type { ConnectionFactory } from './session/connection.js';
import type { Logger } from './session/peer-session.js';

export type Family = 'ipv4' | 'ipv6';

export interface GracefulRestartOptions {
  /** Seconds the peers should keep our routes while we restart (RFC 4724 Restart Time, ≤ 4095). */
  restartTime: number;
  /** We are coming back from a restart: set the R bit and defer best-path selection until End-of-RIB. */
  restarting?: boolean;
  /** The kernel kept our forwarding state across the restart: set the F bit (only then). */
  forwardingStateKept?: boolean;
  /** Longest wait for every peer's End-of-RIB before selecting anyway (default 60 s). */
  selectionDeferralMs?: number;
}

export interface SpeakerOptions {
  asn: number;
  routerId: string;
  /** Where to accept connections (default [::]:179, IPv4 and IPv6); false: never listen (only connect out). */
  listen?: { address: string; port: number } | false;
  gracefulRestart?: GracefulRestartOptions;
  /** Hold time we propose when a peer does not set one (default 90 s). */
  holdTime?: number;
  /** Wait before 'initial-sync-complete' when some peer never sends End-of-RIB (default 60 s). */
  initialSyncTimeoutMs?: number;
  clock?: Clock;
  /**
   * Runs deferred work (the 'best' batch, the outbound flush) after the current callback: setImmediate by default;
   * tests pass FakeClock's `defer` and drain it with runDeferred().
   */
  defer?: Defer;
  connect?: ConnectionFactory;
  /**
   * The kernel's TCP-MD5 drop counters, read when a session with a password fails to come up, to say why. Default:
   * /proc/net/netstat when `connect` is the real TCP factory (absent), else none.
   */
  tcpMd5Counters?: () => Record<string, number> | undefined;
  /** Random source in [0, 1) for the reconnect jitter (default Math.random). */
  random?: () => number;
  /**
   * Our own addresses beyond each session's local address (e.g. every interface address): a received route whose
   * next hop is one of them is ignored (RFC 4271 §6.3). Absent: only the session's local address is checked.
   */
  isLocalAddress?: (address: string) => boolean;
  /**
   * Whether an address is on a directly connected subnet. eBGP peers are single-hop: their routes must have a
   * connected next hop (unless the peer sets disableConnectedCheck). Absent: not checked.
   */
  isConnected?: (address: string) => boolean;
  /**
   * Be a route reflector (RFC 4456) for the peers marked routeReflectorClient; clusterId is a dotted quad (default
   * routerId). Reflected routes keep their next hop and get ORIGINATOR_ID and CLUSTER_LIST.
   */
  routeReflector?: { clusterId?: string };
  /**
   * BFD sessions for the peers that enable BFD (PeerOptions.bfd). The speaker starts it with itself and closes it
   * when it stops.
   */
  bfd?: BfdService;
  /** A winston-compatible logger (child loggers are made with .child() when it has one). */
  logger?: Logger & { child?(meta: object): Logger };
}

/** BFD for a peer (RFC 5880 asynchronous mode, RFC 5881 single hop). */
export interface PeerBfdOptions {
  /** Default true when the object is given. */
  enabled?: boolean;
  /** Desired Min TX and Required Min RX, ms (default 300 each), and the detect multiplier (default 3). */
  minTxMs?: number;
  minRxMs?: number;
  multiplier?: number;
  /**
   * FRR's `check-control-plane-failure`: when graceful restart was negotiated with the peer and its BFD shares fate
   * with its control plane (C bit clear), a BFD down may be a restart, so graceful restart handles it and the
   * session is not dropped. Default false: every BFD down drops the session.
   */
  checkControlPlaneFailure?: boolean;
}

/** A peer; what we attach to the routes we send it is in PeerExportOptions (peer-export.ts). */
export interface PeerOptions extends PeerExportOptions {
  address: string;
  asn: number;
  port?: number;
  /** 0, or 3..65535 seconds (default the speaker's). */
  holdTime?: number;
  /** Only accept connections from this peer, never connect out. */
  passive?: boolean;
  /** Bind outgoing connections to this address; also our next hop towards the peer. */
  localAddress?: string;
  /** Cease (RFC 4486) when the peer sends more prefixes than this (per family); warning at 90%. */
  maxPrefixes?: number;
  /** Hold-down before reconnecting after a max-prefix Cease (default 60 s). */
  maxPrefixRestartMs?: number;
  /** Prefix rules for what we accept / send. 'default' (or absent): RFC 8212 — eBGP nothing, iBGP everything. */
  import?: PrefixRule[] | 'default';
  export?: PrefixRule[] | 'default';
  /** Graceful restart with this peer (helper and restarting roles). Default true. */
  gracefulRestart?: boolean;
  /** Address families (default ['ipv4', 'ipv6']). */
  families?: Family[];
  /** Next hop self towards this iBGP peer too (always done towards eBGP). */
  nextHopSelf?: boolean;
  /** An iBGP peer we reflect routes for (RFC 4456 client); needs SpeakerOptions.routeReflector. Default false. */
  routeReflectorClient?: boolean;
  /**
   * RFC 9687 SendHoldTime, seconds: a peer that takes none of our data for this long is dropped (NOTIFICATION 8).
   * Default the negotiated hold time (8 minutes when that is 0).
   */
  sendHoldTime?: number;
  /**
   * eBGP: the first AS of a received AS_PATH must be the peer's (RFC 4271 §6.3; FRR's enforce-first-as). A route
   * that fails is treated as withdrawn (RFC 7606 §7.2) and counted. Default true; false for a route server.
   */
  enforceFirstAs?: boolean;
  /**
   * eBGP single-hop: skip the check that a received next hop is on a directly connected subnet (FRR's
   * disable-connected-check). Default false.
   */
  disableConnectedCheck?: boolean;
  /** BFD with this peer: its failure drops the session at once. Needs SpeakerOptions.bfd. */
  bfd?: PeerBfdOptions;
  /** TCP-MD5 password (RFC 2385), 1..80 bytes of UTF-8; never logged nor in peers(). See peer-transport.ts. */
  password?: string;
  /** eBGP: the TTL we send, 1..255 (default 1: single hop, as FRR and BIRD); > 1 also lifts the connected check. */
  ebgpMultihop?: number;
  /** GTSM (RFC 5082): send TTL 255 and accept only TTL ≥ 256 − hops (hops = ebgpMultihop, default 1). */
  ttlSecurity?: boolean;
}

/** A strict dotted quad (no leading zeros, octets 0..255). */
export function isIPv4(s: string): boolean {
  return typeof s === 'string' && parseIpv4(s) >= 0;
}

export function isIPv6(s: string): boolean {
  return typeof s === 'string' && s.includes(':') && parseIp(s) !== undefined;
}

export function isIp(s: string): boolean {
  return parseIp(s) !== undefined;
}

function checkInt(v: unknown, name: string, min: number, max: number): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new BgpConfigError(`${name} must be an integer in ${min}..${max}, got ${JSON.stringify(v)}`);
  }
}

function checkHold(v: unknown, name: string): void {
  checkInt(v, name, 0, 65535);
  if (v === 1 || v === 2) throw new BgpConfigError(`${name} must be 0 or 3..65535, got ${v}`);
}

function checkRules(rules: unknown, name: string): void {
  if (rules === undefined || rules === 'default') return;
  if (!Array.isArray(rules)) throw new BgpConfigError(`${name} must be a list of prefix rules or 'default'`);
  rules.forEach((r: Partial<PrefixRule>, i) => {
    const at = `${name}[${i}]`;
    if (typeof r !== 'object' || r === null) throw new BgpConfigError(`${at} must be an object`);
    if (typeof r.prefix !== 'string' || !/^[0-9a-fA-F:.]+\/\d{1,3}$/.test(r.prefix)) {
      throw new BgpConfigError(`${at}.prefix must be a CIDR prefix, got ${JSON.stringify(r.prefix)}`);
    }
    if (r.action !== 'permit' && r.action !== 'deny')
      throw new BgpConfigError(`${at}.action must be 'permit' or 'deny'`);
    if (r.ge !== undefined) checkInt(r.ge, `${at}.ge`, 0, 128);
    if (r.le !== undefined) checkInt(r.le, `${at}.le`, 0, 128);
    if (r.community !== undefined && tryParseCommunity(r.community) === undefined) {
      throw new BgpConfigError(`${at}.community must be ASN:VALUE (0..65535 each) or a well-known name`);
    }
    if (r.largeCommunity !== undefined && tryParseLargeCommunity(r.largeCommunity) === undefined) {
      throw new BgpConfigError(`${at}.largeCommunity must be GLOBAL:LOCAL1:LOCAL2 (0..4294967295 each)`);
    }
  });
}

export function validateSpeakerOptions(o: SpeakerOptions): void {
  if (typeof o !== 'object' || o === null) throw new BgpConfigError('speaker options must be an object');
  checkInt(o.asn, 'asn', 1, 4294967295);
  if (typeof o.routerId !== 'string' || !isIPv4(o.routerId) || o.routerId === '0.0.0.0') {
    throw new BgpConfigError(`routerId must be a non-zero dotted quad, got ${JSON.stringify(o.routerId)}`);
  }
  if (o.listen) {
    if (!isIp(o.listen.address)) throw new BgpConfigError(`listen.address must be an IP address`);
    checkInt(o.listen.port, 'listen.port', 0, 65535);
  }
  if (o.holdTime !== undefined) checkHold(o.holdTime, 'holdTime');
  if (o.routeReflector !== undefined) {
    const rr = o.routeReflector;
    if (typeof rr !== 'object' || rr === null) throw new BgpConfigError('routeReflector must be an object');
    if (rr.clusterId !== undefined && (typeof rr.clusterId !== 'string' || !isIPv4(rr.clusterId))) {
      throw new BgpConfigError(`routeReflector.clusterId must be a dotted quad, got ${JSON.stringify(rr.clusterId)}`);
    }
  }
  const gr = o.gracefulRestart;
  if (gr) {
    checkInt(gr.restartTime, 'gracefulRestart.restartTime', 0, 4095);
    if (gr.selectionDeferralMs !== undefined)
      checkInt(gr.selectionDeferralMs, 'gracefulRestart.selectionDeferralMs', 0, 3_600_000);
  }
}

export function validatePeerOptions(p: PeerOptions): void {
  if (typeof p !== 'object' || p === null) throw new BgpConfigError('peer options must be an object');
  if (typeof p.address !== 'string' || !isIp(p.address)) {
    throw new BgpConfigError(`peer address must be an IP address, got ${JSON.stringify(p.address)}`);
  }
  const at = `peer ${p.address}`;
  checkInt(p.asn, `${at}: asn`, 1, 4294967295);
  if (p.port !== undefined) checkInt(p.port, `${at}: port`, 1, 65535);
  if (p.holdTime !== undefined) checkHold(p.holdTime, `${at}: holdTime`);
  if (p.maxPrefixes !== undefined) checkInt(p.maxPrefixes, `${at}: maxPrefixes`, 1, 2 ** 32 - 1);
  if (p.sendHoldTime !== undefined) checkInt(p.sendHoldTime, `${at}: sendHoldTime`, 1, 65535);
  for (const k of ['enforceFirstAs', 'disableConnectedCheck', 'routeReflectorClient'] as const) {
    if (p[k] !== undefined && typeof p[k] !== 'boolean') throw new BgpConfigError(`${at}: ${k} must be true or false`);
  }
  if (p.maxPrefixRestartMs !== undefined) checkInt(p.maxPrefixRestartMs, `${at}: maxPrefixRestartMs`, 0, 86_400_000);
  if (p.localAddress !== undefined && !isIp(p.localAddress))
    throw new BgpConfigError(`${at}: localAddress must be an IP address`);
  checkRules(p.import, `${at}: import`);
  checkRules(p.export, `${at}: export`);
  exportAttributesOf(p, `${at}: `);
  if (p.bfd !== undefined) checkBfd(p.bfd, `${at}: bfd`);
  checkTransport(p, `${at}: `);
  if (p.families !== undefined) {
    if (
      !Array.isArray(p.families) ||
      p.families.length === 0 ||
      !p.families.every((f) => f === 'ipv4' || f === 'ipv6')
    ) {
      throw new BgpConfigError(`${at}: families must be a non-empty list of 'ipv4' and 'ipv6'`);
    }
  }
}

function checkBfd(b: PeerBfdOptions, at: string): void {
  if (typeof b !== 'object' || b === null) throw new BgpConfigError(`${at} must be an object`);
  for (const k of ['enabled', 'checkControlPlaneFailure'] as const) {
    if (b[k] !== undefined && typeof b[k] !== 'boolean') throw new BgpConfigError(`${at}.${k} must be true or false`);
  }
  // Intervals in whole ms, 10 ms to 1 h (the wire carries µs up to 2^32 - 1, about 71 minutes).
  if (b.minTxMs !== undefined) checkInt(b.minTxMs, `${at}.minTxMs`, 10, 3_600_000);
  if (b.minRxMs !== undefined) checkInt(b.minRxMs, `${at}.minRxMs`, 10, 3_600_000);
  if (b.multiplier !== undefined) checkInt(b.multiplier, `${at}.multiplier`, 1, 255);
}

/** A stable string of the options that need a session reset when they change. */
export function peerKey(p: PeerOptions): string {
  return JSON.stringify([
    p.asn,
    p.port ?? 179,
    p.holdTime,
    p.passive ?? false,
    p.localAddress,
    p.maxPrefixes,
    p.maxPrefixRestartMs,
    p.import ?? 'default',
    p.export ?? 'default',
    p.gracefulRestart ?? true,
    [...(p.families ?? ['ipv4', 'ipv6'])].sort(),
    p.nextHopSelf ?? false,
    p.sendHoldTime,
    p.enforceFirstAs ?? true,
    p.disableConnectedCheck ?? false,
    p.routeReflectorClient ?? false,
    peerExportKey(p),
    transportKey(p),
  ]);
}
