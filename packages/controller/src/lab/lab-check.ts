// What the lab waits for and reports: every BGP session Established (asked of each agent's status API inside its
// namespace), every pod answering every other pod's ping.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { RouteView } from '../agent.js';
import { queryAgent } from '../agent-query.js';
import type { PeerView } from '../api/server.js';
import type { Lab } from './lab.js';
import { inNs, pool, sleep } from './lab-host.js';
import type { PlannedNode } from './topology.js';

export interface NodeReport {
  node: string;
  ns: string;
  address: string;
  asn: number;
  podCIDR: string;
  /** --ip-family dual: the node's IPv6 address and pod CIDR. */
  address6?: string;
  podCIDR6?: string;
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
    ...(node.address6 && { address6: node.address6 }),
    ...(node.podCIDR6 && { podCIDR6: node.podCIDR6 }),
  };
  try {
    const r = await queryAgent(node.ns);
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

/**
 * Nodes whose agent has installed a route to every other node's pod CIDR. Pings alone do not say so: a lab whose
 * nodes have a default route via their router carries pod traffic that way before BGP has delivered anything.
 */
export function routesComplete(lab: Lab, reports: NodeReport[]): { done: number; total: number } {
  const nodes = lab.plan.nodes;
  const done = reports.filter((r) => {
    const have = new Set(r.routes.filter((x) => x.source === 'bgp' && x.installed).map((x) => x.prefix));
    return nodes.every((n) => n.name === r.node || have.has(n.podCIDR));
  }).length;
  return { done, total: nodes.length };
}

export interface PingResult {
  from: string;
  to: string;
  ok: boolean;
}

/** Every address a pod is pinged at: its IPv4 (or only) address, and in a dual-stack lab its IPv6 one too. */
function podTargets(p: Lab['state']['pods'][number]): { id: string; ip: string }[] {
  return p.ip6
    ? [
        { id: p.id, ip: p.ip },
        { id: `${p.id} (IPv6)`, ip: p.ip6 },
      ]
    : [{ id: p.id, ip: p.ip }];
}

/**
 * Every pod pings every other pod once at each of its addresses (bounded: 1 s wait each): one fping per pod when
 * there is fping (it takes IPv4 and IPv6 targets alike), else ping.
 */
export async function pingAll(lab: Lab): Promise<PingResult[]> {
  const pods = lab.state.pods;
  if (hasFping()) {
    const rows = await pool(pods, 4, async (a) => {
      const targets = pods.filter((b) => b !== a).flatMap(podTargets);
      if (targets.length === 0) return [];
      const out = await inNsAll(a.ns, 'fping', ['-q', '-c', '1', '-t', '1000', ...targets.map((b) => b.ip)]);
      const answered = parseFpingSummary(out);
      return targets.map((b) => ({ from: a.id, to: b.id, ok: (answered.get(b.ip) ?? 0) > 0 }));
    });
    return rows.flat();
  }
  const pairs = pods.flatMap((a) =>
    pods
      .filter((b) => b !== a)
      .flatMap(podTargets)
      .map((b) => ({ a, b })),
  );
  return await pool(pairs, 8, async ({ a, b }) => {
    const ok = await inNs(a.ns, 'ping', ['-n', '-q', '-c', '1', '-W', '1', b.ip], { timeoutMs: 5000 }).then(
      () => true,
      () => false,
    );
    return { from: a.id, to: b.id, ok };
  });
}

/** fping -q -c's per-target summary ("10.244.2.2 : xmt/rcv/%loss = 1/1/0%, …") → address → packets received. */
export function parseFpingSummary(out: string): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of out.matchAll(/^(\S+)\s+: xmt\/rcv\/%loss = (\d+)\/(\d+)\//gm)) m.set(r[1]!, Number(r[3]));
  return m;
}

let fping: boolean | undefined;
function hasFping(): boolean {
  fping ??= ['/usr/bin/fping', '/usr/sbin/fping', '/bin/fping'].some((f) => existsSync(f));
  return fping;
}

/** stdout and stderr of a command in a namespace, whatever its exit code (fping exits 1 when a target is silent). */
async function inNsAll(ns: string, cmd: string, args: string[]): Promise<string> {
  return await new Promise((resolve) => {
    execFile('ip', ['netns', 'exec', ns, cmd, ...args], { timeout: 20_000, encoding: 'utf8' }, (_err, stdout, stderr) =>
      resolve(`${stdout ?? ''}${stderr ?? ''}`),
    );
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
