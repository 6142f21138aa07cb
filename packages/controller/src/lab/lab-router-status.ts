// What the fabric's routers say about their sessions and routes, asked of FRR (vtysh) or BIRD (birdc) over their
// sockets in the lab's directory: used to wait for the leaf–spine sessions, which no agent sees.
import { inNs } from './lab-host.js';
import { routerDir } from './lab-routers.js';
import type { PlannedRouter } from './plan-types.js';

/** Neighbour address → Established? for one router; every neighbour false when the router does not answer. */
export async function routerSessions(labDir: string, r: PlannedRouter): Promise<Map<string, boolean>> {
  const out = new Map(r.neighbors.map((n) => [n.address, false] as [string, boolean]));
  const dir = routerDir(labDir, r);
  try {
    if (r.kind === 'frr') {
      const text = await inNs(r.ns, 'vtysh', ['--vty_socket', dir, '-c', 'show bgp ipv4 unicast summary json'], {
        timeoutMs: 10_000,
      });
      const peers = (JSON.parse(text) as { peers?: Record<string, { state?: string }> }).peers ?? {};
      for (const [addr, p] of Object.entries(peers)) if (out.has(addr)) out.set(addr, p.state === 'Established');
    } else {
      const text = await inNs(r.ns, 'birdc', ['-s', `${dir}/bird.ctl`, 'show', 'protocols'], { timeoutMs: 10_000 });
      for (const n of r.neighbors) {
        const line = text.split('\n').find((l) => l.split(/\s+/)[0] === n.name);
        out.set(n.address, !!line && /\bEstablished\b/.test(line));
      }
    }
  } catch {
    // not answering: all down
  }
  return out;
}

/** Sessions between routers (leaf–spine), counted once from the lower tier's side. */
export async function fabricSessionsUp(
  labDir: string,
  routers: PlannedRouter[],
): Promise<{ up: number; total: number }> {
  const lower = routers.filter((r) => r.role === 'leaf');
  const names = new Set(routers.map((r) => r.name));
  let up = 0;
  let total = 0;
  for (const r of lower) {
    const s = await routerSessions(labDir, r);
    for (const n of r.neighbors.filter((x) => names.has(x.name))) {
      total++;
      if (s.get(n.address)) up++;
    }
  }
  return { up, total };
}
