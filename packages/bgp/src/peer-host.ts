// What a PeerEntry (speaker-peer.ts) sees of its speaker: a narrow interface the Speaker hands each peer, so the two
// modules do not import each other and the speaker keeps its RIB and its change queue private.
import type { Clock, Defer } from '@gannet/core';
import type { BfdSessionStatus } from './bfd/bfd-manager.js';
import type { SessionState } from './fsm/types.js';
import type { RibChange } from './rib/loc-rib.js';
import type { Rib } from './rib/rib.js';
import type { ConnectionFactory } from './session/connection.js';
import type { Logger } from './session/peer-session.js';
import type { SpeakerOptions } from './speaker-options.js';

export interface PeerHost {
  readonly asn: number;
  readonly options: SpeakerOptions;
  readonly rib: Rib;
  readonly clock: Clock;
  readonly defer: Defer;
  readonly factory: ConnectionFactory;
  readonly random: () => number;
  readonly log: Logger & { child?(meta: object): Logger };
  /** A restarting speaker before its initial sync (RFC 4724 §4.1): nothing is advertised yet. */
  readonly isDeferring: boolean;
  /** Between start() and stop(). */
  readonly isRunning: boolean;
  /** RIB changes a peer's UPDATE or state change made. */
  changes(changes: RibChange[]): void;
  endOfRibReceived(address: string, afi: number): void;
  peerState(event: PeerStateEvent): void;
  /** The kernel's TcpExt TCP-MD5 drop counters (TCPMD5NotFound, TCPMD5Unexpected, TCPMD5Failure), if known. */
  tcpMd5Counters(): Record<string, number> | undefined;
}

export interface PeerStateEvent {
  address: string;
  asn: number;
  state: SessionState;
  previous: SessionState;
  reason: string;
}

export interface PeerStatus {
  address: string;
  asn: number;
  state: SessionState;
  uptimeSeconds: number;
  lastError: string;
  lastReason: string;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
  updatesIn: number;
  updatesOut: number;
  flaps: number;
  /** UPDATEs handled as withdraw (RFC 7606) and UPDATEs with malformed attributes discarded, since start. */
  treatAsWithdraw: number;
  attributesDiscarded: number;
  /** Prefix announcements ignored because their next hop is unusable (RFC 7606 §7.3), since start. */
  nextHopInvalid: number;
  /** eBGP UPDATEs treated as withdraw because the AS_PATH did not start with the peer's AS, since start. */
  firstAsViolations: number;
  /** Sessions dropped because the peer took none of our data for the send hold time (RFC 9687), since start. */
  sendHoldExpired: number;
  /** The peer's BFD session, when BFD is enabled for it. */
  bfd?: BfdSessionStatus;
  /** A dynamic peer: the range (prefix) it was accepted from. */
  dynamic?: string;
  /** What its TCP connections carry: whether a TCP-MD5 key is set (never the key), the TTL sent, the least accepted. */
  transport?: { md5: boolean; ttl?: number; minTtl?: number };
}
