import assert from 'node:assert/strict';
import type { Clock } from '@gannet/routes';
import { EventLoopLagSampler } from '../src/event-loop-lag.js';

/** A clock whose one timer fires only when the test says, at whatever time the test has set. */
function manualClock() {
  let now = 0;
  let pending: { fn: () => void; at: number } | undefined;
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      pending = { fn, at: now + ms };
      return pending;
    },
    clearTimeout(h) {
      if (h === pending) pending = undefined;
    },
  };
  return {
    clock,
    /** Fires the timer `lateMs` after its deadline. */
    fire(lateMs: number) {
      const p = pending;
      assert.ok(p, 'a timer is armed');
      now = p.at + lateMs;
      pending = undefined;
      p.fn();
    },
    armed: () => pending !== undefined,
  };
}

describe('controller: event-loop lag sampler', () => {
  it('samples how late its timer ran (a stall of S shows as one sample of S) and the CPU time spent meanwhile', () => {
    const m = manualClock();
    let cpu = 1000;
    const samples: { lag: number; busy: number }[] = [];
    const s = new EventLoopLagSampler(
      (x) => samples.push(x),
      10,
      m.clock,
      () => cpu,
    );
    s.start();
    m.fire(0);
    cpu += 2;
    m.fire(1);
    cpu += 340; // our own work
    m.fire(350);
    m.fire(500); // the machine did not run us: late, but no work of ours
    assert.deepEqual(samples, [
      { lag: 0, busy: 0 },
      { lag: 0.001, busy: 0.002 },
      { lag: 0.35, busy: 0.34 },
      { lag: 0.5, busy: 0 },
    ]);
    s.stop();
    assert.equal(m.armed(), false, 'stop leaves no timer');
  });
});
