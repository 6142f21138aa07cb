// The session's contracts with its owner (the speaker): options, handlers, and the logger it writes to.
import type { Clock, Defer } from '@gannet/core';
import type { FsmConfig, FsmReason, Transition } from '../fsm/types.js';
import type { UpdateMessage } from '../wire/types.js';
import type { ConnectionFactory, TransportSecurity } from './connection.js';
import type { Negotiated, OpenParams } from './open.js';
import type { Outbound } from './outbound.js';

export interface Logger {
  debug(message: string, meta?: object): void;
  info(message: string, meta?: object): void;
  warn(message: string, meta?: object): void;
  error(message: string, meta?: object): void;
}

export interface SessionHandlers {
  transition(t: Transition): void;
  established(n: Negotiated): void;
  down(info: { reason: FsmReason; graceful: boolean; negotiated: Negotiated | undefined }): void;
  /** A received UPDATE (after RFC 7606 handling: treat-as-withdraw already turned into withdrawals). */
  update(u: UpdateMessage): void;
  endOfRib(afi: number): void;
  routeRefresh(afi: number, subtype: number): void;
  /** Up to `limit` prefixes' worth of pending changes towards the peer (Adj-RIB-Out); called while writable. */
  pull(limit: number): Outbound;
}

export interface PeerSessionOptions {
  address: string;
  asn: number;
  port: number;
  localAddress?: string;
  /** TCP-MD5 key and TTLs for our outgoing connections (peer-transport.ts). */
  security?: TransportSecurity;
  fsm: FsmConfig;
  open: OpenParams;
  clock: Clock;
  /** Where the outbound flush runs after the current callback (setImmediate for real, FakeClock.defer in tests). */
  defer: Defer;
  random: () => number;
  factory: ConnectionFactory;
  log: Logger;
  handlers: SessionHandlers;
}
