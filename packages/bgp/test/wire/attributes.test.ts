// Every path attribute both ways, as annotated bytes inside a whole UPDATE.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { decodeMessage, encodeMessage } from '../../src/wire/index.js';
import type { PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { bothWays, frame, OPTS2, OPTS4, u16, u32 } from './vectors.js';

/** An UPDATE with only path attributes (no NLRI, so no mandatory-attribute checks apply). */
function attrsOnly(...attrs: number[]): Buffer {
  return frame(2, ...u16(0), ...u16(attrs.length), ...attrs);
}

function update(attributes: PathAttributes, extra: Partial<UpdateMessage> = {}): UpdateMessage {
  return { type: 'update', withdrawn: [], attributes, nlri: [], ...extra };
}

describe('wire: path attributes both ways', () => {
  it('ORIGIN: IGP, EGP, INCOMPLETE', () => {
    for (const origin of [0, 1, 2] as const) {
      bothWays(attrsOnly(0x40, 1, 1, origin), update({ origin }));
    }
  });

  it('AS_PATH: sequence and set, 4-octet', () => {
    bothWays(
      attrsOnly(
        ...[0x40, 2, 20], // flags well-known transitive, type 2, length 20
        ...[2, 2, ...u32(65001), ...u32(4200000000)], // AS_SEQUENCE of 2
        ...[1, 2, ...u32(65010), ...u32(65011)], // AS_SET of 2
      ),
      update({
        asPath: [
          { type: 'sequence', asns: [65001, 4200000000] },
          { type: 'set', asns: [65010, 65011] },
        ],
      }),
    );
  });

  it('AS_PATH: confederation segments (iBGP)', () => {
    bothWays(
      attrsOnly(0x40, 2, 12, ...[3, 1, ...u32(64512)], ...[4, 1, ...u32(64513)]),
      update({
        asPath: [
          { type: 'confed-sequence', asns: [64512] },
          { type: 'confed-set', asns: [64513] },
        ],
      }),
    );
  });

  it('AS_PATH: empty (iBGP-originated)', () => {
    bothWays(attrsOnly(0x40, 2, 0), update({ asPath: [] }));
  });

  it('AS_PATH: 300 ASNs are split into segments of 255 and 45 with the extended length', () => {
    const asns = Array.from({ length: 300 }, (_, i) => 64512 + i);
    const value = [2, 255, ...asns.slice(0, 255).flatMap(u32), 2, 45, ...asns.slice(255).flatMap(u32)];
    bothWays(
      attrsOnly(0x50, 2, ...u16(value.length), ...value), // extended length bit set
      update({
        asPath: [
          { type: 'sequence', asns: asns.slice(0, 255) },
          { type: 'sequence', asns: asns.slice(255) },
        ],
      }),
    );
    const msg = update({ asPath: [{ type: 'sequence', asns }] });
    assert.equal(
      encodeMessage(msg, OPTS4).toString('hex'),
      attrsOnly(0x50, 2, ...u16(value.length), ...value).toString('hex'),
    );
  });

  it('NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF, ATOMIC_AGGREGATE', () => {
    bothWays(
      attrsOnly(
        ...[0x40, 3, 4, 198, 51, 100, 7], // NEXT_HOP 198.51.100.7
        ...[0x80, 4, 4, ...u32(4294967295)], // MED (optional non-transitive)
        ...[0x40, 5, 4, ...u32(200)], // LOCAL_PREF
        ...[0x40, 6, 0], // ATOMIC_AGGREGATE
      ),
      update({ nextHop: '198.51.100.7', med: 4294967295, localPref: 200, atomicAggregate: true }),
    );
  });

  it('AGGREGATOR: 8 octets on a 4-octet session, 6 on a 2-octet one', () => {
    bothWays(
      attrsOnly(0xc0, 7, 8, ...u32(4200000001), 192, 0, 2, 9),
      update({ aggregator: { asn: 4200000001, address: '192.0.2.9' } }),
    );
    bothWays(
      attrsOnly(0xc0, 7, 6, ...u16(65001), 192, 0, 2, 9),
      update({ aggregator: { asn: 65001, address: '192.0.2.9' } }),
      OPTS2,
    );
  });

  it('COMMUNITIES and LARGE_COMMUNITY', () => {
    bothWays(
      attrsOnly(
        ...[0xc0, 8, 8, ...u32(0xfde80064), ...u32(0xffffff01)], // 65000:100, NO_EXPORT
        ...[0xc0, 32, 12, ...u32(4200000000), ...u32(1), ...u32(2)], // 4200000000:1:2
      ),
      update({ communities: [0xfde80064, 0xffffff01], largeCommunities: [[4200000000, 1, 2]] }),
    );
  });

  it('COMMUNITIES longer than 255 octets: extended length (64 communities, 256 octets)', () => {
    const values = Array.from({ length: 64 }, (_, i) => 0xfde80000 + i); // 65000:0 … 65000:63
    bothWays(
      attrsOnly(
        ...[0xd0, 8, ...u16(256)], // optional transitive + extended length, type 8, 2-octet length 256
        ...values.flatMap((v) => u32(v)),
      ),
      update({ communities: values }),
    );
  });

  it('MP_REACH_NLRI: IPv6 with a global next hop (16 octets)', () => {
    bothWays(
      attrsOnly(
        ...attr(0x80, 14, [
          ...u16(2), // AFI IPv6
          1, // SAFI unicast
          16, // next hop length
          ...V6_DOC_1, // 2001:db8::1
          0, // reserved
          ...[32, 0x20, 0x01, 0x0d, 0xb8], // 2001:db8::/32
          ...[64, 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2], // 2001:db8:1:2::/64
          ...[128, ...V6_DOC_1], // 2001:db8::1/128
          ...[0], // ::/0
        ]),
        ...BASE,
      ),
      update(BASE_ATTRS, {
        mpReach: {
          afi: 2,
          safi: 1,
          nextHop: '2001:db8::1',
          nlri: ['2001:db8::/32', '2001:db8:1:2::/64', '2001:db8::1/128', '::/0'],
        },
      }),
    );
  });

  it('MP_REACH_NLRI: IPv6 with global and link-local next hops (32 octets)', () => {
    bothWays(
      attrsOnly(
        ...attr(0x80, 14, [
          ...[0, 2, 1], // AFI IPv6, SAFI unicast
          32, // next hop length: global + link-local (RFC 2545)
          ...V6_DOC_1, // 2001:db8::1
          ...[0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55], // fe80::211:22ff:fe33:4455
          0, // reserved
          ...[48, 0x20, 0x01, 0x0d, 0xb8, 0x0a, 0x0b], // 2001:db8:a0b::/48
        ]),
        ...BASE,
      ),
      update(BASE_ATTRS, {
        mpReach: {
          afi: 2,
          safi: 1,
          nextHop: '2001:db8::1',
          linkLocalNextHop: 'fe80::211:22ff:fe33:4455',
          nlri: ['2001:db8:a0b::/48'],
        },
      }),
    );
  });

  it('MP_REACH_NLRI: an all-zero link-local half is no link-local next hop', () => {
    const r = decodeMessage(
      attrsOnly(
        ...attr(0x80, 14, [0, 2, 1, 32, ...V6_DOC_1, ...new Array(16).fill(0), 0, 32, 0x20, 1, 0x0d, 0xb8]),
        ...BASE,
      ),
      OPTS4,
    );
    assert.deepEqual(
      r.message,
      update(BASE_ATTRS, { mpReach: { afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: ['2001:db8::/32'] } }),
    );
  });

  it('MP_REACH_NLRI for IPv4 unicast (4-octet next hop)', () => {
    bothWays(
      attrsOnly(...attr(0x80, 14, [0, 1, 1, 4, 192, 0, 2, 1, 0, 24, 10, 244, 2]), ...BASE),
      update(BASE_ATTRS, { mpReach: { afi: 1, safi: 1, nextHop: '192.0.2.1', nlri: ['10.244.2.0/24'] } }),
    );
  });

  it('MP_UNREACH_NLRI for IPv6', () => {
    bothWays(
      attrsOnly(
        ...attr(0x80, 15, [
          ...[0, 2, 1], // AFI IPv6, SAFI unicast
          ...[64, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 7], // 2001:db8:0:7::/64
        ]),
      ),
      update({}, { mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:0:7::/64'] } }),
    );
  });

  it('unknown optional transitive attributes pass with the Partial bit; non-transitive ones are dropped', () => {
    const bytes = attrsOnly(
      ...attr(0xe0, 99, [1, 2, 3]), // optional transitive partial, unknown type 99
      ...attr(0x80, 100, [4, 5]), // optional non-transitive, unknown: dropped
    );
    const msg = update({ unknown: [{ flags: 0xe0, code: 99, value: Buffer.from([1, 2, 3]) }] });
    assert.deepEqual(decodeMessage(bytes, OPTS4), { message: msg, errors: [] });
    assert.deepEqual(encodeMessage(msg, OPTS4), attrsOnly(...attr(0xe0, 99, [1, 2, 3])));
    // Received without Partial: re-encoded with it (RFC 4271 §5).
    const fresh = decodeMessage(attrsOnly(...attr(0xc0, 99, [1])), OPTS4).message;
    assert.deepEqual(encodeMessage(fresh, OPTS4), attrsOnly(...attr(0xe0, 99, [1])));
  });
});

describe('wire: 4-octet ASNs on a 2-octet session (RFC 6793)', () => {
  const bytes = attrsOnly(
    ...attr(0x40, 2, [2, 3, ...u16(65001), ...u16(23456), ...u16(65002)]), // AS_PATH with AS_TRANS
    ...attr(0xc0, 7, [...u16(23456), 192, 0, 2, 9]), // AGGREGATOR with AS_TRANS
    ...attr(0xc0, 17, [2, 3, ...u32(65001), ...u32(4200000001), ...u32(65002)]), // AS4_PATH
    ...attr(0xc0, 18, [...u32(4200000001), 192, 0, 2, 9]), // AS4_AGGREGATOR
  );
  const msg = update({
    asPath: [{ type: 'sequence', asns: [65001, 4200000001, 65002] }],
    aggregator: { asn: 4200000001, address: '192.0.2.9' },
  });

  it('merges AS4_PATH and AS4_AGGREGATOR when decoding and splits them when encoding', () => {
    bothWays(bytes, msg, OPTS2);
  });

  it('keeps the leading ASNs an OLD speaker prepended (§4.2.3)', () => {
    const prepended = attrsOnly(
      ...attr(0x40, 2, [2, 2, ...u16(65100), ...u16(23456)]),
      ...attr(0xc0, 17, [2, 1, ...u32(4200000001)]),
    );
    assert.deepEqual(
      decodeMessage(prepended, OPTS2).message,
      update({ asPath: [{ type: 'sequence', asns: [65100, 4200000001] }] }),
    );
  });

  it('prepends a leading AS_SET, and leading confederation segments (§4.2.3)', () => {
    const set = attrsOnly(
      ...attr(0x40, 2, [1, 2, ...u16(65100), ...u16(65101), 2, 1, ...u16(23456)]),
      ...attr(0xc0, 17, [2, 1, ...u32(4200000001)]),
    );
    assert.deepEqual(
      decodeMessage(set, OPTS2).message,
      update({
        asPath: [
          { type: 'set', asns: [65100, 65101] },
          { type: 'sequence', asns: [4200000001] },
        ],
      }),
    );
    const confed = attrsOnly(
      ...attr(0x40, 2, [3, 1, ...u16(64512), 2, 2, ...u16(65100), ...u16(23456)]),
      ...attr(0xc0, 17, [2, 1, ...u32(4200000001)]),
    );
    assert.deepEqual(
      decodeMessage(confed, OPTS2).message,
      update({
        asPath: [
          { type: 'confed-sequence', asns: [64512] },
          { type: 'sequence', asns: [65100, 4200000001] },
        ],
      }),
    );
  });

  it('ignores AS4_PATH longer than AS_PATH, and AS4_* when AGGREGATOR is not AS_TRANS', () => {
    const longer = attrsOnly(...attr(0x40, 2, [2, 1, ...u16(23456)]), ...attr(0xc0, 17, [2, 2, ...u32(1), ...u32(2)]));
    assert.deepEqual(decodeMessage(longer, OPTS2).message, update({ asPath: [{ type: 'sequence', asns: [23456] }] }));
    const oldAggregator = attrsOnly(
      ...attr(0x40, 2, [2, 1, ...u16(23456)]),
      ...attr(0xc0, 7, [...u16(65001), 192, 0, 2, 9]),
      ...attr(0xc0, 17, [2, 1, ...u32(4200000001)]),
    );
    assert.deepEqual(
      decodeMessage(oldAggregator, OPTS2).message,
      update({ asPath: [{ type: 'sequence', asns: [23456] }], aggregator: { asn: 65001, address: '192.0.2.9' } }),
    );
  });

  it('a 4-octet session discards AS4_PATH (RFC 6793 §4.1)', () => {
    const r = decodeMessage(attrsOnly(...attr(0xc0, 17, [2, 1, ...u32(1)])), OPTS4);
    assert.deepEqual(r.message, update({}));
    assert.equal(r.action, 'attribute-discard');
  });
});

/** ORIGIN IGP and an empty AS_PATH: the mandatory attributes of an iBGP announcement. */
const BASE = [0x40, 1, 1, 0, 0x40, 2, 0];
const BASE_ATTRS: PathAttributes = { origin: 0, asPath: [] };
const V6_DOC_1 = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];

/** flags, type, length (1 or 2 octets by the extended-length flag), value. */
function attr(flags: number, code: number, value: number[]): number[] {
  return flags & 0x10 ? [flags, code, ...u16(value.length), ...value] : [flags, code, value.length, ...value];
}
