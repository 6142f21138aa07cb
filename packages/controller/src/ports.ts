// The narrow interfaces the agent drives. Adapters bind them to @gannet/bgp and @gannet/routes; unit tests bind
// them to in-memory doubles (test/fakes.ts). Nothing here touches a socket, the kernel or the clock.

import type { PrefixExplanation } from '@gannet/bgp';
import type { PeerAttributes, PrefixRule } from './config/types.js';

/** RFC 4271 state names as the status API reports them. */
export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';
export const SESSION_STATES: readonly SessionState[] = [
  'Idle',
  'Connect',
  'Active',
  'OpenSent',
  'OpenConfirm',
  'Established',
];

/** One peer as the speaker should run it, with the agent's policy (and peerDefaults) already resolved. */
export interface SpeakerPeer extends PeerAttributes {
  address: string;
  asn: number;
  port?: number;
  holdTime?: number;
  passive?: boolean;
  localAddress?: string;
  maxPrefixes: number;
  import: PrefixRule[];
  export: PrefixRule[];
  gracefulRestart: boolean;
  /** eBGP first-AS check (default true in the speaker). */
  enforceFirstAs?: boolean;
  /** An iBGP peer we reflect for (RFC 4456 client). */
  routeReflectorClient?: boolean;
  /**
   * Address families the session carries: the family of the peer's address only (one session per family; see
   * docs/dual-stack.md). Absent: the speaker's default (both).
   */
  families?: ('ipv4' | 'ipv6')[];
  /** BFD with this peer (absent: off). */
  bfd?: { minRxMs: number; minTxMs: number; multiplier: number; checkControlPlaneFailure?: boolean };
  /** TCP-MD5 password (never logged, never in status). */
  password?: string;
  /** eBGP TTL (default 1: single hop). */
  ebgpMultihop?: number;
  /** GTSM (RFC 5082). */
  ttlSecurity?: boolean;
}

/** Dynamic neighbours from a prefix (FRR's bgp listen range), policy resolved. */
export interface SpeakerPeerRange
  extends Omit<SpeakerPeer, 'address' | 'asn' | 'passive' | 'localAddress' | 'port' | 'bfd' | 'routeReflectorClient'> {
  prefix: string;
  asn?: number;
  asnRange?: { min: number; max: number };
  limit?: number;
}

/** A peer's BFD session as the status API reports it (RFC 5880 state names; diagnostics in kebab-case). */
export interface BfdStatus {
  state: 'AdminDown' | 'Down' | 'Init' | 'Up';
  remoteState: 'AdminDown' | 'Down' | 'Init' | 'Up';
  /** Why we last went down ('none', 'control-detection-time-expired', 'neighbor-signaled-session-down', ...). */
  localDiag: string;
  remoteDiag: string;
  /** Agreed transmit interval and our detection time, ms (0 until the peer is heard). */
  txIntervalMs: number;
  detectTimeMs: number;
  uptimeSeconds: number;
  /** Times the session left Up since the agent started. */
  downs: number;
  /** The same by why (our diagnostic): `control-detection-time-expired`, `neighbor-signaled-session-down`, … */
  downsByDiag?: Record<string, number>;
}

export interface PeerStatus {
  address: string;
  asn: number;
  state: SessionState;
  uptimeSeconds: number;
  lastError: string | null;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
  updatesIn: number;
  updatesOut: number;
  flaps: number;
  /** Prefix announcements ignored for an unusable next hop (RFC 7606 §7.3), since start. */
  nextHopInvalid?: number;
  /** eBGP UPDATEs treated as withdraw: the AS_PATH did not start with the peer's AS, since start. */
  firstAsViolations?: number;
  /** Sessions dropped because the peer read nothing for the send hold time (RFC 9687), since start. */
  sendHoldExpired?: number;
  /** The BFD session, when BFD is enabled for the peer. */
  bfd?: BfdStatus;
  /** A dynamic peer: the range (prefix) it was accepted from; it goes away when its session ends. */
  dynamic?: string;
  /** What its TCP connections carry: a TCP-MD5 key or not (never the key), the TTL sent, the least accepted. */
  transport?: { md5: boolean; ttl?: number; minTtl?: number };
}

/** A best-path change: `nexthops` empty means the prefix is gone. Several next hops = ECMP. */
export interface BestChange {
  prefix: string;
  nexthops: string[];
}

export interface PeerStateEvent {
  address: string;
  asn: number;
  state: SessionState;
  previous: SessionState;
  reason: string;
}

export interface SpeakerPort {
  /** restarting: our routes survived in the kernel, so this is a graceful restart (R and F bits, RFC 4724). */
  start(opts: { restarting: boolean }): Promise<void>;
  /** graceful: close sessions without NOTIFICATION so peers keep our routes (RFC 4724). */
  stop(opts: { graceful: boolean }): Promise<void>;
  /** Declarative: only added, removed or changed peers are reset. */
  setPeers(peers: SpeakerPeer[]): void;
  /** Declarative: the dynamic-neighbour ranges (peers already accepted stay until their session ends). */
  setPeerRanges(ranges: SpeakerPeerRange[]): void;
  /** Declarative set of locally originated prefixes. */
  setOrigins(prefixes: string[]): void;
  peers(): PeerStatus[];
  onBest(listener: (changes: BestChange[]) => void): void;
  onPeerState(listener: (event: PeerStateEvent) => void): void;
  /** Fires once: every peer sent End-of-RIB, or the deferral timer ran out. */
  onInitialSync(listener: () => void): void;
  /** The best path's AS path and communities for a learned prefix (status API), O(1); undefined when unknown. */
  routeAttributes?(prefix: string): RouteAttributes | undefined;
  /** Every path received for a prefix and why it is or is not best and advertised (gannet explain). */
  explain?(prefix: string): PrefixExplanation | undefined;
}

/** What the status API shows of a learned route's best path besides its next hops. */
export interface RouteAttributes {
  asPath: number[];
  /** Standard communities as text ("65000:100", "no-export"); absent when none. */
  communities?: string[];
  /** Large communities as text ("65000:1:2"); absent when none. */
  largeCommunities?: string[];
}

export interface DesiredRoute {
  dst: string;
  type: 'unicast' | 'blackhole';
  nexthops: string[];
}

/** Counts, O(1) to read. */
export interface RoutesStatus {
  /** Desired routes. */
  desired: number;
  /** Desired routes the kernel has as asked. */
  installed: number;
  /** Desired routes the kernel refuses (retried). */
  failed: number;
  applies: number;
  errors: number;
  lastApplySeconds: number;
  /** Seconds spent in each apply since start (for the reconcile-duration histogram). */
  applyDurations?: number[];
}

export interface RoutesPort {
  /** Lists the kernel, adopting our routes as stale (kept) until initialStateComplete(); returns how many. */
  start(): Promise<{ adopted: number }>;
  setDesired(routes: DesiredRoute[]): void;
  /** Changes some desired routes: adds or replaces `set`, removes the routes to `removed` (deltas, O(changes)). */
  update(set: DesiredRoute[], removed: string[]): void;
  initialStateComplete(): void;
  /** Leaves every kernel route in place. */
  stop(): Promise<void>;
  /** O(1). */
  status(): RoutesStatus;
  /** One desired route's state, O(1); undefined when no route to `dst` is desired. */
  routeState(dst: string): { installed: boolean; reason?: string } | undefined;
  /** True once: the kernel matched the desired set at least once. O(1). */
  synced(): boolean;
}
