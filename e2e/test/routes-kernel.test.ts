// @gannet/routes against the real kernel in a throwaway namespace: install, replace, delete, ECMP in place, IPv6,
// alien routes untouched, routes deleted by hand restored through the monitor, refused routes reported, a killed
// helper recovered from, and listing back exactly what was written (no write on resync).
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import {
  IpRouteTable,
  GANNET_ROUTE_PROTOCOL as P,
  type Route,
  RouteReconciler,
  writeRtProtosEntry,
} from '@gannet/routes';
import { type Netns, type TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { dstsOf, kernelRoutes, routesNamespace } from './routes-fixture.js';

const uni = (dst: string, ...vias: string[]): Route => ({
  dst,
  type: 'unicast',
  nexthops: vias.map((via) => ({ via })),
});

describe('routes e2e: reconciler on the real kernel', function () {
  this.timeout(60_000);
  let net: TestNet;
  let ns: Netns;
  let kernel: IpRouteTable;
  let rec: RouteReconciler;

  before(function () {
    requireRoot(this);
    ({ net, ns } = routesNamespace('rk'));
  });
  after(async () => {
    await net?.cleanup();
  });
  beforeEach(() => {
    kernel = new IpRouteTable({ netns: ns.name });
    rec = new RouteReconciler({ kernel, resyncIntervalMs: 60_000, retryIntervalMs: 200, watchDebounceMs: 20 });
  });
  afterEach(async () => {
    await rec.stop();
    await kernel.close();
    ns.ip('route', 'flush', 'table', 'main', 'proto', `${P}`);
    ns.ip('-6', 'route', 'flush', 'table', 'main', 'proto', `${P}`);
  });

  it('installs, replaces and deletes IPv4 routes, blackholes and host routes under protocol 71', async () => {
    rec.setDesired([
      uni('10.244.2.0/24', '192.0.2.2'),
      uni('10.244.3.7', '192.0.2.3'),
      { dst: '10.244.1.0/24', type: 'blackhole', nexthops: [] },
    ]);
    await rec.start();
    assert.deepEqual(dstsOf(ns, P), ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.7']);
    assert.equal(kernelRoutes(ns, 4, '10.244.1.0/24')[0]?.type, '6', 'a blackhole (RTN_BLACKHOLE)');
    rec.set(uni('10.244.2.0/24', '192.0.2.9'));
    await rec.settled();
    assert.equal(kernelRoutes(ns, 4, '10.244.2.0/24')[0]?.gateway, '192.0.2.9');
    rec.delete('10.244.3.7/32');
    await rec.settled();
    assert.deepEqual(dstsOf(ns, P), ['10.244.1.0/24', '10.244.2.0/24']);
    assert.equal(rec.status().installed, 2);
  });

  it('updates ECMP next hops (2 → 3 → 2) in place, never deleting the route in between', async () => {
    const deletions: string[] = [];
    const watcher = new IpRouteTable({ netns: ns.name });
    const unwatch = watcher.watch((ev) => {
      if (ev.kind === 'route' && ev.deleted && ev.dst === '10.50.0.0/24') deletions.push(ev.dst);
    });
    try {
      await waitFor('the watcher monitor', () => watcher.monitorPid !== undefined, { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 100));
      rec.setDesired([uni('10.50.0.0/24', '192.0.2.2', '192.0.2.3')]);
      await rec.start();
      const hops = () => (kernelRoutes(ns, 4, '10.50.0.0/24')[0]?.nexthops ?? []).map((h) => h.gateway).sort();
      assert.deepEqual(hops(), ['192.0.2.2', '192.0.2.3']);
      rec.setDesired([
        {
          dst: '10.50.0.0/24',
          type: 'unicast',
          nexthops: [{ via: '192.0.2.2' }, { via: '192.0.2.3' }, { via: '192.0.2.4', weight: 5 }],
        },
      ]);
      await rec.settled();
      assert.deepEqual(hops(), ['192.0.2.2', '192.0.2.3', '192.0.2.4']);
      assert.equal(kernelRoutes(ns, 4, '10.50.0.0/24')[0]?.nexthops?.find((h) => h.gateway === '192.0.2.4')?.weight, 5);
      rec.setDesired([uni('10.50.0.0/24', '192.0.2.4', '192.0.2.5')]);
      await rec.settled();
      assert.deepEqual(hops(), ['192.0.2.4', '192.0.2.5']);
      await new Promise((r) => setTimeout(r, 200));
      assert.deepEqual(deletions, [], 'the route was replaced, never deleted');
      assert.equal(rec.status().counters.routesReplaced, 2);
    } finally {
      unwatch();
      await watcher.close();
    }
  });

  it('handles IPv6: single, ECMP and blackhole routes, replaced and deleted', async () => {
    rec.setDesired([
      uni('2001:db8:1::/64', '2001:db8::2'),
      uni('2001:db8:2::/64', '2001:db8::2', '2001:db8::3'),
      { dst: '2001:db8:ff::/48', type: 'blackhole', nexthops: [] },
    ]);
    await rec.start();
    assert.deepEqual(dstsOf(ns, P), ['2001:db8:1::/64', '2001:db8:2::/64', '2001:db8:ff::/48']);
    rec.setDesired([uni('2001:db8:1::/64', '2001:db8::4', '2001:db8::5'), uni('2001:db8:2::/64', '2001:db8::3')]);
    await rec.settled();
    const r1 = kernelRoutes(ns, 6, '2001:db8:1::/64')[0];
    assert.deepEqual(r1?.nexthops?.map((h) => h.gateway).sort(), ['2001:db8::4', '2001:db8::5']);
    assert.equal(kernelRoutes(ns, 6, '2001:db8:2::/64')[0]?.gateway, '2001:db8::3');
    assert.deepEqual(dstsOf(ns, P), ['2001:db8:1::/64', '2001:db8:2::/64']);
    assert.equal(rec.status().failed, 0);
  });

  it('lists back exactly what it wrote: periodic resyncs write nothing', async () => {
    const fast = new RouteReconciler({ kernel, resyncIntervalMs: 100, watchDebounceMs: 20 });
    try {
      fast.setDesired(
        [
          uni('10.60.0.0/24', '192.0.2.2'),
          { dst: '10.60.1.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.2', weight: 2 }, { via: '192.0.2.3' }] },
          { dst: '10.60.2.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.2', dev: 'v0' }], metric: 77 },
          { dst: '10.60.3.0/24', type: 'unicast', nexthops: [{ via: '198.51.100.7', dev: 'v0', onlink: true }] },
          { dst: '10.60.4.0/24', type: 'blackhole', nexthops: [], metric: 5 },
          { dst: '10.60.5.0/24', type: 'unreachable', nexthops: [] },
          { dst: '10.60.6.0/24', type: 'unicast', nexthops: [{ via: '2001:db8::2', dev: 'v0' }] },
          { dst: 'default', type: 'unicast', nexthops: [{ via: '192.0.2.254' }], metric: 900 },
          uni('2001:db8:60::/64', '2001:db8::2'),
          { dst: '2001:db8:61::/64', type: 'unicast', nexthops: [{ via: '2001:db8::2' }, { via: '2001:db8::3' }] },
          { dst: '2001:db8:62::/64', type: 'blackhole', nexthops: [], metric: 10 },
        ].map((r) => (r.dst === 'default' ? { ...r, dst: '0.0.0.0/0' } : r)) as Route[],
      );
      await fast.start();
      assert.equal(fast.status().failed, 0, JSON.stringify(fast.failedRoutes()));
      const applies = fast.status().counters.applies;
      const resyncs = fast.status().counters.resyncs;
      await waitFor('three more resyncs', () => fast.status().counters.resyncs >= resyncs + 3, { timeoutMs: 10_000 });
      await fast.settled();
      assert.equal(fast.status().counters.applies, applies, 'nothing rewritten');
      assert.equal(fast.status().installed, 11);
    } finally {
      await fast.stop();
    }
  });

  it('writes the widest ECMP route it accepts (50 next hops of 9 words each) without breaking the batch', async () => {
    const wide: Route = {
      dst: '10.61.0.0/24',
      type: 'unicast',
      nexthops: Array.from({ length: 50 }, (_, i) => ({
        via: `2001:db8::${(i + 2).toString(16)}`,
        dev: 'v0',
        weight: 2,
        onlink: true,
      })),
      metric: 4000000000,
      table: 4000000000,
    };
    const kt = new IpRouteTable({ netns: ns.name });
    const wideRec = new RouteReconciler({ kernel: kt, table: 4000000000 });
    try {
      wideRec.setDesired([wide, uni('10.61.1.0/24', '192.0.2.2')].map((r) => ({ ...r, table: 4000000000 })));
      await wideRec.start();
      assert.deepEqual(wideRec.failedRoutes(), []);
      assert.equal(wideRec.status().installed, 2, 'the line after the wide one ran too');
      const r = kernelRoutes(ns, 4, 'table', '4000000000', '10.61.0.0/24')[0];
      assert.equal(r?.nexthops?.length, 50);
    } finally {
      await wideRec.stop();
      await kt.close();
      ns.ip('route', 'flush', 'table', '4000000000');
    }
  });

  it('never touches routes of other protocols, even when the desired set names their prefix', async () => {
    ns.ip('route', 'add', '10.70.0.0/24', 'via', '192.0.2.7', 'proto', 'static');
    ns.ip('route', 'add', '10.70.1.0/24', 'via', '192.0.2.7', 'proto', '12');
    ns.ip('route', 'add', '10.70.2.0/24', 'dev', 'v1', 'proto', 'kernel', 'scope', 'link');
    ns.ip('-6', 'route', 'add', '2001:db8:70::/64', 'via', '2001:db8::7', 'proto', 'boot');
    const aliens = () =>
      ns
        .ip('route', 'show', 'table', 'all')
        .split('\n')
        // The kernel adds link-local (fe80::) routes by itself once DAD finishes, at any moment: not ours to judge.
        .filter((l) => !/proto 71/.test(l) && !/fe80::/.test(l));
    const before = aliens();
    try {
      const failed: string[] = [];
      rec.on('route-failed', (f) => failed.push(`${f.dst}: ${f.reason}`));
      rec.setDesired([uni('10.70.0.0/24', '192.0.2.2'), uni('10.70.9.0/24', '192.0.2.2')]);
      await rec.start();
      rec.initialStateComplete();
      rec.setDesired([]);
      await rec.settled();
      assert.deepEqual(aliens(), before, 'every route of another protocol is as it was');
      assert.match(failed[0] ?? '', /^10\.70\.0\.0\/24: .*File exists/);
      assert.deepEqual(dstsOf(ns, P), []);
    } finally {
      for (const dst of ['10.70.0.0/24', '10.70.1.0/24', '10.70.2.0/24']) ns.tryRun('ip', ['route', 'del', dst]);
      ns.tryRun('ip', ['-6', 'route', 'del', '2001:db8:70::/64']);
    }
  });

  it('restores a route deleted by hand within moments (monitor signal, resync interval is a minute)', async () => {
    rec.setDesired([uni('10.80.0.0/24', '192.0.2.2'), uni('2001:db8:80::/64', '2001:db8::2')]);
    await rec.start();
    await waitFor('the route monitor', () => kernel.monitorPid !== undefined, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    ns.ip('route', 'del', '10.80.0.0/24');
    ns.ip('-6', 'route', 'del', '2001:db8:80::/64');
    await waitFor('both routes back', () => dstsOf(ns, P).length === 2, { timeoutMs: 15_000, intervalMs: 20 });
    ns.ip('route', 'replace', '10.80.0.0/24', 'via', '192.0.2.66', 'proto', 'static');
    // The monitor reports the overwrite; the reconciler's one attempt to write ours fails with File exists.
    await waitFor('the overwrite seen and refused', () => /File exists/.test(rec.failedRoutes()[0]?.reason ?? ''), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(
      kernelRoutes(ns, 4, '10.80.0.0/24')[0]?.protocol,
      '4',
      'an overwrite by another protocol is not fought',
    );
    assert.match(rec.failedRoutes()[0]?.reason ?? '', /File exists/);
  });

  it('reports refused routes with the kernel reason while the rest installs, and retries them', async () => {
    rec.setDesired([
      uni('10.90.0.0/24', '192.0.2.2'),
      uni('10.90.1.0/24', '198.51.100.1'),
      { dst: '10.90.2.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.2', dev: 'nosuch0', onlink: true }] },
      uni('10.90.3.0/24', '192.0.2.3'),
    ]);
    await rec.start();
    assert.deepEqual(dstsOf(ns, P), ['10.90.0.0/24', '10.90.3.0/24']);
    const failed = Object.fromEntries(rec.failedRoutes().map((f) => [f.dst, f.reason]));
    assert.match(failed['10.90.1.0/24'] ?? '', /Nexthop has invalid gateway|Network is unreachable/);
    assert.match(failed['10.90.2.0/24'] ?? '', /Cannot find device "nosuch0"/);
    ns.ip('link', 'add', 'nosuch0', 'type', 'veth', 'peer', 'name', 'nosuch1');
    try {
      ns.ip('link', 'set', 'nosuch0', 'up');
      await waitFor('the route to retry once the device exists', () => dstsOf(ns, P).includes('10.90.2.0/24'), {
        timeoutMs: 5000,
      });
      assert.equal(rec.status().failed, 1);
    } finally {
      ns.tryRun('ip', ['link', 'del', 'nosuch0']);
    }
  });

  it('recovers from a killed helper with a full resync, never a crash', async () => {
    await rec.start();
    const errors: string[] = [];
    rec.on('kernel-error', (e) => errors.push(e.message));
    const many = Array.from({ length: 30_000 }, (_, i) =>
      uni(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`, '192.0.2.2'),
    );
    rec.setDesired(many);
    await waitFor('the helper', () => kernel.helperPid !== undefined, { timeoutMs: 5000, intervalMs: 1 });
    process.kill(kernel.helperPid as number, 'SIGKILL');
    await waitFor('all routes installed', () => rec.status().installed === many.length, { timeoutMs: 30_000 });
    await rec.settled();
    assert.equal(Number(ns.run('sh', ['-c', `ip route show proto ${P} | wc -l`]).trim()), many.length);
    assert.equal(errors.length, 1, 'one kernel error');
    assert.match(errors[0] ?? '', /helper exited \(SIGKILL\)/);
    assert.ok(rec.status().counters.resyncs >= 2);
    // The monitor, paused during the large batches, is back: a hand deletion is restored at once.
    await waitFor('the route monitor again', () => kernel.monitorPid !== undefined, { timeoutMs: 5000 });
    await new Promise((r) => setTimeout(r, 100));
    ns.ip('route', 'del', '10.100.0.5/32');
    await waitFor('10.100.0.5 back', () => kernelRoutes(ns, 4, '10.100.0.5/32').length === 1, {
      timeoutMs: 15_000,
      intervalMs: 20,
    });
  });

  it('names the protocol for iproute2 so `ip route` prints proto gannet', async () => {
    const file = '/etc/iproute2/rt_protos.d/gannet.conf';
    const existed = existsSync(file);
    try {
      assert.match(await writeRtProtosEntry(), /created|unchanged|updated/);
      assert.equal(await writeRtProtosEntry(), 'unchanged');
      rec.setDesired([uni('10.95.0.0/24', '192.0.2.2')]);
      await rec.start();
      assert.match(ns.ip('route', 'show', '10.95.0.0/24'), /proto gannet/);
      assert.deepEqual(dstsOf(ns, P), ['10.95.0.0/24'], 'listing by number still works with the name in place');
    } finally {
      if (!existed) rmSync(file, { force: true });
    }
  });
});
