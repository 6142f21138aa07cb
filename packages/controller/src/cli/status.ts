// `gannet status`: the local agent's sessions and routes, like `birdc show protocols` / `calicoctl node status`.
// A node may hold 100,000 routes: by default it shows the counts and the first routes only (one page of the API).
import type { RouteSummary, RouteView } from '../agent.js';
import type { PeerView } from '../api/server.js';
import type { PolicyEngineStatus } from '../network-policy/policy-engine.js';

export interface StatusReport {
  api: string;
  ready: boolean;
  peers: PeerView[];
  summary: RouteSummary;
  /** The first routes in the API's order, or all of them. */
  routes: RouteView[];
  /** NetworkPolicy and egress NAT (/api/v1/policy); absent when the agent runs no policy engine. */
  policy?: PolicyEngineStatus;
}

/** Routes `gannet status` lists unless told otherwise. */
export const DEFAULT_ROUTES_SHOWN = 20;

export interface FetchStatusOptions {
  /** How many routes to fetch (default DEFAULT_ROUTES_SHOWN), or 'all'. */
  routes?: number | 'all';
  /** Per request; reading every route of a large table gets 10× this (default 3 s). */
  timeoutMs?: number;
}

export async function fetchStatus(api: string, opts: FetchStatusOptions = {}): Promise<StatusReport> {
  const base = api.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? 3000;
  const routes = opts.routes ?? DEFAULT_ROUTES_SHOWN;
  const get = async (path: string, ms = timeoutMs) => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(ms) });
    return res;
  };
  let peersRes: Response;
  try {
    peersRes = await get('/api/v1/peers');
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`cannot reach the agent's status API at ${base} (${cause}); is the agent running? (--api URL)`);
  }
  if (!peersRes.ok) throw new Error(`${base}/api/v1/peers answered HTTP ${peersRes.status}`);
  const peers = (await peersRes.json()) as PeerView[];
  const summaryRes = await get('/api/v1/routes/summary');
  if (!summaryRes.ok) throw new Error(`${base}/api/v1/routes/summary answered HTTP ${summaryRes.status}`);
  const summary = (await summaryRes.json()) as RouteSummary;
  const path = routes === 'all' ? '/api/v1/routes' : `/api/v1/routes?limit=${Math.max(1, Math.min(routes, 10_000))}`;
  const routesRes = await get(path, routes === 'all' ? timeoutMs * 10 : timeoutMs);
  if (!routesRes.ok) throw new Error(`${base}${path} answered HTTP ${routesRes.status}`);
  // A page may hold one more route than asked (a prefix both local and learned is never split).
  const list = ((await routesRes.json()) as RouteView[]).slice(0, routes === 'all' ? undefined : routes);
  const ready = (await get('/readyz')).ok;
  const policyRes = await get('/api/v1/policy').catch(() => undefined);
  const policy = policyRes?.ok ? ((await policyRes.json()) as PolicyEngineStatus) : undefined;
  return { api: base, ready, peers, summary, routes: list, ...(policy && { policy }) };
}

export function formatDuration(seconds: number): string {
  if (seconds <= 0) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (d > 0) return `${d}d${String(h).padStart(2, '0')}h`;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** Fixed-width columns; the last column is not padded. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

/** The BFD column: '-' when off, else the state, and why it last went down while it is not Up. */
function bfdCell(p: PeerView): string {
  const b = p.bfd;
  if (!b) return '-';
  if (b.state === 'Up') return `Up ${b.detectTimeMs}ms`;
  return b.localDiag === 'none' ? b.state : `${b.state} (${b.localDiag})`;
}

/** The sessions table; the BFD column only when some peer runs BFD. */
function peerTable(peers: PeerView[]): string {
  const bfd = peers.some((p) => p.bfd);
  const header = ['PEER', 'ASN', 'STATE', 'UPTIME', ...(bfd ? ['BFD'] : []), 'RECEIVED', 'ACCEPTED', 'ADVERTISED'];
  return table(
    [...header, 'LAST ERROR'],
    peers.map((p) => [
      p.address,
      String(p.asn),
      p.state,
      formatDuration(p.uptimeSeconds),
      ...(bfd ? [bfdCell(p)] : []),
      String(p.prefixesReceived),
      String(p.prefixesAccepted),
      String(p.prefixesAdvertised),
      p.lastError ?? '',
    ]),
  );
}

/** One line: applied or why not, the counts, the last apply, egress NAT. */
function policyLine(p: PolicyEngineStatus): string {
  const state = p.applied ? 'applied' : `NOT APPLIED${p.lastError ? `: ${p.lastError}` : ''}`;
  const last = p.lastApplyMs === null ? 'never applied' : `last apply ${p.lastApplyMs.toFixed(0)} ms`;
  return (
    `NetworkPolicy: ${state}; ${p.policies} policies, ${p.selectedPods} of ${p.localPods} local pods selected, ` +
    `${p.rules} rules; ${last}, ${p.applyErrors} errors; egress NAT ${p.natOutgoing ? 'on' : 'off'}`
  );
}

/** " (IPv4 1/1, IPv6 1/1)" when the node has peers of both families (one session per family), else nothing. */
function familySplit(peers: PeerView[]): string {
  const v6 = peers.filter((p) => p.address.includes(':'));
  const v4 = peers.filter((p) => !p.address.includes(':'));
  if (v6.length === 0 || v4.length === 0) return '';
  const up = (ps: PeerView[]) => ps.filter((p) => p.state === 'Established').length;
  return ` (IPv4 ${up(v4)}/${v4.length}, IPv6 ${up(v6)}/${v6.length})`;
}

export function renderStatus(r: StatusReport): string {
  const established = r.peers.filter((p) => p.state === 'Established').length;
  const s = r.summary;
  const more = s.routes - r.routes.length;
  const out = [
    `Gannet agent at ${r.api}: ${r.ready ? 'ready' : 'NOT READY'}`,
    '',
    `BGP sessions: ${established}/${r.peers.length} Established${familySplit(r.peers)}`,
    peerTable(r.peers),
    '',
    ...(r.policy
      ? [policyLine(r.policy), ...r.policy.sources.flatMap((x) => x.problems.map((p) => `  ${x.name}: ${p}`)), '']
      : []),
    `Routes: ${s.routes} (${s.local} local, ${s.bgp} learned); kernel: ${s.installed} installed, ${s.failed} refused`,
    table(
      ['PREFIX', 'SOURCE', 'NEXT HOPS', 'INSTALLED', 'AS PATH', 'COMMUNITIES'],
      r.routes.map((x) => [
        x.prefix,
        x.source,
        x.source === 'local'
          ? `blackhole (pods: ${x.prefix.includes(':') ? '/128' : '/32'} host routes)`
          : x.nexthops.join(', '),
        x.installed ? 'yes' : 'NO',
        x.source === 'local' ? '' : (x.asPath ?? []).join(' ') || '(empty)',
        [...(x.communities ?? []), ...(x.largeCommunities ?? [])].join(' '),
      ]),
    ),
  ];
  if (more > 0) out.push(`… ${more} more (gannet status --all lists every route)`);
  return `${out.join('\n')}\n`;
}
