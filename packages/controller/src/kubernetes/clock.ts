// The clock and backoff that Kubernetes mode waits with (@gannet/core's), injected so tests advance time by hand
// and never sleep.
import { type Backoff, type Clock, ExponentialBackoff as CoreExponentialBackoff, realClock } from '@gannet/core';

export type { Backoff, Clock };

/**
 * Real, monotonic time. Its timers keep the process alive (no unref): while the API server is unreachable at start,
 * a retry timer may be the only thing the agent waits on, and an unref'd one would let the process exit mid-await.
 * Everything that schedules on it clears its timer in stop().
 */
export const systemClock: Clock = realClock({ keepAlive: true });

export interface ExponentialBackoffOptions {
  initialMs?: number;
  maxMs?: number;
  factor?: number;
  /** 0..1: each delay is scaled by a random factor in [1 - jitter, 1]. */
  jitter?: number;
  random?: () => number;
}

/** Core's exponential backoff with Kubernetes mode's defaults: 1 s doubling to 30 s, scaled by (1 − 0.2·random()). */
export class ExponentialBackoff extends CoreExponentialBackoff {
  constructor(opts: ExponentialBackoffOptions = {}) {
    const jitter = opts.jitter ?? 0.2;
    const random = opts.random ?? Math.random;
    super(
      {
        initialMs: opts.initialMs ?? 1000,
        maxMs: opts.maxMs ?? 30_000,
        factor: opts.factor ?? 2,
        jitter: [1 - jitter, 1],
      },
      () => 1 - random(),
    );
  }
}
