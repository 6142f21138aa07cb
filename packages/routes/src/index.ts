// Public API of @gannet/routes: a curated list of named re-exports (see ../../../shared/STYLE.md).
// In-memory doubles for tests live under `@gannet/routes/testing`.
export { type Clock, systemClock } from '@gannet/core';
export { IpRouteTable, type IpRouteTableOptions } from './ip-route-table.js';
export type { KernelRouteEvent, KernelRouteTable, RouteOp, RouteOpResult } from './kernel-route-table.js';
export { type NextHop, type NormalRoute, normalizeRoute, type Route, type RouteType } from './route.js';
export { RouteReconciler } from './route-reconciler.js';
export type {
  FailedRoute,
  ReconcilerCounters,
  ReconcilerStatus,
  RouteReconcilerOptions,
  RouteState,
  RoutesLogger,
} from './route-reconciler-options.js';
export { RoutesError, type RoutesErrorCode } from './routes-error.js';
export { checkRouteProtocol, checkRouteTable, GANNET_ROUTE_PROTOCOL, writeRtProtosEntry } from './rt-protos.js';
