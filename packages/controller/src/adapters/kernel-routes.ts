// Binds the agent's RoutesPort to @gannet/routes: one reconciler owning (table, Gannet's protocol).
import { IpRouteTable, type KernelRouteTable, type Route, RouteReconciler } from '@gannet/routes';
import type { Logger } from '../log.js';
import type { DesiredRoute, RoutesPort, RoutesStatus } from '../ports.js';

export interface KernelRoutesOptions {
  table?: number;
  protocol?: number;
  resyncIntervalMs?: number;
  logger: Logger;
  /** The kernel; default: iproute2 in the current network namespace. */
  kernel?: KernelRouteTable;
  /** Called after every apply with its duration in seconds (metrics). */
  onApply?: (seconds: number) => void;
}

const toRoute = (r: DesiredRoute): Route => ({
  dst: r.dst,
  type: r.type,
  nexthops: r.nexthops.map((via) => ({ via })),
});

export class KernelRoutes implements RoutesPort {
  private readonly reconciler: RouteReconciler;
  private readonly kernel: KernelRouteTable;
  private readonly log: Logger;
  private everSynced = false;

  constructor(opts: KernelRoutesOptions) {
    this.kernel = opts.kernel ?? new IpRouteTable();
    this.log = opts.logger;
    this.reconciler = new RouteReconciler({
      kernel: this.kernel,
      ...(opts.table !== undefined ? { table: opts.table } : {}),
      ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
      ...(opts.resyncIntervalMs !== undefined ? { resyncIntervalMs: opts.resyncIntervalMs } : {}),
      logger: opts.logger,
    });
    this.reconciler.on('applied', ({ durationMs, failed }) => {
      opts.onApply?.(durationMs / 1000);
      if (failed === 0) this.everSynced = true;
    });
    this.reconciler.on('route-failed', (f) =>
      opts.logger.warn('kernel refused a route', { dst: f.dst, reason: f.reason }),
    );
    this.reconciler.on('kernel-error', (err) =>
      opts.logger.error('kernel routes error; resyncing', { error: err.message }),
    );
  }

  async start(): Promise<{ adopted: number }> {
    await this.reconciler.start();
    return { adopted: this.reconciler.status().stale };
  }

  setDesired(routes: DesiredRoute[]): void {
    this.reconciler.setDesired(routes.map(toRoute));
  }

  update(set: DesiredRoute[], removed: string[]): void {
    // One route the kernel could never take (say, more next hops than iproute2 accepts) is logged and left out; the
    // others go ahead.
    for (const r of set) {
      try {
        this.reconciler.set(toRoute(r));
      } catch (err) {
        this.log.warn('route not installable; left out', { dst: r.dst, error: (err as Error).message });
      }
    }
    for (const dst of removed) {
      try {
        this.reconciler.delete(dst);
      } catch (err) {
        this.log.warn('cannot remove route', { dst, error: (err as Error).message });
      }
    }
  }

  initialStateComplete(): void {
    this.reconciler.initialStateComplete();
  }

  async stop(): Promise<void> {
    await this.reconciler.stop();
    await (this.kernel as { close?: () => Promise<void> }).close?.();
  }

  status(): RoutesStatus {
    const s = this.reconciler.status();
    return {
      desired: s.desired,
      installed: s.installed,
      failed: s.failed,
      applies: s.counters.applies,
      errors: s.counters.kernelErrors + s.counters.routeFailures,
      lastApplySeconds: s.counters.lastApplyDurationMs / 1000,
    };
  }

  routeState(dst: string): { installed: boolean; reason?: string } | undefined {
    try {
      return this.reconciler.routeState(dst);
    } catch {
      return undefined; // not a prefix: no such route
    }
  }

  synced(): boolean {
    if (this.everSynced) return true;
    const s = this.reconciler.status();
    return s.started && s.failed === 0 && s.installed === s.desired;
  }
}
