// What a peer's configuration attaches to the routes we send it, applied in its Adj-RIB-Out; and import rules that
// match communities.
import assert from 'node:assert/strict';
import { Rib } from '../../src/rib/rib.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { LOCAL_ASN } from './helpers.js';

const E1 = '192.0.2.1'; // eBGP AS 65001, attributes attached
const E2 = '192.0.2.2'; // eBGP AS 65002, nothing attached
const I1 = '192.0.2.11'; // iBGP, attributes attached
const I2 = '192.0.2.12'; // iBGP, nothing attached
const SELF = '192.0.2.254';
const permit = { rules: [], defaultAction: 'permit' as const };
const C_100 = 0xfde80064; // 65000:100
const C_200 = 0xfde800c8; // 65000:200
const attach = {
  communities: [C_100, C_200],
  largeCommunities: [[65000, 1, 2]] as [number, number, number][],
  localPref: 250,
  med: 42,
  asPathPrepend: 3,
};

function setup(): Rib {
  const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
  rib.addPeer({ address: E1, asn: 65001, importPolicy: permit, exportPolicy: permit, exportAttributes: attach });
  rib.addPeer({ address: E2, asn: 65002, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({ address: I1, asn: LOCAL_ASN, exportAttributes: attach });
  rib.addPeer({ address: I2, asn: LOCAL_ASN });
  for (const [addr, id] of [
    [E1, '10.0.0.1'],
    [E2, '10.0.0.2'],
    [I1, '10.0.0.11'],
    [I2, '10.0.0.12'],
  ] as const) {
    rib.peerUp(addr, { routerId: id, localAddress: SELF });
  }
  for (const p of [E1, E2, I1, I2]) rib.takeOutbound(p);
  return rib;
}

describe('Rib: attributes attached per peer', () => {
  it('eBGP: communities and large communities added, MED set, our ASN 1 + N times; no LOCAL_PREF', () => {
    const rib = setup();
    rib.originate('10.244.1.0/24');
    rib.originate('10.244.2.0/24');
    const out = rib.takeOutbound(E1);
    assert.equal(out.announce.length, 1, 'one attribute set: both prefixes pack into one UPDATE');
    assert.deepEqual(out.announce[0]?.prefixes, ['10.244.1.0/24', '10.244.2.0/24']);
    assert.deepEqual(out.announce[0]?.attributes, {
      origin: 0,
      asPath: [{ type: 'sequence', asns: [LOCAL_ASN, LOCAL_ASN, LOCAL_ASN, LOCAL_ASN] }],
      nextHop: SELF,
      med: 42,
      communities: [C_100, C_200],
      largeCommunities: [[65000, 1, 2]],
    });
    // the peer with nothing attached gets the plain route
    assert.deepEqual(rib.takeOutbound(E2).announce[0]?.attributes, {
      origin: 0,
      asPath: [{ type: 'sequence', asns: [LOCAL_ASN] }],
      nextHop: SELF,
    });
  });

  it('iBGP: LOCAL_PREF and MED set, no prepend (the peer would see its own AS)', () => {
    const rib = setup();
    rib.originate('10.244.1.0/24', { med: 7 });
    assert.deepEqual(rib.takeOutbound(I1).announce[0]?.attributes, {
      origin: 0,
      asPath: [],
      nextHop: SELF,
      med: 42,
      localPref: 250,
      communities: [C_100, C_200],
      largeCommunities: [[65000, 1, 2]],
    });
    assert.deepEqual(rib.takeOutbound(I2).announce[0]?.attributes, {
      origin: 0,
      asPath: [],
      nextHop: SELF,
      med: 7,
      localPref: 100,
    });
  });

  it('received communities are kept, ours added once, in order', () => {
    const rib = setup();
    const attrs: PathAttributes = {
      origin: 0,
      asPath: [{ type: 'sequence', asns: [65002, 65100] }],
      nextHop: E2,
      communities: [C_200, 1],
      largeCommunities: [
        [65000, 1, 2],
        [9, 9, 9],
      ],
    };
    rib.announce(E2, 1, ['10.1.0.0/16'], attrs, E2);
    const a = rib.takeOutbound(E1).announce[0]?.attributes;
    assert.deepEqual(a?.communities, [C_200, 1, C_100]);
    assert.deepEqual(a?.largeCommunities, [
      [65000, 1, 2],
      [9, 9, 9],
    ]);
    assert.deepEqual(a?.asPath, [
      { type: 'sequence', asns: [LOCAL_ASN, LOCAL_ASN, LOCAL_ASN, LOCAL_ASN, 65002, 65100] },
    ]);
    // eBGP-learned towards iBGP: attached as well (we are the first speaker of our AS to carry it)
    assert.equal(rib.takeOutbound(I1).announce[0]?.attributes.localPref, 250);
  });

  it('a prepend that overflows the first AS_SEQUENCE opens a new one', () => {
    const rib = setup();
    const long = Array.from({ length: 253 }, (_, i) => 65002 + (i === 0 ? 0 : 100 + i));
    rib.announce(E2, 1, ['10.1.0.0/16'], { origin: 0, asPath: [{ type: 'sequence', asns: long }], nextHop: E2 }, E2);
    const path = rib.takeOutbound(E1).announce[0]?.attributes.asPath;
    assert.equal(path?.length, 2);
    assert.deepEqual(path?.[0]?.asns, [LOCAL_ASN, LOCAL_ASN]);
    assert.equal(path?.[1]?.asns.length, 255);
  });

  it('RFC 1997 well-known communities still decide first: NO_EXPORT from iBGP never reaches eBGP', () => {
    const rib = setup();
    rib.announce(I2, 1, ['10.9.0.0/16'], { origin: 0, asPath: [], nextHop: I2, communities: [0xffffff01] }, I2);
    assert.deepEqual(rib.takeOutbound(E1).announce, []);
    assert.deepEqual(rib.takeOutbound(E2).announce, []);
    // an iBGP-learned route is not passed to another iBGP peer (no reflection here) either
    assert.deepEqual(rib.takeOutbound(I1).announce, []);
    // NO_ADVERTISE attached by us is for the peer to honour: we still send the route
    rib.setPolicy(E2, { exportAttributes: { communities: [0xffffff02] } });
    rib.originate('10.244.1.0/24');
    assert.deepEqual(rib.takeOutbound(E2).announce[0]?.attributes.communities, [0xffffff02]);
  });

  it('setPolicy changes what is attached without a session reset: the differences are re-sent', () => {
    const rib = setup();
    rib.originate('10.244.1.0/24');
    rib.takeOutbound(E2);
    rib.setPolicy(E2, { exportAttributes: { med: 5, asPathPrepend: 1 } });
    const out = rib.takeOutbound(E2);
    assert.deepEqual(out.announce[0]?.attributes.med, 5);
    assert.deepEqual(out.announce[0]?.attributes.asPath, [{ type: 'sequence', asns: [LOCAL_ASN, LOCAL_ASN] }]);
    // the same again: nothing to send
    rib.setPolicy(E2, { exportAttributes: { med: 5, asPathPrepend: 1 } });
    assert.equal(rib.hasOutbound(E2), false);
    // removed: the plain route again
    rib.setPolicy(E2, { exportAttributes: null });
    assert.deepEqual(rib.takeOutbound(E2).announce[0]?.attributes, {
      origin: 0,
      asPath: [{ type: 'sequence', asns: [LOCAL_ASN] }],
      nextHop: SELF,
    });
  });

  it('bad attributes are refused with the field named', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    const bad: [object, RegExp][] = [
      [{ asPathPrepend: 11 }, /peer 192.0.2.9: asPathPrepend must be an integer in 0..10/],
      [{ asPathPrepend: 1.5 }, /asPathPrepend/],
      [{ med: -1 }, /med must be an integer in 0..4294967295/],
      [{ localPref: 2 ** 32 }, /localPref/],
      [{ communities: [2 ** 32] }, /communities\[0\]/],
      [{ largeCommunities: [[1, 2]] }, /largeCommunities\[0\] must be 3 parts/],
    ];
    for (const [exportAttributes, msg] of bad) {
      assert.throws(() => rib.addPeer({ address: '192.0.2.9', asn: 65009, exportAttributes }), msg);
    }
    rib.addPeer({ address: '192.0.2.9', asn: 65009 });
    assert.throws(() => rib.setPolicy('192.0.2.9', { exportAttributes: { med: 1.5 } }), /med/);
  });
});

describe('Rib: import rules on received communities', () => {
  function ribWithImport(): Rib {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({
      address: E1,
      asn: 65001,
      importPolicy: {
        rules: [
          { prefix: '10.0.0.0/8', le: 32, community: '65001:666', action: 'deny' },
          { prefix: '10.0.0.0/8', le: 32, largeCommunity: '65001:0:666', action: 'deny' },
          { prefix: '10.0.0.0/8', le: 32, action: 'permit' },
        ],
      },
    });
    rib.peerUp(E1, { routerId: '10.0.0.1', localAddress: SELF });
    return rib;
  }
  const base = { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: [65001] }], nextHop: E1 };

  it('a route tagged with the community is rejected, the others of the same peer accepted', () => {
    const rib = ribWithImport();
    rib.announce(E1, 1, ['10.1.0.0/16'], { ...base, communities: [0xfde9029a] }, E1); // 65001:666
    rib.announce(E1, 1, ['10.2.0.0/16'], { ...base, communities: [0xfde90001] }, E1);
    rib.announce(E1, 1, ['10.3.0.0/16'], { ...base, largeCommunities: [[65001, 0, 666]] }, E1);
    rib.announce(E1, 1, ['10.4.0.0/16'], base, E1);
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best, undefined);
    assert.ok(rib.lookup(1, '10.2.0.0/16')?.best);
    assert.equal(rib.lookup(1, '10.3.0.0/16')?.best, undefined);
    assert.ok(rib.lookup(1, '10.4.0.0/16')?.best);
    assert.equal(rib.counters(E1).policyRejected, 2);
  });

  it('the peer re-tagging a route flips it, and a policy change re-applies to what was kept', () => {
    const rib = ribWithImport();
    rib.announce(E1, 1, ['10.1.0.0/16'], base, E1);
    assert.ok(rib.lookup(1, '10.1.0.0/16')?.best);
    rib.announce(E1, 1, ['10.1.0.0/16'], { ...base, communities: [0xfde9029a] }, E1);
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best, undefined);
    // an operator now permits it: the rejected path (kept) is accepted without asking the peer again
    const r = rib.setPolicy(E1, { importPolicy: { rules: [{ prefix: '10.0.0.0/8', le: 32, action: 'permit' }] } });
    assert.deepEqual(r.refresh, []);
    assert.ok(rib.lookup(1, '10.1.0.0/16')?.best);
    // and back to denying the tag
    rib.setPolicy(E1, {
      importPolicy: {
        rules: [
          { prefix: '10.0.0.0/8', le: 32, community: '65001:666', action: 'deny' },
          { prefix: '10.0.0.0/8', le: 32, action: 'permit' },
        ],
      },
    });
    assert.equal(rib.lookup(1, '10.1.0.0/16')?.best, undefined);
  });

  it('export rules may match communities too (on the Loc-RIB path, before ours are attached)', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({ address: E1, asn: 65001, importPolicy: permit });
    rib.addPeer({
      address: E2,
      asn: 65002,
      exportPolicy: {
        rules: [
          { prefix: '0.0.0.0/0', le: 32, community: '65000:1', action: 'permit' },
          { prefix: '0.0.0.0/0', le: 32, action: 'deny' },
        ],
      },
      exportAttributes: { communities: [0xfde80001] },
    });
    rib.peerUp(E1, { routerId: '10.0.0.1', localAddress: SELF });
    rib.peerUp(E2, { routerId: '10.0.0.2', localAddress: SELF });
    rib.takeOutbound(E2);
    rib.announce(E1, 1, ['10.1.0.0/16'], { ...base, communities: [0xfde80001] }, E1);
    rib.announce(E1, 1, ['10.2.0.0/16'], base, E1);
    assert.deepEqual(
      rib.takeOutbound(E2).announce.flatMap((a) => a.prefixes),
      ['10.1.0.0/16'],
    );
  });
});
