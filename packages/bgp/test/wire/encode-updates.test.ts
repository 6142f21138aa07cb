import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  decodeMessage,
  encodeAttributeBlock,
  encodeMessage,
  encodeUpdates,
  encodeWithdrawals,
  endOfRib,
} from '../../src/wire/index.js';
import type { CodecOptions, PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { frame, OPTS4, u16 } from './vectors.js';

const ATTRS: PathAttributes = {
  origin: 0,
  asPath: [{ type: 'sequence', asns: [65001] }],
  nextHop: '192.0.2.1',
  communities: [1, 2, 3],
};

function v4(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.0/24`);
}
function v6(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `2001:db8:${(i + 1).toString(16)}::/48`);
}

function decodeAll(bufs: Buffer[], opts: CodecOptions): UpdateMessage[] {
  return bufs.map((b) => {
    const r = decodeMessage(b, opts);
    assert.equal(r.errors.length, 0, JSON.stringify(r.errors));
    assert.equal(r.message.type, 'update');
    return r.message as UpdateMessage;
  });
}

describe('wire: encodeUpdates / encodeWithdrawals / End-of-RIB', () => {
  it('packs 10,000 IPv4 prefixes into full 4096-octet UPDATEs that decode back in order', () => {
    const prefixes = v4(10000);
    const bufs = encodeUpdates(ATTRS, prefixes, OPTS4);
    for (const b of bufs.slice(0, -1)) assert.ok(b.length > 4096 - 5 && b.length <= 4096, `${b.length}`);
    const msgs = decodeAll(bufs, OPTS4);
    assert.deepEqual(
      msgs.flatMap((m) => m.nlri),
      prefixes,
    );
    for (const m of msgs) assert.deepEqual(m.attributes, ATTRS);
    assert.equal(bufs.length, Math.ceil((10000 * 4) / (4096 - 19 - 4 - 31)));
  });

  it('uses 65535-octet UPDATEs with extended messages', () => {
    const opts = { ...OPTS4, extendedMessage: true };
    const bufs = encodeUpdates(ATTRS, v4(20000), opts);
    assert.equal(bufs.length, 2);
    assert.equal(decodeAll(bufs, opts).flatMap((m) => m.nlri).length, 20000);
  });

  it('packs IPv6 prefixes in MP_REACH_NLRI with the given next hops', () => {
    const prefixes = v6(1000);
    const bufs = encodeUpdates(ATTRS, prefixes, {
      ...OPTS4,
      ipv6NextHop: '2001:db8::1',
      ipv6LinkLocalNextHop: 'fe80::1',
    });
    assert.ok(bufs.length > 1);
    const msgs = decodeAll(bufs, OPTS4);
    assert.deepEqual(
      msgs.flatMap((m) => m.mpReach?.nlri ?? []),
      prefixes,
    );
    for (const m of msgs) {
      assert.equal(m.mpReach?.nextHop, '2001:db8::1');
      assert.equal(m.mpReach?.linkLocalNextHop, 'fe80::1');
      assert.deepEqual(m.attributes, ATTRS);
    }
    assert.throws(() => encodeUpdates(ATTRS, prefixes, OPTS4), /ipv6NextHop/);
  });

  it('reuses an encoded attribute block, and refuses one encoded for other options', () => {
    const block = encodeAttributeBlock(ATTRS, OPTS4);
    assert.deepEqual(encodeUpdates(block, v4(300), OPTS4), encodeUpdates(ATTRS, v4(300), OPTS4));
    assert.throws(() => encodeUpdates(block, v4(3), { ...OPTS4, fourOctetAs: false }), /other options/);
  });

  it('packs withdrawals of both families', () => {
    const bufs = encodeWithdrawals([...v4(2000), ...v6(700)], OPTS4);
    const msgs = decodeAll(bufs, OPTS4);
    assert.deepEqual(
      msgs.flatMap((m) => m.withdrawn),
      v4(2000),
    );
    assert.deepEqual(
      msgs.flatMap((m) => m.mpUnreach?.withdrawn ?? []),
      v6(700),
    );
  });

  it('an UpdateMessage that fits goes out whole; a large one is split', () => {
    const small: UpdateMessage = {
      type: 'update',
      withdrawn: ['10.9.0.0/16'],
      attributes: ATTRS,
      nlri: ['10.1.0.0/16'],
    };
    assert.deepEqual(encodeUpdates(small, OPTS4), [encodeMessage(small, OPTS4)]);
    const large: UpdateMessage = {
      type: 'update',
      withdrawn: v4(1500).map((p) => p.replace(/^10\./, '11.')),
      attributes: ATTRS,
      nlri: v4(1500),
      mpReach: { afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: v6(400) },
      mpUnreach: { afi: 2, safi: 1, withdrawn: v6(300) },
    };
    const msgs = decodeAll(encodeUpdates(large, OPTS4), OPTS4);
    assert.deepEqual(
      msgs.flatMap((m) => m.withdrawn),
      large.withdrawn,
    );
    assert.deepEqual(
      msgs.flatMap((m) => m.nlri),
      large.nlri,
    );
    assert.deepEqual(
      msgs.flatMap((m) => m.mpReach?.nlri ?? []),
      large.mpReach?.nlri,
    );
    assert.deepEqual(
      msgs.flatMap((m) => m.mpUnreach?.withdrawn ?? []),
      large.mpUnreach?.withdrawn,
    );
  });

  it('rejects bad prefix strings and wrong families', () => {
    for (const bad of ['10.0.0.0', '10.0.0.0/33', '10.0.0/8', '300.0.0.0/8', '2001:db8::/129', 'x/8', '::1::/64']) {
      assert.throws(
        () => encodeUpdates(ATTRS, [bad], { ...OPTS4, ipv6NextHop: '::1' }),
        { code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT' },
        bad,
      );
    }
    assert.throws(
      () => encodeMessage({ type: 'update', withdrawn: [], attributes: ATTRS, nlri: ['2001:db8::/32'] }, OPTS4),
      {
        code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT',
      },
    );
  });

  describe('End-of-RIB markers (RFC 4724 §2)', () => {
    const V4 = { afi: 1, safi: 1 };
    const V6 = { afi: 2, safi: 1 };
    const eor4 = frame(2, ...u16(0), ...u16(0)); // empty UPDATE
    const eor6 = frame(2, ...u16(0), ...u16(6), 0x80, 15, 3, 0, 2, 1); // MP_UNREACH_NLRI for IPv6 unicast, empty
    const empty = (): UpdateMessage => ({ type: 'update', withdrawn: [], attributes: {}, nlri: [] });
    const decode = (b: Buffer) => decodeMessage(b, OPTS4).message as UpdateMessage;

    it('IPv4 unicast: encode and decode', () => {
      assert.deepEqual(endOfRib(1), { ...empty(), endOfRib: V4 });
      assert.deepEqual(encodeMessage(endOfRib(1), OPTS4), eor4);
      assert.deepEqual(encodeMessage({ ...empty(), endOfRib: V4 }, OPTS4), eor4);
      assert.deepEqual(decode(eor4), endOfRib(1));
      assert.deepEqual(encodeMessage(decode(eor4), OPTS4), eor4);
    });

    it('IPv6 unicast: encode and decode', () => {
      assert.deepEqual(endOfRib(2), { ...empty(), mpUnreach: { afi: 2, safi: 1, withdrawn: [] }, endOfRib: V6 });
      assert.deepEqual(encodeMessage(endOfRib(2), OPTS4), eor6);
      // The field alone is enough for the encoder: it writes the family's empty MP_UNREACH_NLRI.
      assert.deepEqual(encodeMessage({ ...empty(), endOfRib: V6 }, OPTS4), eor6);
      assert.deepEqual(decode(eor6), endOfRib(2));
      assert.deepEqual(encodeMessage(decode(eor6), OPTS4), eor6);
      assert.deepEqual(encodeUpdates(endOfRib(2), OPTS4), [eor6]);
    });

    it('near misses decode without the mark', () => {
      // A withdrawal only (no attributes, no NLRI): not IPv4's marker.
      const w = decode(frame(2, ...u16(2), 8, 10, ...u16(0)));
      assert.deepEqual(w.withdrawn, ['10.0.0.0/8']);
      assert.equal(w.endOfRib, undefined);
      // An MP_UNREACH_NLRI withdrawing a route.
      const w6 = decode(frame(2, ...u16(0), ...u16(8), 0x80, 15, 5, 0, 2, 1, 8, 0x20));
      assert.deepEqual(w6.mpUnreach?.withdrawn, ['2000::/8']);
      assert.equal(w6.endOfRib, undefined);
      // Attributes on the wire that were all dropped (unknown non-transitive, discarded) do not make an End-of-RIB.
      const dropped = decode(frame(2, ...u16(0), ...u16(4), 0x80, 99, 1, 0));
      assert.deepEqual(dropped.attributes, {});
      assert.equal(dropped.endOfRib, undefined);
      const discarded = decodeMessage(frame(2, ...u16(0), ...u16(10), 0x80, 15, 3, 0, 2, 1, 0x40, 6, 1, 0), OPTS4);
      assert.equal(discarded.action, 'attribute-discard');
      assert.deepEqual((discarded.message as UpdateMessage).mpUnreach, { afi: 2, safi: 1, withdrawn: [] });
      assert.equal((discarded.message as UpdateMessage).endOfRib, undefined);
      // An empty MP_UNREACH_NLRI beside an ORIGIN.
      const withOrigin = decode(frame(2, ...u16(0), ...u16(10), 0x80, 15, 3, 0, 2, 1, 0x40, 1, 1, 0));
      assert.equal(withOrigin.endOfRib, undefined);
      // The End-of-RIB of a family we do not handle (VPLS 25/65) is not taken for IPv4's.
      assert.equal(decode(frame(2, ...u16(0), ...u16(6), 0x80, 15, 3, 0, 25, 65)).endOfRib, undefined);
      // IPv6's marker from a peer that did not negotiate IPv6 (the family is refused, so it is no marker).
      const v4only = decodeMessage(eor6, { ...OPTS4, families: [V4] }).message as UpdateMessage;
      assert.equal(v4only.endOfRib, undefined);
      // An ordinary UPDATE the encoder built: no mark.
      assert.equal(decode(encodeMessage({ ...empty(), withdrawn: ['10.0.0.0/8'] }, OPTS4)).endOfRib, undefined);
    });

    it('refuses to encode a marker that carries routes or attributes', () => {
      const bad: UpdateMessage[] = [
        { ...empty(), withdrawn: ['10.0.0.0/8'], endOfRib: V4 },
        { ...empty(), nlri: ['10.0.0.0/8'], attributes: ATTRS, endOfRib: V4 },
        { ...empty(), attributes: { origin: 0 }, endOfRib: V4 },
        { ...empty(), mpUnreach: { afi: 2, safi: 1, withdrawn: ['::/0'] }, endOfRib: V6 },
        { ...empty(), mpUnreach: { afi: 2, safi: 1, withdrawn: [] }, endOfRib: V4 },
        { ...empty(), mpUnreach: { afi: 1, safi: 1, withdrawn: [] }, endOfRib: V6 },
      ];
      for (const u of bad) {
        assert.throws(
          () => encodeMessage(u, OPTS4),
          { code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT' },
          JSON.stringify(u),
        );
      }
    });
  });
});
