import assert from 'node:assert/strict';
import { prependAs } from '../../src/rib/export-path.js';
import { Rib } from '../../src/rib/rib.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { LOCAL_ASN } from './helpers.js';

const E1 = '192.0.2.1'; // eBGP AS 65001
const E2 = '192.0.2.2'; // eBGP AS 65002
const I1 = '192.0.2.11'; // iBGP
const I2 = '192.0.2.12'; // iBGP
const SELF = '192.0.2.254';
const SELF6 = '2001:db8::fe';
const permit = { rules: [], defaultAction: 'permit' as const };

function setup(opts: { nextHopSelfIbgp?: boolean } = {}): Rib {
  const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
  rib.addPeer({ address: E1, asn: 65001, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({ address: E2, asn: 65002, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({ address: I1, asn: LOCAL_ASN });
  rib.addPeer({ address: I2, asn: LOCAL_ASN, nextHopSelf: opts.nextHopSelfIbgp ?? false });
  for (const [addr, id] of [
    [E1, '10.0.0.1'],
    [E2, '10.0.0.2'],
    [I1, '10.0.0.11'],
    [I2, '10.0.0.12'],
  ] as const) {
    rib.peerUp(addr, { routerId: id, localAddress: SELF, localAddress6: SELF6, linkLocalAddress6: 'fe80::fe' });
  }
  for (const p of [E1, E2, I1, I2]) rib.takeOutbound(p); // initial (empty) advertisement
  return rib;
}

const ebgpAttrs: PathAttributes = {
  origin: 1,
  asPath: [{ type: 'sequence', asns: [65001, 65100] }],
  nextHop: E1,
  med: 50,
  localPref: 300, // must be ignored from eBGP
  communities: [0xfde80001],
  unknown: [
    { flags: 0xc0, code: 99, value: Buffer.from([1, 2]) }, // optional transitive: passed on, Partial set
    { flags: 0x80, code: 98, value: Buffer.from([3]) }, // optional non-transitive: dropped
  ],
};

describe('Rib: Adj-RIB-Out and export rules', () => {
  it('towards eBGP: our ASN prepended, next hop self, LOCAL_PREF and MED stripped, unknown transitive with Partial', () => {
    const rib = setup();
    rib.announce(E1, 1, ['10.1.0.0/16'], ebgpAttrs, E1);
    const out = rib.takeOutbound(E2);
    assert.deepEqual(out.withdraw, []);
    assert.equal(out.announce.length, 1);
    const a = out.announce[0];
    assert.deepEqual(a?.prefixes, ['10.1.0.0/16']);
    assert.equal(a?.nextHop, SELF);
    assert.deepEqual(a?.attributes, {
      origin: 1,
      asPath: [{ type: 'sequence', asns: [LOCAL_ASN, 65001, 65100] }],
      nextHop: SELF,
      communities: [0xfde80001],
      unknown: [{ flags: 0xe0, code: 99, value: Buffer.from([1, 2]) }],
    });
  });

  it('never back to the peer it came from (and withdrawn there if it was advertised)', () => {
    const rib = setup();
    rib.announce(E2, 1, ['10.1.0.0/16'], { origin: 0, asPath: [{ type: 'sequence', asns: [65002, 1, 2] }] }, E2);
    assert.deepEqual(rib.takeOutbound(E1).announce[0]?.prefixes, ['10.1.0.0/16']);
    rib.announce(E1, 1, ['10.1.0.0/16'], { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }] }, E1);
    const toE1 = rib.takeOutbound(E1);
    assert.deepEqual(toE1.announce, []);
    assert.deepEqual(toE1.withdraw, [{ afi: 1, prefixes: ['10.1.0.0/16'] }]);
    assert.equal(rib.counters(E1).advertised, 0);
  });

  it('towards iBGP: next hop and MED kept, LOCAL_PREF set (100 for eBGP-learned), AS_PATH unchanged', () => {
    const rib = setup();
    rib.announce(E1, 1, ['10.1.0.0/16'], ebgpAttrs, E1);
    const a = rib.takeOutbound(I1).announce[0];
    assert.equal(a?.nextHop, E1);
    assert.equal(a?.attributes.localPref, 100);
    assert.equal(a?.attributes.med, 50);
    assert.deepEqual(a?.attributes.asPath, ebgpAttrs.asPath);
  });

  it('iBGP split horizon: routes from an iBGP peer go to eBGP peers, not to other iBGP peers', () => {
    const rib = setup();
    rib.announce(I1, 1, ['10.5.0.0/16'], { origin: 0, asPath: [], localPref: 200, nextHop: I1 }, I1);
    assert.deepEqual(rib.takeOutbound(I2), { announce: [], withdraw: [], completed: [] });
    assert.deepEqual(rib.takeOutbound(I1).announce, []);
    const toE = rib.takeOutbound(E1).announce[0];
    assert.deepEqual(toE?.attributes.asPath, [{ type: 'sequence', asns: [LOCAL_ASN] }]);
    assert.equal(toE?.attributes.localPref, undefined);
  });

  it('next-hop-self towards an iBGP peer when configured', () => {
    const rib = setup({ nextHopSelfIbgp: true });
    rib.announce(E1, 1, ['10.1.0.0/16'], ebgpAttrs, E1);
    assert.equal(rib.takeOutbound(I2).announce[0]?.nextHop, SELF);
    assert.equal(rib.takeOutbound(I1).announce[0]?.nextHop, E1);
  });

  it('locally originated: next hop self to everyone, ORIGIN IGP, empty AS_PATH to iBGP, [ours] to eBGP', () => {
    const rib = setup();
    rib.originate('10.244.1.0/24');
    rib.originate('2001:db8:244::/64');
    const toI = rib.takeOutbound(I1).announce;
    assert.deepEqual(
      toI.map((a) => [a.afi, a.nextHop, a.linkLocalNextHop, a.attributes]),
      [
        [1, SELF, undefined, { origin: 0, asPath: [], nextHop: SELF, localPref: 100 }],
        [2, SELF6, 'fe80::fe', { origin: 0, asPath: [], localPref: 100 }],
      ],
    );
    const toE = rib.takeOutbound(E1).announce;
    assert.deepEqual(toE[0]?.attributes.asPath, [{ type: 'sequence', asns: [LOCAL_ASN] }]);
    rib.withdrawOrigin('10.244.1.0/24');
    assert.deepEqual(rib.takeOutbound(E1).withdraw, [{ afi: 1, prefixes: ['10.244.1.0/24'] }]);
  });

  it('a locally originated MED goes to eBGP peers too; a learned one never does', () => {
    const rib = setup();
    rib.originate('10.244.1.0/24', { med: 20, communities: [1] });
    const toE = rib.takeOutbound(E1).announce[0];
    assert.equal(toE?.attributes.med, 20);
    assert.deepEqual(toE?.attributes.communities, [1]);
    assert.equal(rib.takeOutbound(I1).announce[0]?.attributes.med, 20);
  });

  it('only the families negotiated at session start are advertised', () => {
    const rib = setup();
    rib.peerDown(E2, { graceful: false });
    rib.peerUp(E2, { routerId: '10.0.0.2', localAddress: SELF, localAddress6: SELF6 }, [1]);
    rib.originate('10.244.1.0/24');
    rib.originate('2001:db8:244::/64');
    const out = rib.takeOutbound(E2);
    assert.deepEqual(
      out.announce.map((a) => a.afi),
      [1],
    );
    assert.deepEqual(out.completed, [1]);
    rib.routeRefresh(E2, 2);
    assert.deepEqual(rib.takeOutbound(E2), { announce: [], withdraw: [], completed: [] });
  });

  it('RFC 1997: NO_ADVERTISE goes nowhere, NO_EXPORT and NO_EXPORT_SUBCONFED stay inside the AS', () => {
    const rib = setup();
    const base = { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: [65001] }] };
    rib.announce(E1, 1, ['10.1.0.0/16'], { ...base, communities: [0xffffff02] }, E1);
    rib.announce(E1, 1, ['10.2.0.0/16'], { ...base, communities: [1, 0xffffff01] }, E1);
    rib.announce(E1, 1, ['10.3.0.0/16'], { ...base, communities: [0xffffff03] }, E1);
    assert.deepEqual(rib.takeOutbound(E2).announce, []);
    assert.deepEqual(
      rib.takeOutbound(I1).announce.flatMap((a) => a.prefixes),
      ['10.2.0.0/16', '10.3.0.0/16'],
    );
    rib.originate('10.244.1.0/24', { communities: [0xffffff01] });
    assert.deepEqual(rib.takeOutbound(E2).announce, []);
    assert.deepEqual(rib.takeOutbound(I1).announce[0]?.prefixes, ['10.244.1.0/24']);
  });

  it('groups prefixes by attribute set and coalesces changes until taken', () => {
    const rib = setup();
    rib.announce(E1, 1, ['10.1.0.0/16', '10.2.0.0/16'], ebgpAttrs, E1);
    rib.announce(E1, 1, ['10.3.0.0/16'], { ...ebgpAttrs, communities: [] }, E1);
    rib.announce(E1, 1, ['10.4.0.0/16'], ebgpAttrs, E1);
    rib.withdraw(E1, 1, ['10.4.0.0/16']); // announced and withdrawn before the take: nothing to send
    const out = rib.takeOutbound(E2);
    assert.deepEqual(
      out.announce.map((a) => a.prefixes),
      [['10.1.0.0/16', '10.2.0.0/16'], ['10.3.0.0/16']],
    );
    assert.deepEqual(out.withdraw, []);
    assert.equal(rib.hasOutbound(E2), false);
    // A change that does not alter what E2 receives (MED is stripped towards eBGP) sends nothing.
    rib.announce(E1, 1, ['10.1.0.0/16'], { ...ebgpAttrs, med: 7 }, E1);
    assert.deepEqual(rib.takeOutbound(E2).announce, []);
  });

  it('takes at most `limit` prefixes per call', () => {
    const rib = setup();
    rib.announce(E1, 1, ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'], ebgpAttrs, E1);
    assert.deepEqual(rib.takeOutbound(E2, 2).announce[0]?.prefixes, ['10.1.0.0/16', '10.2.0.0/16']);
    assert.equal(rib.hasOutbound(E2), true);
    assert.deepEqual(rib.takeOutbound(E2, 2).announce[0]?.prefixes, ['10.3.0.0/16']);
  });

  it('session start: full advertisement, and each family reported complete once (for End-of-RIB)', () => {
    const rib = setup();
    rib.announce(E1, 1, ['10.1.0.0/16'], ebgpAttrs, E1);
    rib.peerDown(E2, { graceful: false });
    rib.peerUp(E2, { routerId: '10.0.0.2', localAddress: SELF });
    const first = rib.takeOutbound(E2, 1);
    assert.deepEqual(first.announce[0]?.prefixes, ['10.1.0.0/16']);
    assert.deepEqual(first.completed, [1, 2]);
    assert.deepEqual(rib.takeOutbound(E2).completed, []);
  });

  it('route refresh re-advertises unchanged routes', () => {
    const rib = setup();
    rib.announce(E1, 1, ['10.1.0.0/16', '10.2.0.0/16'], ebgpAttrs, E1);
    rib.takeOutbound(E2);
    assert.deepEqual(rib.takeOutbound(E2).announce, []);
    rib.routeRefresh(E2, 1);
    const again = rib.takeOutbound(E2);
    assert.deepEqual(again.announce[0]?.prefixes, ['10.1.0.0/16', '10.2.0.0/16']);
    assert.deepEqual(again.completed, [1]);
    assert.throws(() => rib.routeRefresh('192.0.2.99', 1), /no peer/);
  });

  it('RFC 8212: an eBGP peer without export policy gets nothing; export filters decide per prefix', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({ address: E1, asn: 65001 });
    rib.addPeer({
      address: E2,
      asn: 65002,
      exportPolicy: { rules: [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' }] },
    });
    rib.peerUp(E1, { routerId: '10.0.0.1', localAddress: SELF });
    rib.peerUp(E2, { routerId: '10.0.0.2', localAddress: SELF });
    rib.originate('10.244.1.0/24');
    rib.originate('10.245.0.0/24');
    assert.deepEqual(rib.takeOutbound(E1).announce, []);
    assert.deepEqual(rib.takeOutbound(E2).announce[0]?.prefixes, ['10.244.1.0/24']);
    // A new export policy takes effect on the next take.
    rib.setPolicy(E1, { exportPolicy: { rules: [], defaultAction: 'permit' } });
    const after = rib.takeOutbound(E1);
    assert.deepEqual(after.announce[0]?.prefixes, ['10.244.1.0/24', '10.245.0.0/24']);
    assert.deepEqual(after.completed, [], 'a policy change is not a new End-of-RIB');
    rib.setPolicy(E1, { exportPolicy: null });
    assert.deepEqual(rib.takeOutbound(E1).withdraw[0]?.prefixes, ['10.244.1.0/24', '10.245.0.0/24']);
  });

  it('without a local address for the family, nothing that needs next-hop-self is sent', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
    rib.addPeer({ address: E1, asn: 65001, exportPolicy: permit });
    rib.peerUp(E1, { routerId: '10.0.0.1', localAddress: SELF });
    rib.originate('2001:db8:244::/64');
    assert.deepEqual(rib.takeOutbound(E1).announce, []);
  });

  it('a peer that is down has no Adj-RIB-Out', () => {
    const rib = setup();
    rib.peerDown(E1, { graceful: true });
    assert.throws(() => rib.takeOutbound(E1), /not established/);
    assert.equal(rib.advertised(E1, 1, '10.1.0.0/16'), undefined);
  });

  it('prependAs starts a new segment when the path starts with a set or the sequence is full', () => {
    assert.deepEqual(prependAs([], 1), [{ type: 'sequence', asns: [1] }]);
    assert.deepEqual(prependAs([{ type: 'set', asns: [5, 6] }], 1), [
      { type: 'sequence', asns: [1] },
      { type: 'set', asns: [5, 6] },
    ]);
    const full = Array.from({ length: 255 }, (_, i) => i + 2);
    const r = prependAs([{ type: 'sequence', asns: full }], 1);
    assert.equal(r.length, 2);
    assert.deepEqual(r[0], { type: 'sequence', asns: [1] });
  });
});
