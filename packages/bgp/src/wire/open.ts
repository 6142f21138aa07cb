// OPEN (RFC 4271 §4.2, §6.2) with capabilities (RFC 5492) in the classic optional parameters or in the RFC 9072
// extended form. decodeOpen checks what the codec alone can; checkOpen adds the checks that need the peer's config.
import { BgpWireError, invalidArgument, Subcode } from './bgp-wire-error.js';
import { decodeCapabilities, encodeCapabilities } from './capabilities.js';
import { formatIpv4, ipv4Number } from './prefix.js';
import { type Capability, ErrorCode, type OpenMessage } from './types.js';

export const BGP_VERSION = 4;
/** RFC 6793: the 2-octet My AS placeholder for a 4-octet ASN. */
export const AS_TRANS = 23456;
const HEADER = 19;
const CAPABILITIES_PARAM = 2;

function openError(subcode: number, reason: string, data?: Buffer): BgpWireError {
  return new BgpWireError(ErrorCode.OPEN_MESSAGE, subcode, reason, data);
}

/** Decodes a whole OPEN message (header included, already checked by the framer or decodeMessage). */
export function decodeOpen(frame: Buffer): OpenMessage {
  const version = frame[HEADER]!;
  if (version !== BGP_VERSION) {
    // Data: the largest locally supported version (RFC 4271 §6.2).
    throw openError(Subcode.UNSUPPORTED_VERSION, 'unsupported-version', Buffer.from([0, BGP_VERSION]));
  }
  const myAs = frame.readUInt16BE(HEADER + 1);
  if (myAs === 0) throw openError(Subcode.BAD_PEER_AS, 'peer-as-zero'); // RFC 7607
  const holdTime = frame.readUInt16BE(HEADER + 3);
  if (holdTime === 1 || holdTime === 2) throw openError(Subcode.UNACCEPTABLE_HOLD_TIME, 'hold-time-unacceptable');
  const id = frame.readUInt32BE(HEADER + 5);
  if (id === 0) throw openError(Subcode.BAD_BGP_IDENTIFIER, 'bgp-identifier-zero'); // RFC 6286 §2.2
  const capabilities: Capability[] = [];
  let p = HEADER + 10;
  let end = p + frame[HEADER + 9]!;
  let extended = false;
  // RFC 9072: Non-Ext OP Len 255 followed by Non-Ext OP Type 255, then a 2-octet Extended Opt. Parm. Length.
  if (frame[HEADER + 9] === 255 && frame[p] === 255) {
    if (frame.length < p + 3) throw openError(Subcode.OPEN_UNSPECIFIC, 'optional-parameters-overrun');
    extended = true;
    end = p + 3 + frame.readUInt16BE(p + 1);
    p += 3;
  }
  if (end !== frame.length) throw openError(Subcode.OPEN_UNSPECIFIC, 'optional-parameters-length-mismatch');
  const hdr = extended ? 3 : 2;
  while (p < end) {
    if (p + hdr > end) throw openError(Subcode.OPEN_UNSPECIFIC, 'optional-parameter-overrun');
    const type = frame[p]!;
    const len = extended ? frame.readUInt16BE(p + 1) : frame[p + 1]!;
    if (p + hdr + len > end) throw openError(Subcode.OPEN_UNSPECIFIC, 'optional-parameter-overrun');
    if (type !== CAPABILITIES_PARAM) {
      throw openError(Subcode.UNSUPPORTED_OPTIONAL_PARAMETER, 'unsupported-optional-parameter', Buffer.from([type]));
    }
    decodeCapabilities(frame, p + hdr, p + hdr + len, capabilities);
    p += hdr + len;
  }
  return { type: 'open', version, myAs, holdTime, bgpId: formatIpv4(id), capabilities };
}

/**
 * Encodes the OPEN body (after the header). All capabilities go in one optional parameter; when that needs more than
 * 255 octets the RFC 9072 extended form is used.
 */
export function encodeOpenBody(msg: OpenMessage): Buffer {
  if (msg.myAs < 0 || msg.myAs > 0xffff) throw invalidArgument(`myAs ${msg.myAs} is not 2-octet: send ${AS_TRANS}`);
  if (msg.holdTime < 0 || msg.holdTime > 0xffff) throw invalidArgument(`holdTime ${msg.holdTime} out of range`);
  const caps = encodeCapabilities(msg.capabilities);
  const extended = caps.length > 253; // the classic parameter (type, length, value) must fit 255 octets
  const params = caps.length === 0 ? 0 : extended ? 3 + 3 + caps.length : 2 + caps.length;
  const body = Buffer.alloc(10 + params);
  body[0] = msg.version;
  body.writeUInt16BE(msg.myAs, 1);
  body.writeUInt16BE(msg.holdTime, 3);
  body.writeUInt32BE(ipv4Number(msg.bgpId), 5);
  if (caps.length === 0) return body;
  if (extended) {
    body[9] = 255;
    body[10] = 255;
    body.writeUInt16BE(3 + caps.length, 11);
    body[13] = CAPABILITIES_PARAM;
    body.writeUInt16BE(caps.length, 14);
    caps.copy(body, 16);
  } else {
    body[9] = params;
    body[10] = CAPABILITIES_PARAM;
    body[11] = caps.length;
    caps.copy(body, 12);
  }
  return body;
}

/** The peer's real ASN: the four-octet-as capability's when present, else My AS (RFC 6793 §4.1). */
export function peerAsOf(open: OpenMessage): number {
  for (const c of open.capabilities) if (c.name === 'four-octet-as') return c.asn;
  return open.myAs;
}

/** What a session expects of the peer's OPEN. */
export interface OpenExpectation {
  /** Configured peer ASN. */
  peerAs: number;
  /** Our own ASN (the session is internal when it equals peerAs). */
  localAs: number;
  /** Our own BGP identifier (dotted quad). */
  localBgpId: string;
  /** Capability codes we cannot work without (RFC 5492 §3: 2/7 lists them when the peer lacks them). */
  requiredCapabilities?: readonly Capability[];
}

/**
 * Session-level OPEN checks of RFC 4271 §6.2 / RFC 6793 / RFC 6286 / RFC 5492: Bad Peer AS (2/2), Bad BGP Identifier
 * (2/3, same as ours on an iBGP session), Unsupported Capability (2/7, data = the missing capabilities).
 */
export function checkOpen(open: OpenMessage, expect: OpenExpectation): void {
  const asn = peerAsOf(open);
  const fourOctet = open.capabilities.some((c) => c.name === 'four-octet-as');
  const myAsBad = fourOctet && asn > 0xffff ? open.myAs !== AS_TRANS : open.myAs !== (asn & 0xffff);
  if (asn !== expect.peerAs || myAsBad) {
    const data = Buffer.alloc(2);
    data.writeUInt16BE(open.myAs, 0);
    throw openError(Subcode.BAD_PEER_AS, 'peer-as-mismatch', data);
  }
  if (open.bgpId === expect.localBgpId && asn === expect.localAs) {
    throw openError(Subcode.BAD_BGP_IDENTIFIER, 'bgp-identifier-same-as-ours');
  }
  const missing = (expect.requiredCapabilities ?? []).filter(
    (need) => !open.capabilities.some((c) => JSON.stringify(c) === JSON.stringify(need)),
  );
  if (missing.length > 0) {
    throw openError(Subcode.UNSUPPORTED_CAPABILITY, 'required-capability-missing', encodeCapabilities(missing));
  }
}
