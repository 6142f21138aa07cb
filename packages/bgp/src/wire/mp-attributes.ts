// MP_REACH_NLRI / MP_UNREACH_NLRI (RFC 4760 §3, §4) for IPv4 and IPv6 unicast; the IPv6 next hop is 16 octets, or 32
// with the link-local address second (RFC 2545 §3). Malformed ones cannot be treat-as-withdraw (RFC 7606 §7.11):
// they throw, asking for AFI/SAFI disable (or a reset when not even the family can be read).
import { BgpWireError, invalidArgument, Subcode } from './bgp-wire-error.js';
import { decodePrefixes, familyOf, formatIpv4, formatIpv6, ipv4Number, ipv6Bytes, writePrefix } from './prefix.js';
import {
  Afi,
  type AfiSafi,
  AttrType,
  ErrorCode,
  type MpReach,
  type MpUnreach,
  Safi,
  type UpdateError,
} from './types.js';

function supported(afi: number, safi: number): boolean {
  return (afi === Afi.IPV4 || afi === Afi.IPV6) && safi === Safi.UNICAST;
}

function negotiated(families: readonly AfiSafi[], afi: number, safi: number): boolean {
  return families.some((f) => f.afi === afi && f.safi === safi);
}

function optionalAttributeError(reason: string, raw: Buffer, family?: { afi: number; safi: number }): BgpWireError {
  return new BgpWireError(ErrorCode.UPDATE_MESSAGE, Subcode.OPTIONAL_ATTRIBUTE, reason, Buffer.from(raw), family);
}

/** RFC 7606 §7.11: an unsupported or not negotiated family discards the attribute (reported in `errors`). */
function familyUsable(
  attribute: number,
  name: string,
  afi: number,
  safi: number,
  errors: UpdateError[],
  families: readonly AfiSafi[] | undefined,
): boolean {
  const reason = !supported(afi, safi)
    ? `${name}-unsupported-family`
    : families && !negotiated(families, afi, safi)
      ? `${name}-family-not-negotiated`
      : undefined;
  if (reason === undefined) return true;
  errors.push({ attribute, reason, action: 'attribute-discard' });
  return false;
}

/** Decodes the MP_REACH_NLRI value buf[s, e); `raw` is the whole attribute (NOTIFICATION data). */
export function decodeMpReach(
  b: Buffer,
  s: number,
  e: number,
  raw: Buffer,
  errors: UpdateError[],
  families?: readonly AfiSafi[],
): MpReach | undefined {
  if (e - s < 5) throw optionalAttributeError('mp-reach-too-short', raw);
  const afi = b.readUInt16BE(s);
  const safi = b[s + 2]!;
  if (!familyUsable(AttrType.MP_REACH_NLRI, 'mp-reach', afi, safi, errors, families)) return undefined;
  const family = { afi, safi };
  const nhLen = b[s + 3]!;
  const nh = s + 4;
  if (nh + nhLen + 1 > e) throw optionalAttributeError('mp-reach-next-hop-overrun', raw, family);
  const ok = afi === Afi.IPV4 ? nhLen === 4 : nhLen === 16 || nhLen === 32;
  if (!ok) throw optionalAttributeError('mp-reach-next-hop-bad-length', raw, family);
  const reach: MpReach = {
    afi,
    safi,
    nextHop: afi === Afi.IPV4 ? formatIpv4(b.readUInt32BE(nh)) : formatIpv6(b, nh),
    nlri: [],
  };
  // Some speakers fill the second address with zeros when they have no link-local one: that is no next hop.
  if (nhLen === 32 && !b.subarray(nh + 16, nh + 32).every((x) => x === 0)) {
    reach.linkLocalNextHop = formatIpv6(b, nh + 16);
  }
  // One reserved octet (RFC 4760 §3), ignored.
  const reason = decodePrefixes(afi, b, nh + nhLen + 1, e, reach.nlri);
  if (reason !== undefined) throw optionalAttributeError(`mp-reach-${reason}`, raw, family);
  return reach;
}

/** Decodes the MP_UNREACH_NLRI value buf[s, e). */
export function decodeMpUnreach(
  b: Buffer,
  s: number,
  e: number,
  raw: Buffer,
  errors: UpdateError[],
  families?: readonly AfiSafi[],
): MpUnreach | undefined {
  if (e - s < 3) throw optionalAttributeError('mp-unreach-too-short', raw);
  const afi = b.readUInt16BE(s);
  const safi = b[s + 2]!;
  if (!familyUsable(AttrType.MP_UNREACH_NLRI, 'mp-unreach', afi, safi, errors, families)) return undefined;
  const unreach: MpUnreach = { afi, safi, withdrawn: [] };
  const reason = decodePrefixes(afi, b, s + 3, e, unreach.withdrawn);
  if (reason !== undefined) throw optionalAttributeError(`mp-unreach-${reason}`, raw, { afi, safi });
  return unreach;
}

/** Octets of the MP_REACH_NLRI value before the NLRI: AFI, SAFI, next hop length, next hop, reserved. */
export function mpReachHeader(afi: number, safi: number, nextHop: string, linkLocal?: string): Buffer {
  if (!supported(afi, safi)) throw invalidArgument(`unsupported family ${afi}/${safi}`);
  const nhLen = afi === Afi.IPV4 ? 4 : linkLocal ? 32 : 16;
  const h = Buffer.alloc(5 + nhLen);
  h.writeUInt16BE(afi, 0);
  h[2] = safi;
  h[3] = nhLen;
  if (afi === Afi.IPV4) {
    h.writeUInt32BE(ipv4Number(nextHop), 4);
  } else {
    h.set(ipv6Bytes(nextHop), 4);
    if (linkLocal) h.set(ipv6Bytes(linkLocal), 20);
  }
  return h;
}

function withPrefixes(head: Buffer, afi: number, prefixes: readonly string[]): Buffer {
  const size = head.length + 17 * prefixes.length;
  const v = Buffer.allocUnsafe(size);
  head.copy(v, 0);
  let off = head.length;
  for (const p of prefixes) {
    if (familyOf(p) !== afi) throw invalidArgument(`prefix ${p} is not of AFI ${afi}`);
    off = writePrefix(v, off, size, p);
  }
  return v.subarray(0, off);
}

export function encodeMpReach(r: MpReach): Buffer {
  return withPrefixes(mpReachHeader(r.afi, r.safi, r.nextHop, r.linkLocalNextHop), r.afi, r.nlri);
}

export function mpUnreachHeader(afi: number, safi: number): Buffer {
  if (!supported(afi, safi)) throw invalidArgument(`unsupported family ${afi}/${safi}`);
  const h = Buffer.alloc(3);
  h.writeUInt16BE(afi, 0);
  h[2] = safi;
  return h;
}

export function encodeMpUnreach(u: MpUnreach): Buffer {
  return withPrefixes(mpUnreachHeader(u.afi, u.safi), u.afi, u.withdrawn);
}
