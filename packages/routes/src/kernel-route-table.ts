// The one narrow seam between the reconciler and the kernel. IpRouteTable implements it with iproute2 processes;
// MemoryRouteTable (`@gannet/routes/testing`) implements it in memory for tests.
import type { NormalRoute } from './route.js';

/**
 * One write. `add` fails when any route (of any protocol) already holds the destination and metric, so a route of
 * another program is never overwritten; `replace` changes a route of ours in place (ECMP next hops without a gap);
 * `delete` removes only a route carrying the batch's protocol, and succeeds when the route is already gone.
 */
export interface RouteOp {
  op: 'add' | 'replace' | 'delete';
  route: NormalRoute;
}

/** Outcome of one operation of a batch: `ok`, or the kernel's reason for refusing it. */
export type RouteOpResult = { ok: true } | { ok: false; reason: string };

/** A change signal from the kernel (route monitor), or `lost` when changes may have been missed (ENOBUFS, restart). */
export type KernelRouteEvent =
  | { kind: 'route'; deleted: boolean; dst?: string; metric?: number; table: number; protocol?: number }
  | { kind: 'lost'; reason: string };

export interface KernelRouteTable {
  /** Routes of `protocol` in `table`, IPv4 and IPv6, in normal form. Never returns routes of other protocols. */
  list(table: number, protocol: number): Promise<NormalRoute[]>;
  /**
   * Performs the operations in order, tagging written routes with `protocol`; one result per operation. A refused
   * route never stops the rest. Rejects (RoutesError) only when the outcome is unknown (helper died): resync then.
   */
  batch(ops: readonly RouteOp[], protocol: number): Promise<RouteOpResult[]>;
  /** Single-route shorthands for batch(). */
  replace(route: NormalRoute, protocol: number): Promise<RouteOpResult>;
  remove(route: NormalRoute, protocol: number): Promise<RouteOpResult>;
  /** Subscribes to change signals; returns the unsubscribe function. */
  watch(listener: (event: KernelRouteEvent) => void): () => void;
  /** Stops helper processes. Routes stay in the kernel. */
  close(): Promise<void>;
}
