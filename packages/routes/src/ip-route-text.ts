// Text in both directions between Gannet's route model and iproute2: the `ip -batch` lines we write, the
// `ip -j route show` objects and the `ip -o monitor route` lines we read. Pure functions, no processes.
import { canonicalAddress, canonicalPrefix, type Family } from './ip-prefix.js';
import type { RouteOp } from './kernel-route-table.js';
import { MAIN_TABLE, type NextHop, type NormalRoute, normalizeRoute, type RouteType } from './route.js';

function gateway(nh: NextHop, family: Family): string {
  const gwFamily = nh.via.includes(':') ? 6 : 4;
  const via = gwFamily === family ? `via ${nh.via}` : `via ${gwFamily === 6 ? 'inet6' : 'inet'} ${nh.via}`;
  return `${via}${nh.dev ? ` dev ${nh.dev}` : ''}${nh.onlink ? ' onlink' : ''}`;
}

/**
 * One `ip -batch` line for an operation (without `ip` and without a newline). Only ever called with normal routes,
 * whose every field was validated: iproute2 exits on a malformed argument, which would end the whole batch.
 */
export function formatBatchLine(op: RouteOp, protocol: number): string {
  const r = op.route;
  // Writes leave out the main table and the family's default metric, which ip assumes anyway (~5% faster per line).
  const table = r.table === MAIN_TABLE ? '' : ` table ${r.table}`;
  const metric = r.metric === (r.family === 4 ? 0 : 1024) ? '' : ` metric ${r.metric}`;
  const where = `proto ${protocol}${table}${metric}`;
  // A delete names table, protocol and metric explicitly: it must match our route exactly and nothing else.
  if (op.op === 'delete') return `route del ${r.dst} table ${r.table} proto ${protocol} metric ${r.metric}`;
  const verb = op.op === 'add' ? 'add' : 'replace';
  if (r.type !== 'unicast') return `route ${verb} ${r.type} ${r.dst} ${where}`;
  if (r.nexthops.length === 1) return `route ${verb} ${r.dst} ${gateway(r.nexthops[0] as NextHop, r.family)} ${where}`;
  const hops = r.nexthops.map((nh) => `nexthop ${gateway(nh, r.family)}${nh.weight ? ` weight ${nh.weight}` : ''}`);
  return `route ${verb} ${r.dst} ${where} ${hops.join(' ')}`;
}

/** Route types as `ip -j` prints them: by name, or as RTN_* numbers with `-N` (linux/rtnetlink.h). */
const TYPE_NAMES: Readonly<Record<string, RouteType>> = {
  unicast: 'unicast',
  '1': 'unicast',
  blackhole: 'blackhole',
  '6': 'blackhole',
  unreachable: 'unreachable',
  '7': 'unreachable',
  prohibit: 'prohibit',
  '8': 'prohibit',
};

interface JsonNextHop {
  gateway?: string;
  via?: { family?: string; host?: string };
  dev?: string;
  weight?: number;
  flags?: string[];
}

interface JsonRoute extends JsonNextHop {
  type?: string;
  dst?: string;
  metric?: number;
  protocol?: string;
  nexthops?: JsonNextHop[];
}

function parseJsonNextHop(j: JsonNextHop): NextHop {
  const gw = j.gateway ?? j.via?.host;
  // A next hop without a gateway (a device route) cannot be expressed by Gannet's model; an empty `via` makes it
  // differ from every desired route, so it is replaced or removed like any other wrong route of ours.
  const nh: NextHop = { via: gw ? canonicalAddress(gw).text : '' };
  if (j.dev) nh.dev = j.dev;
  if (j.weight !== undefined && j.weight !== 1) nh.weight = j.weight;
  if (j.flags?.includes('onlink')) nh.onlink = true;
  return nh;
}

/**
 * One object of `ip -j route show table T proto P` in normal form, or undefined for a type Gannet never writes
 * (local, broadcast, multicast, …), which is then left alone.
 */
export function parseJsonRoute(j: JsonRoute, family: Family, table: number): NormalRoute | undefined {
  const type = TYPE_NAMES[j.type ?? 'unicast'];
  if (!type || typeof j.dst !== 'string') return undefined;
  const { text: dst } = canonicalPrefix(j.dst, family);
  const metric = j.metric ?? (family === 4 ? 0 : 1024);
  let nexthops: NextHop[] = [];
  if (type === 'unicast') nexthops = j.nexthops ? j.nexthops.map(parseJsonNextHop) : [parseJsonNextHop(j)];
  if (nexthops.length === 1 && nexthops[0]) delete nexthops[0].weight;
  if (nexthops.some((nh) => nh.via === '')) return { dst, type, nexthops, metric, table, family };
  return normalizeRoute({ dst, type, nexthops, metric, table }, table);
}

/** What one `ip -o -N monitor route` line says. */
export interface MonitorEvent {
  deleted: boolean;
  /** Canonical destination prefix, or undefined when the line could not be read. */
  dst?: string;
  /** The route's metric (ip omits 0 for IPv4); undefined when dst is. */
  metric?: number;
  table: number;
  protocol?: number;
}

/** The number after ` key ` in a monitor line, or undefined. */
function numberAfter(line: string, key: string): number | undefined {
  const at = line.indexOf(key);
  if (at < 0) return undefined;
  let i = at + key.length;
  let n = 0;
  const start = i;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) break;
    n = n * 10 + (c - 48);
  }
  return i > start ? n : undefined;
}

/**
 * Reads one `ip -o -N monitor route` line; undefined for blank lines. Called for every route change in the
 * namespace (100,000 for a 100,000-route batch of our own), so it scans the text instead of splitting it.
 */
export function parseMonitorLine(line: string): MonitorEvent | undefined {
  let i = 0;
  while (i < line.length && line.charCodeAt(i) === 32) i++;
  if (i >= line.length) return undefined;
  const deleted = line.startsWith('Deleted ', i);
  if (deleted) i += 8;
  let end = line.indexOf(' ', i);
  if (end < 0) end = line.length;
  let token = line.slice(i, end);
  // With -N the route type comes first as a number (`6 10.0.0.0/24 …` for a blackhole), otherwise as a word; a
  // destination always has a dot or a colon, or is `default`.
  if (token !== 'default' && !token.includes('.') && !token.includes(':')) {
    i = end + 1;
    end = line.indexOf(' ', i);
    if (end < 0) end = line.length;
    token = line.slice(i, end);
  }
  const ev: MonitorEvent = {
    deleted,
    table: numberAfter(line, ' table ') ?? 254,
    protocol: numberAfter(line, ' proto '),
  };
  // `default` does not say its family: leave dst unknown, and the reconciler resyncs to be sure.
  if (token !== 'default') {
    try {
      const p = canonicalPrefix(token);
      ev.dst = p.text;
      ev.metric = numberAfter(line, ' metric ') ?? (p.family === 4 ? 0 : 1024);
    } catch {
      // unreadable destination: left undefined
    }
  }
  return ev;
}
