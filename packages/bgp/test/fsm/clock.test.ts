import assert from 'node:assert/strict';
import { FakeClock } from '@gannet/core/testing';

describe('FakeClock', () => {
  it('fires due timers in deadline order, each at its own time, and only when advanced', () => {
    const c = new FakeClock(100);
    const fired: [string, number][] = [];
    c.setTimeout(() => fired.push(['b', c.now()]), 20);
    c.setTimeout(() => fired.push(['a', c.now()]), 10);
    const cancelled = c.setTimeout(() => fired.push(['x', c.now()]), 15);
    c.clearTimeout(cancelled);
    assert.deepEqual(fired, []);
    c.advance(15);
    assert.deepEqual(fired, [['a', 110]]);
    assert.equal(c.now(), 115);
    c.advance(100);
    assert.deepEqual(fired, [
      ['a', 110],
      ['b', 120],
    ]);
    assert.equal(c.pending(), 0);
  });

  it('runs timers scheduled by a firing timer within the same advance', () => {
    const c = new FakeClock();
    const at: number[] = [];
    const tick = () => {
      at.push(c.now());
      if (at.length < 4) c.setTimeout(tick, 1_000);
    };
    c.setTimeout(tick, 1_000);
    c.advance(10_000);
    assert.deepEqual(at, [1_000, 2_000, 3_000, 4_000]);
  });
});
