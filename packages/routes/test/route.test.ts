import assert from 'node:assert/strict';
import { normalizeRoute, type Route, RoutesError } from '../src/index.js';
import { routeKey, routeMatches, sameRoute } from '../src/route.js';

const code = (e: unknown) => e instanceof RoutesError && e.code === 'ERR_GANNET_ROUTES_INVALID_ROUTE';

describe('normalizeRoute', () => {
  it('fills in defaults, canonicalises, sorts next hops and drops default weights', () => {
    const n = normalizeRoute({
      dst: '10.1.0.0/24',
      type: 'unicast',
      nexthops: [
        { via: '192.0.2.3', weight: 1 },
        { via: '192.0.2.2', dev: 'eth0', weight: 2 },
      ],
    });
    assert.deepEqual(n, {
      dst: '10.1.0.0/24',
      type: 'unicast',
      nexthops: [{ via: '192.0.2.2', dev: 'eth0', weight: 2 }, { via: '192.0.2.3' }],
      metric: 0,
      table: 254,
      family: 4,
    });
    const v6 = normalizeRoute(
      { dst: '2001:db8::/32', type: 'unicast', nexthops: [{ via: '2001:DB8::1', weight: 7 }] },
      100,
    );
    assert.equal(v6.metric, 1024);
    assert.equal(v6.table, 100);
    assert.deepEqual(v6.nexthops, [{ via: '2001:db8::1' }], 'a single next hop has no weight');
    assert.equal(routeKey(v6), '2001:db8::/32', 'the default metric keys by destination alone');
    assert.equal(routeKey({ ...v6, metric: 5 }), '2001:db8::/32 5');
  });

  it('accepts an IPv6 gateway for an IPv4 route with a device, and onlink with a device', () => {
    const n = normalizeRoute({ dst: '10.1.0.0/24', type: 'unicast', nexthops: [{ via: 'fe80::1', dev: 'eth0' }] });
    assert.equal(n.nexthops[0]?.via, 'fe80::1');
    const o = normalizeRoute({
      dst: '10.1.0.0/24',
      type: 'unicast',
      nexthops: [{ via: '192.0.2.1', dev: 'e', onlink: true }],
    });
    assert.equal(o.nexthops[0]?.onlink, true);
  });

  it('refuses malformed routes with a message naming the route', () => {
    const bad: [unknown, RegExp][] = [
      [null, /not an object/],
      [{ dst: '10.0.0.0/8', type: 'local', nexthops: [] }, /unknown type "local"/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [] }, /needs a next hop/],
      [{ dst: '10.0.0.0/8', type: 'blackhole', nexthops: [{ via: '192.0.2.1' }] }, /has no next hops/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: 'x' }, /must be an array/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [null] }, /not an object/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1', dev: 'a b' }] }, /bad device name/],
      [
        { dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1', dev: 'x'.repeat(16) }] },
        /bad device name/,
      ],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: 'fe80::1' }] }, /another family needs dev/],
      [
        { dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1', onlink: true }] },
        /onlink next hop needs dev/,
      ],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1', weight: 0 }] }, /weight must be/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1', weight: 257 }] }, /weight must be/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1' }, { via: '192.0.2.1' }] }, /given twice/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1' }], metric: -1 }, /metric/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1' }], metric: 1.5 }, /metric/],
      [{ dst: '10.0.0.0/8', type: 'unicast', nexthops: [{ via: '192.0.2.1' }], table: 0 }, /table/],
      [{ dst: '10.0.0.1/8', type: 'unicast', nexthops: [{ via: '192.0.2.1' }] }, /host bits/],
      [
        {
          dst: '10.0.0.0/8',
          type: 'unicast',
          nexthops: Array.from({ length: 51 }, (_, i) => ({ via: `192.0.2.${i}` })),
        },
        /at most 50 next hops/,
      ],
    ];
    for (const [route, msg] of bad) {
      assert.throws(
        () => normalizeRoute(route as Route),
        (e: Error) => code(e) && msg.test(e.message),
        String(msg),
      );
    }
  });
});

describe('routeMatches', () => {
  const want = normalizeRoute({
    dst: '10.1.0.0/24',
    type: 'unicast',
    nexthops: [{ via: '192.0.2.1' }, { via: '192.0.2.2' }],
  });
  it('accepts the device the kernel chose when none was asked for', () => {
    const have = normalizeRoute({
      dst: '10.1.0.0/24',
      type: 'unicast',
      nexthops: [
        { via: '192.0.2.2', dev: 'v0' },
        { via: '192.0.2.1', dev: 'v0' },
      ],
    });
    assert.ok(routeMatches(want, have));
    assert.ok(!sameRoute(want, have), 'but they are not the same request');
  });
  it('sees changed next hops, weights, onlink, type and metric', () => {
    const base = { dst: '10.1.0.0/24', type: 'unicast' as const };
    const variants: Route[] = [
      { ...base, nexthops: [{ via: '192.0.2.1' }] },
      { ...base, nexthops: [{ via: '192.0.2.1' }, { via: '192.0.2.3' }] },
      { ...base, nexthops: [{ via: '192.0.2.1', weight: 2 }, { via: '192.0.2.2' }] },
      { ...base, nexthops: [{ via: '192.0.2.1', dev: 'a', onlink: true }, { via: '192.0.2.2' }] },
      { ...base, nexthops: [{ via: '192.0.2.1' }, { via: '192.0.2.2' }], metric: 5 },
      { dst: '10.1.0.0/24', type: 'blackhole', nexthops: [] },
    ];
    for (const v of variants) assert.ok(!routeMatches(want, normalizeRoute(v)), JSON.stringify(v));
    const devWanted = normalizeRoute({ ...base, nexthops: [{ via: '192.0.2.1', dev: 'a' }] });
    assert.ok(!routeMatches(devWanted, normalizeRoute({ ...base, nexthops: [{ via: '192.0.2.1', dev: 'b' }] })));
  });
});
