import assert from 'node:assert/strict';
import { normalizeRoute, type RoutesError } from '../src/index.js';
import type { KernelRouteEvent } from '../src/kernel-route-table.js';
import { FakeClock, MemoryRouteTable } from '../src/testing/index.js';

const r = (dst: string, via = '192.0.2.1') => normalizeRoute({ dst, type: 'unicast', nexthops: [{ via }] });

describe('MemoryRouteTable (the kernel double)', () => {
  it('follows the kernel: add refuses a taken slot, replace takes it, delete matches only its protocol', async () => {
    const t = new MemoryRouteTable();
    const events: KernelRouteEvent[] = [];
    t.watch((e) => events.push(e));
    t.externalReplace({ dst: '10.1.0.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.9' }] }, 4);
    assert.deepEqual(await t.batch([{ op: 'add', route: r('10.1.0.0/24') }], 71), [
      { ok: false, reason: 'RTNETLINK answers: File exists' },
    ]);
    assert.deepEqual(await t.remove(r('10.1.0.0/24'), 71), { ok: true });
    assert.equal(t.get('10.1.0.0/24')?.protocol, 4, 'delete under our protocol left the static route');
    assert.deepEqual(await t.list(254, 71), []);
    assert.deepEqual(await t.replace(r('10.1.0.0/24'), 71), { ok: true });
    assert.equal(t.get('10.1.0.0/24')?.protocol, 71, 'replace takes the slot whatever its owner');
    assert.equal((await t.list(254, 71)).length, 1);
    assert.equal((await t.list(100, 71)).length, 0);
    assert.equal(t.externalDelete('10.1.0.0/24'), true);
    assert.equal(t.externalDelete('10.1.0.0/24'), false);
    assert.deepEqual(
      events.map((e) => (e.kind === 'route' ? `${e.deleted ? '-' : '+'}${e.dst}/${e.protocol}` : e.kind)),
      ['+10.1.0.0/24/4', '+10.1.0.0/24/71', '-10.1.0.0/24/71'],
    );
    assert.deepEqual(t.calls, { list: 3, batch: 3, ops: 3 });
  });

  it('injects faults: refused routes, failed lists, a crash mid-batch, lost signals, close', async () => {
    const t = new MemoryRouteTable();
    const lift = t.rejectWhen((x) => (x.dst === '10.2.0.0/24' ? 'nope' : undefined));
    assert.deepEqual(await t.replace(r('10.2.0.0/24'), 71), { ok: false, reason: 'nope' });
    lift();
    assert.deepEqual(await t.replace(r('10.2.0.0/24'), 71), { ok: true });
    t.failNextList();
    await assert.rejects(t.list(254, 71), /Dump was interrupted/);
    t.crashNextBatch(1);
    await assert.rejects(
      t.batch(
        [
          { op: 'add', route: r('10.3.0.0/24') },
          { op: 'add', route: r('10.4.0.0/24') },
        ],
        71,
      ),
      (e: RoutesError) => e.code === 'ERR_GANNET_ROUTES_HELPER_EXITED',
    );
    assert.ok(t.get('10.3.0.0/24') && !t.get('10.4.0.0/24'), 'the first op happened, the second did not');
    const lost: string[] = [];
    const stop = t.watch((e) => e.kind === 'lost' && lost.push(e.reason));
    t.signalLost();
    stop();
    t.signalLost();
    assert.deepEqual(lost, ['No buffer space available']);
    await t.close();
    await assert.rejects(t.list(254, 71), /closed/);
  });
});

describe('FakeClock', () => {
  it('fires due timers in deadline order and only those', () => {
    const c = new FakeClock(100);
    const fired: string[] = [];
    c.setTimeout(() => fired.push('b'), 20);
    c.setTimeout(() => fired.push('a'), 10);
    const h = c.setTimeout(() => fired.push('x'), 15);
    c.clearTimeout(h);
    c.advance(15);
    assert.deepEqual(fired, ['a']);
    assert.equal(c.now(), 115);
    c.advance(100);
    assert.deepEqual(fired, ['a', 'b']);
    assert.equal(c.pending(), 0);
  });
});
