import assert from 'node:assert/strict';
import { type DecisionOptions, defaultDecisionOptions, selectBest } from '../../src/rib/decision.js';
import type { RibPath } from '../../src/rib/path.js';
import { LOCAL_ASN, path, seq } from './helpers.js';

const single: DecisionOptions = { ...defaultDecisionOptions, maxPaths: 1 };

// Each row: candidates where the first one must win, and the step that must decide it.
const steps: { name: string; win: RibPath; lose: RibPath; reason: string; opts?: Partial<DecisionOptions> }[] = [
  {
    name: 'locally originated over learned',
    win: path({ kind: 'local' }),
    lose: path({ kind: 'ibgp', peer: '192.0.2.9', attrs: { origin: 0, asPath: [], localPref: 500 } }),
    reason: 'local-origin',
  },
  {
    name: 'highest LOCAL_PREF (iBGP)',
    win: path({
      kind: 'ibgp',
      peer: '192.0.2.2',
      attrs: { origin: 0, asPath: seq(65001, 65002, 65003), localPref: 200 },
    }),
    lose: path({ kind: 'ibgp', peer: '192.0.2.3', attrs: { origin: 0, asPath: seq(65001), localPref: 150 } }),
    reason: 'local-pref',
  },
  {
    name: 'eBGP-learned gets the default LOCAL_PREF 100 (its received LOCAL_PREF is ignored)',
    win: path({ kind: 'ibgp', peer: '192.0.2.2', attrs: { origin: 2, asPath: seq(65009, 65008), localPref: 101 } }),
    lose: path({ kind: 'ebgp', peer: '192.0.2.3', attrs: { origin: 0, asPath: seq(65001), localPref: 900 } }),
    reason: 'local-pref',
  },
  {
    name: 'iBGP path without LOCAL_PREF counts as 100',
    win: path({ kind: 'ibgp', peer: '192.0.2.2', attrs: { origin: 0, asPath: seq(1, 2, 3), localPref: 101 } }),
    lose: path({ kind: 'ibgp', peer: '192.0.2.3', attrs: { origin: 0, asPath: seq(1) } }),
    reason: 'local-pref',
  },
  {
    name: 'shortest AS_PATH',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.9', attrs: { origin: 2, asPath: seq(65001, 65002) } }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.2', attrs: { origin: 0, asPath: seq(65001, 65002, 65003) } }),
    reason: 'as-path',
  },
  {
    name: 'an AS_SET counts as one',
    win: path({
      peer: '192.0.2.9',
      attrs: { origin: 0, asPath: [...(seq(65001) ?? []), { type: 'set', asns: [1, 2, 3, 4] }] },
    }),
    lose: path({ peer: '192.0.2.2', attrs: { origin: 0, asPath: seq(65001, 7, 8) } }),
    reason: 'as-path',
  },
  {
    name: 'confederation segments count zero',
    win: path({
      peer: '192.0.2.9',
      attrs: { origin: 0, asPath: [{ type: 'confed-sequence', asns: [1, 2, 3] }, ...(seq(65001) ?? [])] },
    }),
    lose: path({ peer: '192.0.2.2', attrs: { origin: 0, asPath: seq(65001, 7) } }),
    reason: 'as-path',
  },
  {
    name: 'lowest ORIGIN (IGP < EGP)',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.9', attrs: { origin: 0, asPath: seq(65001) } }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.2', attrs: { origin: 1, asPath: seq(65001) } }),
    reason: 'origin',
  },
  {
    name: 'lowest ORIGIN (EGP < INCOMPLETE)',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.9', attrs: { origin: 1, asPath: seq(65001) } }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.2', attrs: { origin: 2, asPath: seq(65001) } }),
    reason: 'origin',
  },
  {
    name: 'lowest MED from the same neighbouring AS',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.9', attrs: { origin: 0, asPath: seq(65001), med: 5 } }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.2', attrs: { origin: 0, asPath: seq(65001), med: 10 } }),
    reason: 'med',
  },
  {
    name: 'missing MED is 0 (lowest)',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.9', attrs: { origin: 0, asPath: seq(65001) } }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.2', attrs: { origin: 0, asPath: seq(65001), med: 1 } }),
    reason: 'med',
  },
  {
    name: 'MED across neighbouring ASes only with always-compare',
    win: path({
      peer: '192.0.2.9',
      asn: 65002,
      routerId: '10.0.0.9',
      attrs: { origin: 0, asPath: seq(65002), med: 1 },
    }),
    lose: path({
      peer: '192.0.2.2',
      asn: 65001,
      routerId: '10.0.0.2',
      attrs: { origin: 0, asPath: seq(65001), med: 2 },
    }),
    reason: 'med',
    opts: { alwaysCompareMed: true },
  },
  {
    name: 'eBGP over iBGP',
    win: path({ kind: 'ebgp', peer: '192.0.2.9', routerId: '10.0.0.9', attrs: { origin: 0, asPath: seq(65001) } }),
    lose: path({ kind: 'ibgp', peer: '192.0.2.2', routerId: '10.0.0.2', attrs: { origin: 0, asPath: seq(65001) } }),
    reason: 'ebgp-over-ibgp',
  },
  {
    name: 'lowest router id',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.2' }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.10' }),
    reason: 'router-id',
  },
  {
    name: 'router id compared as a number, not as text',
    win: path({ peer: '192.0.2.9', routerId: '9.0.0.1' }),
    lose: path({ peer: '192.0.2.2', routerId: '10.0.0.1' }),
    reason: 'router-id',
  },
  {
    name: 'lowest peer address (numerically)',
    win: path({ peer: '192.0.2.9', routerId: '10.0.0.1' }),
    lose: path({ peer: '192.0.2.10', routerId: '10.0.0.1' }),
    reason: 'peer-address',
  },
];

describe('decision process (RFC 4271 §9.1.2)', () => {
  for (const row of steps) {
    it(`${row.name}: wins in either order with reason ${row.reason}`, () => {
      const opts = { ...single, ...row.opts };
      for (const cands of [
        [row.win, row.lose],
        [row.lose, row.win],
      ]) {
        const s = selectBest(cands, opts);
        assert.equal(s.best, row.win);
        assert.equal(s.reason, row.reason);
        assert.deepEqual(s.ecmp, [row.win]);
      }
    });
  }

  it('without always-compare, MED between different neighbouring ASes is not compared', () => {
    const a = path({
      peer: '192.0.2.2',
      asn: 65001,
      routerId: '10.0.0.2',
      attrs: { origin: 0, asPath: seq(65001), med: 50 },
    });
    const b = path({
      peer: '192.0.2.3',
      asn: 65002,
      routerId: '10.0.0.3',
      attrs: { origin: 0, asPath: seq(65002), med: 1 },
    });
    const s = selectBest([b, a], single);
    assert.equal(s.best, a); // decided by router id
    assert.equal(s.reason, 'router-id');
  });

  it('MED elimination is per neighbouring AS and independent of candidate order', () => {
    // Classic non-transitivity case: pairwise comparison would depend on order.
    const a = path({
      peer: '192.0.2.1',
      asn: 65001,
      routerId: '10.0.0.3',
      attrs: { origin: 0, asPath: seq(65001), med: 10 },
    });
    const b = path({
      peer: '192.0.2.2',
      asn: 65001,
      routerId: '10.0.0.1',
      attrs: { origin: 0, asPath: seq(65001), med: 20 },
    });
    const c = path({
      peer: '192.0.2.3',
      asn: 65002,
      routerId: '10.0.0.2',
      attrs: { origin: 0, asPath: seq(65002), med: 5 },
    });
    const orders = [
      [a, b, c],
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ];
    for (const o of orders) assert.equal(selectBest(o, single).best, c); // b is out (MED), then c's router id < a's
  });

  it('unreachable next hops are not eligible; all unreachable → no best', () => {
    const a = path({ peer: '192.0.2.1', routerId: '10.0.0.1', nh: '198.51.100.1' });
    const b = path({ peer: '192.0.2.2', routerId: '10.0.0.2', nh: '198.51.100.2' });
    const opts = { ...single, isReachable: (nh: string) => nh !== '198.51.100.1' };
    const s = selectBest([a, b], opts);
    assert.equal(s.best, b);
    assert.equal(s.reason, 'nexthop-unreachable');
    const none = selectBest([a], opts);
    assert.equal(none.best, undefined);
    assert.deepEqual(none.nexthops, []);
    assert.equal(none.reason, 'nexthop-unreachable');
    assert.equal(selectBest([], opts).best, undefined);
  });

  it('locally originated paths are always reachable', () => {
    const l = path({ kind: 'local' });
    const s = selectBest([l], { ...single, isReachable: () => false });
    assert.equal(s.best, l);
    assert.deepEqual(s.nexthops, []);
  });
});

describe('ECMP set formation', () => {
  const mp: DecisionOptions = { ...defaultDecisionOptions, maxPaths: 4 };
  const p1 = path({ peer: '192.0.2.1', asn: 65001, routerId: '10.0.0.3', attrs: { origin: 0, asPath: seq(65001, 1) } });
  const p2 = path({ peer: '192.0.2.2', asn: 65002, routerId: '10.0.0.1', attrs: { origin: 0, asPath: seq(65002, 1) } });
  const p3 = path({
    peer: '192.0.2.10',
    asn: 65001,
    routerId: '10.0.0.2',
    attrs: { origin: 0, asPath: seq(65001, 1) },
  });

  it('keeps paths equal up to the router-id tie-break together, best first, next hops sorted numerically', () => {
    const s = selectBest([p1, p3, p2], mp);
    assert.equal(s.best, p2);
    assert.deepEqual(s.ecmp, [p2, p3, p1]);
    assert.deepEqual(s.nexthops, ['192.0.2.1', '192.0.2.2', '192.0.2.10']);
    assert.equal(s.reason, 'multipath');
  });

  it('requires equal AS_PATH length (a longer path is not in the set)', () => {
    const longer = path({
      peer: '192.0.2.5',
      asn: 65001,
      routerId: '10.0.0.0',
      attrs: { origin: 0, asPath: seq(65001, 1, 2) },
    });
    const s = selectBest([p1, longer, p2], mp);
    assert.deepEqual(s.ecmp, [p2, p1]);
  });

  it('optionally requires the same neighbouring AS', () => {
    const s = selectBest([p1, p2, p3], { ...mp, multipathSameNeighborAs: true });
    assert.equal(s.best, p2);
    assert.deepEqual(s.ecmp, [p2]);
    assert.deepEqual(s.nexthops, ['192.0.2.2']);
    const t = selectBest([p1, p3], { ...mp, multipathSameNeighborAs: true });
    assert.deepEqual(t.ecmp, [p3, p1]);
  });

  it('never mixes eBGP and iBGP paths, and respects maxPaths', () => {
    const i = path({
      kind: 'ibgp',
      peer: '192.0.2.7',
      routerId: '10.0.0.0',
      attrs: { origin: 0, asPath: seq(65001, 1) },
    });
    assert.deepEqual(selectBest([p1, i, p2, p3], mp).ecmp, [p2, p3, p1]);
    assert.deepEqual(selectBest([p1, p2, p3], { ...mp, maxPaths: 2 }).ecmp, [p2, p3]);
  });

  it('deduplicates next hops shared by several paths', () => {
    const a = path({ peer: '192.0.2.1', routerId: '10.0.0.1', nh: '198.51.100.1' });
    const b = path({ peer: '192.0.2.2', routerId: '10.0.0.2', nh: '198.51.100.1' });
    assert.deepEqual(selectBest([a, b], mp).nexthops, ['198.51.100.1']);
  });

  it('local ASN constant is what the helpers use', () => {
    assert.equal(path({ kind: 'ibgp' }).neighborAs, LOCAL_ASN);
  });
});
