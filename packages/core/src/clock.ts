// Time behind an interface, so timers run under a FakeClock in tests (see ./testing). now() is monotonic.

export type TimerHandle = object;

export interface Clock {
  /** Milliseconds on a monotonic scale (only differences matter; not wall-clock time). */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** Runs a callback after the current work, before any timer: setImmediate for real, a queue under FakeClock. */
export type Defer = (fn: () => void) => void;

/**
 * A real clock: performance.now() and the event loop's timers. `keepAlive: false` (the default) unrefs each timer,
 * so a pending one never keeps the process alive; `keepAlive: true` is for a retry timer the process waits on.
 */
export function realClock(opts: { keepAlive?: boolean } = {}): Clock {
  const keepAlive = opts.keepAlive ?? false;
  return {
    now: () => performance.now(),
    setTimeout(fn, ms) {
      const t = setTimeout(fn, Math.max(0, ms));
      if (!keepAlive) t.unref();
      return t;
    },
    clearTimeout(handle) {
      clearTimeout(handle as NodeJS.Timeout);
    },
  };
}

/** The real clock with unref'd timers. */
export const systemClock: Clock = realClock();

/** The real Defer: setImmediate. */
export const systemDefer: Defer = (fn) => {
  setImmediate(fn);
};
