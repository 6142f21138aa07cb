// BFD Control packets (RFC 5880 §4.1): the 24-byte mandatory section, encoded and decoded as pure functions. The
// decoder applies the packet-only reception checks of §6.8.6 and says which one failed; the session-level checks
// (which session a Your Discriminator names) are the manager's.

/** RFC 5880 §4.1 State field. */
export type BfdStateName = 'AdminDown' | 'Down' | 'Init' | 'Up';
const STATE_NAMES: readonly BfdStateName[] = ['AdminDown', 'Down', 'Init', 'Up'];

/** RFC 5880 §4.1 Diagnostic codes (0..8; 9..31 reserved). */
export enum BfdDiag {
  None = 0,
  /** Control Detection Time Expired */
  DetectExpired = 1,
  /** Echo Function Failed */
  EchoFailed = 2,
  /** Neighbor Signaled Session Down */
  NeighborDown = 3,
  /** Forwarding Plane Reset */
  ForwardingReset = 4,
  /** Path Down */
  PathDown = 5,
  /** Concatenated Path Down */
  ConcatenatedPathDown = 6,
  /** Administratively Down */
  AdminDown = 7,
  /** Reverse Concatenated Path Down */
  ReverseConcatenatedPathDown = 8,
}

const DIAG_NAMES = [
  'none',
  'control-detection-time-expired',
  'echo-function-failed',
  'neighbor-signaled-session-down',
  'forwarding-plane-reset',
  'path-down',
  'concatenated-path-down',
  'administratively-down',
  'reverse-concatenated-path-down',
];

/** The diagnostic's name as status and logs show it (RFC 5880 §4.1 wording, kebab-case). */
export function bfdDiagName(diag: number): string {
  return DIAG_NAMES[diag] ?? `reserved-${diag}`;
}

export interface BfdPacket {
  /** Always 1 on the wire; the decoder refuses any other. */
  version: 1;
  diag: number;
  state: BfdStateName;
  poll: boolean;
  final: boolean;
  /** Control Plane Independent. */
  cpi: boolean;
  /** Authentication Present: we implement no authentication, so we never set it and drop packets that do. */
  auth: boolean;
  demand: boolean;
  multipoint: boolean;
  detectMult: number;
  myDiscr: number;
  yourDiscr: number;
  /** Microseconds, as on the wire. */
  desiredMinTxUs: number;
  requiredMinRxUs: number;
  requiredMinEchoRxUs: number;
}

export const BFD_PACKET_LENGTH = 24;

/** Encodes the mandatory section (no authentication section: `auth` must be false). */
export function encodeBfdPacket(p: BfdPacket): Buffer {
  if (p.auth) throw new RangeError('BFD authentication is not supported');
  if (p.poll && p.final) throw new RangeError('BFD Poll and Final must not both be set (RFC 5880 §6.5)');
  const b = Buffer.alloc(BFD_PACKET_LENGTH);
  b[0] = (1 << 5) | (p.diag & 0x1f);
  b[1] =
    (STATE_NAMES.indexOf(p.state) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.cpi ? 0x08 : 0) |
    (p.demand ? 0x02 : 0) |
    (p.multipoint ? 0x01 : 0);
  b[2] = p.detectMult;
  b[3] = BFD_PACKET_LENGTH;
  b.writeUInt32BE(p.myDiscr >>> 0, 4);
  b.writeUInt32BE(p.yourDiscr >>> 0, 8);
  b.writeUInt32BE(p.desiredMinTxUs >>> 0, 12);
  b.writeUInt32BE(p.requiredMinRxUs >>> 0, 16);
  b.writeUInt32BE(p.requiredMinEchoRxUs >>> 0, 20);
  return b;
}

/** Why a received packet was discarded (RFC 5880 §6.8.6, in the order the RFC lists the checks). */
export type BfdDiscardReason =
  | 'too-short'
  | 'bad-version'
  | 'bad-length'
  | 'length-exceeds-payload'
  | 'zero-detect-mult'
  | 'multipoint'
  | 'zero-my-discriminator'
  | 'zero-your-discriminator-when-up'
  | 'authentication-not-supported';

export type BfdDecodeResult = { ok: true; packet: BfdPacket } | { ok: false; reason: BfdDiscardReason };

/** Decodes a received datagram and applies §6.8.6's packet-only checks. Never throws. */
export function decodeBfdPacket(buf: Uint8Array): BfdDecodeResult {
  const fail = (reason: BfdDiscardReason): BfdDecodeResult => ({ ok: false, reason });
  if (buf.length < BFD_PACKET_LENGTH) return fail('too-short');
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.length);
  if (b[0]! >> 5 !== 1) return fail('bad-version');
  const flags = b[1]!;
  const auth = (flags & 0x04) !== 0;
  const length = b[3]!;
  if (length < (auth ? 26 : 24)) return fail('bad-length');
  if (length > b.length) return fail('length-exceeds-payload');
  const packet: BfdPacket = {
    version: 1,
    diag: b[0]! & 0x1f,
    state: STATE_NAMES[flags >> 6]!,
    poll: (flags & 0x20) !== 0,
    final: (flags & 0x10) !== 0,
    cpi: (flags & 0x08) !== 0,
    auth,
    demand: (flags & 0x02) !== 0,
    multipoint: (flags & 0x01) !== 0,
    detectMult: b[2]!,
    myDiscr: b.readUInt32BE(4),
    yourDiscr: b.readUInt32BE(8),
    desiredMinTxUs: b.readUInt32BE(12),
    requiredMinRxUs: b.readUInt32BE(16),
    requiredMinEchoRxUs: b.readUInt32BE(20),
  };
  if (packet.detectMult === 0) return fail('zero-detect-mult');
  if (packet.multipoint) return fail('multipoint');
  if (packet.myDiscr === 0) return fail('zero-my-discriminator');
  if (packet.yourDiscr === 0 && packet.state !== 'Down' && packet.state !== 'AdminDown') {
    return fail('zero-your-discriminator-when-up');
  }
  // We use no authentication: a packet with the A bit set is discarded (§6.8.6).
  if (auth) return fail('authentication-not-supported');
  return { ok: true, packet };
}
