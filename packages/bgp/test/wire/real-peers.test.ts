// What real peers send, recorded by test/fixtures/capture-peers.mjs from FRR 8.4 and BIRD 2.0 (OPEN, UPDATEs for both
// families with communities and an IPv6 link-local next hop, End-of-RIB, enhanced route refresh). Decoded with no
// RFC 7606 errors, framed identically at any split, and stable through our encoder.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'mocha';
import { decodeMessage, encodeMessage, MessageFramer } from '../../src/wire/index.js';
import type { BgpMessage, OpenMessage, UpdateMessage } from '../../src/wire/types.js';
import { OPTS4 } from './vectors.js';

function fixture(name: string): Buffer {
  return Buffer.from(readFileSync(new URL(`../../../test/fixtures/${name}`, import.meta.url), 'utf8').trim(), 'hex');
}

function decodeAll(stream: Buffer): BgpMessage[] {
  return new MessageFramer().push(stream).map((frame) => {
    const r = decodeMessage(frame, OPTS4);
    assert.deepEqual(r.errors, []);
    return r.message;
  });
}

const V4_ATTRS = {
  origin: 0,
  asPath: [{ type: 'sequence', asns: [65000] }],
  nextHop: '192.0.2.1',
  med: 50,
  communities: [65000 * 65536 + 100],
  largeCommunities: [[65000, 1, 2]],
};

for (const peer of ['bird', 'frr'] as const) {
  describe(`wire: a real ${peer} session`, () => {
    const stream = fixture(`${peer}-session.hex`);
    const msgs = decodeAll(stream);

    it('decodes into the expected messages', () => {
      assert.deepEqual(
        msgs.map((m) => m.type),
        ['open', 'keepalive', 'update', 'update', 'update', 'update', 'route-refresh', 'update', 'route-refresh'],
      );
      const updates = msgs.filter((m): m is UpdateMessage => m.type === 'update');
      assert.deepEqual(
        updates.flatMap((u) => (u.endOfRib ? [u.endOfRib] : [])).sort((a, b) => a.afi - b.afi),
        [
          { afi: 1, safi: 1 },
          { afi: 2, safi: 1 },
        ],
      );
      const v4 = updates.find((u) => u.nlri.length > 0)!;
      assert.deepEqual(v4.attributes, V4_ATTRS);
      assert.deepEqual([...v4.nlri].sort(), ['10.244.1.0/24', '10.244.2.0/24', '198.51.100.128/25']);
      const v6 = updates.find((u) => u.mpReach)!.mpReach!;
      assert.deepEqual(v6.nlri, ['2001:db8:100::/48', '2001:db8:200::/56']);
      assert.equal(v6.nextHop, '2001:db8::1');
      assert.match(v6.linkLocalNextHop ?? '', /^fe80::/);
      // Enhanced route refresh (RFC 7313) in answer to our ROUTE-REFRESH: BoRR, the routes, EoRR.
      assert.deepEqual(
        msgs.filter((m) => m.type === 'route-refresh'),
        [
          { type: 'route-refresh', afi: 1, safi: 1, subtype: 1 },
          { type: 'route-refresh', afi: 1, safi: 1, subtype: 2 },
        ],
      );
    });

    it('sends the capabilities we expect, unknown ones kept', () => {
      const open = msgs[0] as OpenMessage;
      assert.equal(open.myAs, 65000);
      assert.equal(open.bgpId, '192.0.2.1');
      const names = open.capabilities.map((c) => c.name);
      for (const n of [
        'multiprotocol',
        'route-refresh',
        'enhanced-route-refresh',
        'four-octet-as',
        'graceful-restart',
      ]) {
        assert.ok(names.includes(n as never), `${peer} lacks ${n}`);
      }
      const gr = open.capabilities.find((c) => c.name === 'graceful-restart');
      assert.deepEqual(gr && 'families' in gr ? gr.families.map((f) => f.afi) : [], [1, 2]);
      assert.ok(open.capabilities.some((c) => c.name === 'unknown'));
    });

    it('frames identically at every split of the stream', () => {
      const whole = new MessageFramer().push(stream).map((b) => b.toString('hex'));
      for (let cut = 1; cut < stream.length; cut++) {
        const f = new MessageFramer();
        const got = [...f.push(stream.subarray(0, cut)), ...f.push(stream.subarray(cut))].map((b) => b.toString('hex'));
        assert.deepEqual(got, whole);
      }
    });

    it('re-encodes every message to bytes that decode to the same message', () => {
      for (const m of msgs) {
        assert.deepEqual(decodeMessage(encodeMessage(m, OPTS4), OPTS4), { message: m, errors: [] });
      }
    });
  });
}

describe('wire: real peer specifics', () => {
  it('FRR: extended-message and its vendor capabilities (128, 69 add-path, 73 FQDN) are carried as unknown', () => {
    const open = decodeAll(fixture('frr-session.hex'))[0] as OpenMessage;
    assert.ok(open.capabilities.some((c) => c.name === 'extended-message'));
    assert.deepEqual(
      open.capabilities.filter((c) => c.name === 'unknown').map((c) => c.code),
      [128, 69, 73, 71],
    );
    const gr = open.capabilities.find((c) => c.name === 'graceful-restart');
    assert.ok(gr && 'restartState' in gr && gr.restartState && gr.notification);
  });

  it('BIRD: the IPv4 UPDATE re-encodes to the very same bytes', () => {
    const stream = fixture('bird-session.hex');
    const frames = new MessageFramer().push(stream);
    const v4 = frames[2]!;
    assert.equal(encodeMessage(decodeMessage(v4, OPTS4).message, OPTS4).toString('hex'), v4.toString('hex'));
  });
});
