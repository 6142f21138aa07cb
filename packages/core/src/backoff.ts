// One exponential backoff: initial × factor^attempt, capped at max, then scaled by a jitter factor drawn from
// [jitter[0], jitter[1]) with an injectable random source (tests pass a constant).

export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** Growth per attempt; default 2. */
  factor?: number;
  /** The range the delay is scaled by; default [1, 1] (no jitter). E.g. [0.75, 1.25] or [0.8, 1]. */
  jitter?: readonly [number, number];
}

/** The delay before retry number `attempt` (0 for the first retry), jittered with `random()` in [0, 1). */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const factor = opts.factor ?? 2;
  const base = Math.min(opts.maxMs, opts.initialMs * factor ** Math.min(Math.max(0, attempt), 64));
  const [lo, hi] = opts.jitter ?? [1, 1];
  return lo === 1 && hi === 1 ? base : Math.round(base * (lo + (hi - lo) * random()));
}

/** Delays between retries: next() grows, reset() after a success (the seam tests replace). */
export interface Backoff {
  next(): number;
  reset(): void;
}

/** The exponential Backoff of backoffDelay. */
export class ExponentialBackoff implements Backoff {
  private attempt = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.attempt;
  }

  next(): number {
    return backoffDelay(this.attempt++, this.opts, this.random);
  }

  reset(): void {
    this.attempt = 0;
  }
}
