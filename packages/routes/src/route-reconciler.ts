// The reconciler owns one (table, protocol) pair: desired routes in, kernel made to match. Felix-style: set() /
// setDesired() record intent and schedule an immediate delta apply (only the keys that changed); a full resync lists
// the kernel and re-diffs everything, periodically, on a monitor signal, and after any kernel error. Routes of other
// protocols never enter the picture: the kernel is only listed, added to, and deleted from under our protocol.
// What to write is decided by the pure diff (route-diff.ts); this file is the driver: it keeps the state, sends the
// operations, and arms ONE timer for the earliest of its deadlines (periodic resync, monitor-triggered resync,
// kernel-error backoff, refused-route retry). settled() is a promise the driver resolves when it goes idle.
import { EventEmitter } from 'node:events';
import { backoffDelay, type Clock } from '@gannet/core';
import { Deadlines } from './deadlines.js';
import { FailedRoutes } from './failed-routes.js';
import { InstalledRoutes } from './installed-routes.js';
import { canonicalPrefix } from './ip-prefix.js';
import type { KernelRouteEvent, KernelRouteTable, RouteOp, RouteOpResult } from './kernel-route-table.js';
import { type NormalRoute, normalizeRoute, type Route, routeKey, routeMatches, sameRoute } from './route.js';
import { diffKey } from './route-diff.js';
import {
  type FailedRoute,
  type ReconcilerCounters,
  type ReconcilerEvents,
  type ReconcilerStatus,
  type RouteReconcilerOptions,
  type RouteState,
  type RoutesLogger,
  resolveReconcilerOptions,
} from './route-reconciler-options.js';
import { RoutesError } from './routes-error.js';

/** Keys diffed per turn of the event loop: a 100,000-route pass never holds the loop (BGP timers run on it). */
const DIFF_SLICE = 5000;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export class RouteReconciler extends EventEmitter<ReconcilerEvents> {
  readonly table: number;
  readonly protocol: number;
  private readonly kernel: KernelRouteTable;
  private readonly clock: Clock;
  private readonly log: RoutesLogger;
  private readonly resyncIntervalMs: number;
  private readonly retryIntervalMs: number;
  private readonly maxRetryIntervalMs: number;
  private readonly watchDebounceMs: number;
  private readonly batchSize: number;

  private desired = new Map<string, NormalRoute>();
  private kernelView = new Map<string, NormalRoute>();
  private readonly adopted = new Set<string>();
  /** Desired keys the kernel has as asked (kept per key: status() counts without scanning). */
  private readonly installed = new InstalledRoutes();
  private readonly failed: FailedRoutes;
  private dirty = new Set<string>();
  /** Every key is dirty (after setDesired or a resync). */
  private fullDiff = false;
  private readonly counters: ReconcilerCounters = {
    applies: 0,
    routesAdded: 0,
    routesReplaced: 0,
    routesDeleted: 0,
    routeFailures: 0,
    kernelErrors: 0,
    resyncs: 0,
    lastApplyDurationMs: 0,
    applyDurationMsTotal: 0,
    lastResyncAt: undefined,
  };
  private cacheValid = false;
  private needResync = false;
  private started = false;
  private stopped = false;
  private initialDone = false;
  private scheduled = false;
  private rerun = false;
  private running: Promise<void> | undefined;
  private consecutiveErrors = 0;
  private unwatch: (() => void) | undefined;
  /** The periodic resync, the debounced monitor resync, the kernel-error backoff, the earliest refused-route retry. */
  private readonly deadlines: Deadlines<'resync' | 'monitor' | 'backoff' | 'retry'>;
  /** settled() callers, resolved when the driver goes idle. */
  private idleWaiters: (() => void)[] = [];

  constructor(opts: RouteReconcilerOptions) {
    super();
    const o = resolveReconcilerOptions(opts);
    this.kernel = o.kernel;
    this.table = o.table;
    this.protocol = o.protocol;
    this.clock = o.clock;
    this.log = o.logger;
    this.resyncIntervalMs = o.resyncIntervalMs;
    this.retryIntervalMs = o.retryIntervalMs;
    this.maxRetryIntervalMs = o.maxRetryIntervalMs;
    this.watchDebounceMs = o.watchDebounceMs;
    this.batchSize = o.batchSize;
    this.failed = new FailedRoutes(this.clock, o.retryIntervalMs, o.maxRetryIntervalMs);
    this.deadlines = new Deadlines(this.clock, (due, at) => {
      for (const d of due) {
        if (d !== 'retry') this.needResync = true;
        else for (const k of this.failed.markDue(at)) this.dirty.add(k);
      }
      if (due.includes('retry')) this.deadlines.set('retry', this.failed.nextDeadline());
      this.schedule();
    });
  }

  /** Replaces the whole desired set. Validates everything first: on a bad route it throws and changes nothing. */
  setDesired(routes: readonly Route[]): void {
    const next = new Map<string, NormalRoute>();
    for (const r of routes) {
      const n = this.normalize(r);
      const size = next.size;
      next.set(routeKey(n), n);
      if (next.size === size) {
        throw new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `route ${n.dst} metric ${n.metric} given twice`);
      }
    }
    if (this.adopted.size > 0) for (const k of next.keys()) this.adopted.delete(k);
    this.desired = next;
    this.installed.rebuild(next, this.kernelView);
    // A whole new set: the next apply compares everything (cheap for unchanged routes, which share their next
    // hops) instead of this call diffing old against new before the kernel gets its first line.
    this.fullDiff = true;
    this.schedule();
  }

  /** Adds or changes one desired route (delta). */
  set(route: Route): void {
    const n = this.normalize(route);
    const k = routeKey(n);
    const old = this.desired.get(k);
    if (old && sameRoute(old, n)) return;
    this.desired.set(k, n);
    this.installed.update(k, n, this.kernelView.get(k));
    this.adopted.delete(k);
    this.dirty.add(k);
    this.schedule();
  }

  /** Removes one desired route; returns false when it was not desired. `metric` defaults as in the kernel. */
  delete(dst: string, metric?: number): boolean {
    const p = canonicalPrefix(dst);
    const k = routeKey({ dst: p.text, metric: metric ?? (p.family === 4 ? 0 : 1024) });
    const old = this.desired.get(k);
    if (!old) return false;
    this.desired.delete(k);
    this.installed.update(k, undefined, undefined);
    this.dirty.add(k);
    this.schedule();
    return true;
  }

  /**
   * Lists the kernel, adopts routes of our protocol that are not desired as stale (kept), and applies the desired
   * set. Resolves after that first pass (a failing kernel is retried in the background, never thrown).
   */
  async start(): Promise<void> {
    if (this.stopped) throw new RoutesError('ERR_GANNET_ROUTES_CLOSED', 'a stopped reconciler cannot start again');
    if (this.started) return;
    this.started = true;
    this.unwatch = this.kernel.watch((ev) => this.onKernelEvent(ev));
    this.needResync = true;
    this.schedule();
    await this.settled();
  }

  /** The initial state is known (End-of-RIB from every peer, or a timer): stale routes not desired are now removed. */
  initialStateComplete(): void {
    if (this.initialDone) return;
    this.initialDone = true;
    for (const k of this.adopted) if (!this.desired.has(k)) this.dirty.add(k);
    this.adopted.clear();
    this.schedule();
  }

  /** Stops timers and the kernel watch; waits for a batch in flight. Removes nothing from the kernel. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.deadlines.stop();
    this.unwatch?.();
    this.unwatch = undefined;
    await this.running;
    this.notifyIdle();
  }

  /** Resolves once no work is running or scheduled (routes waiting for a retry timer do not count). */
  settled(): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Counts and counters, O(1) whatever the number of routes. */
  status(): ReconcilerStatus {
    return {
      started: this.started && !this.stopped,
      initialStateComplete: this.initialDone,
      desired: this.desired.size,
      installed: this.installed.size,
      stale: this.adopted.size,
      failed: this.failed.size,
      counters: { ...this.counters },
    };
  }

  /** The routes the kernel currently refuses (copies), with their reasons and next retry times. */
  failedRoutes(): FailedRoute[] {
    return this.failed.list();
  }

  /**
   * One desired route's state, O(1): whether the kernel has it as asked, and why not when it was refused. Undefined
   * when no route to `dst` (with `metric`, default the kernel's) is desired. Throws RoutesError on a bad prefix.
   */
  routeState(dst: string, metric?: number): Omit<RouteState, 'route'> | undefined {
    // The caller's own string is usually the canonical one already: no parse on that path.
    let k = metric === undefined ? dst : routeKey({ dst, metric });
    if (!this.desired.has(k)) {
      const p = canonicalPrefix(dst);
      k = routeKey({ dst: p.text, metric: metric ?? (p.family === 4 ? 0 : 1024) });
      if (!this.desired.has(k)) return undefined;
    }
    if (this.installed.has(k)) return { installed: true };
    const f = this.failed.get(k);
    return f ? { installed: false, reason: f.reason } : { installed: false };
  }

  /** Every desired route with whether the kernel has it, and why not when it was refused. */
  routes(): RouteState[] {
    return [...this.desired].map(([k, route]) => {
      const have = this.kernelView.get(k);
      const state: RouteState = { route, installed: !!have && routeMatches(route, have) };
      const f = this.failed.get(k);
      if (f && !state.installed) state.reason = f.reason;
      return state;
    });
  }

  private normalize(r: Route): NormalRoute {
    const n = normalizeRoute(r, this.table);
    if (n.table !== this.table) {
      throw new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `route ${n.dst}: table ${n.table} is not ${this.table}`);
    }
    return n;
  }

  private idle(): boolean {
    return !this.running && !this.scheduled;
  }

  private notifyIdle(): void {
    if (!this.idle() || this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private schedule(): void {
    if (this.scheduled || !this.started || this.stopped) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.rerun = false;
    this.running = this.drain()
      .catch((err: unknown) => {
        // Not a kernel failure (those are handled where they happen): a listener of ours threw. Never crash the
        // agent for it; start over from the kernel's view after the retry delay.
        this.cacheValid = false;
        this.log.error('route reconciler pass failed', { error: err instanceof Error ? err.message : String(err) });
        this.deadlines.setUnlessSet('backoff', this.retryIntervalMs);
      })
      .finally(() => {
        this.running = undefined;
        if (this.rerun || this.needResync || (this.cacheValid && this.hasWork())) this.schedule();
        this.notifyIdle();
      });
  }

  private async drain(): Promise<void> {
    for (let round = 0; round < 1000 && !this.stopped; round++) {
      this.rerun = false;
      if (this.needResync) {
        this.needResync = false;
        await this.resync();
      }
      if (this.stopped) return;
      if (this.cacheValid && this.hasWork()) await this.applyDirty();
      if (!this.needResync && !(this.cacheValid && this.hasWork())) return;
    }
  }

  private async resync(): Promise<void> {
    let listed: NormalRoute[];
    try {
      listed = await this.kernel.list(this.table, this.protocol);
    } catch (err) {
      this.kernelError(err, 'listing the kernel table failed');
      return;
    }
    const fresh = new Map<string, NormalRoute>();
    for (let i = 0; i < listed.length; i++) {
      if (i > 0 && i % DIFF_SLICE === 0) {
        await yieldToLoop();
        if (this.stopped) return;
      }
      const r = listed[i] as NormalRoute;
      const k = routeKey(r);
      fresh.set(k, r);
      if (!this.initialDone && !this.desired.has(k) && !this.kernelView.has(k)) this.adopted.add(k);
    }
    for (const k of this.adopted) if (!fresh.has(k)) this.adopted.delete(k);
    this.kernelView = fresh;
    // The installed set is brought up to date by the full pass that follows, key by key, in slices.
    this.cacheValid = true;
    this.fullDiff = true;
    this.counters.resyncs++;
    this.counters.lastResyncAt = this.clock.now();
    this.emit('resynced', { routes: fresh.size });
    this.deadlines.set('resync', this.clock.now() + this.resyncIntervalMs);
  }

  private async applyDirty(): Promise<void> {
    const now = this.clock.now();
    const t0 = now;
    // Each chunk goes to the kernel as soon as it is full (the real table pipelines them), so the kernel is busy
    // while the rest of the diff is computed; results are then read in order.
    const inFlight: { chunk: RouteOp[]; results: Promise<RouteOpResult[]> }[] = [];
    let chunk: RouteOp[] = [];
    const send = () => {
      const results = this.kernel.batch(chunk, this.protocol);
      results.catch(() => {});
      inFlight.push({ chunk, results });
      chunk = [];
    };
    // The keys to look at, taken now: what changes while this pass yields to the event loop (a large table is
    // diffed in slices) lands in a fresh dirty set for the next pass.
    let keys: string[];
    if (this.fullDiff) {
      this.fullDiff = false;
      keys = [...this.desired.keys()];
      for (const k of this.kernelView.keys()) if (!this.desired.has(k)) keys.push(k);
      for (const k of this.failed.keys()) if (!this.desired.has(k) && !this.kernelView.has(k)) keys.push(k);
    } else {
      keys = [...this.dirty];
    }
    this.dirty = new Set();
    const due = this.failed.dueKeys();
    for (let i = 0; i < keys.length && !this.stopped; i++) {
      if (i > 0 && i % DIFF_SLICE === 0) await yieldToLoop();
      const op = this.opFor(keys[i] as string, now);
      if (!op) continue;
      chunk.push(op);
      if (chunk.length >= this.batchSize) send();
    }
    if (chunk.length > 0) send();
    this.failed.clearDue(due);
    let ops = 0;
    let failures = 0;
    for (const { chunk: sent, results: pending } of inFlight) {
      let results: RouteOpResult[];
      try {
        results = await pending;
        this.counters.applies++;
      } catch (err) {
        await Promise.allSettled(inFlight.map((b) => b.results));
        this.cacheValid = false;
        this.kernelError(err, 'applying a batch failed; resyncing');
        return;
      }
      ops += sent.length;
      for (let j = 0; j < sent.length; j++) {
        const op = sent[j] as RouteOp;
        const r = results[j] ?? { ok: false as const, reason: 'no result from the kernel table' };
        if (r.ok) this.recordSuccess(op);
        else {
          failures++;
          this.recordFailure(op, r.reason);
        }
      }
    }
    if (ops > 0) {
      const durationMs = this.clock.now() - t0;
      this.counters.lastApplyDurationMs = durationMs;
      this.counters.applyDurationMsTotal += durationMs;
      this.emit('applied', { ops, failed: failures, durationMs });
      this.log.debug('routes applied', { table: this.table, ops, failed: failures, durationMs });
    }
    this.consecutiveErrors = 0;
    this.deadlines.set('retry', this.failed.nextDeadline());
  }

  private hasWork(): boolean {
    return this.fullDiff || this.dirty.size > 0;
  }

  /** What to do for one dirty key (the pure diff), or undefined when the kernel is right or the key waits. */
  private opFor(k: string, now: number): RouteOp | undefined {
    const f = this.failed.get(k);
    const holdStale = !this.initialDone && this.adopted.size > 0 && this.adopted.has(k);
    const d = diffKey(
      this.desired.get(k),
      this.kernelView.get(k),
      f,
      now,
      f !== undefined && this.failed.isDue(k),
      holdStale,
    );
    // A full pass visits every key: it brings the installed set up to date after a resync.
    this.installed.mark(k, d.installed);
    if (d.forgetFailure) this.failed.delete(k);
    return d.op;
  }

  private recordSuccess(op: RouteOp): void {
    const k = routeKey(op.route);
    this.failed.delete(k);
    if (op.op === 'delete') {
      this.kernelView.delete(k);
      this.adopted.delete(k);
      this.counters.routesDeleted++;
    } else {
      this.kernelView.set(k, op.route);
      if (op.op === 'add') this.counters.routesAdded++;
      else this.counters.routesReplaced++;
    }
    this.installed.update(k, this.desired.get(k), this.kernelView.get(k));
  }

  private recordFailure(op: RouteOp, reason: string): void {
    const f = this.failed.record(op, reason);
    this.counters.routeFailures++;
    if (f.attempts === 1) this.log.warn('kernel refused a route', { dst: f.dst, op: f.op, reason });
    this.emit('route-failed', { ...f });
  }

  private kernelError(err: unknown, what: string): void {
    const e = err instanceof Error ? err : new Error(String(err));
    this.counters.kernelErrors++;
    this.consecutiveErrors++;
    const n = this.consecutiveErrors;
    const delay =
      n === 1 ? 0 : backoffDelay(n - 2, { initialMs: this.retryIntervalMs, maxMs: this.maxRetryIntervalMs });
    this.log.error(what, { table: this.table, error: e.message, retryInMs: delay });
    this.emit('kernel-error', e);
    if (delay === 0) this.needResync = true;
    this.deadlines.set('backoff', delay === 0 ? undefined : this.clock.now() + delay);
  }

  private onKernelEvent(ev: KernelRouteEvent): void {
    if (ev.kind === 'route') {
      if (ev.table !== this.table) return;
      if (ev.dst !== undefined && ev.metric !== undefined) {
        const wanted = this.desired.has(routeKey({ dst: ev.dst, metric: ev.metric }));
        const ours = ev.protocol === this.protocol;
        // Our own writes echo back as ours-and-wanted (or deleted-and-unwanted): nothing to do for those.
        if (wanted ? !ev.deleted && ours : ev.deleted || !ours) return;
      }
    }
    this.deadlines.setUnlessSet('monitor', this.watchDebounceMs);
  }
}
