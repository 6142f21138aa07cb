// A clock that only moves when told to: advance(ms) fires due timers in deadline order, and deferred callbacks
// (its `defer`, standing in for setImmediate) run before any timer, so tests never wait rounds of the event loop.
import type { Clock, Defer, TimerHandle } from '../clock.js';

interface FakeTimer {
  at: number;
  seq: number;
  fn: () => void;
}

export class FakeClock implements Clock {
  private t: number;
  private seq = 0;
  private readonly timers = new Set<FakeTimer>();
  private deferred: (() => void)[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer: FakeTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn };
    this.timers.add(timer);
    return timer;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as FakeTimer);
  }

  /** The injected scheduler: queues `fn` to run on the next runDeferred() or advance(). */
  readonly defer: Defer = (fn) => {
    this.deferred.push(fn);
  };

  /** Runs deferred callbacks, and those they defer, until none is left (bounded). Returns how many ran. */
  runDeferred(): number {
    let ran = 0;
    for (let guard = 0; guard < 1_000_000 && this.deferred.length > 0; guard++) {
      const batch = this.deferred;
      this.deferred = [];
      for (const fn of batch) {
        fn();
        ran++;
      }
    }
    return ran;
  }

  /** Number of pending timers and deferred callbacks (for tests that check nothing leaks). */
  pending(): number {
    return this.timers.size + this.deferred.length;
  }

  /** Moves time forward by `ms`, running deferred work first and firing each due timer at its own deadline. */
  advance(ms: number): void {
    const end = this.t + ms;
    this.runDeferred();
    for (let guard = 0; guard < 1_000_000; guard++) {
      let next: FakeTimer | undefined;
      for (const timer of this.timers) {
        if (timer.at <= end && (!next || timer.at < next.at || (timer.at === next.at && timer.seq < next.seq))) {
          next = timer;
        }
      }
      if (!next) break;
      this.timers.delete(next);
      this.t = Math.max(this.t, next.at);
      next.fn();
      this.runDeferred();
    }
    this.t = end;
  }
}
