import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  type Clock,
  GANNET_ROUTE_PROTOCOL as P,
  type Route,
  RouteReconciler,
  type RouteReconcilerOptions,
  type RoutesError,
} from '../src/index.js';
import type { RouteOp } from '../src/kernel-route-table.js';
import { FakeClock, MemoryRouteTable } from '../src/testing/index.js';

const STATIC = 4;

function setup(opts: Partial<RouteReconcilerOptions> = {}) {
  const kernel = new MemoryRouteTable();
  const clock = new FakeClock();
  const rec = new RouteReconciler({ kernel, clock, resyncIntervalMs: 10_000, retryIntervalMs: 1000, ...opts });
  const ops: RouteOp[][] = [];
  const batch = kernel.batch.bind(kernel);
  kernel.batch = (o, p) => {
    ops.push([...o]);
    return batch(o, p);
  };
  return { kernel, clock, rec, ops };
}

function uni(dst: string, ...vias: string[]): Route {
  return { dst, type: 'unicast', nexthops: vias.map((via) => ({ via })) };
}

/** Our routes in the simulated kernel as `dst via,via` strings. */
function ours(kernel: MemoryRouteTable, protocol = P): string[] {
  return kernel
    .dump()
    .filter((e) => e.protocol === protocol)
    .map((e) =>
      `${e.route.dst}${e.route.type === 'unicast' ? '' : ` ${e.route.type}`} ${e.route.nexthops.map((n) => n.via).join(',')}`.trim(),
    );
}

describe('RouteReconciler', () => {
  it('installs the desired routes on start, then a resync with nothing to do writes nothing', async () => {
    const { kernel, clock, rec, ops } = setup();
    rec.setDesired([uni('10.244.2.0/24', '192.0.2.2'), uni('10.244.3.0/24', '192.0.2.3')]);
    assert.equal(kernel.calls.list, 0, 'nothing happens before start');
    await rec.start();
    assert.deepEqual(ours(kernel), ['10.244.2.0/24 192.0.2.2', '10.244.3.0/24 192.0.2.3']);
    assert.deepEqual(
      ops.flat().map((o) => o.op),
      ['add', 'add'],
    );
    clock.advance(10_000);
    await rec.settled();
    assert.equal(kernel.calls.list, 2, 'periodic resync listed again');
    assert.equal(ops.length, 1, 'and wrote nothing');
    const s = rec.status();
    assert.equal(s.installed, 2);
    assert.equal(s.counters.routesAdded, 2);
    assert.equal(s.counters.resyncs, 2);
    assert.equal(s.counters.lastResyncAt, 10_000);
    await rec.stop();
  });

  it('applies deltas immediately and writes only what changed', async () => {
    const { kernel, rec, ops } = setup();
    await rec.start();
    rec.set(uni('10.1.0.0/24', '192.0.2.1'));
    rec.set(uni('10.2.0.0/24', '192.0.2.1'));
    await rec.settled();
    assert.equal(ops.length, 1, 'two set() calls in one tick make one batch');
    rec.set(uni('10.1.0.0/24', '192.0.2.1'));
    rec.set(uni('10.2.0.0/24', '192.0.2.9'));
    await rec.settled();
    assert.deepEqual(
      ops[1]?.map((o) => `${o.op} ${o.route.dst}`),
      ['replace 10.2.0.0/24'],
    );
    assert.equal(rec.delete('10.1.0.0/24'), true);
    assert.equal(rec.delete('10.9.0.0/24'), false);
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.2.0.0/24 192.0.2.9']);
    assert.equal(rec.status().counters.routesDeleted, 1);
    await rec.stop();
  });

  it('updates ECMP next hops in place with one replace, and ignores next-hop order', async () => {
    const { kernel, rec, ops } = setup();
    rec.setDesired([uni('10.3.0.0/24', '192.0.2.1', '192.0.2.2')]);
    await rec.start();
    rec.setDesired([uni('10.3.0.0/24', '192.0.2.3', '192.0.2.1', '192.0.2.2')]);
    await rec.settled();
    assert.deepEqual(
      ops.map((b) => b.map((o) => o.op)),
      [['add'], ['replace']],
    );
    assert.deepEqual(ours(kernel), ['10.3.0.0/24 192.0.2.1,192.0.2.2,192.0.2.3']);
    rec.setDesired([uni('10.3.0.0/24', '192.0.2.2', '192.0.2.3', '192.0.2.1')]);
    await rec.settled();
    assert.equal(ops.length, 2, 'the same next hops in another order are no change');
    rec.setDesired([
      { dst: '10.3.0.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.1', weight: 3 }, { via: '192.0.2.2' }] },
    ]);
    await rec.settled();
    assert.equal(ops.length, 3, 'a weight change is a change');
    assert.equal(kernel.get('10.3.0.0/24')?.route.nexthops[0]?.weight, 3);
    await rec.stop();
  });

  it('handles IPv6 and blackhole routes, with kernel default metrics', async () => {
    const { kernel, clock, rec, ops } = setup();
    rec.setDesired([
      uni('2001:DB8:0:1::/64', '2001:db8::2'),
      { dst: '10.244.1.0/24', type: 'blackhole', nexthops: [] },
      { dst: '2001:db8:ff::/48', type: 'blackhole', nexthops: [] },
    ]);
    await rec.start();
    assert.deepEqual(ours(kernel), [
      '10.244.1.0/24 blackhole',
      '2001:db8:0:1::/64 2001:db8::2',
      '2001:db8:ff::/48 blackhole',
    ]);
    assert.equal(kernel.get('2001:db8:0:1::/64', { metric: 1024 })?.route.metric, 1024);
    clock.advance(10_000);
    await rec.settled();
    assert.equal(ops.length, 1, 'listing back the routes finds nothing to change');
    await rec.stop();
  });

  it('never touches routes of other protocols, and reports a prefix another protocol holds', async () => {
    const { kernel, rec } = setup();
    kernel.externalReplace(uni('10.5.0.0/24', '192.0.2.50'), STATIC);
    kernel.externalReplace(uni('10.6.0.0/24', '192.0.2.60'), 12);
    kernel.externalReplace(
      { dst: '10.244.1.7/32', type: 'unicast', nexthops: [{ via: '10.244.1.7', dev: 'veth1' }] },
      2,
    );
    const failed: string[] = [];
    rec.on('route-failed', (f) => failed.push(`${f.dst} ${f.reason}`));
    rec.setDesired([uni('10.5.0.0/24', '192.0.2.1'), uni('10.7.0.0/24', '192.0.2.1')]);
    await rec.start();
    rec.initialStateComplete();
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.7.0.0/24 192.0.2.1'], 'the free prefix is installed');
    assert.deepEqual(ours(kernel, STATIC), ['10.5.0.0/24 192.0.2.50'], 'the static route is untouched');
    assert.deepEqual(ours(kernel, 12), ['10.6.0.0/24 192.0.2.60']);
    assert.deepEqual(ours(kernel, 2), ['10.244.1.7/32 10.244.1.7']);
    assert.match(failed[0] ?? '', /^10\.5\.0\.0\/24 .*File exists/);
    rec.setDesired([]);
    await rec.settled();
    assert.deepEqual(ours(kernel), []);
    assert.equal(kernel.dump().length, 3, 'emptying the desired set removed only our route');
    await rec.stop();
  });

  it('keeps our routes found at start as stale until the initial state is complete, then removes exactly those', async () => {
    const { kernel, rec } = setup();
    for (let i = 0; i < 5; i++) kernel.externalReplace(uni(`10.8.${i}.0/24`, '192.0.2.1'), P);
    rec.setDesired([uni('10.8.0.0/24', '192.0.2.1'), uni('10.8.1.0/24', '192.0.2.9'), uni('10.8.9.0/24', '192.0.2.1')]);
    await rec.start();
    assert.equal(rec.status().stale, 3, '10.8.2-4 adopted');
    assert.deepEqual(ours(kernel), [
      '10.8.0.0/24 192.0.2.1',
      '10.8.1.0/24 192.0.2.9',
      '10.8.2.0/24 192.0.2.1',
      '10.8.3.0/24 192.0.2.1',
      '10.8.4.0/24 192.0.2.1',
      '10.8.9.0/24 192.0.2.1',
    ]);
    rec.set(uni('10.8.3.0/24', '192.0.2.1'));
    rec.delete('10.8.9.0/24');
    await rec.settled();
    assert.equal(rec.status().stale, 2, 'a stale route confirmed by the caller is ours again');
    assert.equal(kernel.get('10.8.9.0/24'), undefined, 'a route withdrawn in this run goes at once');
    assert.ok(kernel.get('10.8.2.0/24'), 'stale routes stay before the signal');
    rec.initialStateComplete();
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.8.0.0/24 192.0.2.1', '10.8.1.0/24 192.0.2.9', '10.8.3.0/24 192.0.2.1']);
    assert.equal(rec.status().stale, 0);
    assert.equal(rec.status().initialStateComplete, true);
    await rec.stop();
  });

  it('restores a route deleted by someone else after the monitor signal, debounced into one resync', async () => {
    const { kernel, clock, rec } = setup({ watchDebounceMs: 50 });
    rec.setDesired([uni('10.9.0.0/24', '192.0.2.1'), uni('10.9.1.0/24', '192.0.2.1')]);
    await rec.start();
    const lists = kernel.calls.list;
    kernel.externalDelete('10.9.0.0/24');
    kernel.externalDelete('10.9.1.0/24');
    await rec.settled();
    assert.equal(kernel.get('10.9.0.0/24'), undefined, 'nothing before the debounce ends');
    clock.advance(50);
    await rec.settled();
    assert.equal(kernel.calls.list, lists + 1, 'one resync for both signals');
    assert.deepEqual(ours(kernel), ['10.9.0.0/24 192.0.2.1', '10.9.1.0/24 192.0.2.1']);
    await rec.stop();
  });

  it('restores a route changed by someone else within one resync interval, even without a signal for it', async () => {
    const { kernel, clock, rec } = setup();
    rec.setDesired([uni('10.10.0.0/24', '192.0.2.1')]);
    await rec.start();
    kernel.externalReplace(uni('10.10.0.0/24', '192.0.2.66'), P); // same protocol: looks like our own echo
    clock.advance(100);
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.10.0.0/24 192.0.2.66']);
    clock.advance(10_000);
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.10.0.0/24 192.0.2.1']);
    await rec.stop();
  });

  it('resyncs after the monitor says changes were lost', async () => {
    const { kernel, clock, rec } = setup();
    await rec.start();
    kernel.signalLost();
    clock.advance(50);
    await rec.settled();
    assert.equal(kernel.calls.list, 2);
    await rec.stop();
  });

  it('reports a refused route with its reason, installs the rest, and retries with backoff until it works', async () => {
    const { kernel, clock, rec } = setup();
    const lift = kernel.rejectWhen((r) =>
      r.dst === '10.11.1.0/24' ? 'Error: Nexthop has invalid gateway.' : undefined,
    );
    const events: number[] = [];
    rec.on('route-failed', (f) => events.push(f.attempts));
    rec.setDesired([
      uni('10.11.0.0/24', '192.0.2.1'),
      uni('10.11.1.0/24', '198.51.100.1'),
      uni('10.11.2.0/24', '192.0.2.1'),
    ]);
    await rec.start();
    assert.deepEqual(ours(kernel), ['10.11.0.0/24 192.0.2.1', '10.11.2.0/24 192.0.2.1']);
    assert.equal(rec.status().failed, 1);
    const failed = rec.failedRoutes();
    assert.equal(failed.length, 1);
    assert.equal(failed[0]?.dst, '10.11.1.0/24');
    assert.equal(failed[0]?.reason, 'Error: Nexthop has invalid gateway.');
    assert.equal(failed[0]?.nextRetryAt, 1000);
    assert.deepEqual(rec.routeState('10.11.1.0/24'), {
      installed: false,
      reason: 'Error: Nexthop has invalid gateway.',
    });
    assert.deepEqual(rec.routeState('10.11.0.0/24'), { installed: true });
    assert.equal(rec.routeState('10.99.0.0/24'), undefined, 'not desired');
    assert.deepEqual(
      rec.routes().map((r) => [r.route.dst, r.installed, r.reason]),
      [
        ['10.11.0.0/24', true, undefined],
        ['10.11.1.0/24', false, 'Error: Nexthop has invalid gateway.'],
        ['10.11.2.0/24', true, undefined],
      ],
    );
    clock.advance(999);
    await rec.settled();
    assert.deepEqual(events, [1]);
    clock.advance(1);
    await rec.settled();
    assert.deepEqual(events, [1, 2]);
    clock.advance(2000);
    await rec.settled();
    assert.deepEqual(events, [1, 2, 3], 'the delay doubles');
    lift();
    clock.advance(4000);
    await rec.settled();
    assert.equal(rec.status().failed, 0);
    assert.equal(rec.status().installed, 3);
    assert.equal(rec.status().counters.routeFailures, 3);
    await rec.stop();
  });

  it('retries refused routes even when the timer fires a little before the clock reaches the deadline', async () => {
    const kernel = new MemoryRouteTable();
    const inner = new FakeClock();
    const early: Clock = {
      now: () => inner.now(),
      setTimeout: (fn, ms) => inner.setTimeout(fn, Math.max(0, ms - 1)),
      clearTimeout: (h) => inner.clearTimeout(h),
    };
    const rec = new RouteReconciler({ kernel, clock: early, retryIntervalMs: 100 });
    const lift = kernel.rejectWhen(() => 'not yet');
    rec.setDesired([uni('10.21.0.0/24', '192.0.2.1')]);
    await rec.start();
    lift();
    inner.advance(99);
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.21.0.0/24 192.0.2.1']);
    await rec.stop();
  });

  it('retries a refused route at once when the caller changes it', async () => {
    const { kernel, rec } = setup();
    kernel.rejectWhen((r) => (r.nexthops[0]?.via === '198.51.100.1' ? 'unreachable' : undefined));
    rec.setDesired([uni('10.12.0.0/24', '198.51.100.1')]);
    await rec.start();
    assert.equal(rec.status().failed, 1);
    rec.set(uni('10.12.0.0/24', '192.0.2.1'));
    await rec.settled();
    assert.equal(rec.status().failed, 0);
    assert.deepEqual(ours(kernel), ['10.12.0.0/24 192.0.2.1']);
    await rec.stop();
  });

  it('forgets a refused route once it is no longer desired', async () => {
    const { kernel, rec } = setup();
    kernel.rejectWhen((r) => (r.dst === '10.22.0.0/24' ? 'no' : undefined));
    rec.setDesired([uni('10.22.0.0/24', '192.0.2.1'), uni('10.22.1.0/24', '192.0.2.1')]);
    await rec.start();
    assert.equal(rec.status().failed, 1);
    rec.setDesired([uni('10.22.1.0/24', '192.0.2.1')]);
    await rec.settled();
    assert.equal(rec.status().failed, 0);
    await rec.stop();
  });

  it('adopts routes of ours that appear before the initial state is complete, and sweeps them after', async () => {
    const { kernel, clock, rec } = setup();
    rec.setDesired([uni('10.23.0.0/24', '192.0.2.1')]);
    await rec.start();
    kernel.externalReplace(uni('10.23.9.0/24', '192.0.2.1'), P);
    clock.advance(10_000);
    await rec.settled();
    assert.equal(rec.status().stale, 1);
    assert.ok(kernel.get('10.23.9.0/24'));
    rec.initialStateComplete();
    await rec.settled();
    assert.equal(kernel.get('10.23.9.0/24'), undefined);
    await rec.stop();
  });

  it('recovers from a helper that dies mid-batch with a full resync, never a crash', async () => {
    const { kernel, rec } = setup();
    const errors: string[] = [];
    rec.on('kernel-error', (e) => errors.push((e as RoutesError).code));
    await rec.start();
    kernel.crashNextBatch(1);
    rec.setDesired([
      uni('10.13.0.0/24', '192.0.2.1'),
      uni('10.13.1.0/24', '192.0.2.1'),
      uni('10.13.2.0/24', '192.0.2.1'),
    ]);
    await rec.settled();
    assert.deepEqual(errors, ['ERR_GANNET_ROUTES_HELPER_EXITED']);
    assert.equal(kernel.calls.list, 2, 'listed again after the crash');
    assert.deepEqual(ours(kernel), ['10.13.0.0/24 192.0.2.1', '10.13.1.0/24 192.0.2.1', '10.13.2.0/24 192.0.2.1']);
    assert.equal(rec.status().counters.kernelErrors, 1);
    assert.equal(
      rec.status().counters.routesAdded,
      2,
      'the route written before the crash was found, not written again',
    );
    await rec.stop();
  });

  it('retries a failing list with backoff and applies nothing on a stale view meanwhile', async () => {
    const { kernel, clock, rec, ops } = setup();
    kernel.failNextList();
    kernel.failNextList();
    rec.setDesired([uni('10.14.0.0/24', '192.0.2.1')]);
    await rec.start();
    assert.equal(kernel.calls.list, 2, 'first failure retried at once, the second waits');
    assert.equal(ops.length, 0);
    assert.equal(rec.status().counters.kernelErrors, 2);
    clock.advance(1000);
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.14.0.0/24 192.0.2.1']);
    await rec.stop();
  });

  it('survives a listener that throws, and carries on after the retry delay', async () => {
    const { kernel, clock, rec } = setup();
    let throws = true;
    rec.on('applied', () => {
      if (throws) throw new Error('listener bug');
    });
    await rec.start();
    rec.set(uni('10.24.0.0/24', '192.0.2.1'));
    await rec.settled();
    throws = false;
    rec.set(uni('10.24.1.0/24', '192.0.2.1'));
    await rec.settled();
    assert.equal(kernel.get('10.24.1.0/24'), undefined, 'nothing applied on an unknown view');
    clock.advance(1000);
    await rec.settled();
    assert.deepEqual(ours(kernel), ['10.24.0.0/24 192.0.2.1', '10.24.1.0/24 192.0.2.1']);
    assert.equal(rec.status().installed, 2);
    await rec.stop();
  });

  it('splits large applies into batches of batchSize', async () => {
    const { rec, ops } = setup({ batchSize: 2 });
    rec.setDesired([1, 2, 3, 4, 5].map((i) => uni(`10.15.${i}.0/24`, '192.0.2.1')));
    await rec.start();
    assert.deepEqual(
      ops.map((b) => b.length),
      [2, 2, 1],
    );
    assert.equal(rec.status().counters.applies, 3);
    await rec.stop();
  });

  it('flushes nothing on stop and leaves no timer or watch behind', async () => {
    const { kernel, clock, rec } = setup();
    rec.setDesired([uni('10.16.0.0/24', '192.0.2.1')]);
    kernel.rejectWhen((r) => (r.dst === '10.16.1.0/24' ? 'no' : undefined));
    rec.set(uni('10.16.1.0/24', '192.0.2.1'));
    await rec.start();
    assert.ok(clock.pending() > 0);
    await rec.stop();
    assert.equal(clock.pending(), 0);
    assert.equal(kernel.watchers(), 0);
    assert.deepEqual(ours(kernel), ['10.16.0.0/24 192.0.2.1']);
    await assert.rejects(rec.start(), (e: RoutesError) => e.code === 'ERR_GANNET_ROUTES_CLOSED');
  });

  it('rejects bad input with a clear error and changes nothing', async () => {
    const { rec } = setup();
    rec.setDesired([uni('10.17.0.0/24', '192.0.2.1')]);
    const bad: Route[][] = [
      [uni('10.17.0.1/24', '192.0.2.1')],
      [uni('10.17.0.0/24', 'nonsense')],
      [uni('10.17.0.0/24', '192.0.2.1'), uni('10.17.0.0/24', '192.0.2.2')],
      [{ ...uni('10.17.0.0/24', '192.0.2.1'), table: 100 }],
      [{ dst: '10.17.0.0/24', type: 'blackhole', nexthops: [{ via: '192.0.2.1' }] }],
    ];
    for (const routes of bad) {
      assert.throws(
        () => rec.setDesired(routes),
        (e: RoutesError) => e.code === 'ERR_GANNET_ROUTES_INVALID_ROUTE',
      );
    }
    assert.equal(rec.status().desired, 1);
    assert.throws(() => rec.set(uni('300.0.0.0/8', '192.0.2.1')), /not an IPv4 or IPv6 prefix/);
    assert.throws(() => rec.delete('10.0.0.0/33'), /bad prefix length/);
    const kernel = new MemoryRouteTable();
    assert.throws(() => new RouteReconciler({ kernel, protocol: 12 }), /RTPROT/);
    assert.throws(() => new RouteReconciler({ kernel, table: 255 }), /kernel's "local" table/);
    assert.throws(() => new RouteReconciler({ kernel, resyncIntervalMs: -1 }), /resyncIntervalMs/);
  });

  it('uses its own table and protocol when configured', async () => {
    const { kernel, rec } = setup({ table: 100, protocol: 73 });
    kernel.externalReplace({ ...uni('10.18.0.0/24', '192.0.2.1') }, 73); // main table: not ours
    rec.setDesired([uni('10.18.0.0/24', '192.0.2.2')]);
    await rec.start();
    rec.initialStateComplete();
    await rec.settled();
    assert.equal(kernel.get('10.18.0.0/24', { table: 100 })?.protocol, 73);
    assert.equal(kernel.get('10.18.0.0/24')?.route.nexthops[0]?.via, '192.0.2.1', 'main table untouched');
    await rec.stop();
  });

  it('converges to exactly the desired set from any previous state (property)', async () => {
    const prefix = fc.integer({ min: 0, max: 15 }).map((i) => `10.20.${i}.0/24`);
    const route = fc.record({
      dst: prefix,
      vias: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 }),
    });
    const set = fc.uniqueArray(route, { selector: (r) => r.dst, maxLength: 10 });
    await fc.assert(
      fc.asyncProperty(set, set, set, async (before, a, b) => {
        const { kernel, rec } = setup();
        const toRoute = (r: { dst: string; vias: number[] }): Route =>
          r.vias.length === 0
            ? { dst: r.dst, type: 'blackhole', nexthops: [] }
            : uni(r.dst, ...r.vias.map((v) => `192.0.2.${v}`));
        for (const r of before) kernel.externalReplace(toRoute(r), P);
        rec.setDesired(a.map(toRoute));
        await rec.start();
        rec.initialStateComplete();
        for (const desired of [a, b]) {
          rec.setDesired(desired.map(toRoute));
          await rec.settled();
          const want = desired
            .map((r) =>
              `${r.dst}${r.vias.length ? '' : ' blackhole'} ${[...r.vias]
                .sort()
                .map((v) => `192.0.2.${v}`)
                .join(',')}`.trim(),
            )
            .sort();
          assert.deepEqual(ours(kernel), want);
          assert.equal(rec.status().installed, desired.length);
        }
        await rec.stop();
      }),
      { numRuns: Number(process.env.ROUTES_PROP_RUNS ?? 100) },
    );
  });

  it('keeps its O(1) counts and per-route states equal to a full scan through any sequence of changes (property)', async () => {
    const dst = fc.integer({ min: 0, max: 7 }).map((i) => `10.22.${i}.0/24`);
    const via = fc.integer({ min: 1, max: 3 }).map((v) => `192.0.2.${v}`);
    const step = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), dst, via }),
      fc.record({ kind: fc.constant('delete' as const), dst }),
      fc.record({
        kind: fc.constant('setDesired' as const),
        routes: fc.uniqueArray(fc.tuple(dst, via), { selector: (r) => r[0], maxLength: 6 }),
      }),
      fc.record({ kind: fc.constant('external' as const), dst, via }),
      fc.record({ kind: fc.constant('externalDelete' as const), dst }),
      fc.record({ kind: fc.constant('reject' as const), via }),
      fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 0, max: 3000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 25 }), async (steps) => {
        const { kernel, clock, rec } = setup();
        let lift: (() => void) | undefined;
        await rec.start();
        rec.initialStateComplete();
        const check = () => {
          const all = rec.routes();
          assert.equal(rec.status().installed, all.filter((r) => r.installed).length);
          assert.equal(rec.status().failed, rec.failedRoutes().length);
          for (const r of all) assert.equal(rec.routeState(r.route.dst)?.installed, r.installed, r.route.dst);
        };
        for (const s of steps) {
          if (s.kind === 'set') rec.set(uni(s.dst, s.via));
          else if (s.kind === 'delete') rec.delete(s.dst);
          else if (s.kind === 'setDesired') rec.setDesired(s.routes.map(([d, v]) => uni(d, v)));
          else if (s.kind === 'external') kernel.externalReplace(uni(s.dst, s.via), P);
          else if (s.kind === 'externalDelete') kernel.externalDelete(s.dst);
          else if (s.kind === 'reject') {
            lift?.();
            lift = kernel.rejectWhen((r) => (r.nexthops[0]?.via === s.via ? 'unreachable' : undefined));
          } else clock.advance(s.ms);
          check();
          await rec.settled();
          check();
        }
        await rec.stop();
      }),
      { numRuns: Number(process.env.ROUTES_PROP_RUNS ?? 100) },
    );
  });
});
