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

export class KernelRoutes implements RoutesPort {
  private readonly reconciler: RouteReconciler;
  private readonly kernel: KernelRouteTable;
  private everSynced = false;

  constructor(opts: KernelRoutesOptions) {
    this.kernel = opts.kernel ?? new IpRouteTable();
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
    this.reconciler.setDesired(
      routes.map((r): Route => ({ dst: r.dst, type: r.type, nexthops: r.nexthops.map((via) => ({ via })) })),
    );
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
      installed: s.installed,
      failed: s.failed.map((f) => ({ dst: f.dst, reason: f.reason })),
      applies: s.counters.applies,
      errors: s.counters.kernelErrors + s.counters.routeFailures,
      lastApplySeconds: s.counters.lastApplyDurationMs / 1000,
    };
  }

  synced(): boolean {
    const s = this.reconciler.status();
    return this.everSynced || (s.started && s.failed.length === 0 && s.installed === s.desired);
  }
}
