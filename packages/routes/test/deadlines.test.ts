import assert from 'node:assert/strict';
import type { Clock } from '@gannet/core';
import { Deadlines } from '../src/deadlines.js';
import { FakeClock } from '../src/testing/index.js';

function setup(clock: Clock = new FakeClock()) {
  const fired: string[] = [];
  const d = new Deadlines<'a' | 'b' | 'c'>(clock, (due, at) => fired.push(`${due.join('+')}@${at}`));
  return { d, fired };
}

describe('Deadlines (one timer)', () => {
  it('keeps one timer for the earliest deadline and fires each deadline at its time', () => {
    const clock = new FakeClock();
    const { d, fired } = setup(clock);
    d.set('a', 300);
    d.set('b', 100);
    d.set('c', 200);
    assert.equal(clock.pending(), 1);
    clock.advance(150);
    assert.deepEqual(fired, ['b@100']);
    assert.equal(clock.pending(), 1);
    assert.equal(d.get('b'), undefined, 'a deadline that came is cleared');
    clock.advance(200);
    assert.deepEqual(fired, ['b@100', 'c@200', 'a@300']);
    assert.equal(clock.pending(), 0);
  });

  it('fires deadlines that share a time together, moves and clears deadlines', () => {
    const clock = new FakeClock();
    const { d, fired } = setup(clock);
    d.set('a', 100);
    d.set('b', 100);
    d.set('c', 50);
    d.set('c', 500);
    d.set('b', undefined);
    assert.equal(clock.pending(), 1);
    clock.advance(100);
    assert.deepEqual(fired, ['a@100']);
    clock.advance(400);
    assert.deepEqual(fired, ['a@100', 'c@500']);
  });

  it('debounces with setUnlessSet: a set deadline is not pushed back', () => {
    const clock = new FakeClock();
    const { d, fired } = setup(clock);
    d.setUnlessSet('a', 50);
    clock.advance(30);
    d.setUnlessSet('a', 50);
    clock.advance(20);
    assert.deepEqual(fired, ['a@50']);
    d.setUnlessSet('a', 50);
    clock.advance(50);
    assert.deepEqual(fired, ['a@50', 'a@100']);
  });

  it('treats every deadline up to the timer’s own as due when the timer fires early', () => {
    const inner = new FakeClock();
    const early: Clock = {
      now: () => inner.now(),
      setTimeout: (fn, ms) => inner.setTimeout(fn, Math.max(0, ms - 1)),
      clearTimeout: (h) => inner.clearTimeout(h),
    };
    const { d, fired } = setup(early);
    d.set('a', 100);
    d.set('b', 101);
    inner.advance(99);
    assert.deepEqual(fired, ['a@100'], 'due at 99 by the clock, by its deadline');
    inner.advance(1);
    assert.deepEqual(fired, ['a@100', 'b@101']);
  });

  it('leaves no timer after stop and ignores later sets', () => {
    const clock = new FakeClock();
    const { d, fired } = setup(clock);
    d.set('a', 100);
    d.stop();
    assert.equal(clock.pending(), 0);
    d.set('b', 10);
    d.setUnlessSet('c', 10);
    clock.advance(1000);
    assert.equal(clock.pending(), 0);
    assert.deepEqual(fired, []);
  });
});
