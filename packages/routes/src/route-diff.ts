// The reconciler's decisions as pure functions: (desired, kernel view, failed routes, now) → operations. No clock, no
// kernel, no timers: the driver (route-reconciler.ts) feeds them its maps and acts on what they return.
import type { RouteOp } from './kernel-route-table.js';
import { type NormalRoute, routeMatches, sameRoute } from './route.js';
import type { FailedRoute } from './route-reconciler-options.js';

/** What to do for one key. */
export interface KeyDecision {
  /** The kernel write to make, if any. */
  op?: RouteOp;
  /** The kernel has the desired route as asked. */
  installed: boolean;
  /** The key's failure record is obsolete (the route is installed, or neither desired nor present). */
  forgetFailure: boolean;
  /** The key waits for its retry deadline (a refused operation that would be repeated unchanged). */
  retryAt?: number;
}

/**
 * One key. `failed` is the key's refusal record, `due` whether its retry time has come (a timer may fire a hair
 * before the clock reads the deadline), `holdStale` whether an undesired route of ours found at start is kept.
 */
export function diffKey(
  want: NormalRoute | undefined,
  have: NormalRoute | undefined,
  failed: FailedRoute | undefined,
  now: number,
  due: boolean,
  holdStale: boolean,
): KeyDecision {
  const waiting = failed !== undefined && failed.nextRetryAt > now && !due;
  const installed = want !== undefined && have !== undefined && routeMatches(want, have);
  if (want) {
    if (installed) return { installed, forgetFailure: failed !== undefined };
    if (waiting && failed.op !== 'delete' && sameRoute(failed.route, want)) {
      return { installed, forgetFailure: false, retryAt: failed.nextRetryAt };
    }
    return { op: { op: have ? 'replace' : 'add', route: want }, installed, forgetFailure: false };
  }
  if (have) {
    if (holdStale) return { installed, forgetFailure: false };
    if (waiting && failed.op === 'delete') return { installed, forgetFailure: false, retryAt: failed.nextRetryAt };
    return { op: { op: 'delete', route: have }, installed, forgetFailure: false };
  }
  return { installed, forgetFailure: failed !== undefined };
}

export interface DiffInput {
  desired: ReadonlyMap<string, NormalRoute>;
  kernel: ReadonlyMap<string, NormalRoute>;
  failed: ReadonlyMap<string, FailedRoute>;
  now: number;
  /** Failed keys whose retry timer has fired. */
  due?: ReadonlySet<string>;
  /** Undesired routes of ours kept until the initial state is complete. */
  stale?: ReadonlySet<string>;
}

export interface DiffResult {
  ops: RouteOp[];
  /** Failure records to drop. */
  forget: string[];
  /** The earliest retry deadline among the keys left waiting (undefined when none waits). */
  nextRetryAt: number | undefined;
}

/** Every key of desired ∪ kernel ∪ failed, in that order. */
export function diffRoutes(input: DiffInput): DiffResult {
  const { desired, kernel, failed, now } = input;
  const out: DiffResult = { ops: [], forget: [], nextRetryAt: undefined };
  const visit = (k: string) => {
    const d = diffKey(
      desired.get(k),
      kernel.get(k),
      failed.get(k),
      now,
      input.due?.has(k) ?? false,
      input.stale?.has(k) ?? false,
    );
    if (d.op) out.ops.push(d.op);
    if (d.forgetFailure) out.forget.push(k);
    if (d.retryAt !== undefined && !(out.nextRetryAt !== undefined && out.nextRetryAt <= d.retryAt)) {
      out.nextRetryAt = d.retryAt;
    }
  };
  for (const k of desired.keys()) visit(k);
  for (const k of kernel.keys()) if (!desired.has(k)) visit(k);
  for (const k of failed.keys()) if (!desired.has(k) && !kernel.has(k)) visit(k);
  return out;
}
