// Routes the kernel refused: the reason, the attempts, and when to try again (exponential backoff). One timer
// fires at the earliest retry deadline and hands the due keys back to the reconciler.
import { backoffDelay, type Clock, type TimerHandle } from '@gannet/core';
import type { RouteOp } from './kernel-route-table.js';
import { routeKey, sameRoute } from './route.js';
import type { FailedRoute } from './route-reconciler-options.js';

export class FailedRoutes {
  private readonly byKey = new Map<string, FailedRoute>();
  /** Keys whose retry timer fired: due even if the clock reads a hair before their nextRetryAt. */
  private readonly due = new Set<string>();
  private timer: { handle: TimerHandle; at: number } | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly retryIntervalMs: number,
    private readonly maxRetryIntervalMs: number,
    /** Called with the keys whose retry time has come. */
    private readonly onDue: (keys: string[]) => void,
  ) {}

  get size(): number {
    return this.byKey.size;
  }

  get(k: string): FailedRoute | undefined {
    return this.byKey.size > 0 ? this.byKey.get(k) : undefined;
  }

  delete(k: string): void {
    if (this.byKey.size > 0) this.byKey.delete(k);
  }

  keys(): IterableIterator<string> {
    return this.byKey.keys();
  }

  /** Copies, for failedRoutes(). */
  list(): FailedRoute[] {
    return [...this.byKey.values()].map((f) => ({ ...f }));
  }

  /** Records a refusal; the attempt count grows while the same operation of the same route keeps failing. */
  record(op: RouteOp, reason: string): FailedRoute {
    const k = routeKey(op.route);
    const prev = this.byKey.get(k);
    const attempts = prev && prev.op === op.op && sameRoute(prev.route, op.route) ? prev.attempts + 1 : 1;
    const delay = backoffDelay(attempts - 1, { initialMs: this.retryIntervalMs, maxMs: this.maxRetryIntervalMs });
    const f: FailedRoute = {
      dst: op.route.dst,
      metric: op.route.metric,
      op: op.op,
      route: op.route,
      reason,
      attempts,
      nextRetryAt: this.clock.now() + delay,
    };
    this.byKey.set(k, f);
    return f;
  }

  /** True while `f` (the entry of key k) should not be retried yet. */
  waiting(k: string, f: FailedRoute, now: number): boolean {
    return f.nextRetryAt > now && !this.due.has(k);
  }

  /** The keys the timer has made due so far (a copy). */
  dueKeys(): string[] {
    return [...this.due];
  }

  /** Forgets that `keys` were due (an apply has considered them); keys made due since stay due. */
  clearDue(keys: readonly string[]): void {
    for (const k of keys) this.due.delete(k);
  }

  /** Sets the timer for the earliest retry not yet due. */
  arm(): void {
    if (this.stopped) return;
    let at = Number.POSITIVE_INFINITY;
    for (const [k, f] of this.byKey) if (!this.due.has(k)) at = Math.min(at, f.nextRetryAt);
    if (this.timer && this.timer.at <= at) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (at === Number.POSITIVE_INFINITY) return;
    const handle = this.clock.setTimeout(() => {
      this.timer = undefined;
      // Timers may fire a little before the clock reads `at`: the deadline, not now(), decides what is due.
      const keys: string[] = [];
      for (const [k, f] of this.byKey) {
        if (f.nextRetryAt <= at) {
          keys.push(k);
          this.due.add(k);
        }
      }
      this.arm();
      this.onDue(keys);
    }, at - this.clock.now());
    this.timer = { handle, at };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
  }
}
