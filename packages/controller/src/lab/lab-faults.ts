// Faults on a running lab, by the names `lab status` lists: a link cut (its upper end — the router's bridge port or
// the spine's interface — set down, so the lower end loses carrier as after a fibre cut) and healed, a router or a
// node's agent killed (SIGKILL: a crash; a router also loses its links, as a switch that dies) and restarted.
import { execFileSync } from 'node:child_process';
import type { Lab } from './lab.js';
import { ip } from './lab-host.js';
import { startRouter, stopRouter } from './lab-routers.js';
import type { PlannedLink, PlannedRouter } from './plan-types.js';
import type { LabPlan, PlannedNode } from './topology.js';

export interface LinkState {
  name: string;
  from: string;
  to: string;
  /** up; cut (upper end down); cut (silent) (packets dropped, carrier up); down (otherwise); missing (an end is gone) */
  state: 'up' | 'cut' | 'cut (silent)' | 'down' | 'missing';
}

/** Interface name → admin-up flag, for one namespace (undefined when the namespace is gone). */
function adminUp(ns: string): Map<string, boolean> | undefined {
  let out: string;
  try {
    out = ip('-n', ns, '-o', 'link', 'show');
  } catch {
    return undefined;
  }
  const m = new Map<string, boolean>();
  for (const line of out.split('\n')) {
    const r = /^\d+: ([^:@]+)(?:@[^:]+)?: <([^>]*)>/.exec(line);
    if (r) m.set(r[1]!, r[2]!.split(',').includes('UP'));
  }
  return m;
}

const endName = (plan: LabPlan, ns: string, ifname: string) => `${ns.slice(plan.prefix.length)}:${ifname}`;

export function linkStates(plan: LabPlan): LinkState[] {
  const cache = new Map<string, Map<string, boolean> | undefined>();
  const up = (ns: string, ifname: string) => {
    if (!cache.has(ns)) cache.set(ns, adminUp(ns));
    return cache.get(ns)?.get(ifname);
  };
  const silent = new Map<string, Set<string>>();
  const silentIn = (ns: string) => {
    if (!silent.has(ns)) silent.set(ns, silentCuts(ns));
    return silent.get(ns)!;
  };
  return plan.links.map((l) => {
    const a = up(l.a.ns, l.a.ifname);
    const b = up(l.b.ns, l.b.ifname);
    let state: LinkState['state'] =
      a === undefined || b === undefined ? 'missing' : a && b ? 'up' : a && !b ? 'cut' : 'down';
    if (state === 'up' && silentIn(l.a.ns).has(l.a.ifname)) state = 'cut (silent)';
    return { name: l.name, from: endName(plan, l.a.ns, l.a.ifname), to: endName(plan, l.b.ns, l.b.ifname), state };
  });
}

export function findLink(plan: LabPlan, name: string): PlannedLink {
  const link = plan.links.find((l) => l.name === name);
  if (!link) {
    const some = plan.links.slice(0, 6).map((l) => l.name);
    throw new Error(
      `no link "${name}" in this lab (${some.join(', ')}${plan.links.length > 6 ? ', …' : ''}; see lab status)`,
    );
  }
  return link;
}

/** A node or a router by name. */
export function findMember(plan: LabPlan, name: string): { node?: PlannedNode; router?: PlannedRouter } {
  const node = plan.nodes.find((n) => n.name === name);
  if (node) return { node };
  const router = plan.routers.find((r) => r.name === name);
  if (router) return { router };
  const names = [...plan.nodes.map((n) => n.name), ...plan.routers.map((r) => r.name)];
  throw new Error(
    `no node or router "${name}" in this lab (${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`,
  );
}

/** The nftables table a silent cut adds in the lower end's namespace (one per interface). */
export const silentTable = (ifname: string) => `gannet_lab_cut_${ifname}`;

/**
 * A cut: the upper end down, so the lower end loses carrier. A silent cut (`silent`) keeps carrier and drops every
 * IP packet in or out of the lower end's interface (nftables in its namespace; ARP still answers), as a broken
 * optic or a stuck line card would: only BGP's hold timer (or BFD) notices.
 */
export function cutLink(link: PlannedLink, silent = false): void {
  if (!silent) {
    ip('-n', link.b.ns, 'link', 'set', link.b.ifname, 'down');
    return;
  }
  const i = JSON.stringify(link.a.ifname);
  const rules = `table inet ${silentTable(link.a.ifname)} {
  chain cut_in { type filter hook input priority -300; policy accept; iifname ${i} drop; }
  chain cut_out { type filter hook output priority -300; policy accept; oifname ${i} drop; }
  chain cut_forward { type filter hook forward priority -300; policy accept; iifname ${i} drop; oifname ${i} drop; }
}
`;
  execFileSync('ip', ['netns', 'exec', link.a.ns, 'nft', '-f', '-'], { input: rules, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Undoes either cut. */
export function healLink(link: PlannedLink): void {
  ip('-n', link.b.ns, 'link', 'set', link.b.ifname, 'up');
  try {
    execFileSync('ip', ['netns', 'exec', link.a.ns, 'nft', 'delete', 'table', 'inet', silentTable(link.a.ifname)], {
      stdio: 'pipe',
    });
  } catch {
    // no silent cut there
  }
}

/** The silent cuts in a namespace: interface names with a cut table (none when nft is missing). */
function silentCuts(ns: string): Set<string> {
  try {
    const out = execFileSync('ip', ['netns', 'exec', ns, 'nft', 'list', 'tables'], { encoding: 'utf8', stdio: 'pipe' });
    return new Set([...out.matchAll(/table inet gannet_lab_cut_(\S+)/g)].map((m) => m[1]!));
  } catch {
    return new Set();
  }
}

/** The links a router has (as either end). */
export function routerLinks(plan: LabPlan, r: PlannedRouter): PlannedLink[] {
  return plan.links.filter((l) => l.a.ns === r.ns || l.b.ns === r.ns);
}

/** Sets every interface of a router on its links down (a switch that dies) or up again. */
export function setRouterLinks(plan: LabPlan, r: PlannedRouter, up: boolean): void {
  for (const l of routerLinks(plan, r)) {
    const end = l.b.ns === r.ns ? l.b : l.a;
    ip('-n', end.ns, 'link', 'set', end.ifname, up ? 'up' : 'down');
  }
}

/** Kills a router (its daemons by SIGKILL, its links down: a switch that dies) or a node's agent (SIGKILL). */
export async function killMember(lab: Lab, name: string): Promise<void> {
  const m = findMember(lab.plan, name);
  if (m.node) return await lab.stopAgent(m.node, 'SIGKILL');
  const r = m.router!;
  await stopRouter(lab, lab.state.processes, r, 'SIGKILL');
  setRouterLinks(lab.plan, r, false);
}

/**
 * Restarts a node's agent or a router: stopped (SIGTERM with `graceful`: the agent's graceful restart; else SIGKILL,
 * a crash) unless already dead, a router's links up again, started again.
 */
export async function restartMember(lab: Lab, name: string, graceful: boolean): Promise<void> {
  const m = findMember(lab.plan, name);
  const signal = graceful ? 'SIGTERM' : 'SIGKILL';
  if (m.node) {
    await lab.stopAgent(m.node, signal);
    lab.startAgent(m.node);
    return;
  }
  const r = m.router!;
  await stopRouter(lab, lab.state.processes, r, signal);
  setRouterLinks(lab.plan, r, true);
  await startRouter(lab, r);
}
