// Packing many prefixes per UPDATE (the Adj-RIB-Out and benchmark hot path) and the End-of-RIB marker (RFC 4724 §2).
// One buffer per message, filled in place: the attribute block is encoded once, prefixes are parsed straight from
// their strings into the NLRI field.

import { invalidArgument } from './bgp-wire-error.js';
import { encodeAttributes } from './encode-attributes.js';
import {
  encodeMessage,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  writeHeader,
} from './message.js';
import { mpReachHeader, mpUnreachHeader } from './mp-attributes.js';
import { familyOf, prefixSize, writePrefix } from './prefix.js';
import {
  Afi,
  AttrFlag,
  AttrType,
  type CodecOptions,
  MessageType,
  type PathAttributes,
  Safi,
  type UpdateMessage,
} from './types.js';
import { endOfRibMarker } from './update.js';

/** A path attribute block encoded once for one set of codec options; reuse it for every batch with these attributes. */
export interface EncodedAttributes {
  readonly block: Buffer;
  readonly fourOctetAs: boolean;
}

/** Codec options plus the next hop that IPv6 prefixes (MP_REACH_NLRI) are sent with. */
export interface PackOptions extends CodecOptions {
  ipv6NextHop?: string;
  ipv6LinkLocalNextHop?: string;
}

const MP_HEADER = 4; // flags, type, 2-octet length: packed MP_* attributes always use the extended length

/** Encodes `attrs` (without MP_*) once, for use with encodeUpdates. */
export function encodeAttributeBlock(attrs: PathAttributes, opts: CodecOptions): EncodedAttributes {
  return { block: encodeAttributes(attrs, opts), fourOctetAs: opts.fourOctetAs };
}

function maxLength(opts: CodecOptions): number {
  return opts.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** Right-sizes a message buffer filled to `length`, so a short last message does not pin a 64 KiB buffer. */
function finish(buf: Buffer, length: number, out: Buffer[]): void {
  writeHeader(buf, 0, length, MessageType.UPDATE);
  out.push(length * 2 < buf.length ? Buffer.from(buf.subarray(0, length)) : buf.subarray(0, length));
}

/** Writes prefixes[from..] into buf[off, limit); returns [next index, offset]. */
function fill(
  buf: Buffer,
  off: number,
  limit: number,
  prefixes: readonly string[],
  from: number,
  afi: number,
): [number, number] {
  let i = from;
  let p = off;
  while (i < prefixes.length) {
    const q = writePrefix(buf, p, limit, prefixes[i]!, afi);
    if (q < 0) break;
    p = q;
    i++;
  }
  if (i === from) throw invalidArgument('path attributes leave no room for a single prefix in an UPDATE');
  return [i, p];
}

/** IPv4 NLRI: header, no withdrawn routes, the attribute block, as many prefixes as fit. */
function packIpv4(block: Buffer, prefixes: readonly string[], max: number, out: Buffer[]): void {
  for (let i = 0; i < prefixes.length; ) {
    const buf = Buffer.allocUnsafe(max);
    buf.writeUInt16BE(0, HEADER_LENGTH);
    buf.writeUInt16BE(block.length, HEADER_LENGTH + 2);
    block.copy(buf, HEADER_LENGTH + 4);
    const [next, end] = fill(buf, HEADER_LENGTH + 4 + block.length, max, prefixes, i, Afi.IPV4);
    i = next;
    finish(buf, end, out);
  }
}

/** MP_REACH_NLRI (first, RFC 7606 §5.1) with as many prefixes as fit, then the attribute block. */
function packMpReach(block: Buffer, mpHead: Buffer, prefixes: readonly string[], max: number, out: Buffer[]): void {
  const nlriStart = HEADER_LENGTH + 4 + MP_HEADER + mpHead.length;
  for (let i = 0; i < prefixes.length; ) {
    const buf = Buffer.allocUnsafe(max);
    const [next, end] = fill(buf, nlriStart, max - block.length, prefixes, i, mpHead.readUInt16BE(0));
    i = next;
    const mpLen = end - (HEADER_LENGTH + 4 + MP_HEADER);
    buf.writeUInt16BE(0, HEADER_LENGTH);
    buf.writeUInt16BE(MP_HEADER + mpLen + block.length, HEADER_LENGTH + 2);
    buf[HEADER_LENGTH + 4] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
    buf[HEADER_LENGTH + 5] = AttrType.MP_REACH_NLRI;
    buf.writeUInt16BE(mpLen, HEADER_LENGTH + 6);
    mpHead.copy(buf, HEADER_LENGTH + 8);
    block.copy(buf, end);
    finish(buf, end + block.length, out);
  }
}

function packIpv4Withdrawn(prefixes: readonly string[], max: number, out: Buffer[]): void {
  for (let i = 0; i < prefixes.length; ) {
    const buf = Buffer.allocUnsafe(max);
    const [next, end] = fill(buf, HEADER_LENGTH + 2, max - 2, prefixes, i, Afi.IPV4);
    i = next;
    buf.writeUInt16BE(end - HEADER_LENGTH - 2, HEADER_LENGTH);
    buf.writeUInt16BE(0, end);
    finish(buf, end + 2, out);
  }
}

function packMpUnreach(afi: number, prefixes: readonly string[], max: number, out: Buffer[]): void {
  const head = mpUnreachHeader(afi, Safi.UNICAST);
  const nlriStart = HEADER_LENGTH + 4 + MP_HEADER + head.length;
  for (let i = 0; i < prefixes.length; ) {
    const buf = Buffer.allocUnsafe(max);
    const [next, end] = fill(buf, nlriStart, max, prefixes, i, afi);
    i = next;
    const mpLen = end - (HEADER_LENGTH + 4 + MP_HEADER);
    buf.writeUInt16BE(0, HEADER_LENGTH);
    buf.writeUInt16BE(MP_HEADER + mpLen, HEADER_LENGTH + 2);
    buf[HEADER_LENGTH + 4] = AttrFlag.OPTIONAL | AttrFlag.EXTENDED_LENGTH;
    buf[HEADER_LENGTH + 5] = AttrType.MP_UNREACH_NLRI;
    buf.writeUInt16BE(mpLen, HEADER_LENGTH + 6);
    head.copy(buf, HEADER_LENGTH + 8);
    finish(buf, end, out);
  }
}

function split(prefixes: readonly string[]): [string[], string[]] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const p of prefixes) (familyOf(p) === Afi.IPV4 ? v4 : v6).push(p);
  return [v4, v6];
}

/** Withdraws any number of prefixes (IPv4 in the Withdrawn Routes field, IPv6 in MP_UNREACH_NLRI), packed. */
export function encodeWithdrawals(prefixes: readonly string[], opts: CodecOptions): Buffer[] {
  const [v4, v6] = split(prefixes);
  const out: Buffer[] = [];
  packIpv4Withdrawn(v4, maxLength(opts), out);
  packMpUnreach(Afi.IPV6, v6, maxLength(opts), out);
  return out;
}

/**
 * Packs as many prefixes per UPDATE as fit in 4096 (or 65535) octets.
 * - `(attrs, prefixes, opts)`: announces `prefixes` with `attrs` (or an attribute block from encodeAttributeBlock,
 *   the fast path for many batches with the same attributes); IPv6 ones go in MP_REACH_NLRI with
 *   `opts.ipv6NextHop`.
 * - `(update, opts)`: any UpdateMessage; sent as is when it fits, else split into withdrawals and announcements.
 */
export function encodeUpdates(update: UpdateMessage, opts: CodecOptions): Buffer[];
export function encodeUpdates(
  attrs: PathAttributes | EncodedAttributes,
  prefixes: readonly string[],
  opts: PackOptions,
): Buffer[];
export function encodeUpdates(
  first: UpdateMessage | PathAttributes | EncodedAttributes,
  second: readonly string[] | CodecOptions,
  third?: PackOptions,
): Buffer[] {
  if (Array.isArray(second)) return announce(first as PathAttributes | EncodedAttributes, second, third!);
  return packUpdate(first as UpdateMessage, second as CodecOptions);
}

function announce(attrs: PathAttributes | EncodedAttributes, prefixes: readonly string[], opts: PackOptions): Buffer[] {
  const enc = 'block' in attrs && Buffer.isBuffer(attrs.block) ? (attrs as EncodedAttributes) : undefined;
  if (enc && enc.fourOctetAs !== opts.fourOctetAs) throw invalidArgument('attribute block encoded for other options');
  const block = enc ? enc.block : encodeAttributes(attrs as PathAttributes, opts);
  const [v4, v6] = split(prefixes);
  const out: Buffer[] = [];
  const max = maxLength(opts);
  packIpv4(block, v4, max, out);
  if (v6.length > 0) {
    if (!opts.ipv6NextHop) throw invalidArgument('IPv6 prefixes need opts.ipv6NextHop');
    const head = mpReachHeader(Afi.IPV6, Safi.UNICAST, opts.ipv6NextHop, opts.ipv6LinkLocalNextHop);
    packMpReach(block, head, v6, max, out);
  }
  return out;
}

function packUpdate(u: UpdateMessage, opts: CodecOptions): Buffer[] {
  const max = maxLength(opts);
  const block = encodeAttributes(u.attributes, opts);
  // An upper bound of the single-message size: MP_REACH_NLRI header with a 32-octet next hop, MP_UNREACH_NLRI's.
  let size = HEADER_LENGTH + 4 + block.length + (u.mpReach ? MP_HEADER + 37 : 0) + (u.mpUnreach ? MP_HEADER + 3 : 0);
  for (const p of u.withdrawn) size += prefixSize(p);
  for (const p of u.nlri) size += prefixSize(p);
  for (const p of u.mpReach?.nlri ?? []) size += prefixSize(p);
  for (const p of u.mpUnreach?.withdrawn ?? []) size += prefixSize(p);
  if (size <= max) return [encodeMessage(u, opts)];
  const out: Buffer[] = [];
  packIpv4Withdrawn(u.withdrawn, max, out);
  if (u.mpUnreach) packMpUnreach(u.mpUnreach.afi, u.mpUnreach.withdrawn, max, out);
  packIpv4(block, u.nlri, max, out);
  if (u.mpReach) {
    const r = u.mpReach;
    packMpReach(block, mpReachHeader(r.afi, r.safi, r.nextHop, r.linkLocalNextHop), r.nlri, max, out);
  }
  return out;
}

/**
 * The End-of-RIB marker (RFC 4724 §2) for a family, as the decoder returns it: an empty UPDATE for IPv4 unicast, an
 * empty MP_UNREACH_NLRI otherwise, with `endOfRib` set.
 */
export function endOfRib(afi: number, safi: number = Safi.UNICAST): UpdateMessage {
  const u = endOfRibMarker({ type: 'update', withdrawn: [], attributes: {}, nlri: [], endOfRib: { afi, safi } });
  u.endOfRib = { afi, safi };
  return u;
}
