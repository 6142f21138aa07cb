// Property tests (fast-check): encode→decode round trips over arbitrary valid messages; random and mutated bytes
// never throw anything but BgpWireError, and what they decode to stays proportional to their size.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { BgpWireError, decodeMessage, encodeMessage, encodeUpdates, MessageFramer } from '../../src/wire/index.js';
import type {
  AsPathSegment,
  BgpMessage,
  Capability,
  CodecOptions,
  MpReach,
  PathAttributes,
  UpdateMessage,
} from '../../src/wire/types.js';

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const ipv4 = u32.map((v) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`);
/** RFC 5952 text by an independent formatter: the WHATWG URL parser's IPv6 serializer. */
const v6text = (b: Uint8Array): string =>
  new URL(
    `http://[${[...Array(8)].map((_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16)).join(':')}]`,
  ).hostname.slice(1, -1);
const ipv6 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map(v6text);
const prefix4 = fc.tuple(u32, fc.integer({ min: 0, max: 32 })).map(([v, len]) => {
  const m = len === 0 ? 0 : len === 32 ? v : (v & ~(0xffffffff >>> len)) >>> 0;
  return `${m >>> 24}.${(m >>> 16) & 255}.${(m >>> 8) & 255}.${m & 255}/${len}`;
});
const prefix6 = fc
  .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 128 }))
  .map(([b, len]) => {
    const m = Uint8Array.from(b, (x, i) => (i * 8 >= len ? 0 : i * 8 + 8 <= len ? x : x & (0xff << (8 - (len % 8)))));
    return `${v6text(m)}/${len}`;
  });

function segments(fourOctet: boolean): fc.Arbitrary<AsPathSegment[]> {
  const asn = fourOctet
    ? fc.integer({ min: 1, max: 0xffffffff })
    : fc.oneof(fc.integer({ min: 1, max: 0xffff }), fc.integer({ min: 1, max: 0xffffffff }));
  const plain = fc.record({
    type: fc.constantFrom('set' as const, 'sequence' as const),
    asns: fc.array(asn, { minLength: 1, maxLength: 8 }),
  });
  // Confederation segments only lead the path (RFC 5065), with 2-octet member ASNs on a 2-octet session.
  const confed = fc.record({
    type: fc.constantFrom('confed-sequence' as const, 'confed-set' as const),
    asns: fc.array(fc.integer({ min: 1, max: 0xffff }), { minLength: 1, maxLength: 4 }),
  });
  return fc.tuple(fc.array(confed, { maxLength: 1 }), fc.array(plain, { maxLength: 4 })).map(([c, p]) => [...c, ...p]);
}

const KNOWN_ATTRS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 14, 15, 17, 18, 32]);
const unknownAttrs = fc.uniqueArray(
  fc.record({
    flags: fc.constant(0xe0),
    code: fc.integer({ min: 9, max: 255 }).filter((c) => !KNOWN_ATTRS.has(c)),
    value: fc.uint8Array({ maxLength: 300 }).map((v) => Buffer.from(v)),
  }),
  { selector: (a) => a.code, minLength: 1, maxLength: 3 },
);

function attributes(fourOctet: boolean): fc.Arbitrary<PathAttributes> {
  return fc
    .record(
      {
        origin: fc.constantFrom(0 as const, 1 as const, 2 as const),
        asPath: segments(fourOctet),
        nextHop: ipv4,
        med: u32,
        localPref: u32,
        atomicAggregate: fc.constant(true),
        aggregator: fc.record({ asn: fc.integer({ min: 1, max: 0xffffffff }), address: ipv4 }),
        communities: fc.array(u32, { minLength: 1, maxLength: 10 }),
        largeCommunities: fc.array(fc.tuple(u32, u32, u32), { minLength: 1, maxLength: 5 }),
        originatorId: ipv4,
        clusterList: fc.array(ipv4, { minLength: 1, maxLength: 5 }),
        unknown: unknownAttrs.map((a) => a.sort((x, y) => x.code - y.code)),
      },
      { requiredKeys: ['origin', 'asPath', 'nextHop'] },
    )
    .map((a) => {
      // RFC 6793 §4.2.3 ignores AS4_PATH when AGGREGATOR is not AS_TRANS: on a 2-octet session a path with 4-octet
      // ASNs only survives with a 4-octet aggregator.
      if (fourOctet || !a.aggregator || a.aggregator.asn > 0xffff) return a;
      return { ...a, aggregator: { ...a.aggregator, asn: a.aggregator.asn + 0x10000 } };
    });
}

const mpReach: fc.Arbitrary<MpReach> = fc.oneof(
  fc.record({ afi: fc.constant(2), safi: fc.constant(1), nextHop: ipv6, nlri: fc.array(prefix6, { maxLength: 30 }) }),
  fc.record(
    {
      afi: fc.constant(2),
      safi: fc.constant(1),
      nextHop: ipv6,
      linkLocalNextHop: ipv6,
      nlri: fc.array(prefix6, { maxLength: 30 }),
    },
    { requiredKeys: ['afi', 'safi', 'nextHop', 'linkLocalNextHop', 'nlri'] },
  ),
  fc.record({ afi: fc.constant(1), safi: fc.constant(1), nextHop: ipv4, nlri: fc.array(prefix4, { maxLength: 30 }) }),
);
const mpUnreach = fc.oneof(
  fc.record({ afi: fc.constant(2), safi: fc.constant(1), withdrawn: fc.array(prefix6, { maxLength: 30 }) }),
  fc.record({ afi: fc.constant(1), safi: fc.constant(1), withdrawn: fc.array(prefix4, { maxLength: 30 }) }),
);

function updates(fourOctet: boolean): fc.Arbitrary<UpdateMessage> {
  return fc
    .record(
      {
        withdrawn: fc.array(prefix4, { maxLength: 50 }),
        attributes: attributes(fourOctet),
        nlri: fc.array(prefix4, { maxLength: 50 }),
        mpReach,
        mpUnreach,
      },
      { requiredKeys: ['withdrawn', 'attributes', 'nlri'] },
    )
    .map((u) => ({ type: 'update' as const, ...u }));
}

const capability: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({
    code: fc.constant(1 as const),
    name: fc.constant('multiprotocol' as const),
    afi: fc.integer({ min: 0, max: 0xffff }),
    safi: fc.integer({ min: 0, max: 255 }),
  }),
  fc.constant({ code: 2 as const, name: 'route-refresh' as const }),
  fc.constant({ code: 6 as const, name: 'extended-message' as const }),
  fc.constant({ code: 70 as const, name: 'enhanced-route-refresh' as const }),
  fc.record({
    code: fc.constant(65 as const),
    name: fc.constant('four-octet-as' as const),
    asn: fc.integer({ min: 1, max: 0xffffffff }),
  }),
  fc.record({
    code: fc.constant(64 as const),
    name: fc.constant('graceful-restart' as const),
    restartState: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(
      fc.record({
        afi: fc.integer({ min: 0, max: 0xffff }),
        safi: fc.integer({ min: 0, max: 255 }),
        forwardingState: fc.boolean(),
      }),
      { maxLength: 4 },
    ),
  }),
  fc.record({
    code: fc.integer({ min: 0, max: 255 }).filter((c) => ![1, 2, 6, 64, 65, 70].includes(c)),
    name: fc.constant('unknown' as const),
    value: fc.uint8Array({ maxLength: 20 }).map((v) => Buffer.from(v)),
  }),
);

const open = fc.record({
  type: fc.constant('open' as const),
  version: fc.constant(4),
  myAs: fc.integer({ min: 1, max: 0xffff }),
  holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
  bgpId: ipv4.filter((s) => s !== '0.0.0.0'),
  capabilities: fc.array(capability, { maxLength: 40 }),
});

function messages(fourOctet: boolean): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    open,
    updates(fourOctet),
    fc.constant({ type: 'keepalive' as const }),
    fc.record({
      type: fc.constant('notification' as const),
      code: fc.integer({ min: 0, max: 255 }),
      subcode: fc.integer({ min: 0, max: 255 }),
      data: fc.uint8Array({ maxLength: 100 }).map((v) => Buffer.from(v)),
    }),
    fc.record({
      type: fc.constant('route-refresh' as const),
      afi: fc.integer({ min: 0, max: 0xffff }),
      safi: fc.integer({ min: 0, max: 255 }),
      subtype: fc.integer({ min: 0, max: 255 }),
    }),
  );
}

/** fast-check builds null-prototype records: rebuild plain objects (Buffers kept) so deepEqual compares values. */
function plain<T>(v: T): T {
  if (Buffer.isBuffer(v) || v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(plain) as T;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) as T;
}

const EXT4: CodecOptions = { fourOctetAs: true, extendedMessage: true };
const EXT2: CodecOptions = { fourOctetAs: false, extendedMessage: true };

/** Decodes and checks that only BgpWireError escapes and the result is bounded by the input size. */
function decodeSafely(bytes: Buffer, opts: CodecOptions): void {
  try {
    const r = decodeMessage(bytes, opts);
    const m = r.message;
    if (m.type === 'update') {
      const n =
        m.withdrawn.length + m.nlri.length + (m.mpReach?.nlri.length ?? 0) + (m.mpUnreach?.withdrawn.length ?? 0);
      assert.ok(n <= bytes.length);
      assert.ok(r.errors.length <= bytes.length);
    }
  } catch (err) {
    if (!(err instanceof BgpWireError)) throw err;
  }
}

describe('wire: properties', () => {
  it('encode → decode is the identity (4-octet session)', () => {
    fc.assert(
      fc.property(messages(true).map(plain), (m) => {
        assert.deepEqual(decodeMessage(encodeMessage(m, EXT4), EXT4), { message: m, errors: [] });
      }),
      { numRuns: 400 },
    );
  });

  it('encode → decode is the identity on a 2-octet session (AS_TRANS, AS4_PATH, AS4_AGGREGATOR)', () => {
    fc.assert(
      fc.property(updates(false).map(plain), (m) => {
        assert.deepEqual(decodeMessage(encodeMessage(m, EXT2), EXT2), { message: m, errors: [] });
      }),
      { numRuns: 300 },
    );
  });

  it('encodeUpdates packs any prefixes into UPDATEs within the limit that decode back to the same routes', () => {
    fc.assert(
      fc.property(
        attributes(true).map(plain),
        fc.uniqueArray(fc.oneof(prefix4, prefix6), { maxLength: 1500 }),
        fc.boolean(),
        (attrs, prefixes, extended) => {
          const opts = { fourOctetAs: true, extendedMessage: extended, ipv6NextHop: '2001:db8::1' };
          const max = extended ? 65535 : 4096;
          const got4: string[] = [];
          const got6: string[] = [];
          for (const b of encodeUpdates(attrs, prefixes, opts)) {
            assert.ok(b.length <= max);
            const r = decodeMessage(b, opts);
            assert.deepEqual(r.errors, []);
            const m = r.message as UpdateMessage;
            assert.deepEqual(m.attributes, attrs);
            got4.push(...m.nlri);
            got6.push(...(m.mpReach?.nlri ?? []));
          }
          assert.deepEqual(
            got4,
            prefixes.filter((p) => !p.includes(':')),
          );
          assert.deepEqual(
            got6,
            prefixes.filter((p) => p.includes(':')),
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('random bodies under a valid header never throw anything but BgpWireError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.uint8Array({ maxLength: 300 }),
        fc.boolean(),
        (type, body, four) => {
          const bytes = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0, 0, type]), body]);
          bytes.writeUInt16BE(bytes.length, 16);
          decodeSafely(bytes, four ? EXT4 : EXT2);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('mutated valid messages never throw anything but BgpWireError', () => {
    const mutation = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(messages(true), mutation, fc.boolean(), (m, changes, four) => {
        const bytes = encodeMessage(m, EXT4);
        for (const [at, v] of changes) {
          const i = 19 + (at % Math.max(1, bytes.length - 19));
          if (i < bytes.length) bytes[i] = v;
        }
        decodeSafely(bytes, four ? EXT4 : EXT2);
      }),
      { numRuns: 1000 },
    );
  });

  it('truncated and extended valid UPDATEs never throw anything but BgpWireError', () => {
    fc.assert(
      fc.property(updates(true), fc.nat(), fc.uint8Array({ maxLength: 8 }), (m, cut, tail) => {
        const full = encodeMessage(m, EXT4);
        const n = 23 + (cut % Math.max(1, full.length - 22));
        const bytes = Buffer.concat([full.subarray(0, n), tail]);
        bytes.writeUInt16BE(bytes.length, 16);
        decodeSafely(bytes, EXT4);
      }),
      { numRuns: 500 },
    );
  });

  it('the framer fed random bytes in random chunks throws only BgpWireError and stays bounded', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.boolean(),
        (chunks, prefixMarker) => {
          const f = new MessageFramer({ extendedMessage: true });
          try {
            if (prefixMarker) f.push(Buffer.alloc(16, 0xff));
            for (const c of chunks) {
              for (const m of f.push(Buffer.from(c))) decodeSafely(m, EXT4);
              assert.ok(f.buffered <= 65535);
            }
          } catch (err) {
            if (!(err instanceof BgpWireError)) throw err;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
