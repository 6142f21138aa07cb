// The reconciler's options, status and events: what the agent configures and what it reads for metrics and the
// status API.
import { type Clock, systemClock } from '@gannet/core';
import type { KernelRouteTable, RouteOp } from './kernel-route-table.js';
import { MAIN_TABLE, type NormalRoute } from './route.js';
import { RoutesError } from './routes-error.js';
import { checkRouteProtocol, checkRouteTable, GANNET_ROUTE_PROTOCOL } from './rt-protos.js';

/** The subset of a winston logger the reconciler uses. */
export interface RoutesLogger {
  debug(message: string, meta?: object): unknown;
  info(message: string, meta?: object): unknown;
  warn(message: string, meta?: object): unknown;
  error(message: string, meta?: object): unknown;
}

export interface RouteReconcilerOptions {
  kernel: KernelRouteTable;
  /** Routing table id (default 254, main). */
  table?: number;
  /** Route protocol number (default GANNET_ROUTE_PROTOCOL, 71). */
  protocol?: number;
  clock?: Clock;
  /** Full resync period (default 30 s). */
  resyncIntervalMs?: number;
  /** First retry delay of a refused route or a failed kernel call; doubles per attempt (default 1 s). */
  retryIntervalMs?: number;
  /** Retry delay cap (default 60 s). */
  maxRetryIntervalMs?: number;
  /** Monitor signals within this window cause one resync (default 50 ms). */
  watchDebounceMs?: number;
  /** Operations per kernel batch; batches are pipelined (default 5,000). */
  batchSize?: number;
  logger?: RoutesLogger;
}

/** A route the kernel refused, with its reason; retried at nextRetryAt (clock ms). */
export interface FailedRoute {
  dst: string;
  metric: number;
  op: RouteOp['op'];
  route: NormalRoute;
  reason: string;
  attempts: number;
  nextRetryAt: number;
}

export interface ReconcilerCounters {
  /** Batches sent to the kernel. */
  applies: number;
  routesAdded: number;
  routesReplaced: number;
  routesDeleted: number;
  /** Single routes the kernel refused (each attempt counts). */
  routeFailures: number;
  /** Failed lists or batches (helper died, dump failed). */
  kernelErrors: number;
  resyncs: number;
  lastApplyDurationMs: number;
  applyDurationMsTotal: number;
  /** Clock time of the last successful resync. */
  lastResyncAt: number | undefined;
}

export interface ReconcilerStatus {
  started: boolean;
  initialStateComplete: boolean;
  desired: number;
  /** Desired routes the kernel has as asked. */
  installed: number;
  /** Routes of ours found at start, kept until initialStateComplete(). */
  stale: number;
  /** Routes the kernel currently refuses (listed by failedRoutes()). */
  failed: number;
  counters: ReconcilerCounters;
}

/** One desired route and whether the kernel has it (for the status API). */
export interface RouteState {
  route: NormalRoute;
  installed: boolean;
  reason?: string;
}

export interface ReconcilerEvents {
  'route-failed': [FailedRoute];
  applied: [{ ops: number; failed: number; durationMs: number }];
  resynced: [{ routes: number }];
  'kernel-error': [Error];
}

const noLog: RoutesLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

/** Options with defaults applied, each checked; throws RoutesError naming the bad option. */
export function resolveReconcilerOptions(opts: RouteReconcilerOptions) {
  const bad = (what: string) => new RoutesError('ERR_GANNET_ROUTES_INVALID_OPTION', what);
  const positive = (name: string, v: number | undefined, dflt: number) => {
    const n = v ?? dflt;
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw bad(`${name}: ${v} (a number ≥ 0)`);
    return n;
  };
  if (!opts?.kernel) throw bad('kernel route table is required');
  return {
    kernel: opts.kernel,
    table: checkRouteTable(opts.table ?? MAIN_TABLE),
    protocol: checkRouteProtocol(opts.protocol ?? GANNET_ROUTE_PROTOCOL),
    clock: opts.clock ?? systemClock,
    logger: opts.logger ?? noLog,
    resyncIntervalMs: positive('resyncIntervalMs', opts.resyncIntervalMs, 30_000),
    retryIntervalMs: positive('retryIntervalMs', opts.retryIntervalMs, 1_000),
    maxRetryIntervalMs: positive('maxRetryIntervalMs', opts.maxRetryIntervalMs, 60_000),
    watchDebounceMs: positive('watchDebounceMs', opts.watchDebounceMs, 50),
    batchSize: Math.max(1, Math.floor(positive('batchSize', opts.batchSize, 5_000))),
  };
}
