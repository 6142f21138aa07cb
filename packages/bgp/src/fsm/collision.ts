// Connection collision detection (RFC 4271 §6.8): when two connections to the same peer race, the one initiated
// by the speaker with the higher BGP Identifier survives. Detection needs the peer's identifier on both
// connections, so it only applies against a connection in OpenConfirm (or Established): a connection that never
// sent its OPEN (stalled in Connect/Active/OpenSent) cannot collide, and gives way to one that did.
import { parseIpv4 } from '@gannet/core';
import type { SessionState } from './types.js';

/** Compares two dotted-quad BGP Identifiers as unsigned 32-bit integers. */
export function compareBgpId(a: string, b: string): number {
  return bgpIdToNumber(a) - bgpIdToNumber(b);
}

function bgpIdToNumber(id: string): number {
  return parseIpv4(id); // both identifiers were checked when their OPEN was read
}

/**
 * Which of two connections to the same peer to keep, once the `new` one has received the peer's OPEN. `existing`
 * is the other connection, described by its state and whether we initiated it. Returns 'existing' or 'new'.
 * - Established: always kept (RFC 4271 §6.8: a collision with an Established session closes the new connection).
 * - OpenConfirm: the connection initiated by the higher BGP Identifier wins.
 * - Before OpenConfirm: no OPEN on it, so no collision to detect: the connection that has the OPEN wins.
 */
export function resolveCollision(o: {
  localId: string;
  remoteId: string;
  existingOutgoing: boolean;
  existingState: SessionState;
}): 'existing' | 'new' {
  if (o.existingState === 'Established') return 'existing';
  if (o.existingState !== 'OpenConfirm') return 'new';
  // The connection initiated by the higher identifier wins.
  const localWins = compareBgpId(o.localId, o.remoteId) > 0;
  const keepOutgoing = localWins;
  return o.existingOutgoing === keepOutgoing ? 'existing' : 'new';
}

/** What to do when a connection receives the peer's OPEN while the peer has a second connection. */
export type OpenDecision =
  /** No collision: go on. */
  | 'proceed'
  /** Go on; the other connection gives way (Cease/7). */
  | 'proceed-other-loses'
  /** This candidate connection takes the main connection's place (which gets Cease/7), then goes on. */
  | 'take-over'
  /** Keep this candidate's OPEN aside: the main connection may still send its own (a simultaneous open). */
  | 'hold'
  /** This connection gives way (Cease/7); when it was the main one, the other takes its place. */
  | 'lose';

/**
 * §6.8 on receipt of an OPEN by the `main` connection or by the `candidate` (a second connection from the peer).
 * `other` is the other connection: its state, whether we initiated it, whether its OPEN is held. A candidate that
 * would lose to a main connection without OPEN is held (the caller gives up waiting after a grace period, then
 * lets it take over); a main connection whose OPEN arrives while the candidate is held wins.
 */
export function onOpen(o: {
  role: 'main' | 'candidate';
  other: { state: SessionState; outgoing: boolean; held: boolean } | undefined;
  localId: string;
  remoteId: string;
}): OpenDecision {
  const other = o.other;
  if (!other) return o.role === 'main' ? 'proceed' : 'take-over';
  const decided = other.state === 'OpenConfirm' || other.state === 'Established';
  if (o.role === 'main') {
    if (other.held) return 'proceed-other-loses';
    if (!decided) return 'proceed';
  } else if (!decided && other.state !== 'OpenSent') {
    return 'take-over'; // the main connection is gone (Idle, Connect, Active)
  }
  const keep = resolveCollision({
    localId: o.localId,
    remoteId: o.remoteId,
    existingOutgoing: other.outgoing,
    // A main connection in OpenSent: as if its OPEN had come, which is what a simultaneous open will decide.
    existingState: decided ? other.state : 'OpenConfirm',
  });
  if (keep === 'existing') return decided ? 'lose' : 'hold';
  return o.role === 'main' ? 'proceed-other-loses' : 'take-over';
}
