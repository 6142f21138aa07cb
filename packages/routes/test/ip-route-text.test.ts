import assert from 'node:assert/strict';
import { normalizeRoute, type Route } from '../src/index.js';
import { formatBatchLine, parseJsonRoute, parseMonitorLine } from '../src/ip-route-text.js';

const n = (r: Route, table = 254) => normalizeRoute(r, table);

describe('formatBatchLine', () => {
  it('writes add and replace lines leaving out main and the default metric, deletes with everything explicit', () => {
    const r = n({ dst: '10.1.0.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.2' }] });
    assert.equal(formatBatchLine({ op: 'add', route: r }, 71), 'route add 10.1.0.0/24 via 192.0.2.2 proto 71');
    assert.equal(formatBatchLine({ op: 'replace', route: r }, 71), 'route replace 10.1.0.0/24 via 192.0.2.2 proto 71');
    assert.equal(formatBatchLine({ op: 'delete', route: r }, 71), 'route del 10.1.0.0/24 table 254 proto 71 metric 0');
    const t = n({ dst: '10.1.0.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.2' }], metric: 0 }, 100);
    assert.equal(
      formatBatchLine({ op: 'add', route: t }, 71),
      'route add 10.1.0.0/24 via 192.0.2.2 proto 71 table 100',
    );
    const v6 = n({ dst: '2001:db8::/64', type: 'unicast', nexthops: [{ via: '2001:db8::2' }] });
    assert.equal(formatBatchLine({ op: 'add', route: v6 }, 71), 'route add 2001:db8::/64 via 2001:db8::2 proto 71');
    assert.equal(
      formatBatchLine({ op: 'delete', route: v6 }, 71),
      'route del 2001:db8::/64 table 254 proto 71 metric 1024',
    );
  });

  it('writes ECMP next hops with devices, weights and onlink; blackholes; foreign-family gateways', () => {
    const ecmp = n(
      {
        dst: '2001:db8:1::/64',
        type: 'unicast',
        nexthops: [
          { via: '2001:db8::3', weight: 3 },
          { via: '2001:db8::2', dev: 'v0', onlink: true },
        ],
        metric: 10,
      },
      100,
    );
    assert.equal(
      formatBatchLine({ op: 'replace', route: ecmp }, 71),
      'route replace 2001:db8:1::/64 proto 71 table 100 metric 10 nexthop via 2001:db8::2 dev v0 onlink nexthop via 2001:db8::3 weight 3',
    );
    const bh = n({ dst: '10.244.1.0/24', type: 'blackhole', nexthops: [], metric: 5 });
    assert.equal(formatBatchLine({ op: 'add', route: bh }, 71), 'route add blackhole 10.244.1.0/24 proto 71 metric 5');
    const v4v6 = n({ dst: '10.2.0.0/24', type: 'unicast', nexthops: [{ via: 'fe80::1', dev: 'eth0' }] });
    assert.equal(
      formatBatchLine({ op: 'add', route: v4v6 }, 71),
      'route add 10.2.0.0/24 via inet6 fe80::1 dev eth0 proto 71',
    );
  });
});

describe('parseJsonRoute', () => {
  // Objects as `ip -j -N route show table T proto 71` printed them (iproute2 6.1).
  it('reads single, multipath, blackhole, host and default routes into normal form', () => {
    assert.deepEqual(parseJsonRoute({ dst: '10.1.0.0/24', gateway: '192.0.2.2', dev: 'v0', flags: [] }, 4, 254), {
      dst: '10.1.0.0/24',
      type: 'unicast',
      nexthops: [{ via: '192.0.2.2', dev: 'v0' }],
      metric: 0,
      table: 254,
      family: 4,
    });
    assert.equal(
      parseJsonRoute({ dst: '10.1.3.5', gateway: '192.0.2.2', dev: 'v0', flags: [] }, 4, 254)?.dst,
      '10.1.3.5/32',
    );
    assert.equal(parseJsonRoute({ dst: 'default', gateway: '192.0.2.9', flags: [] }, 4, 100)?.dst, '0.0.0.0/0');
    assert.equal(parseJsonRoute({ dst: 'default', gateway: 'fe80::1', dev: 'v0', flags: [] }, 6, 100)?.dst, '::/0');
    const mp = parseJsonRoute(
      {
        dst: '2001:db8:2::/64',
        metric: 1024,
        flags: [],
        nexthops: [
          { gateway: '2001:db8::3', dev: 'v0', weight: 1, flags: [] },
          { gateway: '2001:db8::2', dev: 'v0', weight: 4, flags: ['onlink'] },
        ],
      },
      6,
      254,
    );
    assert.deepEqual(mp?.nexthops, [
      { via: '2001:db8::2', dev: 'v0', weight: 4, onlink: true },
      { via: '2001:db8::3', dev: 'v0' },
    ]);
    assert.deepEqual(parseJsonRoute({ type: '6', dst: '10.1.2.0/24', metric: 20, flags: [] }, 4, 254), {
      dst: '10.1.2.0/24',
      type: 'blackhole',
      nexthops: [],
      metric: 20,
      table: 254,
      family: 4,
    });
    assert.equal(
      parseJsonRoute({ type: 'blackhole', dst: '2001:db8:3::/64', dev: 'lo', metric: 1024 }, 6, 254)?.type,
      'blackhole',
    );
    const rfc5549 = parseJsonRoute(
      { dst: '10.1.4.0/24', via: { family: 'inet6', host: '2001:db8::2' }, dev: 'v0' },
      4,
      254,
    );
    assert.deepEqual(rfc5549?.nexthops, [{ via: '2001:db8::2', dev: 'v0' }]);
  });

  it('keeps a device-only route of ours as a route that matches nothing, and skips types it never writes', () => {
    const r = parseJsonRoute({ dst: '10.1.5.0/24', dev: 'v0', flags: [] }, 4, 254);
    assert.deepEqual(r?.nexthops, [{ via: '', dev: 'v0' }]);
    assert.equal(parseJsonRoute({ type: 'local', dst: '10.1.5.1' }, 4, 254), undefined);
    assert.equal(parseJsonRoute({ type: '2', dst: '10.1.5.1' }, 4, 254), undefined);
  });
});

describe('parseMonitorLine', () => {
  // Lines as `ip -o -N monitor route` printed them (iproute2 6.1).
  it('reads additions, deletions, blackholes, tables and protocols', () => {
    assert.deepEqual(parseMonitorLine('10.3.0.0/24 via 192.0.2.4 dev v0 proto 71 '), {
      deleted: false,
      dst: '10.3.0.0/24',
      metric: 0,
      table: 254,
      protocol: 71,
    });
    assert.deepEqual(parseMonitorLine('Deleted 10.3.0.0/24 via 192.0.2.4 dev v0 proto 71 '), {
      deleted: true,
      dst: '10.3.0.0/24',
      metric: 0,
      table: 254,
      protocol: 71,
    });
    assert.deepEqual(parseMonitorLine('6 10.3.2.0/24 proto 71 metric 20'), {
      deleted: false,
      dst: '10.3.2.0/24',
      metric: 20,
      table: 254,
      protocol: 71,
    });
    assert.deepEqual(parseMonitorLine('10.3.1.0/24 via 192.0.2.2 dev v0 table 100 proto 4 '), {
      deleted: false,
      dst: '10.3.1.0/24',
      metric: 0,
      table: 100,
      protocol: 4,
    });
    const mp = parseMonitorLine(
      '2001:db8:2::/64 proto 71 metric 1024 pref medium\\\tnexthop via 2001:db8::4 dev v0 weight 1 \\\tnexthop via 2001:db8::3 dev v0 weight 1 ',
    );
    assert.equal(mp?.dst, '2001:db8:2::/64');
    assert.equal(mp?.protocol, 71);
    assert.equal(mp?.metric, 1024);
    assert.equal(parseMonitorLine('Deleted 2001:db8:3::/64 via 2001:db8::2 dev v0 proto 71 pref medium')?.metric, 1024);
    assert.equal(parseMonitorLine('10.1.3.5 via 192.0.2.2 dev v0 proto 71')?.dst, '10.1.3.5/32');
  });

  it('leaves the destination unknown when it cannot tell, and ignores blank lines', () => {
    assert.equal(parseMonitorLine(''), undefined);
    assert.deepEqual(parseMonitorLine('default via 192.0.2.9 dev v0 table 100 proto 71'), {
      deleted: false,
      table: 100,
      protocol: 71,
    });
    assert.equal(parseMonitorLine('broadcast 192.0.2.255 dev v0 table 255 proto 2 scope link')?.dst, '192.0.2.255/32');
    assert.equal(parseMonitorLine('10.1.0.0/24 via 192.0.2.4 proto gannet')?.protocol, undefined);
  });
});
