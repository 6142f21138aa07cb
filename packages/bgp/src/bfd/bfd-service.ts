// What the speaker needs of BFD: sessions set and removed by peer, their status, and their state changes. Two
// implementations: BfdManager on the caller's event loop, and BfdWorker, the same manager on a worker thread of its
// own so that a busy main loop (a full table arriving) cannot delay its packets (e2e/bench/bfd-ingest.bench.ts).
import type { BfdPeerOptions, BfdSessionStatus, BfdStateEvent } from './bfd-manager.js';

export interface BfdService {
  /** Starts the sessions set so far and those set later. */
  start(): Promise<void>;
  /** Ends every session (AdminDown to each peer) and releases the sockets. */
  close(): Promise<void>;
  /** Adds a session or retunes one (timer changes go through a Poll Sequence while Up). */
  set(o: BfdPeerOptions): void;
  remove(peer: string): void;
  /** Administratively disables (true) or re-enables a session. */
  adminDown(peer: string, down: boolean): void;
  status(peer: string): BfdSessionStatus | undefined;
  on(event: 'state', listener: (ev: BfdStateEvent) => void): unknown;
}
