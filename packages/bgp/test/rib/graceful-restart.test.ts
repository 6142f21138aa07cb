import assert from 'node:assert/strict';
import { Rib } from '../../src/rib/rib.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { LOCAL_ASN } from './helpers.js';

const A = '192.0.2.1';
const B = '192.0.2.2';
const permit = { rules: [], defaultAction: 'permit' as const };
const at = (asns: number[]): PathAttributes => ({ origin: 0, asPath: [{ type: 'sequence', asns }] });

function setup(): Rib {
  const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
  rib.addPeer({ address: A, asn: 65001, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({ address: B, asn: 65002, importPolicy: permit, exportPolicy: permit });
  rib.peerUp(A, { routerId: '10.0.0.1', localAddress: '192.0.2.254' });
  rib.peerUp(B, { routerId: '10.0.0.2', localAddress: '192.0.2.254' });
  return rib;
}

describe('Rib: graceful restart helper mode (RFC 4724)', () => {
  it('a graceful peer-down keeps the paths as stale: no change, still the best', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16'], at([65001]), A);
    rib.announce(A, 2, ['2001:db8:1::/48'], at([65001]), '2001:db8::1');
    assert.deepEqual(rib.peerDown(A, { graceful: true }), []);
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best?.source.address, A);
    assert.deepEqual(rib.counters(A), {
      received: 0,
      accepted: 0,
      stale: 3,
      advertised: 0,
      asLoopRejected: 0,
      reflectionLoopRejected: 0,
      policyRejected: 0,
      overLimitDropped: 0,
      withdrawn: 0,
      rejectedNotKept: 0,
      attributeSets: 0,
    });
  });

  it('re-announced paths are fresh again (no change); End-of-RIB sweeps the rest of that family only', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16'], at([65001]), A);
    rib.announce(A, 2, ['2001:db8:1::/48'], at([65001]), '2001:db8::1');
    rib.peerDown(A, { graceful: true });
    rib.peerUp(A, { routerId: '10.0.0.1', localAddress: '192.0.2.254' });
    assert.deepEqual(rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A).changes, []);
    assert.equal(rib.counters(A).stale, 2);
    const swept = rib.endOfRib(A, 1);
    assert.deepEqual(
      swept.map((c) => [c.prefix, c.reason]),
      [['10.2.0.0/16', 'withdrawn']],
    );
    assert.equal(rib.counters(A).stale, 1);
    assert.ok(rib.lookup(2, '2001:db8:1::/48')?.best, 'IPv6 stale path kept until its own End-of-RIB');
    assert.deepEqual(
      rib.endOfRib(A, 2).map((c) => c.prefix),
      ['2001:db8:1::/48'],
    );
    assert.deepEqual(rib.endOfRib(A, 2), []);
  });

  it('a changed path replaces the stale one; a withdraw removes a stale path', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16'], at([65001]), A);
    rib.peerDown(A, { graceful: true });
    rib.peerUp(A, { routerId: '10.0.0.1' });
    const c = rib.announce(A, 1, ['10.1.0.0/16'], at([65001, 5]), A).changes;
    assert.equal(c.length, 1);
    assert.deepEqual(rib.withdraw(A, 1, ['10.2.0.0/16'])[0]?.prefix, '10.2.0.0/16');
    assert.equal(rib.counters(A).stale, 0);
  });

  it('the restart timer sweeps every family; a stale path loses to nothing but stays eligible', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A);
    rib.announce(B, 1, ['10.1.0.0/16'], at([65002, 1]), B);
    rib.announce(A, 2, ['2001:db8:1::/48'], at([65001]), '2001:db8::1');
    rib.peerDown(A, { graceful: true });
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best?.source.address, A);
    const swept = rib.sweepStale(A);
    assert.deepEqual(
      swept.map((c) => [c.prefix, c.newBest?.source.address]),
      [
        ['10.1.0.0/16', B],
        ['2001:db8:1::/48', undefined],
      ],
    );
  });

  it('a second restart before End-of-RIB flushes the earlier stale paths and keeps the new ones stale', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16'], at([65001]), A);
    rib.peerDown(A, { graceful: true });
    rib.peerUp(A, { routerId: '10.0.0.1' });
    rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A); // re-learned before the second restart
    const flushed = rib.peerDown(A, { graceful: true });
    assert.deepEqual(
      flushed.map((c) => [c.prefix, c.reason]),
      [['10.2.0.0/16', 'withdrawn']],
    );
    assert.ok(rib.lookup(1, '10.1.0.0/16')?.best);
    assert.equal(rib.counters(A).stale, 1);
  });

  it('a non-graceful peer-down withdraws everything, fresh and stale', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16'], at([65001]), A);
    rib.peerDown(A, { graceful: true });
    rib.peerUp(A, { routerId: '10.0.0.1' });
    rib.announce(A, 1, ['10.3.0.0/16'], at([65001]), A);
    const gone = rib.peerDown(A, { graceful: false });
    assert.deepEqual(gone.map((c) => c.prefix).sort(), ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16']);
    assert.equal(rib.size(), 0);
    assert.equal(rib.counters(A).stale, 0);
  });

  it('removePeer withdraws its paths and forgets it', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A);
    assert.equal(rib.removePeer(A).length, 1);
    assert.equal(rib.hasPeer(A), false);
  });

  it('stale paths keep the router id they were learned with; re-learned ones use the new one', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A);
    rib.announce(B, 1, ['10.1.0.0/16'], at([65002]), B);
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best?.source.address, A); // 10.0.0.1 < 10.0.0.2
    rib.peerDown(A, { graceful: true });
    assert.deepEqual(rib.peerUp(A, { routerId: '10.0.0.9' }), []);
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best?.source.routerId, '10.0.0.1');
    const changes = rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A).changes;
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.newBest?.source.address, B);
    assert.equal(changes[0]?.reason, 'multipath');
  });

  it('peerUp again on a live session with a new router id re-runs the decision for its paths', () => {
    const rib = setup();
    rib.announce(A, 1, ['10.1.0.0/16'], at([65001]), A);
    rib.announce(B, 1, ['10.1.0.0/16'], at([65002]), B);
    const changes = rib.peerUp(A, { routerId: '10.0.0.9' });
    assert.equal(changes.length, 1);
    assert.equal(changes[0]?.newBest?.source.address, B);
  });
});

describe('Rib: max-prefix', () => {
  function limited(limit: number): Rib {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({ address: A, asn: 65001, importPolicy: permit, maxPrefixes: { limit, restartAfterSeconds: 30 } });
    return rib;
  }
  const prefixes = (from: number, n: number) => Array.from({ length: n }, (_, i) => `10.${from + i}.0.0/16`);

  it('warns once at 90%, then asks for Cease/1 with RFC 4486 data above the limit', () => {
    const rib = limited(10);
    assert.deepEqual(rib.announce(A, 1, prefixes(0, 8), at([65001]), A).events, []);
    const warn = rib.announce(A, 1, prefixes(8, 1), at([65001]), A).events;
    assert.deepEqual(warn, [{ type: 'max-prefix-warning', peer: A, afi: 1, safi: 1, count: 9, limit: 10 }]);
    assert.deepEqual(rib.announce(A, 1, prefixes(9, 1), at([65001]), A).events, []); // exactly the limit is fine
    const over = rib.announce(A, 1, prefixes(10, 1), at([65001]), A).events;
    assert.equal(over.length, 1);
    const e = over[0];
    assert.ok(e?.type === 'max-prefix-exceeded');
    assert.equal(e.count, 11);
    assert.equal(e.restartAfterSeconds, 30);
    assert.deepEqual(e.notification, {
      code: 6,
      subcode: 1,
      data: Buffer.from([0, 1, /* AFI */ 1, /* SAFI */ 0, 0, 0, 10 /* limit */]),
    });
  });

  it('drops further announcements once exceeded, until the session restarts', () => {
    const rib = limited(2);
    rib.announce(A, 1, prefixes(0, 3), at([65001]), A);
    const r = rib.announce(A, 1, prefixes(3, 5), at([65001]), A);
    assert.deepEqual(r, { changes: [], events: [] });
    assert.equal(rib.counters(A).overLimitDropped, 5);
    assert.equal(rib.counters(A).accepted, 3);
    rib.peerDown(A, { graceful: false });
    rib.peerUp(A, { routerId: '10.0.0.1' });
    assert.equal(rib.announce(A, 1, prefixes(0, 1), at([65001]), A).changes.length, 1);
  });

  it('counts per family and only accepted prefixes; a withdraw re-arms the warning', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({
      address: A,
      asn: 65001,
      importPolicy: { rules: [{ prefix: '10.0.0.0/8', le: 16, action: 'permit' }] },
      maxPrefixes: 10,
    });
    assert.deepEqual(
      rib.announce(
        A,
        1,
        prefixes(100, 20).map((p) => p.replace('10.', '11.')),
        at([65001]),
        A,
      ).events,
      [],
    );
    assert.equal(rib.announce(A, 1, prefixes(0, 9), at([65001]), A).events.length, 1);
    assert.deepEqual(rib.announce(A, 2, ['2001:db8:1::/48'], at([65001]), '2001:db8::1').events, []);
    rib.withdraw(A, 1, prefixes(0, 5));
    assert.equal(rib.announce(A, 1, prefixes(0, 5), at([65001]), A).events[0]?.type, 'max-prefix-warning');
  });

  it('rejects a bad limit with a clear error', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    assert.throws(() => rib.addPeer({ address: A, asn: 65001, maxPrefixes: 0 }), /maxPrefixes must be an integer/);
    assert.throws(
      () => rib.addPeer({ address: A, asn: 65001, maxPrefixes: { limit: 5, warningPercent: 0 } }),
      /warningPercent/,
    );
    assert.throws(
      () => rib.addPeer({ address: A, asn: 65001, maxPrefixes: { limit: 5, restartAfterSeconds: -1 } }),
      /restartAfterSeconds/,
    );
    assert.equal(rib.hasPeer(A), false);
  });
});
