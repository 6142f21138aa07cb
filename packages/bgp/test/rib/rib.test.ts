import assert from 'node:assert/strict';
import { BgpError } from '../../src/errors.js';
import { Rib } from '../../src/rib/rib.js';
import type { RibOptions } from '../../src/rib/types.js';
import type { PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { LOCAL_ASN } from './helpers.js';

const A = '192.0.2.1'; // eBGP, AS 65001
const B = '192.0.2.2'; // eBGP, AS 65002
const I = '192.0.2.3'; // iBGP
const P = '10.244.1.0/24';
const permit = { rules: [], defaultAction: 'permit' as const };

function attrs(asns: number[], extra: PathAttributes = {}): PathAttributes {
  return { origin: 0, asPath: [{ type: 'sequence', asns }], ...extra };
}

function setup(opts: Partial<RibOptions> = {}): Rib {
  const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254', ...opts });
  rib.addPeer({ address: A, asn: 65001, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({ address: B, asn: 65002, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({ address: I, asn: LOCAL_ASN });
  rib.peerUp(A, { routerId: '10.0.0.1', localAddress: '192.0.2.254' });
  rib.peerUp(B, { routerId: '10.0.0.2', localAddress: '192.0.2.254' });
  rib.peerUp(I, { routerId: '10.0.0.3', localAddress: '192.0.2.254' });
  return rib;
}

function update(u: Partial<UpdateMessage>): UpdateMessage {
  return { type: 'update', withdrawn: [], attributes: {}, nlri: [], ...u };
}

describe('Rib: Adj-RIB-In and Loc-RIB diffs', () => {
  it('a new prefix produces one change; the same announcement again produces none', () => {
    const rib = setup();
    const r = rib.announce(A, 1, [P, '10.244.2.0/24'], attrs([65001]), A);
    assert.equal(r.changes.length, 2);
    const c = r.changes[0];
    assert.equal(c?.prefix, P);
    assert.equal(c?.afi, 1);
    assert.equal(c?.oldBest, undefined);
    assert.equal(c?.newBest?.source.address, A);
    assert.deepEqual(c?.nexthops, [A]);
    assert.equal(c?.reason, 'only-path');
    assert.deepEqual(rib.announce(A, 1, [P], attrs([65001]), A).changes, []);
    assert.equal(rib.size(1), 2);
  });

  it('many prefixes of one UPDATE share one interned path', () => {
    const rib = setup();
    const r = rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'], attrs([65001]), A);
    const [x, y, z] = r.changes;
    assert.ok(x?.newBest && x.newBest === y?.newBest && y?.newBest === z?.newBest);
  });

  it('implicit withdraw: a new announcement replaces the peer’s previous path', () => {
    const rib = setup();
    const first = rib.announce(A, 1, [P], attrs([65001]), A).changes[0]?.newBest;
    const r = rib.announce(A, 1, [P], attrs([65001, 7]), A);
    assert.equal(r.changes.length, 1);
    assert.equal(r.changes[0]?.oldBest, first);
    assert.deepEqual(r.changes[0]?.newBest?.attributes.asPath, [{ type: 'sequence', asns: [65001, 7] }]);
    assert.equal(rib.candidates(1, P).length, 1);
    assert.equal(rib.counters(A).received, 1);
  });

  it('withdraw removes the path; withdrawing an unknown prefix changes nothing', () => {
    const rib = setup();
    const first = rib.announce(A, 1, [P], attrs([65001]), A).changes[0]?.newBest;
    assert.deepEqual(rib.withdraw(A, 1, ['10.9.9.0/24']), []);
    const w = rib.withdraw(A, 1, [P]);
    assert.deepEqual(w, [{ afi: 1, prefix: P, oldBest: first, newBest: undefined, nexthops: [], reason: 'withdrawn' }]);
    assert.equal(rib.lookup(1, P), undefined);
    assert.equal(rib.counters(A).withdrawn, 1);
    assert.deepEqual(rib.withdraw(B, 1, [P]), []); // B never announced it
  });

  it('ECMP: an equal path joins the set in place, and leaves it again on withdraw', () => {
    const rib = setup();
    const a = rib.announce(A, 1, [P], attrs([65001, 9]), A).changes[0]?.newBest;
    const joined = rib.announce(B, 1, [P], attrs([65002, 9]), B).changes;
    assert.equal(joined.length, 1);
    assert.equal(joined[0]?.oldBest, a);
    assert.equal(joined[0]?.newBest, a); // lower router id stays best
    assert.deepEqual(joined[0]?.nexthops, [A, B]);
    assert.equal(joined[0]?.reason, 'multipath');
    const left = rib.withdraw(B, 1, [P]);
    assert.equal(left.length, 1);
    assert.deepEqual(left[0]?.nexthops, [A]);
    assert.equal(left[0]?.newBest, a);
  });

  it('IPv6 ECMP: next hops in numeric order; a member changing attributes but not its next hop is no change', () => {
    const rib = setup();
    const q = '2001:db8:244:1::/64';
    rib.announce(B, 2, [q], attrs([65002, 9]), '2001:db8::b');
    const r = rib.announce(A, 2, [q], attrs([65001, 9]), '2001:db8::a');
    assert.deepEqual(r.changes[0]?.nexthops, ['2001:db8::a', '2001:db8::b']);
    assert.equal(r.changes[0]?.newBest?.source.address, A);
    // B's MED changes: B stays in the set (different neighbour AS: MED not compared), best and next hops unchanged.
    assert.deepEqual(rib.announce(B, 2, [q], attrs([65002, 9], { med: 7 }), '2001:db8::b').changes, []);
    assert.equal(rib.candidates(2, q).length, 2);
    assert.deepEqual(
      [...rib.routes(2)].map((x) => [x.prefix, x.nexthops]),
      [[q, ['2001:db8::a', '2001:db8::b']]],
    );
    assert.deepEqual(
      rib.lookup(2, q)?.ecmp.map((p) => p.source.address),
      [A, B],
    );
  });

  it('a worse path from another peer changes nothing; a better one takes over', () => {
    const rib = setup({ maxPaths: 1 });
    rib.announce(A, 1, [P], attrs([65001, 9]), A);
    assert.deepEqual(rib.announce(B, 1, [P], attrs([65002, 9, 8]), B).changes, []);
    assert.equal(rib.candidates(1, P).length, 2);
    const better = rib.announce(B, 1, [P], attrs([65002]), B).changes;
    assert.equal(better[0]?.newBest?.source.address, B);
    assert.equal(better[0]?.reason, 'as-path');
    assert.deepEqual(better[0]?.nexthops, [B]);
    // Withdrawing the best falls back to the other path.
    const back = rib.withdraw(B, 1, [P]);
    assert.equal(back[0]?.newBest?.source.address, A);
    assert.equal(back[0]?.reason, 'only-path');
  });

  it('RFC 8212: an eBGP peer without import policy gives nothing; iBGP is permitted by default', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({ address: A, asn: 65001 });
    rib.addPeer({ address: I, asn: LOCAL_ASN });
    assert.deepEqual(rib.announce(A, 1, [P], attrs([65001]), A).changes, []);
    assert.deepEqual(
      { ...rib.counters(A) },
      {
        received: 1,
        accepted: 0,
        stale: 0,
        advertised: 0,
        asLoopRejected: 0,
        reflectionLoopRejected: 0,
        policyRejected: 1,
        overLimitDropped: 0,
        withdrawn: 0,
        rejectedNotKept: 0,
        attributeSets: 1,
      },
    );
    assert.equal(rib.announce(I, 1, [P], { origin: 0, asPath: [], nextHop: I }, I).changes.length, 1);
    assert.equal(rib.counters(I).accepted, 1);
  });

  it('import filter decides per prefix', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({
      address: A,
      asn: 65001,
      importPolicy: { rules: [{ prefix: '10.244.0.0/16', ge: 24, le: 24, action: 'permit' }] },
    });
    const r = rib.announce(
      A,
      1,
      ['10.244.1.0/24', '10.244.0.0/16', '10.245.1.0/24', '10.244.2.0/24'],
      attrs([65001]),
      A,
    );
    assert.deepEqual(
      r.changes.map((c) => c.prefix),
      ['10.244.1.0/24', '10.244.2.0/24'],
    );
    assert.equal(rib.counters(A).received, 4);
    assert.equal(rib.counters(A).accepted, 2);
  });

  it('own-AS loop: rejected, counted, and the previous path is withdrawn', () => {
    const rib = setup();
    rib.announce(A, 1, [P], attrs([65001]), A);
    const r = rib.announce(A, 1, [P, '10.244.2.0/24'], attrs([65001, LOCAL_ASN, 65003]), A);
    assert.equal(r.changes.length, 1);
    assert.equal(r.changes[0]?.reason, 'withdrawn');
    assert.equal(rib.counters(A).asLoopRejected, 2);
    assert.equal(rib.counters(A).accepted, 0);
    assert.equal(rib.counters(A).received, 2);
    // In an AS_SET too.
    rib.announce(A, 1, [P], { origin: 0, asPath: [{ type: 'set', asns: [1, LOCAL_ASN] }] }, A);
    assert.equal(rib.counters(A).asLoopRejected, 3);
    assert.equal(rib.lookup(1, P), undefined);
  });

  it('applyUpdate: withdrawn, NLRI, MP_REACH (IPv6 with link-local) and MP_UNREACH', () => {
    const rib = setup();
    const a = attrs([65001], { nextHop: A });
    let r = rib.applyUpdate(
      A,
      update({
        attributes: a,
        nlri: [P],
        mpReach: { afi: 2, safi: 1, nextHop: '2001:db8::1', linkLocalNextHop: 'fe80::1', nlri: ['2001:db8:1::/48'] },
      }),
    );
    assert.deepEqual(
      r.changes.map((c) => [c.afi, c.prefix, c.nexthops]),
      [
        [1, P, [A]],
        [2, '2001:db8:1::/48', ['2001:db8::1']],
      ],
    );
    assert.equal(rib.lookup(2, '2001:db8:1::/48')?.best?.linkLocalNextHop, 'fe80::1');
    r = rib.applyUpdate(A, update({ withdrawn: [P], mpUnreach: { afi: 2, safi: 1, withdrawn: ['2001:db8:1::/48'] } }));
    assert.deepEqual(
      r.changes.map((c) => [c.prefix, c.reason]),
      [
        [P, 'withdrawn'],
        ['2001:db8:1::/48', 'withdrawn'],
      ],
    );
    assert.equal(rib.size(), 0);
  });

  it('treat-as-withdraw (RFC 7606): the NLRI of a malformed UPDATE are withdrawn', () => {
    const rib = setup();
    rib.announce(A, 1, [P], attrs([65001]), A);
    rib.announce(A, 2, ['2001:db8:1::/48'], attrs([65001]), '2001:db8::1');
    const r = rib.applyUpdate(
      A,
      update({
        attributes: { origin: 0 }, // e.g. a malformed AS_PATH the codec dropped
        nlri: [P, '10.9.0.0/16'],
        mpReach: { afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: ['2001:db8:1::/48'] },
      }),
      { treatAsWithdraw: true },
    );
    assert.deepEqual(
      r.changes.map((c) => c.prefix),
      [P, '2001:db8:1::/48'],
    );
    assert.equal(rib.size(), 0);
    assert.equal(rib.counters(A).withdrawn, 2);
  });

  it('rejects bad input with a clear error before changing anything', () => {
    const rib = setup();
    rib.announce(A, 1, [P], attrs([65001]), A);
    const bad = update({ withdrawn: [P], attributes: attrs([65001]), nlri: ['10.1.0.0/16'] });
    assert.throws(
      () => rib.applyUpdate(A, bad),
      (e: unknown) => e instanceof BgpError && e.code === 'ERR_GANNET_BGP_INVALID_UPDATE',
    );
    const mp = update({ withdrawn: [P], mpReach: { afi: 25, safi: 70, nextHop: '1.1.1.1', nlri: [] } });
    assert.throws(
      () => rib.applyUpdate(A, mp),
      (e: unknown) => e instanceof BgpError && e.code === 'ERR_GANNET_BGP_UNSUPPORTED_FAMILY',
    );
    const noNh = update({ withdrawn: [P], mpReach: { afi: 2, safi: 1, nextHop: '', nlri: ['2001:db8::/32'] } });
    assert.throws(() => rib.applyUpdate(A, noNh), /MP_REACH_NLRI without a next hop/);
    assert.throws(() => rib.announce(A, 1, ['10.1.0.0/16'], attrs([65001]), ''), /has no next hop/);
    assert.ok(rib.lookup(1, P)?.best, 'the earlier path is still there');
    assert.throws(
      () => rib.announce('198.51.100.9', 1, [P], attrs([1]), A),
      (e: unknown) => (e as BgpError).code === 'ERR_GANNET_BGP_UNKNOWN_PEER',
    );
    assert.throws(() => rib.addPeer({ address: A, asn: 65001 }), /already exists/);
    assert.throws(() => rib.addPeer({ address: '192.0.2.77', asn: 0 }), /asn/);
    assert.throws(() => new Rib({ localAsn: 0, routerId: '1.1.1.1' }), /localAsn/);
    assert.throws(() => new Rib({ localAsn: 1, routerId: '1.1.1' }), /routerId/);
    assert.throws(() => new Rib({ localAsn: 1, routerId: '1.1.1.1', maxPaths: 0 }), /maxPaths/);
    assert.throws(() => new Rib({ localAsn: 1, routerId: '1.1.1.1', defaultLocalPref: -1 }), /defaultLocalPref/);
    assert.throws(() => rib.takeOutbound('192.0.2.77'), /no peer/);
  });

  it('next-hop reachability: unreachable paths are ineligible until refreshReachability()', () => {
    const down = new Set<string>(['198.51.100.1']);
    const rib = setup({ isReachable: (nh) => !down.has(nh) });
    assert.deepEqual(rib.announce(A, 1, [P], attrs([65001]), '198.51.100.1').changes, []);
    assert.equal(rib.lookup(1, P)?.best, undefined);
    down.clear();
    const up = rib.refreshReachability();
    assert.equal(up.length, 1);
    assert.deepEqual(up[0]?.nexthops, ['198.51.100.1']);
    down.add('198.51.100.1');
    const gone = rib.refreshReachability();
    assert.equal(gone[0]?.newBest, undefined);
    assert.equal(gone[0]?.reason, 'nexthop-unreachable');
    assert.deepEqual(rib.refreshReachability(), []);
  });

  it('setPolicy re-applies import policy to what the peer already sent', () => {
    const rib = setup();
    rib.announce(A, 1, [P, '10.244.2.0/24'], attrs([65001]), A);
    const r = rib.setPolicy(A, { importPolicy: { rules: [{ prefix: P, action: 'permit' }] } });
    assert.deepEqual(
      r.changes.map((c) => [c.prefix, c.reason]),
      [['10.244.2.0/24', 'withdrawn']],
    );
    assert.equal(rib.counters(A).accepted, 1);
    const back = rib.setPolicy(A, { importPolicy: permit });
    assert.deepEqual(
      back.changes.map((c) => c.prefix),
      ['10.244.2.0/24'],
    );
    // null restores the RFC 8212 default (eBGP: deny).
    assert.equal(rib.setPolicy(A, { importPolicy: null }).changes.length, 2);
  });
});

describe('Rib: bounded storage of rejected paths', () => {
  it('keeps at most keepRejected rejected paths; a policy change then asks for a route refresh', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({
      address: A,
      asn: 65001,
      importPolicy: { rules: [{ prefix: P, action: 'permit' }] },
      keepRejected: 2,
    });
    rib.announce(A, 1, ['10.9.0.0/16'], attrs([65001]), A);
    // A previously accepted prefix that is now rejected is still withdrawn from the Loc-RIB, kept or not.
    rib.announce(A, 1, [P], attrs([65001]), A);
    rib.announce(A, 1, ['10.8.0.0/16', '10.7.0.0/16'], attrs([65001]), A);
    assert.deepEqual(
      { ...rib.counters(A) },
      {
        received: 3,
        accepted: 1,
        stale: 0,
        advertised: 0,
        asLoopRejected: 0,
        reflectionLoopRejected: 0,
        policyRejected: 3,
        overLimitDropped: 0,
        withdrawn: 0,
        rejectedNotKept: 1,
        attributeSets: 1,
      },
    );
    rib.announce(A, 1, ['10.9.0.0/16'], attrs([65001, 1]), A); // replacing a kept one is always possible
    assert.equal(rib.counters(A).rejectedNotKept, 1);
    const r = rib.setPolicy(A, { importPolicy: { rules: [], defaultAction: 'permit' } });
    assert.deepEqual(r.refresh, [1]);
    assert.deepEqual(r.changes.map((c) => c.prefix).sort(), ['10.8.0.0/16', '10.9.0.0/16']);
    assert.deepEqual(rib.setPolicy(A, { importPolicy: { rules: [], defaultAction: 'permit' } }).refresh, []);
    assert.throws(() => rib.addPeer({ address: B, asn: 65002, keepRejected: -1 }), /keepRejected must be an integer/);
  });
});

describe('Rib: local origination', () => {
  it('originates with ORIGIN IGP and an empty AS_PATH, preferred over learned paths', () => {
    const rib = setup();
    rib.announce(I, 1, [P], { origin: 0, asPath: [], localPref: 1000, nextHop: I }, I);
    const r = rib.originate(P);
    assert.equal(r.length, 1);
    assert.equal(r[0]?.newBest?.source.kind, 'local');
    assert.deepEqual(r[0]?.newBest?.attributes, { origin: 0, asPath: [] });
    assert.deepEqual(r[0]?.nexthops, []);
    assert.equal(r[0]?.reason, 'local-origin');
    assert.deepEqual(rib.originate(P), []);
    assert.deepEqual(rib.originated(), [P]);
    const w = rib.withdrawOrigin(P);
    assert.equal(w[0]?.newBest?.source.address, I);
    assert.deepEqual(rib.withdrawOrigin(P), []);
  });

  it('IPv6, canonical text, and clear errors for bad prefixes', () => {
    const rib = setup();
    const r = rib.originate('2001:DB8:0:0::/64');
    assert.equal(r[0]?.prefix, '2001:db8::/64');
    assert.equal(r[0]?.afi, 2);
    assert.throws(
      () => rib.originate('10.244.1.1/24'),
      (e: unknown) =>
        (e as BgpError).code === 'ERR_GANNET_BGP_INVALID_PREFIX' && /host bits/.test((e as Error).message),
    );
    assert.throws(() => rib.originate('banana'), /invalid prefix "banana"/);
    assert.throws(() => rib.withdrawOrigin('10.0.0.0/33'), /invalid prefix/);
  });
});

describe('Rib: interned paths are released', () => {
  it('drops an attribute set once no prefix uses it (replace, withdraw, reject, stale sweep, flush)', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({
      address: A,
      asn: 65001,
      importPolicy: { rules: [{ prefix: '10.2.0.0/16', action: 'deny' }], defaultAction: 'permit' },
    });
    rib.peerUp(A, { routerId: '10.0.0.1' });
    const sets = () => rib.counters(A).attributeSets;
    const r = rib.announce(A, 1, ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'], attrs([65001]), A);
    assert.equal(r.changes[0]?.newBest, r.changes[1]?.newBest, 'same attributes, same object');
    rib.announce(A, 1, ['10.3.0.0/16'], attrs([65001, 5]), A);
    assert.equal(sets(), 2);
    rib.announce(A, 1, ['10.3.0.0/16'], attrs([65001]), A); // replaces the second set: unused
    assert.equal(sets(), 1);
    rib.withdraw(A, 1, ['10.1.0.0/16', '10.3.0.0/16']);
    assert.equal(sets(), 1, 'still used by the rejected 10.2.0.0/16');
    rib.withdraw(A, 1, ['10.2.0.0/16']);
    assert.equal(sets(), 0);
    rib.announce(A, 1, ['10.4.0.0/16'], attrs([65001]), A);
    rib.peerDown(A, { graceful: true });
    rib.peerUp(A, { routerId: '10.0.0.1' });
    assert.equal(sets(), 0, 'a new session starts with no attribute sets');
    rib.announce(A, 1, ['10.4.0.0/16'], attrs([65001]), A);
    assert.equal(sets(), 1);
    assert.equal(rib.counters(A).stale, 0);
    rib.announce(A, 1, ['10.5.0.0/16'], attrs([65001, 9]), A);
    rib.peerDown(A, { graceful: false });
    assert.equal(sets(), 0);
    assert.deepEqual(
      { ...rib.counters(A), withdrawn: 0, policyRejected: 0 },
      {
        received: 0,
        accepted: 0,
        stale: 0,
        advertised: 0,
        asLoopRejected: 0,
        reflectionLoopRejected: 0,
        policyRejected: 0,
        overLimitDropped: 0,
        withdrawn: 0,
        rejectedNotKept: 0,
        attributeSets: 0,
      },
    );
  });
});
