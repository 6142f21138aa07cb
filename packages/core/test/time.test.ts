import assert from 'node:assert/strict';
import { backoffDelay, ExponentialBackoff, GannetError, isGannetError, realClock, systemClock } from '../src/index.js';
import { FakeClock } from '../src/testing/index.js';

describe('core clock', () => {
  it('FakeClock fires timers in deadline order, then by creation', () => {
    const c = new FakeClock(100);
    const seen: string[] = [];
    c.setTimeout(() => seen.push('b'), 20);
    c.setTimeout(() => seen.push('a'), 10);
    c.setTimeout(() => seen.push('c'), 20);
    const x = c.setTimeout(() => seen.push('x'), 5);
    c.clearTimeout(x);
    c.advance(15);
    assert.deepEqual(seen, ['a']);
    assert.equal(c.now(), 115);
    c.advance(100);
    assert.deepEqual(seen, ['a', 'b', 'c']);
    assert.equal(c.pending(), 0);
  });
  it('FakeClock runs a timer set by a timer at its own deadline within one advance', () => {
    const c = new FakeClock();
    const at: number[] = [];
    c.setTimeout(() => c.setTimeout(() => at.push(c.now()), 10), 10);
    c.advance(30);
    assert.deepEqual(at, [20]);
  });
  it('FakeClock defer runs before timers and drains what it defers', () => {
    const c = new FakeClock();
    const seen: string[] = [];
    c.setTimeout(() => seen.push('timer'), 0);
    c.defer(() => {
      seen.push('d1');
      c.defer(() => seen.push('d2'));
    });
    assert.equal(c.pending(), 2);
    c.advance(0);
    assert.deepEqual(seen, ['d1', 'd2', 'timer']);
    c.defer(() => seen.push('d3'));
    assert.equal(c.runDeferred(), 1);
  });
  it('the real clocks are monotonic and their timers fire', async () => {
    const a = systemClock.now();
    assert.ok(systemClock.now() >= a);
    const kept = realClock({ keepAlive: true });
    await new Promise<void>((resolve) => kept.setTimeout(resolve, 1));
    const h = systemClock.setTimeout(() => assert.fail('cleared'), 1);
    systemClock.clearTimeout(h);
  });
});

describe('core backoff', () => {
  it('grows by the factor up to the cap, without jitter by default', () => {
    const opts = { initialMs: 100, maxMs: 1000 };
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5].map((n) => backoffDelay(n, opts)),
      [100, 200, 400, 800, 1000, 1000],
    );
    assert.equal(backoffDelay(10_000, opts), 1000);
    assert.equal(backoffDelay(2, { ...opts, factor: 3 }), 900);
  });
  it('scales by the jitter range with the injected random', () => {
    const opts = { initialMs: 1000, maxMs: 60_000, jitter: [0.75, 1.25] as const };
    assert.equal(
      backoffDelay(0, opts, () => 0),
      750,
    );
    assert.equal(
      backoffDelay(0, opts, () => 0.5),
      1000,
    );
    assert.equal(
      backoffDelay(1, opts, () => 0.999),
      2499,
    );
  });
  it('ExponentialBackoff counts attempts and resets', () => {
    const b = new ExponentialBackoff({ initialMs: 10, maxMs: 40 });
    assert.deepEqual([b.next(), b.next(), b.next(), b.next()], [10, 20, 40, 40]);
    assert.equal(b.attempts, 4);
    b.reset();
    assert.equal(b.next(), 10);
  });
});

describe('core errors', () => {
  it('keeps code, name and cause', () => {
    class RoutesLikeError extends GannetError<'ERR_GANNET_X_BAD'> {}
    const cause = new Error('root');
    const e = new RoutesLikeError('ERR_GANNET_X_BAD', 'bad', { cause });
    assert.equal(e.code, 'ERR_GANNET_X_BAD');
    assert.equal(e.name, 'RoutesLikeError');
    assert.equal(e.cause, cause);
    assert.ok(e instanceof Error);
    assert.ok(isGannetError(e));
    assert.ok(isGannetError(e, 'ERR_GANNET_X_BAD'));
    assert.ok(!isGannetError(e, 'ERR_GANNET_X_OTHER'));
    assert.ok(!isGannetError(cause));
  });
});
