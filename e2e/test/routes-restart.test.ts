// Restart safety on the real kernel: 2,000 routes of ours survive stop(); a new reconciler adopts them, removes
// nothing before initialStateComplete(), and then removes exactly the 50 that are no longer desired.
import assert from 'node:assert/strict';
import { IpRouteTable, GANNET_ROUTE_PROTOCOL as P, type Route, RouteReconciler } from '@gannet/routes';
import type { Netns, TestNet } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { dstsOf, ipBatch, routesNamespace } from './routes-fixture.js';

const prefix = (i: number) => `10.${200 + (i >> 8)}.${i & 255}.0/24`;

describe('routes e2e: restart with 2,000 routes of which 50 are stale', function () {
  this.timeout(60_000);
  let net: TestNet;
  let ns: Netns;

  before(function () {
    requireRoot(this);
    ({ net, ns } = routesNamespace('rr'));
  });
  after(async () => {
    await net?.cleanup();
  });

  it('keeps everything until the initial state is complete, then removes exactly the stale 50', async () => {
    const all: Route[] = Array.from({ length: 2000 }, (_, i) => ({
      dst: prefix(i),
      type: 'unicast',
      nexthops: [{ via: `192.0.2.${2 + (i % 3)}` }],
    }));
    // A first agent installs all 2,000, then stops: nothing is flushed.
    const k1 = new IpRouteTable({ netns: ns.name });
    const first = new RouteReconciler({ kernel: k1 });
    first.setDesired(all);
    await first.start();
    await first.stop();
    await k1.close();
    // An alien route and a pod host route live alongside.
    ipBatch(ns, [
      'route add 10.199.0.0/24 via 192.0.2.9 proto static',
      'route add 10.244.1.5 dev v1 proto kernel scope link',
    ]);
    assert.equal(dstsOf(ns, P).length, 2000, 'stop() removed nothing');

    const stale = new Set(Array.from({ length: 50 }, (_, i) => prefix(i * 40 + 7)));
    const keep = all.filter((r) => !stale.has(r.dst));
    const k2 = new IpRouteTable({ netns: ns.name });
    const second = new RouteReconciler({ kernel: k2, resyncIntervalMs: 60_000 });
    try {
      second.setDesired(keep.slice(0, 1000)); // peers come back one by one: half the routes known at start
      await second.start();
      assert.equal(dstsOf(ns, P).length, 2000, 'nothing removed at start');
      assert.equal(second.status().stale, 1000);
      second.setDesired(keep);
      await second.settled();
      assert.equal(dstsOf(ns, P).length, 2000, 'nothing removed before the initial-state signal');
      assert.equal(second.status().stale, 50);
      assert.equal(second.status().counters.applies, 0, 'the adopted routes were already right: nothing written');

      second.initialStateComplete();
      await second.settled();
      const after = dstsOf(ns, P);
      assert.equal(after.length, 1950);
      const removed = all.map((r) => r.dst).filter((d) => !after.includes(d));
      assert.deepEqual(removed.sort(), [...stale].sort(), 'exactly the 50 stale routes were removed');
      assert.equal(second.status().counters.routesDeleted, 50);
      assert.deepEqual(dstsOf(ns, 4), ['10.199.0.0/24'], 'the static route is untouched');
      assert.deepEqual(
        dstsOf(ns, 2).filter((d) => d.startsWith('10.244.')),
        ['10.244.1.5'],
        'the pod route too',
      );
    } finally {
      await second.stop();
      await k2.close();
    }
  });
});
