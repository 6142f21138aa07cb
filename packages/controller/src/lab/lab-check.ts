// What the lab waits for and reports: every BGP session Established (asked of each agent's status API inside its
// namespace), every pod answering every other pod's ping.
import type { RouteView } from '../agent.js';
import type { PeerView } from '../api/server.js';
import { gannetCommand } from '../bin/self.js';
import type { Lab } from './lab.js';
import { inNs, pool, sleep } from './lab-host.js';
import type { PlannedNode } from './topology.js';

export interface NodeReport {
  node: string;
  ns: string;
  address: string;
  asn: number;
  podCIDR: string;
  agent: 'running' | 'down';
  ready: boolean;
  peers: PeerView[];
  routes: RouteView[];
}

export async function nodeReport(node: PlannedNode): Promise<NodeReport> {
  const base = {
    node: node.name,
    ns: node.ns,
    address: node.address,
    asn: node.asn,
    podCIDR: node.podCIDR,
  };
  try {
    const gannet = gannetCommand();
    const out = await inNs(node.ns, gannet.file, [...gannet.args, 'status', '--json'], { timeoutMs: 10_000 });
    const r = JSON.parse(out) as { ready: boolean; peers: PeerView[]; routes: RouteView[] };
    return { ...base, agent: 'running', ready: r.ready, peers: r.peers, routes: r.routes };
  } catch {
    return { ...base, agent: 'down', ready: false, peers: [], routes: [] };
  }
}

export async function labReport(lab: Lab): Promise<NodeReport[]> {
  return await pool(lab.plan.nodes, 4, (n) => nodeReport(n));
}

/** Sessions Established, counted from each node's side, against the sessions the plan configures. */
export function sessionsUp(lab: Lab, reports: NodeReport[]): { up: number; total: number } {
  const total = lab.plan.nodes.reduce((n, node) => n + node.peers.length, 0);
  const up = reports.reduce((n, r) => n + r.peers.filter((p) => p.state === 'Established').length, 0);
  return { up, total };
}

export interface PingResult {
  from: string;
  to: string;
  ok: boolean;
}

/** Every pod pings every other pod once (bounded: 1 s wait each, 8 in flight). */
export async function pingAll(lab: Lab): Promise<PingResult[]> {
  const pods = lab.state.pods;
  const pairs = pods.flatMap((a) => pods.filter((b) => b !== a).map((b) => ({ a, b })));
  return await pool(pairs, 8, async ({ a, b }) => {
    const ok = await inNs(a.ns, 'ping', ['-n', '-q', '-c', '1', '-W', '1', b.ip], { timeoutMs: 5000 }).then(
      () => true,
      () => false,
    );
    return { from: a.id, to: b.id, ok };
  });
}

/** Polls until `check` says done or the time is up; `onProgress` sees each distinct status line once. */
export async function waitProgress(
  timeoutMs: number,
  check: () => Promise<{ done: boolean; line: string }>,
  onProgress: (line: string) => void,
): Promise<{ done: boolean; line: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let result = { done: false, line: '' };
  for (let i = 0; i < 10_000 && Date.now() <= deadline; i++) {
    result = await check();
    if (result.line !== last) {
      onProgress(result.line);
      last = result.line;
    }
    if (result.done) return result;
    await sleep(500);
  }
  return result;
}
