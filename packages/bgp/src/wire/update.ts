// UPDATE (RFC 4271 §4.3, §6.3) with the RFC 7606 revised error handling: the message either decodes with a list of
// per-attribute errors and the strongest action, or throws BgpWireError when only a NOTIFICATION will do.
import { type AttrContext, decodeAttributes, finishAttributes } from './attributes.js';
import { BgpWireError, invalidArgument, Subcode } from './bgp-wire-error.js';
import { attributeBytes, encodeAttributes } from './encode-attributes.js';
import { encodeMpReach, encodeMpUnreach } from './mp-attributes.js';
import { decodeIpv4Prefixes, familyOf, writePrefix } from './prefix.js';
import {
  Afi,
  AttrFlag,
  AttrType,
  type CodecOptions,
  type DecodeResult,
  type ErrorAction,
  ErrorCode,
  Safi,
  type UpdateError,
  type UpdateMessage,
} from './types.js';

const HEADER = 19;
const STRENGTH: Record<ErrorAction, number> = {
  'attribute-discard': 1,
  'treat-as-withdraw': 2,
  'afisafi-disable': 3,
  'session-reset': 4,
};

/** The strongest of the actions in `errors` (RFC 7606 §3: the most severe one wins). */
export function strongestAction(errors: readonly UpdateError[]): ErrorAction | undefined {
  let best: ErrorAction | undefined;
  for (const e of errors) if (!best || STRENGTH[e.action] > STRENGTH[best]) best = e.action;
  return best;
}

function malformedList(reason: string): BgpWireError {
  return new BgpWireError(ErrorCode.UPDATE_MESSAGE, Subcode.MALFORMED_ATTRIBUTE_LIST, reason);
}

/** Decodes a whole UPDATE message (header included and already checked). */
export function decodeUpdate(frame: Buffer, opts: CodecOptions): DecodeResult {
  const end = frame.length;
  const wStart = HEADER + 2;
  const wEnd = wStart + frame.readUInt16BE(HEADER);
  // RFC 4271 §6.3: Withdrawn Routes Length + Total Attribute Length + 23 > message length → Malformed Attribute List.
  if (wEnd + 2 > end) throw malformedList('withdrawn-length-overrun');
  const aStart = wEnd + 2;
  const aEnd = aStart + frame.readUInt16BE(wEnd);
  if (aEnd > end) throw malformedList('attribute-length-overrun');
  const withdrawn: string[] = [];
  // RFC 7606 §5.3: a syntactically wrong withdrawn or NLRI field leaves only a reset; RFC 4271 §6.3 names 3/10.
  const wReason = decodeIpv4Prefixes(frame, wStart, wEnd, withdrawn);
  if (wReason) throw new BgpWireError(ErrorCode.UPDATE_MESSAGE, Subcode.INVALID_NETWORK_FIELD, `withdrawn-${wReason}`);
  const nlri: string[] = [];
  const nReason = decodeIpv4Prefixes(frame, aEnd, end, nlri);
  if (nReason) throw new BgpWireError(ErrorCode.UPDATE_MESSAGE, Subcode.INVALID_NETWORK_FIELD, `nlri-${nReason}`);
  const message: UpdateMessage = { type: 'update', withdrawn, attributes: {}, nlri };
  if (aEnd === aStart && nlri.length === 0) {
    if (withdrawn.length === 0) message.endOfRib = { afi: Afi.IPV4, safi: Safi.UNICAST }; // RFC 4724 §2
    return { message, errors: [] };
  }
  const ctx: AttrContext = {
    opts,
    attrs: message.attributes,
    errors: [],
    seen: new Uint8Array(256),
    count: 0,
    raw: frame.subarray(0, 0),
  };
  decodeAttributes(frame, aStart, aEnd, ctx);
  finishAttributes(ctx);
  if (ctx.mpReach) message.mpReach = ctx.mpReach;
  if (ctx.mpUnreach) message.mpUnreach = ctx.mpUnreach;
  // RFC 4724 §2 looks at the wire: the only attribute sent was an empty MP_UNREACH_NLRI of a family we handle (one
  // dropped as unknown, discarded or of a family we do not handle still counts as sent, so is not a marker).
  const u = ctx.mpUnreach;
  if (ctx.count === 1 && u && u.withdrawn.length === 0 && withdrawn.length === 0 && nlri.length === 0) {
    message.endOfRib = { afi: u.afi, safi: u.safi };
  }
  if (nlri.length > 0 || (ctx.mpReach && ctx.mpReach.nlri.length > 0)) {
    ctx.errors.push(...missing(ctx.seen, nlri.length > 0));
  }
  const action = strongestAction(ctx.errors);
  return action ? { message, errors: ctx.errors, action } : { message, errors: ctx.errors };
}

/** RFC 7606 §3.d: a missing well-known mandatory attribute is treat-as-withdraw (NEXT_HOP only for IPv4 NLRI). */
function missing(seen: Uint8Array, ipv4Nlri: boolean): UpdateError[] {
  const out: UpdateError[] = [];
  if (!seen[AttrType.ORIGIN])
    out.push({ attribute: AttrType.ORIGIN, reason: 'missing-origin', action: 'treat-as-withdraw' });
  if (!seen[AttrType.AS_PATH]) {
    out.push({ attribute: AttrType.AS_PATH, reason: 'missing-as-path', action: 'treat-as-withdraw' });
  }
  if (ipv4Nlri && !seen[AttrType.NEXT_HOP]) {
    out.push({ attribute: AttrType.NEXT_HOP, reason: 'missing-next-hop', action: 'treat-as-withdraw' });
  }
  return out;
}

/**
 * The End-of-RIB marker (RFC 4724 §2) for `u.endOfRib`: an empty UPDATE for IPv4 unicast, an empty MP_UNREACH_NLRI
 * otherwise. Throws if `u` carries anything else, which the marker would silently drop.
 */
export function endOfRibMarker(u: UpdateMessage): UpdateMessage {
  const { afi, safi } = u.endOfRib ?? { afi: Afi.IPV4, safi: Safi.UNICAST };
  const m = u.mpUnreach;
  let attributes = false;
  for (const _ in u.attributes) attributes = true;
  const mpMatches = !m || (m.afi === afi && m.safi === safi && m.withdrawn.length === 0);
  const ipv4 = afi === Afi.IPV4 && safi === Safi.UNICAST;
  if (u.withdrawn.length > 0 || u.nlri.length > 0 || u.mpReach || attributes || !mpMatches || (ipv4 && m)) {
    throw invalidArgument(`End-of-RIB for ${afi}/${safi} carries routes or attributes`);
  }
  const out: UpdateMessage = { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  if (!ipv4) out.mpUnreach = { afi, safi, withdrawn: [] };
  return out;
}

function ipv4Field(prefixes: readonly string[], what: string): Buffer {
  const size = 5 * prefixes.length;
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const p of prefixes) {
    if (familyOf(p) !== Afi.IPV4) throw invalidArgument(`${what} ${p} is not IPv4: put it in MP_REACH/MP_UNREACH`);
    off = writePrefix(buf, off, size, p);
  }
  return buf.subarray(0, off);
}

/** Encodes the UPDATE body (after the header): MP_REACH and MP_UNREACH first (RFC 7606 §5.1), then the rest. */
export function encodeUpdateBody(msg: UpdateMessage, opts: CodecOptions): Buffer {
  if (msg.endOfRib) return encodeUpdateBody(endOfRibMarker(msg), opts);
  const withdrawn = ipv4Field(msg.withdrawn, 'withdrawn prefix');
  const nlri = ipv4Field(msg.nlri, 'NLRI');
  const parts: Buffer[] = [];
  if (msg.mpReach) parts.push(attributeBytes(AttrFlag.OPTIONAL, AttrType.MP_REACH_NLRI, encodeMpReach(msg.mpReach)));
  if (msg.mpUnreach) {
    parts.push(attributeBytes(AttrFlag.OPTIONAL, AttrType.MP_UNREACH_NLRI, encodeMpUnreach(msg.mpUnreach)));
  }
  parts.push(encodeAttributes(msg.attributes, opts));
  const attrs = Buffer.concat(parts);
  if (withdrawn.length > 0xffff || attrs.length > 0xffff) throw invalidArgument('UPDATE fields exceed 65535 octets');
  const body = Buffer.allocUnsafe(4 + withdrawn.length + attrs.length + nlri.length);
  body.writeUInt16BE(withdrawn.length, 0);
  withdrawn.copy(body, 2);
  body.writeUInt16BE(attrs.length, 2 + withdrawn.length);
  attrs.copy(body, 4 + withdrawn.length);
  nlri.copy(body, 4 + withdrawn.length + attrs.length);
  return body;
}
