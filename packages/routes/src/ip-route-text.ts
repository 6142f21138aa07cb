// Text in both directions between Gannet's route model and iproute2: the `ip -batch` lines we write, the
// `ip -j route show` objects and the `ip -o monitor route` lines we read. Pure functions, no processes.
import { canonicalAddress, canonicalPrefix, type Family } from './ip-prefix.js';
import type { RouteOp } from './kernel-route-table.js';
import { type NextHop, type NormalRoute, normalizeRoute, type RouteType } from './route.js';

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
  const where = `table ${r.table} proto ${protocol} metric ${r.metric}`;
  if (op.op === 'delete') return `route del ${r.dst} ${where}`;
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

/** Reads one `ip -o -N monitor route` line; undefined for lines that are not routes. */
export function parseMonitorLine(line: string): MonitorEvent | undefined {
  let words = line.trim().split(/\s+/);
  if (words.length === 0 || words[0] === '') return undefined;
  const deleted = words[0] === 'Deleted';
  if (deleted) words = words.slice(1);
  // With -N the route type comes first as a number (`6 10.0.0.0/24 …` for a blackhole), otherwise as a word.
  const first = words[0] ?? '';
  if (TYPE_NAMES[first] || /^\d+$/.test(first) || /^[a-z]+$/.test(first)) {
    if (first !== 'default') words = words.slice(1);
  }
  const tableAt = words.indexOf('table');
  const protoAt = words.indexOf('proto');
  const table = tableAt >= 0 ? Number(words[tableAt + 1]) : 254;
  const protoText = protoAt >= 0 ? words[protoAt + 1] : undefined;
  const protocol = protoText !== undefined && /^\d+$/.test(protoText) ? Number(protoText) : undefined;
  const metricAt = words.indexOf('metric');
  const ev: MonitorEvent = { deleted, table: Number.isFinite(table) ? table : -1, protocol };
  const dstText = words[0] ?? '';
  try {
    // `default` does not say its family: leave dst unknown, and the reconciler resyncs to be sure.
    if (dstText !== 'default') {
      const p = canonicalPrefix(dstText);
      ev.dst = p.text;
      ev.metric = metricAt >= 0 ? Number(words[metricAt + 1]) : p.family === 4 ? 0 : 1024;
    }
  } catch {
    // unreadable destination: left undefined
  }
  return ev;
}
