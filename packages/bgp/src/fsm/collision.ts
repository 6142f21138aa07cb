// Connection collision detection (RFC 4271 §6.8): when two connections to the same peer race, the one initiated
// by the speaker with the higher BGP Identifier survives. Detection needs the peer's identifier on both
// connections, so it only applies against a connection in OpenConfirm (or Established): a connection that never
// sent its OPEN (stalled in Connect/Active/OpenSent) cannot collide, and gives way to one that did.
import type { SessionState } from './types.js';

/** Compares two dotted-quad BGP Identifiers as unsigned 32-bit integers. */
export function compareBgpId(a: string, b: string): number {
  return bgpIdToNumber(a) - bgpIdToNumber(b);
}

function bgpIdToNumber(id: string): number {
  const parts = id.split('.').map(Number);
  return parts.reduce((acc, p) => acc * 256 + (p & 0xff), 0);
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
