// Routes the kernel refused: the reason, the attempts, and when to try again (exponential backoff). No timer of its
// own: the reconciler's one timer fires at the earliest deadline (nextDeadline()) and asks which keys are due.
import { backoffDelay, type Clock } from '@gannet/core';
import type { RouteOp } from './kernel-route-table.js';
import { routeKey, sameRoute } from './route.js';
import type { FailedRoute } from './route-reconciler-options.js';

export class FailedRoutes {
  private readonly byKey = new Map<string, FailedRoute>();
  /** Keys whose retry timer fired: due even if the clock reads a hair before their nextRetryAt. */
  private readonly due = new Set<string>();

  constructor(
    private readonly clock: Clock,
    private readonly retryIntervalMs: number,
    private readonly maxRetryIntervalMs: number,
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

  /** The keys the timer has made due so far (a copy). */
  dueKeys(): string[] {
    return [...this.due];
  }

  /** Forgets that `keys` were due (an apply has considered them); keys made due since stay due. */
  clearDue(keys: readonly string[]): void {
    for (const k of keys) this.due.delete(k);
  }

  /** The earliest retry deadline not yet due (the driver's timer takes it into account), or undefined. */
  nextDeadline(): number | undefined {
    let at: number | undefined;
    for (const [k, f] of this.byKey)
      if (!this.due.has(k) && (at === undefined || f.nextRetryAt < at)) at = f.nextRetryAt;
    return at;
  }

  /**
   * The driver's timer fired for deadline `at`: marks and returns the keys due by then. Timers may fire a little
   * before the clock reads `at`: the deadline, not now(), decides what is due.
   */
  markDue(at: number): string[] {
    const keys: string[] = [];
    for (const [k, f] of this.byKey) {
      if (f.nextRetryAt <= at && !this.due.has(k)) {
        keys.push(k);
        this.due.add(k);
      }
    }
    return keys;
  }

  /** The refusal records themselves (read-only), for the pure diff. */
  entries(): ReadonlyMap<string, FailedRoute> {
    return this.byKey;
  }

  isDue(k: string): boolean {
    return this.due.size > 0 && this.due.has(k);
  }
}
