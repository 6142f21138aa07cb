// Connection collision detection (RFC 4271 §6.8): when two connections to the same peer race, the one initiated
// by the speaker with the higher BGP Identifier survives.

/** Compares two dotted-quad BGP Identifiers as unsigned 32-bit integers. */
export function compareBgpId(a: string, b: string): number {
  return bgpIdToNumber(a) - bgpIdToNumber(b);
}

function bgpIdToNumber(id: string): number {
  const parts = id.split('.').map(Number);
  return parts.reduce((acc, p) => acc * 256 + (p & 0xff), 0);
}

/**
 * Which of two connections to the same peer to keep. `existing` is the one already past OpenSent, described by
 * whether we initiated it. Returns 'existing' or 'new'. A collision with an Established session always keeps it.
 */
export function resolveCollision(o: {
  localId: string;
  remoteId: string;
  existingOutgoing: boolean;
  existingEstablished: boolean;
}): 'existing' | 'new' {
  if (o.existingEstablished) return 'existing';
  // The connection initiated by the higher identifier wins.
  const localWins = compareBgpId(o.localId, o.remoteId) > 0;
  const keepOutgoing = localWins;
  return o.existingOutgoing === keepOutgoing ? 'existing' : 'new';
}
