// The route model and its one normal form. Every route the reconciler compares went through normalizeRoute(), so
// diffing is exact and idempotent: canonical prefix, explicit metric and table, next hops sorted, default weights
// dropped.
import { canonicalAddress, canonicalPrefix, type Family } from './ip-prefix.js';
import { RoutesError } from './routes-error.js';

/** Kernel route types Gannet writes. `unicast` needs next hops; the others must have none. */
export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit';

export interface NextHop {
  /** Gateway address. An IPv4 route may use an IPv6 gateway (RFC 5549 style, `via inet6`), which needs `dev`. */
  via: string;
  dev?: string;
  /** ECMP weight 1..256 (kernel default 1). Only meaningful with several next hops. */
  weight?: number;
  /** Treat the gateway as directly attached even without a covering prefix (needs `dev`). */
  onlink?: boolean;
}

export interface Route {
  /** Destination prefix, IPv4 or IPv6 (`10.244.2.0/24`, `2001:db8::/64`; a bare address means a host route). */
  dst: string;
  type: RouteType;
  /** One next hop for a plain route, several for ECMP; empty for blackhole/unreachable/prohibit. */
  nexthops: NextHop[];
  /** Route priority; the kernel's default is 0 for IPv4 and 1024 for IPv6. */
  metric?: number;
  /** Routing table id; 254 is `main`. */
  table?: number;
}

/** A route in normal form: metric and table explicit, canonical addresses, next hops sorted. */
export interface NormalRoute extends Route {
  metric: number;
  table: number;
  family: Family;
}

export const MAIN_TABLE = 254;
/**
 * ECMP width limit: iproute2 exits (ending the whole batch) on a line of more than 512 words, and a next hop takes
 * up to 9 (`nexthop via inet6 ADDR dev DEV weight W onlink`).
 */
export const MAX_NEXTHOPS = 50;
const TYPES: ReadonlySet<string> = new Set(['unicast', 'blackhole', 'unreachable', 'prohibit']);
const DEV = /^[A-Za-z0-9_.-]{1,15}$/;
const U32_MAX = 4294967295;

function invalid(dst: unknown, why: string): RoutesError {
  return new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `route ${JSON.stringify(dst)}: ${why}`);
}

function isU32(n: unknown, min = 0): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= min && n <= U32_MAX;
}

/** Validates a route and returns its normal form; throws RoutesError naming the route and the field. */
export function normalizeRoute(route: Route, defaultTable = MAIN_TABLE): NormalRoute {
  if (!route || typeof route !== 'object') throw invalid(route, 'not an object');
  const { family, text: dst } = canonicalPrefix(route.dst);
  const type = route.type ?? 'unicast';
  if (!TYPES.has(type)) throw invalid(route.dst, `unknown type ${JSON.stringify(type)}`);
  const table = route.table ?? defaultTable;
  if (!isU32(table, 1)) throw invalid(route.dst, `table must be an integer 1..${U32_MAX}`);
  const metric = route.metric ?? (family === 4 ? 0 : 1024);
  if (!isU32(metric)) throw invalid(route.dst, `metric must be an integer 0..${U32_MAX}`);
  const given = route.nexthops;
  if (!Array.isArray(given)) throw invalid(route.dst, 'nexthops must be an array');
  if (type !== 'unicast' && given.length > 0) throw invalid(route.dst, `a ${type} route has no next hops`);
  if (type === 'unicast' && given.length === 0) throw invalid(route.dst, 'a unicast route needs a next hop');
  if (given.length > MAX_NEXTHOPS) throw invalid(route.dst, `at most ${MAX_NEXTHOPS} next hops`);
  const multipath = given.length > 1;
  const shared = given.length === 1 ? sharedNextHops(given[0], family) : undefined;
  if (shared) return { dst, type, nexthops: shared, metric, table, family };
  const nexthops: NextHop[] = [];
  for (const nh of given) nexthops.push(normalizeNextHop(route.dst, family, nh, multipath));
  if (multipath) {
    nexthops.sort(compareNextHops);
    for (let i = 1; i < nexthops.length; i++) {
      if (compareNextHops(nexthops[i - 1] as NextHop, nexthops[i] as NextHop) === 0) {
        throw invalid(route.dst, `next hop ${nexthops[i]?.via} given twice`);
      }
    }
  }
  return { dst, type, nexthops, metric, table, family };
}

/**
 * Frozen one-gateway next-hop lists, shared by every route through that gateway. BGP gives many prefixes few next
 * hops, so 100,000 routes hold a handful of these instead of 200,000 small objects (and compare by identity).
 */
const sharedHops = new Map<string, { family: number; hops: NextHop[] }>();
const SHARED_MAX = 4096;

function sharedNextHops(nh: NextHop | undefined, family: number): NextHop[] | undefined {
  if (!nh || typeof nh !== 'object' || typeof nh.via !== 'string') return undefined;
  if (nh.dev !== undefined || nh.onlink !== undefined || nh.weight !== undefined) return undefined;
  const hit = sharedHops.get(nh.via);
  if (hit) return hit.family === family ? hit.hops : undefined;
  const via = canonicalAddress(nh.via, 'next hop');
  if (via.family !== family) return undefined;
  if (sharedHops.size >= SHARED_MAX) sharedHops.clear();
  const hops = Object.freeze([Object.freeze({ via: via.text })]) as NextHop[];
  sharedHops.set(nh.via, { family, hops });
  return hops;
}

function normalizeNextHop(dst: string, family: number, nh: NextHop, multipath: boolean): NextHop {
  if (!nh || typeof nh !== 'object') throw invalid(dst, 'a next hop is not an object');
  const via = canonicalAddress(nh.via, 'next hop');
  const out: NextHop = { via: via.text };
  if (nh.dev !== undefined) {
    if (typeof nh.dev !== 'string' || !DEV.test(nh.dev)) throw invalid(dst, `bad device name ${nh.dev}`);
    out.dev = nh.dev;
  }
  if (via.family !== family && !out.dev) throw invalid(dst, `gateway ${via.text} of another family needs dev`);
  if (nh.onlink) {
    if (!out.dev) throw invalid(dst, 'an onlink next hop needs dev');
    out.onlink = true;
  }
  if (nh.weight !== undefined) {
    if (!Number.isInteger(nh.weight) || nh.weight < 1 || nh.weight > 256) {
      throw invalid(dst, 'weight must be an integer 1..256');
    }
    if (multipath && nh.weight !== 1) out.weight = nh.weight;
  }
  return out;
}

function compareNextHops(a: NextHop, b: NextHop): number {
  if (a.via !== b.via) return a.via < b.via ? -1 : 1;
  const da = a.dev ?? '';
  const db = b.dev ?? '';
  return da === db ? 0 : da < db ? -1 : 1;
}

/** Identity of a route inside one table: destination and metric (what `ip route replace` matches on). */
export function routeKey(r: { dst: string; metric: number }): string {
  // The destination string itself when the metric is the kernel default: it is usually the caller's own string,
  // whose hash V8 has already cached, which keeps 100,000-route maps fast.
  return r.metric === (r.dst.includes(':') ? 1024 : 0) ? r.dst : `${r.dst} ${r.metric}`;
}

/**
 * True when the kernel's route `have` is what `want` asks for. A next hop without `dev` in `want` accepts the device
 * the kernel chose. Both must be in normal form.
 */
export function routeMatches(want: NormalRoute, have: NormalRoute): boolean {
  if (want.dst !== have.dst || want.type !== have.type || want.metric !== have.metric) return false;
  if (want.nexthops === have.nexthops) return true;
  if (want.nexthops.length !== have.nexthops.length) return false;
  // Fast path: both are sorted by gateway, so the same next hops usually sit at the same places.
  let aligned = true;
  for (let i = 0; i < want.nexthops.length && aligned; i++) {
    aligned = nextHopMatches(want.nexthops[i] as NextHop, have.nexthops[i] as NextHop);
  }
  if (aligned) return true;
  const pending = [...have.nexthops];
  for (const w of want.nexthops) {
    const i = pending.findIndex((h) => nextHopMatches(w, h));
    if (i < 0) return false;
    pending.splice(i, 1);
  }
  return true;
}

function nextHopMatches(w: NextHop, h: NextHop): boolean {
  return (
    h.via === w.via &&
    (w.dev === undefined || h.dev === w.dev) &&
    (h.weight ?? 1) === (w.weight ?? 1) &&
    !!h.onlink === !!w.onlink
  );
}

/** Exact equality of two normal routes (same request), used to tell whether a failed route was changed since. */
export function sameRoute(a: NormalRoute, b: NormalRoute): boolean {
  return routeMatches(a, b) && routeMatches(b, a);
}
