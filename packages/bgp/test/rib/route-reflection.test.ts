// Route reflection (RFC 4456) in the RIB: which iBGP peer gets which route, the attributes a reflected route carries,
// the loop checks on import, and the §9 tie-breaks.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { BgpConfigError } from '../../src/errors.js';
import { selectBest } from '../../src/rib/decision.js';
import { exportBlock } from '../../src/rib/export-path.js';
import { Rib } from '../../src/rib/rib.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { LOCAL_ASN, path } from './helpers.js';

const RR_ID = '10.0.0.254';
const CLUSTER = '10.255.0.1';
const C1 = '192.0.2.11'; // client, router id 10.0.0.11
const C2 = '192.0.2.12'; // client
const N1 = '192.0.2.21'; // non-client iBGP (another reflector, say)
const N2 = '192.0.2.22'; // non-client iBGP
const E = '192.0.2.31'; // eBGP, AS 65001
const P1 = '10.244.1.0/24';
const permit = { rules: [], defaultAction: 'permit' as const };
const IBGP: PathAttributes = { origin: 0, asPath: [] };

function id(address: string): string {
  return `10.0.0.${address.split('.')[3]}`;
}

function reflector(opts: { clusterId?: string } = { clusterId: CLUSTER }): Rib {
  const rib = new Rib({ localAsn: LOCAL_ASN, routerId: RR_ID, routeReflector: opts });
  for (const a of [C1, C2]) rib.addPeer({ address: a, asn: LOCAL_ASN, routeReflectorClient: true });
  for (const a of [N1, N2]) rib.addPeer({ address: a, asn: LOCAL_ASN });
  rib.addPeer({ address: E, asn: 65001, importPolicy: permit, exportPolicy: permit });
  for (const a of [C1, C2, N1, N2, E]) rib.peerUp(a, { routerId: id(a), localAddress: '192.0.2.254' });
  return rib;
}

/** Who got an announcement for `prefix` on the next take(), and with what. */
function sent(rib: Rib, prefix: string) {
  const out = new Map<string, { nextHop: string; attributes: PathAttributes }>();
  for (const a of [C1, C2, N1, N2, E]) {
    for (const g of rib.takeOutbound(a).announce) {
      if (g.prefixes.includes(prefix)) out.set(a, { nextHop: g.nextHop, attributes: g.attributes as PathAttributes });
    }
  }
  return out;
}

describe('Rib: route reflection (RFC 4456)', () => {
  it('a client route goes to every peer: other clients, non-clients (next hop kept, RR attributes) and eBGP', () => {
    const rib = reflector();
    sent(rib, P1); // the initial (empty) advertisements
    rib.announce(C1, 1, [P1], { ...IBGP, nextHop: '172.30.0.11', localPref: 100 }, '172.30.0.11');
    const got = sent(rib, P1);
    assert.deepEqual([...got.keys()].sort(), [C2, N1, N2, E].sort());
    for (const a of [C2, N1, N2]) {
      const r = got.get(a);
      assert.equal(r?.nextHop, '172.30.0.11', `${a}: next hop unchanged`);
      assert.equal(r?.attributes.originatorId, '10.0.0.11', `${a}: ORIGINATOR_ID is the client's router id`);
      assert.deepEqual(r?.attributes.clusterList, [CLUSTER]);
      assert.equal(r?.attributes.localPref, 100);
    }
    const e = got.get(E);
    assert.equal(e?.nextHop, '192.0.2.254', 'eBGP: next hop self');
    assert.equal(e?.attributes.originatorId, undefined, 'eBGP: no ORIGINATOR_ID');
    assert.equal(e?.attributes.clusterList, undefined, 'eBGP: no CLUSTER_LIST');
  });

  it('a non-client route goes to clients only (and eBGP), never to another non-client', () => {
    const rib = reflector();
    sent(rib, P1);
    rib.announce(N1, 1, [P1], { ...IBGP, nextHop: '172.30.0.21' }, '172.30.0.21');
    const got = sent(rib, P1);
    assert.deepEqual([...got.keys()].sort(), [C1, C2, E].sort());
    assert.equal(got.get(C1)?.nextHop, '172.30.0.21');
    assert.deepEqual(got.get(C1)?.attributes.clusterList, [CLUSTER]);
  });

  it('an existing ORIGINATOR_ID is kept and our cluster ID is prepended to the CLUSTER_LIST', () => {
    const rib = reflector();
    sent(rib, P1);
    const attrs = { ...IBGP, nextHop: '172.30.0.99', originatorId: '10.9.9.9', clusterList: ['10.255.0.7'] };
    rib.announce(N1, 1, [P1], attrs, '172.30.0.99');
    const r = sent(rib, P1).get(C1);
    assert.equal(r?.attributes.originatorId, '10.9.9.9');
    assert.deepEqual(r?.attributes.clusterList, [CLUSTER, '10.255.0.7']);
  });

  it('eBGP-learned and local routes go to every iBGP peer as before, without RR attributes', () => {
    const rib = reflector();
    sent(rib, P1);
    rib.announce(E, 1, [P1], { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: E }, E);
    rib.originate('10.244.9.0/24');
    const got = sent(rib, P1);
    assert.deepEqual([...got.keys()].sort(), [C1, C2, N1, N2].sort());
    for (const r of got.values()) {
      assert.equal(r.attributes.originatorId, undefined);
      assert.equal(r.attributes.clusterList, undefined);
    }
  });

  it('a route is never sent to the peer whose router id is its ORIGINATOR_ID', () => {
    const rib = reflector();
    sent(rib, P1);
    rib.announce(N1, 1, [P1], { ...IBGP, nextHop: '172.30.0.11', originatorId: id(C1) }, '172.30.0.11');
    const got = sent(rib, P1);
    assert.deepEqual([...got.keys()].sort(), [C2, E].sort());
  });

  it('a reflected route is one shared object in every iBGP peer’s Adj-RIB-Out (eBGP gets its own)', () => {
    const rib = reflector();
    sent(rib, P1);
    rib.announce(C1, 1, [P1], { ...IBGP, nextHop: '172.30.0.11' }, '172.30.0.11');
    sent(rib, P1);
    const c2 = rib.advertised(C2, 1, P1);
    assert.ok(c2);
    assert.equal(rib.advertised(N1, 1, P1), c2);
    assert.equal(rib.advertised(N2, 1, P1), c2);
    assert.notEqual(rib.advertised(E, 1, P1), c2);
    // Another reflector (another cluster ID) in the same process gets its own form.
    const other = reflector({ clusterId: '10.255.0.2' });
    sent(other, P1);
    other.announce(C1, 1, [P1], { ...IBGP, nextHop: '172.30.0.11' }, '172.30.0.11');
    sent(other, P1);
    assert.deepEqual(other.advertised(C2, 1, P1)?.attributes.clusterList, ['10.255.0.2']);
  });

  it('the cluster ID defaults to the router ID', () => {
    const rib = reflector({});
    sent(rib, P1);
    rib.announce(C1, 1, [P1], { ...IBGP, nextHop: '172.30.0.11' }, '172.30.0.11');
    assert.deepEqual(sent(rib, P1).get(C2)?.attributes.clusterList, [RR_ID]);
  });

  it('loop: a route with our router ID as ORIGINATOR_ID is ignored (counted, kept as rejected)', () => {
    const rib = reflector();
    const r = rib.announce(N1, 1, [P1], { ...IBGP, nextHop: '172.30.0.21', originatorId: RR_ID }, '172.30.0.21');
    assert.deepEqual(r.changes, []);
    assert.equal(rib.lookup(1, P1), undefined);
    assert.equal(rib.counters(N1).reflectionLoopRejected, 1);
    assert.equal(rib.counters(N1).received, 1);
    assert.equal(rib.counters(N1).accepted, 0);
  });

  it('loop: a route whose CLUSTER_LIST holds our cluster ID is ignored, wherever in the list', () => {
    const rib = reflector();
    for (const list of [[CLUSTER], ['10.255.0.7', CLUSTER]]) {
      const r = rib.announce(N1, 1, [P1], { ...IBGP, nextHop: '172.30.0.21', clusterList: list }, '172.30.0.21');
      assert.deepEqual(r.changes, []);
    }
    assert.equal(rib.counters(N1).reflectionLoopRejected, 2);
    // Another cluster's list is fine, and replaces the rejected one.
    const ok = rib.announce(N1, 1, [P1], { ...IBGP, nextHop: '172.30.0.21', clusterList: ['10.255.0.7'] }, '1.1.1.1');
    assert.equal(ok.changes.length, 1);
  });

  it('loop: a client (no cluster ID) still ignores its own ORIGINATOR_ID but not CLUSTER_LISTs', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.11' });
    rib.addPeer({ address: '192.0.2.254', asn: LOCAL_ASN });
    const own = rib.announce(
      '192.0.2.254',
      1,
      [P1],
      { ...IBGP, nextHop: '172.30.0.11', originatorId: '10.0.0.11' },
      '172.30.0.11',
    );
    assert.deepEqual(own.changes, []);
    const other = rib.announce(
      '192.0.2.254',
      1,
      ['10.244.2.0/24'],
      { ...IBGP, nextHop: '172.30.0.12', originatorId: '10.0.0.12', clusterList: [RR_ID] },
      '172.30.0.12',
    );
    assert.equal(other.changes.length, 1);
    assert.equal(rib.counters('192.0.2.254').reflectionLoopRejected, 1);
  });

  it('without routeReflector, iBGP split horizon holds and a client flag is refused', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: RR_ID });
    assert.throws(
      () => rib.addPeer({ address: C1, asn: LOCAL_ASN, routeReflectorClient: true }),
      (e: unknown) => e instanceof BgpConfigError && /needs the routeReflector option/.test(e.message),
    );
    rib.addPeer({ address: N1, asn: LOCAL_ASN });
    rib.addPeer({ address: N2, asn: LOCAL_ASN });
    rib.peerUp(N1, { routerId: '10.0.0.21' });
    rib.peerUp(N2, { routerId: '10.0.0.22' });
    rib.takeOutbound(N2);
    rib.announce(N1, 1, [P1], { ...IBGP, nextHop: '172.30.0.21' }, '172.30.0.21');
    assert.deepEqual(rib.takeOutbound(N2).announce, []);
  });

  it('bad configuration: an eBGP client, a cluster ID that is not a dotted quad', () => {
    const rib = new Rib({ localAsn: LOCAL_ASN, routerId: RR_ID, routeReflector: {} });
    assert.throws(() => rib.addPeer({ address: E, asn: 65001, routeReflectorClient: true }), /must be iBGP/);
    assert.throws(
      () => new Rib({ localAsn: LOCAL_ASN, routerId: RR_ID, routeReflector: { clusterId: '10.1' } }),
      /clusterId must be a dotted quad/,
    );
  });

  it('exportBlock names the reason', () => {
    const t = (client: boolean, clusterId: string | undefined, routerId = '10.0.0.50') => ({
      source: { ...path({ kind: 'ibgp', peer: '192.0.2.50', routerId }).source, rrClient: client },
      localAsn: LOCAL_ASN,
      nextHopSelf: false,
      localAddress: '192.0.2.254',
      localAddress6: undefined,
      linkLocalAddress6: undefined,
      clusterId,
    });
    const fromNonClient = path({ kind: 'ibgp', peer: '192.0.2.60' });
    assert.equal(exportBlock(fromNonClient, t(false, undefined)), 'ibgp-split-horizon');
    assert.equal(exportBlock(fromNonClient, t(false, CLUSTER)), 'ibgp-split-horizon');
    assert.equal(exportBlock(fromNonClient, t(true, CLUSTER)), undefined);
    assert.equal(exportBlock(fromNonClient, t(true, CLUSTER, '10.0.0.1')), 'to-originator');
  });
});

describe('decision: RFC 4456 §9 tie-breaks', () => {
  const opts = { alwaysCompareMed: false, maxPaths: 1, multipathSameNeighborAs: false, isReachable: undefined };

  it('ORIGINATOR_ID stands in for the router id', () => {
    // Peer .1 has the lower router id, but its route carries ORIGINATOR_ID 10.9.9.9; peer .2's has none.
    const a = path({
      kind: 'ibgp',
      peer: '192.0.2.1',
      routerId: '10.0.0.1',
      attrs: { ...IBGP, originatorId: '10.9.9.9' },
    });
    const b = path({ kind: 'ibgp', peer: '192.0.2.2', routerId: '10.0.0.2', attrs: IBGP });
    const s = selectBest([a, b], opts);
    assert.equal(s.best, b);
    assert.equal(s.reason, 'router-id');
  });

  it('equal originators: the shorter CLUSTER_LIST wins before the peer address', () => {
    const long = { ...IBGP, originatorId: '10.0.0.7', clusterList: ['10.255.0.1', '10.255.0.2'] };
    const short = { ...IBGP, originatorId: '10.0.0.7', clusterList: ['10.255.0.3'] };
    const a = path({ kind: 'ibgp', peer: '192.0.2.1', routerId: '10.0.0.1', attrs: long });
    const b = path({ kind: 'ibgp', peer: '192.0.2.2', routerId: '10.0.0.2', attrs: short });
    const s = selectBest([a, b], opts);
    assert.equal(s.best, b);
    assert.equal(s.reason, 'cluster-list');
    const c = path({ kind: 'ibgp', peer: '192.0.2.3', routerId: '10.0.0.3', attrs: short });
    assert.equal(selectBest([c, b], opts).reason, 'peer-address');
    assert.equal(selectBest([c, b], opts).best, b);
  });
});
