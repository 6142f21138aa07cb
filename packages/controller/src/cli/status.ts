// `gannet status`: the local agent's sessions and routes, like `birdc show protocols` / `calicoctl node status`.
import type { RouteView } from '../agent.js';
import type { PeerView } from '../api/server.js';

export interface StatusReport {
  api: string;
  ready: boolean;
  peers: PeerView[];
  routes: RouteView[];
}

export async function fetchStatus(api: string, timeoutMs = 3000): Promise<StatusReport> {
  const base = api.replace(/\/+$/, '');
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
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
  const routesRes = await get('/api/v1/routes');
  if (!routesRes.ok) throw new Error(`${base}/api/v1/routes answered HTTP ${routesRes.status}`);
  const ready = (await get('/readyz')).ok;
  return {
    api: base,
    ready,
    peers: (await peersRes.json()) as PeerView[],
    routes: (await routesRes.json()) as RouteView[],
  };
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

export function renderStatus(r: StatusReport): string {
  const established = r.peers.filter((p) => p.state === 'Established').length;
  const installed = r.routes.filter((x) => x.installed).length;
  const out = [
    `Gannet agent at ${r.api}: ${r.ready ? 'ready' : 'NOT READY'}`,
    '',
    `BGP sessions: ${established}/${r.peers.length} Established`,
    table(
      ['PEER', 'ASN', 'STATE', 'UPTIME', 'RECEIVED', 'ACCEPTED', 'ADVERTISED', 'LAST ERROR'],
      r.peers.map((p) => [
        p.address,
        String(p.asn),
        p.state,
        formatDuration(p.uptimeSeconds),
        String(p.prefixesReceived),
        String(p.prefixesAccepted),
        String(p.prefixesAdvertised),
        p.lastError ?? '',
      ]),
    ),
    '',
    `Routes: ${r.routes.length} (${installed} installed in the kernel)`,
    table(
      ['PREFIX', 'SOURCE', 'NEXT HOPS', 'INSTALLED'],
      r.routes.map((x) => [
        x.prefix,
        x.source,
        x.source === 'local' ? 'blackhole (pods: /32 host routes)' : x.nexthops.join(', '),
        x.installed ? 'yes' : 'NO',
      ]),
    ),
  ];
  return `${out.join('\n')}\n`;
}
