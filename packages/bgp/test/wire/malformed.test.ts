// The malformed-input catalogue: every case of RFC 4271 §6.1–§6.3 and RFC 7606 §3–§7 that the codec can see, with
// the exact NOTIFICATION (code/subcode[/data]) or the RFC 7606 action and reason it must produce.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { BgpWireError, checkOpen, decodeMessage, MessageFramer } from '../../src/wire/index.js';
import type { CodecOptions, ErrorAction, OpenMessage } from '../../src/wire/types.js';
import { frame, OPTS2, OPTS4, u16, u32 } from './vectors.js';

type Expect =
  | { notify: [code: number, subcode: number, data?: number[]]; family?: [afi: number, safi: number] }
  | { action: ErrorAction; reasons: string[] };

interface Case {
  name: string;
  bytes: Buffer;
  opts?: CodecOptions;
  expect: Expect;
}

/** An UPDATE from its three fields, lengths computed. */
function upd(attrs: number[], nlri: number[] = [], withdrawn: number[] = []): Buffer {
  return frame(2, ...u16(withdrawn.length), ...withdrawn, ...u16(attrs.length), ...attrs, ...nlri);
}

/** A header with a given length and type (the body padded to that length when it is sane). */
function header(length: number, type: number): Buffer {
  const b = Buffer.alloc(Math.max(19, Math.min(length, 70000)));
  b.fill(0xff, 0, 16);
  b.writeUInt16BE(length, 16);
  b[18] = type;
  return b;
}

function open(body: number[]): Buffer {
  return frame(1, ...body);
}
const OPEN_FIXED = [4, ...u16(65001), ...u16(90), 192, 0, 2, 1];

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 6, 2, 1, ...u32(65001)];
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const GOOD = [...ORIGIN, ...AS_PATH, ...NEXT_HOP];
const NLRI = [24, 10, 244, 1];
const V6NH = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

const withdraw = (...reasons: string[]): Expect => ({ action: 'treat-as-withdraw', reasons });
const discard = (...reasons: string[]): Expect => ({ action: 'attribute-discard', reasons });
const notify = (code: number, subcode: number, data?: number[]): Expect => ({ notify: [code, subcode, data] });

const CASES: Case[] = [
  // RFC 4271 §6.1 Message Header errors
  {
    name: 'bad marker',
    bytes: Buffer.from([...frame(4).subarray(0, 5), 0, ...frame(4).subarray(6)]),
    expect: notify(1, 1, []),
  },
  { name: 'length 18 < 19', bytes: header(18, 4), expect: notify(1, 2, u16(18)) },
  { name: 'length 4097 without extended messages', bytes: header(4097, 2), expect: notify(1, 2, u16(4097)) },
  { name: 'OPEN shorter than 29', bytes: header(28, 1), expect: notify(1, 2, u16(28)) },
  {
    name: 'OPEN of 4097 even with extended messages',
    bytes: header(4097, 1),
    opts: { ...OPTS4, extendedMessage: true },
    expect: notify(1, 2, u16(4097)),
  },
  { name: 'UPDATE shorter than 23', bytes: header(22, 2), expect: notify(1, 2, u16(22)) },
  { name: 'NOTIFICATION shorter than 21', bytes: header(20, 3), expect: notify(1, 2, u16(20)) },
  { name: 'KEEPALIVE longer than 19', bytes: header(20, 4), expect: notify(1, 2, u16(20)) },
  { name: 'ROUTE-REFRESH shorter than 23', bytes: header(22, 5), expect: notify(1, 2, u16(22)) },
  { name: 'ROUTE-REFRESH subtype 0 of 24 octets', bytes: frame(5, 0, 1, 0, 1, 0), expect: notify(1, 2, u16(24)) },
  { name: 'type 0', bytes: header(19, 0), expect: notify(1, 3, [0]) },
  { name: 'type 6', bytes: header(19, 6), expect: notify(1, 3, [6]) },
  // RFC 7313 §5
  { name: 'BoRR of 24 octets', bytes: frame(5, 0, 1, 1, 1, 0), expect: notify(7, 1, [...frame(5, 0, 1, 1, 1, 0)]) },
  // RFC 4271 §6.2 OPEN errors (+ RFC 5492, RFC 6286, RFC 7607, RFC 9072)
  { name: 'version 3', bytes: open([3, ...OPEN_FIXED.slice(1), 0]), expect: notify(2, 1, [0, 4]) },
  { name: 'My AS 0', bytes: open([4, 0, 0, ...OPEN_FIXED.slice(3), 0]), expect: notify(2, 2, []) },
  { name: 'hold time 1', bytes: open([4, ...u16(65001), 0, 1, 192, 0, 2, 1, 0]), expect: notify(2, 6, []) },
  { name: 'hold time 2', bytes: open([4, ...u16(65001), 0, 2, 192, 0, 2, 1, 0]), expect: notify(2, 6, []) },
  { name: 'BGP identifier 0', bytes: open([4, ...u16(65001), 0, 90, 0, 0, 0, 0, 0]), expect: notify(2, 3, []) },
  {
    name: 'optional parameter type 1 (authentication)',
    bytes: open([...OPEN_FIXED, 3, 1, 1, 0]),
    expect: notify(2, 4, [1]),
  },
  { name: 'optional parameters length past the end', bytes: open([...OPEN_FIXED, 4, 2, 0]), expect: notify(2, 0, []) },
  { name: 'optional parameter overrun', bytes: open([...OPEN_FIXED, 2, 2, 4]), expect: notify(2, 0, []) },
  { name: 'capability overrun', bytes: open([...OPEN_FIXED, 4, 2, 2, 1, 4]), expect: notify(2, 0, [1, 4]) },
  {
    name: 'multiprotocol capability of 3 octets',
    bytes: open([...OPEN_FIXED, 7, 2, 5, 1, 3, 0, 1, 0]),
    expect: notify(2, 0, [0, 1, 0]),
  },
  {
    name: 'graceful restart capability of 3 octets',
    bytes: open([...OPEN_FIXED, 7, 2, 5, 64, 3, 0, 0, 0]),
    expect: notify(2, 0, [0, 0, 0]),
  },
  {
    name: 'four-octet-as capability with AS 0',
    bytes: open([...OPEN_FIXED, 8, 2, 6, 65, 4, 0, 0, 0, 0]),
    expect: notify(2, 2, []),
  },
  {
    name: 'RFC 9072 extended parameters cut short',
    bytes: open([...OPEN_FIXED, 255, 255, 0]),
    expect: notify(2, 0, []),
  },
  // RFC 4271 §6.3 / RFC 7606 §4, §5.3: errors that only a session reset answers
  { name: 'withdrawn routes length past the end', bytes: frame(2, ...u16(10), ...u16(0)), expect: notify(3, 1, []) },
  {
    name: 'total attribute length past the end',
    bytes: frame(2, ...u16(0), ...u16(5), 0x40, 1, 1, 0),
    expect: notify(3, 1, []),
  },
  { name: 'withdrawn prefix of length 33', bytes: upd([], [], [33, 10, 0, 0, 0, 0]), expect: notify(3, 10, []) },
  { name: 'withdrawn prefix overrun', bytes: upd([], [], [24, 10, 0]), expect: notify(3, 10, []) },
  { name: 'NLRI prefix of length 33', bytes: upd(GOOD, [33, 10, 0, 0, 0, 0]), expect: notify(3, 10, []) },
  { name: 'NLRI prefix overrun', bytes: upd(GOOD, [24, 10, 244]), expect: notify(3, 10, []) },
  {
    name: 'unrecognized well-known attribute',
    bytes: upd([...GOOD, 0x40, 99, 1, 7], NLRI),
    expect: notify(3, 2, [0x40, 99, 1, 7]),
  },
  {
    name: 'MP_UNREACH_NLRI twice (§3.g)',
    bytes: upd([...mpUnreach6([]), ...mpUnreach6([])]),
    expect: notify(3, 1, []),
  },
  {
    name: 'MP_REACH_NLRI shorter than AFI/SAFI/next hop length',
    bytes: upd([0x80, 14, 3, 0, 2, 1]),
    expect: notify(3, 9, [0x80, 14, 3, 0, 2, 1]),
  },
  {
    name: 'MP_UNREACH_NLRI shorter than AFI/SAFI',
    bytes: upd([0x80, 15, 2, 0, 2]),
    expect: notify(3, 9, [0x80, 15, 2, 0, 2]),
  },
  {
    name: 'MP_REACH_NLRI cut by the attribute list end',
    bytes: upd([0x80, 14, 40, 0, 2, 1]),
    expect: notify(3, 1, [0x80, 14, 40, 0, 2, 1]),
  },
  // RFC 7606 §7.11: AFI/SAFI disable
  {
    name: 'MP_REACH_NLRI IPv6 next hop of 8 octets',
    bytes: upd([...mpReach6(8, [])]),
    expect: { notify: [3, 9], family: [2, 1] },
  },
  {
    name: 'MP_REACH_NLRI next hop past the end',
    bytes: upd([0x80, 14, 6, 0, 2, 1, 16, 0, 0]),
    expect: { notify: [3, 9], family: [2, 1] },
  },
  {
    name: 'MP_REACH_NLRI IPv6 prefix of length 129',
    bytes: upd([...mpReach6(16, [129, ...V6NH])]),
    expect: { notify: [3, 9], family: [2, 1] },
  },
  {
    name: 'MP_REACH_NLRI IPv6 prefix overrun',
    bytes: upd([...mpReach6(16, [64, 0x20, 1])]),
    expect: { notify: [3, 9], family: [2, 1] },
  },
  {
    name: 'MP_UNREACH_NLRI IPv6 prefix overrun',
    bytes: upd(mpUnreach6([64, 0x20])),
    expect: { notify: [3, 9], family: [2, 1] },
  },
  {
    name: 'MP_REACH_NLRI IPv4 next hop of 16 octets',
    bytes: upd([0x80, 14, 21, 0, 1, 1, 16, ...V6NH, 0]),
    expect: { notify: [3, 9], family: [1, 1] },
  },
  // RFC 7606 §4: attribute lengths inconsistent with the list → treat-as-withdraw
  {
    name: 'attribute length past the list end',
    bytes: upd([...GOOD, 0xc0, 8, 8, 0, 0], NLRI),
    expect: withdraw('attribute-overrun'),
  },
  {
    name: 'fewer octets than an attribute header',
    bytes: upd([...GOOD, 0xc0, 8], NLRI),
    expect: withdraw('attribute-truncated'),
  },
  {
    name: 'extended-length header cut',
    bytes: upd([...GOOD, 0xd0, 8, 0], NLRI),
    expect: withdraw('attribute-truncated'),
  },
  // RFC 7606 §3.c flags, §3.d missing attributes
  {
    name: 'ORIGIN flagged optional',
    bytes: upd([0xc0, 1, 1, 0, ...AS_PATH, ...NEXT_HOP], NLRI),
    expect: withdraw('origin-flags-invalid'),
  },
  {
    name: 'MED flagged well-known',
    bytes: upd([...GOOD, 0x40, 4, 4, 0, 0, 0, 1], NLRI),
    expect: withdraw('multi-exit-disc-flags-invalid'),
  },
  {
    name: 'ATOMIC_AGGREGATE flagged optional (§3.c, not §7.6)',
    bytes: upd([...GOOD, 0xc0, 6, 0], NLRI),
    expect: withdraw('atomic-aggregate-flags-invalid'),
  },
  {
    name: 'COMMUNITIES flagged optional non-transitive',
    bytes: upd([...GOOD, 0x80, 8, 4, ...u32(0xfde80064)], NLRI),
    expect: withdraw('communities-flags-invalid'),
  },
  {
    name: 'LARGE_COMMUNITY flagged well-known',
    bytes: upd([...GOOD, 0x40, 32, 12, ...u32(65000), ...u32(1), ...u32(2)], NLRI),
    expect: withdraw('large-community-flags-invalid'),
  },
  {
    name: 'AS4_PATH flagged well-known (RFC 6793 §6: discard)',
    bytes: upd([...ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, ...NEXT_HOP, 0x40, 17, 6, 2, 1, ...u32(7)], NLRI),
    opts: OPTS2,
    expect: discard('as4-path-flags-invalid'),
  },
  { name: 'frame shorter than a header', bytes: Buffer.from([0xff, 0xff, 0xff]), expect: notify(1, 2, u16(3)) },
  { name: 'missing ORIGIN', bytes: upd([...AS_PATH, ...NEXT_HOP], NLRI), expect: withdraw('missing-origin') },
  { name: 'missing AS_PATH', bytes: upd([...ORIGIN, ...NEXT_HOP], NLRI), expect: withdraw('missing-as-path') },
  {
    name: 'missing NEXT_HOP with IPv4 NLRI',
    bytes: upd([...ORIGIN, ...AS_PATH], NLRI),
    expect: withdraw('missing-next-hop'),
  },
  {
    name: 'no attributes at all with NLRI',
    bytes: upd([], NLRI),
    expect: withdraw('missing-origin', 'missing-as-path', 'missing-next-hop'),
  },
  {
    name: 'missing ORIGIN with IPv6 NLRI',
    bytes: upd([...mpReach6(16, [32, 0x20, 1, 0x0d, 0xb8]), ...AS_PATH]),
    expect: withdraw('missing-origin'),
  },
  // RFC 7606 §3.g duplicates (other than MP_*) → first kept
  { name: 'ORIGIN twice', bytes: upd([...GOOD, 0x40, 1, 1, 2], NLRI), expect: discard('duplicate-attribute') },
  // RFC 7606 §7 per attribute
  {
    name: 'ORIGIN of 2 octets',
    bytes: upd([0x40, 1, 2, 0, 0, ...AS_PATH, ...NEXT_HOP], NLRI),
    expect: withdraw('origin-bad-length'),
  },
  {
    name: 'ORIGIN value 3',
    bytes: upd([0x40, 1, 1, 3, ...AS_PATH, ...NEXT_HOP], NLRI),
    expect: withdraw('origin-invalid'),
  },
  {
    name: 'AS_PATH segment type 5',
    bytes: upd([...ORIGIN, 0x40, 2, 6, 5, 1, ...u32(1), ...NEXT_HOP], NLRI),
    expect: withdraw('as-path-segment-type-invalid'),
  },
  {
    name: 'AS_PATH segment of length 0',
    bytes: upd([...ORIGIN, 0x40, 2, 2, 2, 0, ...NEXT_HOP], NLRI),
    expect: withdraw('as-path-segment-empty'),
  },
  {
    name: 'AS_PATH segment overrun',
    bytes: upd([...ORIGIN, 0x40, 2, 6, 2, 2, ...u32(1), ...NEXT_HOP], NLRI),
    expect: withdraw('as-path-segment-overrun'),
  },
  {
    name: 'AS_PATH with one octet left',
    bytes: upd([...ORIGIN, 0x40, 2, 7, 2, 1, ...u32(1), 2, ...NEXT_HOP], NLRI),
    expect: withdraw('as-path-segment-underrun'),
  },
  {
    name: 'AS_PATH confederation segment from an external peer',
    bytes: upd([...ORIGIN, 0x40, 2, 6, 3, 1, ...u32(1), ...NEXT_HOP], NLRI),
    opts: { ...OPTS4, external: true },
    expect: withdraw('as-path-confed-from-external'),
  },
  {
    name: 'AS_PATH longer than maxAsPathLength',
    bytes: upd([...ORIGIN, 0x40, 2, 14, 2, 3, ...u32(1), ...u32(2), ...u32(3), ...NEXT_HOP], NLRI),
    opts: { ...OPTS4, maxAsPathLength: 2 },
    expect: withdraw('as-path-too-long'),
  },
  {
    name: 'NEXT_HOP of 5 octets',
    bytes: upd([...ORIGIN, ...AS_PATH, 0x40, 3, 5, 1, 2, 3, 4, 5], NLRI),
    expect: withdraw('next-hop-bad-length'),
  },
  { name: 'MED of 3 octets', bytes: upd([...GOOD, 0x80, 4, 3, 0, 0, 1], NLRI), expect: withdraw('med-bad-length') },
  {
    name: 'LOCAL_PREF of 5 octets',
    bytes: upd([...GOOD, 0x40, 5, 5, 0, 0, 0, 0, 1], NLRI),
    expect: withdraw('local-pref-bad-length'),
  },
  {
    name: 'LOCAL_PREF from an external peer',
    bytes: upd([...GOOD, 0x40, 5, 4, 0, 0, 0, 100], NLRI),
    opts: { ...OPTS4, external: true },
    expect: discard('local-pref-from-external'),
  },
  {
    name: 'ATOMIC_AGGREGATE of 1 octet',
    bytes: upd([...GOOD, 0x40, 6, 1, 0], NLRI),
    expect: discard('atomic-aggregate-bad-length'),
  },
  {
    name: 'AGGREGATOR of 7 octets (4-octet session)',
    bytes: upd([...GOOD, 0xc0, 7, 7, 0, 0, 0, 1, 1, 2, 3], NLRI),
    expect: discard('aggregator-bad-length'),
  },
  {
    name: 'AGGREGATOR of 8 octets (2-octet session)',
    bytes: upd([...ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, ...NEXT_HOP, 0xc0, 7, 8, 0, 0, 0, 1, 1, 2, 3, 4], NLRI),
    opts: OPTS2,
    expect: discard('aggregator-bad-length'),
  },
  {
    name: 'COMMUNITIES of 0 octets',
    bytes: upd([...GOOD, 0xc0, 8, 0], NLRI),
    expect: withdraw('communities-bad-length'),
  },
  {
    name: 'COMMUNITIES of 6 octets',
    bytes: upd([...GOOD, 0xc0, 8, 6, 0, 0, 0, 1, 0, 0], NLRI),
    expect: withdraw('communities-bad-length'),
  },
  {
    name: 'LARGE_COMMUNITY of 0 octets',
    bytes: upd([...GOOD, 0xc0, 32, 0], NLRI),
    expect: withdraw('large-communities-bad-length'),
  },
  {
    name: 'LARGE_COMMUNITY of 8 octets',
    bytes: upd([...GOOD, 0xc0, 32, 8, 0, 0, 0, 1, 0, 0, 0, 1], NLRI),
    expect: withdraw('large-communities-bad-length'),
  },
  {
    name: 'AS4_PATH malformed (2-octet session)',
    bytes: upd([...ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, ...NEXT_HOP, 0xc0, 17, 2, 2, 0], NLRI),
    opts: OPTS2,
    expect: discard('as4-path-segment-empty'),
  },
  {
    name: 'AS4_PATH with a confederation segment',
    bytes: upd([...ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, ...NEXT_HOP, 0xc0, 17, 6, 3, 1, ...u32(7)], NLRI),
    opts: OPTS2,
    expect: discard('as4-path-confed-segment'),
  },
  {
    name: 'AS4_AGGREGATOR of 6 octets',
    bytes: upd([...ORIGIN, 0x40, 2, 4, 2, 1, 0, 1, ...NEXT_HOP, 0xc0, 18, 6, 0, 0, 1, 2, 3, 4], NLRI),
    opts: OPTS2,
    expect: discard('as4-aggregator-bad-length'),
  },
  {
    name: 'MP_REACH_NLRI of an unsupported family',
    bytes: upd([0x80, 14, 9, 0, 1, 128, 4, 1, 2, 3, 4, 0]),
    expect: discard('mp-reach-unsupported-family'),
  },
  {
    name: 'MP_UNREACH_NLRI of an unsupported family',
    bytes: upd([0x80, 15, 3, 0, 25, 65]),
    expect: discard('mp-unreach-unsupported-family'),
  },
  {
    name: 'MP_REACH_NLRI flagged well-known',
    bytes: upd([...mpReach6(16, [32, 0x20, 1, 0x0d, 0xb8]).map((x, i) => (i === 0 ? 0x40 : x)), ...ORIGIN, ...AS_PATH]),
    expect: withdraw('mp-reach-nlri-flags-invalid'),
  },
  {
    name: 'MP_REACH_NLRI of a family not negotiated (not parsed)',
    bytes: upd([...mpReach6(8, [200]), ...ORIGIN, ...AS_PATH]),
    opts: { ...OPTS4, families: [{ afi: 1, safi: 1 }] },
    expect: discard('mp-reach-family-not-negotiated'),
  },
  {
    name: 'MP_UNREACH_NLRI of a family not negotiated',
    bytes: upd(mpUnreach6([64, 0x20])),
    opts: { ...OPTS4, families: [{ afi: 1, safi: 1 }] },
    expect: discard('mp-unreach-family-not-negotiated'),
  },
  // The strongest action wins
  {
    name: 'discard and withdraw together',
    bytes: upd([...GOOD, 0x40, 6, 1, 0, 0xc0, 8, 0], NLRI),
    expect: withdraw('atomic-aggregate-bad-length', 'communities-bad-length'),
  },
];

function mpReach6(nhLen: number, nlri: number[]): number[] {
  const nh = new Array(nhLen).fill(0);
  const value = [0, 2, 1, nhLen, ...nh, 0, ...nlri];
  return [0x80, 14, value.length, ...value];
}

function mpUnreach6(withdrawn: number[]): number[] {
  return [0x80, 15, 3 + withdrawn.length, 0, 2, 1, ...withdrawn];
}

describe('wire: malformed-input catalogue (RFC 4271 §6, RFC 7606)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const opts = c.opts ?? OPTS4;
      const e = c.expect;
      if ('notify' in e) {
        assert.throws(
          () => decodeMessage(c.bytes, opts),
          (err: unknown) => {
            assert.ok(err instanceof BgpWireError, `not a BgpWireError: ${err}`);
            assert.equal(err.code, 'ERR_GANNET_BGP_WIRE_MALFORMED');
            const [code, subcode, data] = e.notify;
            assert.deepEqual([err.notification.code, err.notification.subcode], [code, subcode], err.message);
            if (data) assert.deepEqual([...err.notification.data], data);
            if (e.family) {
              assert.equal(err.action, 'afisafi-disable');
              assert.deepEqual(err.family, { afi: e.family[0], safi: e.family[1] });
            } else {
              assert.equal(err.action, 'session-reset');
            }
            return true;
          },
        );
        // The framer applies the same header rules.
        if (c.bytes[18] !== undefined && (c.name.startsWith('length') || c.name.startsWith('type'))) {
          assert.throws(() => new MessageFramer(opts).push(c.bytes), BgpWireError);
        }
      } else {
        const r = decodeMessage(c.bytes, opts);
        assert.equal(r.action, e.action);
        assert.deepEqual(
          r.errors.map((x) => x.reason),
          e.reasons,
        );
      }
    });
  }

  it('treat-as-withdraw keeps the NLRI so that the caller can withdraw it', () => {
    const r = decodeMessage(upd([0x40, 1, 1, 3, ...AS_PATH, ...NEXT_HOP], NLRI), OPTS4);
    assert.deepEqual(r.message.type === 'update' && r.message.nlri, ['10.244.1.0/24']);
    const mp = decodeMessage(upd([...mpReach6(16, [32, 0x20, 1, 0x0d, 0xb8]), 0x40, 1, 1, 9, ...AS_PATH]), OPTS4);
    assert.equal(mp.action, 'treat-as-withdraw');
    assert.deepEqual(mp.message.type === 'update' && mp.message.mpReach?.nlri, ['2001:db8::/32']);
  });

  it('a duplicate keeps the first occurrence', () => {
    const r = decodeMessage(upd([...GOOD, 0x40, 1, 1, 2], NLRI), OPTS4);
    assert.equal(r.message.type === 'update' && r.message.attributes.origin, 0);
  });
});

describe('wire: checkOpen (session-level OPEN checks)', () => {
  const base: OpenMessage = {
    type: 'open',
    version: 4,
    myAs: 65001,
    holdTime: 90,
    bgpId: '192.0.2.1',
    capabilities: [],
  };
  const expectNotify = (fn: () => void, subcode: number, data?: number[]) =>
    assert.throws(fn, (err: unknown) => {
      assert.ok(err instanceof BgpWireError);
      assert.deepEqual([err.notification.code, err.notification.subcode], [2, subcode]);
      if (data) assert.deepEqual([...err.notification.data], data);
      return true;
    });

  it('accepts the expected peer', () => {
    checkOpen(base, { peerAs: 65001, localAs: 65000, localBgpId: '192.0.2.2' });
    const as4: OpenMessage = {
      ...base,
      myAs: 23456,
      capabilities: [{ code: 65, name: 'four-octet-as', asn: 4200000001 }],
    };
    checkOpen(as4, { peerAs: 4200000001, localAs: 65000, localBgpId: '192.0.2.2' });
  });

  it('Bad Peer AS (2/2) when the AS differs, or My AS is not AS_TRANS for a 4-octet ASN', () => {
    expectNotify(() => checkOpen(base, { peerAs: 65002, localAs: 65000, localBgpId: '192.0.2.2' }), 2, u16(65001));
    const wrongTrans: OpenMessage = {
      ...base,
      myAs: 1,
      capabilities: [{ code: 65, name: 'four-octet-as', asn: 4200000001 }],
    };
    expectNotify(() => checkOpen(wrongTrans, { peerAs: 4200000001, localAs: 65000, localBgpId: '192.0.2.2' }), 2);
  });

  it('Bad BGP Identifier (2/3) when an internal peer uses ours', () => {
    expectNotify(() => checkOpen(base, { peerAs: 65001, localAs: 65001, localBgpId: '192.0.2.1' }), 3);
    checkOpen(base, { peerAs: 65001, localAs: 65000, localBgpId: '192.0.2.1' }); // eBGP: allowed (RFC 6286)
  });

  it('Unsupported Capability (2/7) lists the required capabilities the peer lacks', () => {
    expectNotify(
      () =>
        checkOpen(base, {
          peerAs: 65001,
          localAs: 65000,
          localBgpId: '192.0.2.2',
          requiredCapabilities: [{ code: 1, name: 'multiprotocol', afi: 2, safi: 1 }],
        }),
      7,
      [1, 4, 0, 2, 0, 1],
    );
  });
});
