// Path attributes as a table (BIRD's model): one row per type code with its name, expected flags, RFC 7606 action,
// decoder and encoder. decodeAttributes walks the attribute list with the RFC 7606 §4 length rules; errors that only
// spoil this UPDATE land in ctx.errors, errors that need a NOTIFICATION throw BgpWireError.

import { asPathLength, decodeAsPath, encodeAsPath, hasConfedSegment, mergeAs4Path, needsAs4 } from './as-path.js';
import { BgpWireError, Subcode } from './bgp-wire-error.js';
import { decodeMpReach, decodeMpUnreach } from './mp-attributes.js';
import { AS_TRANS } from './open.js';
import { formatIpv4, ipv4Number } from './prefix.js';
import {
  type AsPathSegment,
  AttrFlag,
  AttrType,
  type CodecOptions,
  type ErrorAction,
  ErrorCode,
  type MpReach,
  type MpUnreach,
  type Origin,
  type PathAttributes,
  type UpdateError,
} from './types.js';

/** Per-UPDATE decoding state shared by the rows. */
export interface AttrContext {
  opts: CodecOptions;
  attrs: PathAttributes;
  errors: UpdateError[];
  /** Type codes seen (for RFC 7606 §3.g duplicates and §3.d missing attributes). */
  seen: Uint8Array;
  /** Attributes found in the list, whatever became of them. */
  count: number;
  /** The whole attribute being decoded (flags, type, length, value): NOTIFICATION data. */
  raw: Buffer;
  as4Path?: AsPathSegment[];
  as4Aggregator?: { asn: number; address: string };
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
}

export interface AttrDescriptor {
  code: number;
  name: string;
  /** Expected Optional and Transitive bits. */
  flags: number;
  /** RFC 7606 action when the value is malformed. */
  action: ErrorAction;
  /** Action when the Optional/Transitive flags are wrong: RFC 7606 §3.c says treat-as-withdraw unless the
   *  attribute's own specification says otherwise (RFC 6793 §6 for AS4_*). */
  flagsAction?: ErrorAction;
  /** Decodes the value buf[start, end) into ctx; returns a kebab-case reason when malformed. */
  decode(buf: Buffer, start: number, end: number, ctx: AttrContext): string | undefined;
  /** Encodes the value from attrs, or undefined when the attribute is not to be sent. MP_* are encoded apart. */
  encode?(attrs: PathAttributes, opts: CodecOptions): Buffer | undefined;
}

const WELL_KNOWN = AttrFlag.TRANSITIVE;
const OPTIONAL = AttrFlag.OPTIONAL;
const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;
const DEFAULT_MAX_AS_PATH = 1000;

function u32(v: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(v >>> 0, 0);
  return b;
}

function aggregatorValue(asn: number, address: string, asSize: 2 | 4): Buffer {
  const b = Buffer.allocUnsafe(asSize + 4);
  if (asSize === 4) b.writeUInt32BE(asn, 0);
  else b.writeUInt16BE(asn > 0xffff ? AS_TRANS : asn, 0);
  b.writeUInt32BE(ipv4Number(address), asSize);
  return b;
}

/**
 * ORIGINATOR_ID and CLUSTER_LIST are iBGP-only (RFC 4456 §8, non-transitive): from an eBGP peer they are dropped,
 * the route kept (as LOCAL_PREF from eBGP is, RFC 7606 §7.5), so that no other AS can make us drop a route as a loop.
 */
function discardFromExternal(c: AttrContext, attribute: number, reason: string): undefined {
  c.errors.push({ attribute, reason, action: 'attribute-discard' });
  return undefined;
}

const ROWS: AttrDescriptor[] = [
  {
    code: AttrType.ORIGIN,
    name: 'ORIGIN',
    flags: WELL_KNOWN,
    action: 'treat-as-withdraw', // RFC 7606 §7.1
    decode(b, s, e, c) {
      if (e - s !== 1) return 'origin-bad-length';
      if (b[s]! > 2) return 'origin-invalid';
      c.attrs.origin = b[s] as Origin;
      return undefined;
    },
    encode: (a) => (a.origin === undefined ? undefined : Buffer.from([a.origin])),
  },
  {
    code: AttrType.AS_PATH,
    name: 'AS_PATH',
    flags: WELL_KNOWN,
    action: 'treat-as-withdraw', // RFC 7606 §7.2
    decode(b, s, e, c) {
      const path = decodeAsPath(b, s, e, c.opts.fourOctetAs ? 4 : 2);
      if (typeof path === 'string') return `as-path-${path}`;
      c.attrs.asPath = path;
      return undefined;
    },
    encode(a, o) {
      if (!a.asPath) return undefined;
      return o.fourOctetAs ? encodeAsPath(a.asPath, 4) : encodeAsPath(a.asPath, 2, (x) => (x > 0xffff ? AS_TRANS : x));
    },
  },
  {
    code: AttrType.NEXT_HOP,
    name: 'NEXT_HOP',
    flags: WELL_KNOWN,
    action: 'treat-as-withdraw', // RFC 7606 §7.3
    decode(b, s, e, c) {
      if (e - s !== 4) return 'next-hop-bad-length';
      c.attrs.nextHop = formatIpv4(b.readUInt32BE(s));
      return undefined;
    },
    encode: (a) => (a.nextHop === undefined ? undefined : u32(ipv4Number(a.nextHop))),
  },
  {
    code: AttrType.MULTI_EXIT_DISC,
    name: 'MULTI_EXIT_DISC',
    flags: OPTIONAL,
    action: 'treat-as-withdraw', // RFC 7606 §7.4
    decode(b, s, e, c) {
      if (e - s !== 4) return 'med-bad-length';
      c.attrs.med = b.readUInt32BE(s);
      return undefined;
    },
    encode: (a) => (a.med === undefined ? undefined : u32(a.med)),
  },
  {
    code: AttrType.LOCAL_PREF,
    name: 'LOCAL_PREF',
    flags: WELL_KNOWN,
    action: 'treat-as-withdraw', // RFC 7606 §7.5
    decode(b, s, e, c) {
      if (c.opts.external) {
        c.errors.push({
          attribute: AttrType.LOCAL_PREF,
          reason: 'local-pref-from-external',
          action: 'attribute-discard',
        });
        return undefined;
      }
      if (e - s !== 4) return 'local-pref-bad-length';
      c.attrs.localPref = b.readUInt32BE(s);
      return undefined;
    },
    encode: (a) => (a.localPref === undefined ? undefined : u32(a.localPref)),
  },
  {
    code: AttrType.ATOMIC_AGGREGATE,
    name: 'ATOMIC_AGGREGATE',
    flags: WELL_KNOWN,
    action: 'attribute-discard', // RFC 7606 §7.6
    decode(_b, s, e, c) {
      if (e - s !== 0) return 'atomic-aggregate-bad-length';
      c.attrs.atomicAggregate = true;
      return undefined;
    },
    encode: (a) => (a.atomicAggregate ? Buffer.alloc(0) : undefined),
  },
  {
    code: AttrType.AGGREGATOR,
    name: 'AGGREGATOR',
    flags: OPTIONAL_TRANSITIVE,
    action: 'attribute-discard', // RFC 7606 §7.7
    decode(b, s, e, c) {
      const asSize = c.opts.fourOctetAs ? 4 : 2;
      if (e - s !== asSize + 4) return 'aggregator-bad-length';
      const asn = asSize === 4 ? b.readUInt32BE(s) : b.readUInt16BE(s);
      c.attrs.aggregator = { asn, address: formatIpv4(b.readUInt32BE(s + asSize)) };
      return undefined;
    },
    encode: (a, o) => a.aggregator && aggregatorValue(a.aggregator.asn, a.aggregator.address, o.fourOctetAs ? 4 : 2),
  },
  {
    code: AttrType.COMMUNITIES,
    name: 'COMMUNITIES',
    flags: OPTIONAL_TRANSITIVE,
    action: 'treat-as-withdraw', // RFC 7606 §7.8
    decode(b, s, e, c) {
      if (e === s || (e - s) % 4 !== 0) return 'communities-bad-length';
      const out: number[] = [];
      for (let p = s; p < e; p += 4) out.push(b.readUInt32BE(p));
      c.attrs.communities = out;
      return undefined;
    },
    encode(a) {
      if (!a.communities || a.communities.length === 0) return undefined;
      const v = Buffer.allocUnsafe(4 * a.communities.length);
      a.communities.forEach((x, i) => {
        v.writeUInt32BE(x >>> 0, 4 * i);
      });
      return v;
    },
  },
  {
    code: AttrType.ORIGINATOR_ID,
    name: 'ORIGINATOR_ID',
    flags: OPTIONAL,
    action: 'treat-as-withdraw', // RFC 7606 §7.9
    decode(b, s, e, c) {
      if (c.opts.external) return discardFromExternal(c, AttrType.ORIGINATOR_ID, 'originator-id-from-external');
      if (e - s !== 4) return 'originator-id-bad-length';
      c.attrs.originatorId = formatIpv4(b.readUInt32BE(s));
      return undefined;
    },
    encode: (a) => (a.originatorId === undefined ? undefined : u32(ipv4Number(a.originatorId))),
  },
  {
    code: AttrType.CLUSTER_LIST,
    name: 'CLUSTER_LIST',
    flags: OPTIONAL,
    action: 'treat-as-withdraw', // RFC 7606 §7.10
    decode(b, s, e, c) {
      if (c.opts.external) return discardFromExternal(c, AttrType.CLUSTER_LIST, 'cluster-list-from-external');
      if (e === s || (e - s) % 4 !== 0) return 'cluster-list-bad-length';
      const out: string[] = [];
      for (let p = s; p < e; p += 4) out.push(formatIpv4(b.readUInt32BE(p)));
      c.attrs.clusterList = out;
      return undefined;
    },
    encode(a) {
      if (!a.clusterList || a.clusterList.length === 0) return undefined;
      const v = Buffer.allocUnsafe(4 * a.clusterList.length);
      a.clusterList.forEach((id, i) => {
        v.writeUInt32BE(ipv4Number(id), 4 * i);
      });
      return v;
    },
  },
  {
    code: AttrType.MP_REACH_NLRI,
    name: 'MP_REACH_NLRI',
    flags: OPTIONAL,
    action: 'afisafi-disable', // RFC 7606 §7.11
    decode(b, s, e, c) {
      c.mpReach = decodeMpReach(b, s, e, c.raw, c.errors, c.opts.families);
      return undefined;
    },
  },
  {
    code: AttrType.MP_UNREACH_NLRI,
    name: 'MP_UNREACH_NLRI',
    flags: OPTIONAL,
    action: 'afisafi-disable', // RFC 7606 §7.11
    decode(b, s, e, c) {
      c.mpUnreach = decodeMpUnreach(b, s, e, c.raw, c.errors, c.opts.families);
      return undefined;
    },
  },
  {
    code: AttrType.AS4_PATH,
    name: 'AS4_PATH',
    flags: OPTIONAL_TRANSITIVE,
    action: 'attribute-discard', // RFC 6793 §6: a bad AS4_PATH is discarded, never withdraws
    flagsAction: 'attribute-discard',
    decode(b, s, e, c) {
      if (c.opts.fourOctetAs) return 'as4-path-from-four-octet-peer'; // RFC 6793 §4.1: a NEW speaker discards it
      const path = decodeAsPath(b, s, e, 4);
      if (typeof path === 'string') return `as4-path-${path}`;
      if (hasConfedSegment(path)) return 'as4-path-confed-segment';
      c.as4Path = path;
      return undefined;
    },
    encode(a, o) {
      if (o.fourOctetAs || !a.asPath || !needsAs4(a.asPath)) return undefined;
      return encodeAsPath(
        a.asPath.filter((x) => x.type === 'set' || x.type === 'sequence'),
        4,
      );
    },
  },
  {
    code: AttrType.AS4_AGGREGATOR,
    name: 'AS4_AGGREGATOR',
    flags: OPTIONAL_TRANSITIVE,
    action: 'attribute-discard', // RFC 6793 §6
    flagsAction: 'attribute-discard',
    decode(b, s, e, c) {
      if (c.opts.fourOctetAs) return 'as4-aggregator-from-four-octet-peer';
      if (e - s !== 8) return 'as4-aggregator-bad-length';
      c.as4Aggregator = { asn: b.readUInt32BE(s), address: formatIpv4(b.readUInt32BE(s + 4)) };
      return undefined;
    },
    encode(a, o) {
      if (o.fourOctetAs || !a.aggregator || a.aggregator.asn <= 0xffff) return undefined;
      return aggregatorValue(a.aggregator.asn, a.aggregator.address, 4);
    },
  },
  {
    code: AttrType.LARGE_COMMUNITY,
    name: 'LARGE_COMMUNITY',
    flags: OPTIONAL_TRANSITIVE,
    action: 'treat-as-withdraw', // RFC 8092 §5 (as RFC 7606 §7.8 for COMMUNITIES)
    decode(b, s, e, c) {
      if (e === s || (e - s) % 12 !== 0) return 'large-communities-bad-length';
      const out: [number, number, number][] = [];
      for (let p = s; p < e; p += 12) out.push([b.readUInt32BE(p), b.readUInt32BE(p + 4), b.readUInt32BE(p + 8)]);
      c.attrs.largeCommunities = out;
      return undefined;
    },
    encode(a) {
      if (!a.largeCommunities || a.largeCommunities.length === 0) return undefined;
      const v = Buffer.allocUnsafe(12 * a.largeCommunities.length);
      a.largeCommunities.forEach(([g, l1, l2], i) => {
        v.writeUInt32BE(g >>> 0, 12 * i);
        v.writeUInt32BE(l1 >>> 0, 12 * i + 4);
        v.writeUInt32BE(l2 >>> 0, 12 * i + 8);
      });
      return v;
    },
  },
];

/** The attribute table, indexed by type code. */
export const ATTRIBUTES: readonly (AttrDescriptor | undefined)[] = (() => {
  const t = new Array<AttrDescriptor | undefined>(256).fill(undefined);
  for (const r of ROWS) t[r.code] = r;
  return t;
})();

function updateError(subcode: number, reason: string, data: Buffer): BgpWireError {
  return new BgpWireError(ErrorCode.UPDATE_MESSAGE, subcode, reason, Buffer.from(data));
}

/** Decodes the path attributes in buf[start, end) (RFC 4271 §4.3, RFC 7606 §3, §4). */
export function decodeAttributes(buf: Buffer, start: number, end: number, ctx: AttrContext): void {
  let p = start;
  while (p < end) {
    // RFC 7606 §4: fewer octets than an attribute header, or a length past the end: treat-as-withdraw, stop here.
    const ext = (buf[p]! & AttrFlag.EXTENDED_LENGTH) !== 0;
    const hdr = ext ? 4 : 3;
    if (end - p < hdr) {
      ctx.errors.push({
        attribute: end - p > 1 ? buf[p + 1]! : 0,
        reason: 'attribute-truncated',
        action: 'treat-as-withdraw',
      });
      return;
    }
    const flags = buf[p]!;
    const code = buf[p + 1]!;
    const len = ext ? buf.readUInt16BE(p + 2) : buf[p + 2]!;
    if (p + hdr + len > end) {
      // The MP_* NLRI could not be withdrawn if their attribute is the one cut: only a reset is safe then.
      if (code === AttrType.MP_REACH_NLRI || code === AttrType.MP_UNREACH_NLRI) {
        throw updateError(Subcode.MALFORMED_ATTRIBUTE_LIST, 'mp-attribute-overrun', buf.subarray(p, end));
      }
      ctx.errors.push({ attribute: code, reason: 'attribute-overrun', action: 'treat-as-withdraw' });
      return;
    }
    const vs = p + hdr;
    const ve = vs + len;
    ctx.raw = buf.subarray(p, ve);
    ctx.count++;
    p = ve;
    const row = ATTRIBUTES[code];
    if (ctx.seen[code]) {
      if (code === AttrType.MP_REACH_NLRI || code === AttrType.MP_UNREACH_NLRI) {
        throw updateError(Subcode.MALFORMED_ATTRIBUTE_LIST, 'duplicate-mp-attribute', Buffer.alloc(0)); // §3.g
      }
      ctx.errors.push({ attribute: code, reason: 'duplicate-attribute', action: 'attribute-discard' });
      continue;
    }
    ctx.seen[code] = 1;
    if (!row) {
      if ((flags & AttrFlag.OPTIONAL) === 0) {
        throw updateError(Subcode.UNRECOGNIZED_WELL_KNOWN, 'unrecognized-well-known-attribute', ctx.raw);
      }
      // Optional non-transitive ones we do not know are quietly dropped (RFC 4271 §5); transitive ones kept.
      if (flags & AttrFlag.TRANSITIVE) {
        if (!ctx.attrs.unknown) ctx.attrs.unknown = [];
        ctx.attrs.unknown.push({ flags: flags & 0xe0, code, value: Buffer.from(buf.subarray(vs, ve)) });
      }
      continue;
    }
    const mp = code === AttrType.MP_REACH_NLRI || code === AttrType.MP_UNREACH_NLRI;
    if ((flags & OPTIONAL_TRANSITIVE) !== row.flags) {
      // RFC 7606 §3.c. MP_* are still decoded so that their NLRI can be withdrawn with the rest.
      ctx.errors.push({
        attribute: code,
        reason: `${row.name.toLowerCase().replaceAll('_', '-')}-flags-invalid`,
        action: row.flagsAction ?? 'treat-as-withdraw',
      });
      if (!mp) continue;
    }
    const reason = row.decode(buf, vs, ve, ctx);
    if (reason !== undefined) ctx.errors.push({ attribute: code, reason, action: row.action });
  }
}

/** After all attributes: the RFC 6793 §4.2.3 merge for 2-octet sessions, and whole-path checks. */
export function finishAttributes(ctx: AttrContext): void {
  const a = ctx.attrs;
  if (!ctx.opts.fourOctetAs) {
    // An AGGREGATOR that is not AS_TRANS means the path never crossed a NEW speaker: AS4_* are ignored.
    const ignoreAs4 = a.aggregator !== undefined && a.aggregator.asn !== AS_TRANS;
    if (!ignoreAs4 && a.aggregator && ctx.as4Aggregator) a.aggregator = ctx.as4Aggregator;
    if (!ignoreAs4 && a.asPath && ctx.as4Path) a.asPath = mergeAs4Path(a.asPath, ctx.as4Path);
  }
  if (a.asPath) {
    if (ctx.opts.external && hasConfedSegment(a.asPath)) {
      ctx.errors.push({
        attribute: AttrType.AS_PATH,
        reason: 'as-path-confed-from-external',
        action: 'treat-as-withdraw',
      });
    }
    if (asPathLength(a.asPath) > (ctx.opts.maxAsPathLength ?? DEFAULT_MAX_AS_PATH)) {
      ctx.errors.push({ attribute: AttrType.AS_PATH, reason: 'as-path-too-long', action: 'treat-as-withdraw' });
    }
  }
}
