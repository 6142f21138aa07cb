// The reconciler's driver: one timer for every deadline, and settled() resolved by the driver (no polling).
import assert from 'node:assert/strict';
import { GANNET_ROUTE_PROTOCOL as P, type Route, RouteReconciler } from '../src/index.js';
import type { RouteOpResult } from '../src/kernel-route-table.js';
import { FakeClock, MemoryRouteTable } from '../src/testing/index.js';

function uni(dst: string, via = '192.0.2.1'): Route {
  return { dst, type: 'unicast', nexthops: [{ via }] };
}

/** A FakeClock that records how many timers are pending after each setTimeout (the most ever seen). */
function countingClock() {
  const clock = new FakeClock();
  let most = 0;
  const setTimeout = clock.setTimeout.bind(clock);
  clock.setTimeout = (fn, ms) => {
    const h = setTimeout(fn, ms);
    most = Math.max(most, clock.pending());
    return h;
  };
  return { clock, most: () => most };
}

describe('RouteReconciler driver', () => {
  it('keeps one timer for the resync, a refused-route retry, a monitor signal and a kernel-error backoff', async () => {
    const kernel = new MemoryRouteTable();
    const { clock, most } = countingClock();
    const rec = new RouteReconciler({
      kernel,
      clock,
      resyncIntervalMs: 10_000,
      retryIntervalMs: 1000,
      watchDebounceMs: 50,
    });
    const lift = kernel.rejectWhen((r) => (r.dst === '10.9.0.0/24' ? 'no' : undefined));
    rec.setDesired([uni('10.8.0.0/24'), uni('10.9.0.0/24')]);
    await rec.start();
    assert.equal(clock.pending(), 1, 'resync and retry deadlines share one timer');
    assert.equal(rec.failedRoutes()[0]?.nextRetryAt, 1000);
    kernel.externalDelete('10.8.0.0/24');
    assert.equal(clock.pending(), 1, 'the monitor deadline too');
    clock.advance(50);
    await rec.settled();
    assert.ok(kernel.get('10.8.0.0/24'), 'restored by the monitor-triggered resync');
    kernel.failNextList();
    kernel.failNextList();
    kernel.signalLost();
    clock.advance(50);
    await rec.settled();
    assert.equal(rec.status().counters.kernelErrors, 2, 'the second list failure waits for its backoff');
    assert.equal(clock.pending(), 1, 'the backoff deadline too');
    lift();
    clock.advance(1000);
    await rec.settled();
    assert.ok(kernel.get('10.9.0.0/24'), 'retried once the backoff and the retry deadline came');
    assert.equal(rec.status().failed, 0);
    assert.equal(most(), 1, 'never more than one timer');
    const resyncs = rec.status().counters.resyncs;
    clock.advance(10_000);
    await rec.settled();
    assert.equal(rec.status().counters.resyncs, resyncs + 1, 'the periodic resync still comes');
    await rec.stop();
    assert.equal(clock.pending(), 0);
  });

  it('resolves settled() when the driver goes idle, not before the kernel answers', async () => {
    const kernel = new MemoryRouteTable();
    const clock = new FakeClock();
    const rec = new RouteReconciler({ kernel, clock });
    await rec.start();
    await rec.settled();
    let release: () => void = () => {};
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const batch = kernel.batch.bind(kernel);
    kernel.batch = async (ops, p): Promise<RouteOpResult[]> => {
      await gate;
      return batch(ops, p);
    };
    rec.set(uni('10.10.0.0/24'));
    let done = false;
    const settled = rec.settled().then(() => {
      done = true;
    });
    for (let i = 0; i < 10; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(done, false, 'a batch is in flight');
    release();
    await settled;
    assert.equal(kernel.get('10.10.0.0/24')?.protocol, P);
    await rec.stop();
  });

  it('resolves settled() at once before start and after stop', async () => {
    const kernel = new MemoryRouteTable();
    const rec = new RouteReconciler({ kernel, clock: new FakeClock() });
    rec.set(uni('10.11.0.0/24'));
    await rec.settled();
    await rec.start();
    rec.set(uni('10.11.1.0/24'));
    const pending = rec.settled();
    await rec.stop();
    await pending;
    await rec.settled();
  });
});
