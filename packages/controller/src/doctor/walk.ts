// `gannet doctor`'s path walk: from the source pod, hop by hop as the kernel would forward a packet to the
// destination pod, checking at each hop what makes it pass (interface up, address, forwarding, rp_filter, the route
// and the BGP path behind it, the next hop's neighbour entry, MTU), then the destination pod's wiring and its route
// back, then one real ping. The next hop is found as the kernel finds it: `ip route get … iif` in each namespace, the
// gateway's owner among the known namespaces, or the far end of a veth (a pod's link-local gateway). Generic over the
// topology: it follows the kernel, not the lab's plan.
import { cidrContains, parseCidr } from '../net.js';
import type { AgentView, KernelRoute, LinkInfo, NetView } from './net-view.js';

export interface Endpoint {
  ip: string;
  ns: string;
  /** A pod name, for the report. */
  name?: string;
}

export interface DoctorInput {
  src: Endpoint;
  dst: Endpoint;
  /** Namespaces whose addresses may be next hops (nodes, routers); '' is the host's own. */
  namespaces: string[];
  /** Namespace → node name, for the hops where a Gannet agent runs. */
  nodes: Map<string, string>;
  /** Namespace → a label (router, fabric…), for the report. */
  labels?: Map<string, string>;
  /** Send one ping at the end (default true). */
  ping?: boolean;
  /**
   * On a cluster node doctor sees only this node: a next hop outside the known namespaces ends the walk there (the
   * packet leaves the node) instead of failing it.
   */
  leavesNodeOk?: boolean;
  /** Namespaces whose agents will surely be asked (the pods' nodes): asked at once, in parallel with the walk. */
  prefetchAgents?: string[];
}

export type Severity = 'ok' | 'warn' | 'fail';

export interface Check {
  name: string;
  status: Severity;
  detail: string;
  hint?: string;
}

export interface Hop {
  ns: string;
  label: string;
  /** The interface the packet arrives on (absent for the source pod) and leaves by (absent for the destination). */
  ingress?: string;
  egress?: string;
  checks: Check[];
}

export interface DoctorReport {
  src: Endpoint;
  dst: Endpoint;
  ok: boolean;
  hops: Hop[];
  /** The first failed check, with its hop. */
  broken?: { hop: string; check: string; detail: string; hint?: string };
  ping?: boolean;
  elapsedMs: number;
}

const MAX_HOPS = 16;
const isV6 = (a: string) => a.includes(':');

class Walk {
  readonly hops: Hop[] = [];
  private readonly agents = new Map<string, Promise<AgentView | undefined>>();
  private readonly linkCache = new Map<string, Promise<LinkInfo[]>>();

  constructor(
    readonly view: NetView,
    readonly input: DoctorInput,
  ) {}

  links(ns: string): Promise<LinkInfo[]> {
    let p = this.linkCache.get(ns);
    if (!p) {
      p = this.view.links(ns);
      this.linkCache.set(ns, p);
    }
    return p;
  }

  agent(ns: string): Promise<AgentView | undefined> {
    let p = this.agents.get(ns);
    if (!p) {
      p = this.view.agent(ns);
      this.agents.set(ns, p);
    }
    return p;
  }

  label(ns: string, fallback: string): string {
    const node = this.input.nodes.get(ns);
    if (node) return `node ${node}`;
    return this.input.labels?.get(ns) ?? (ns || fallback);
  }

  failed(): boolean {
    return this.hops.some((h) => h.checks.some((c) => c.status === 'fail'));
  }
}

function add(hop: Hop, status: Severity, name: string, detail: string, hint?: string): boolean {
  hop.checks.push({ name, status, detail, ...(hint ? { hint } : {}) });
  return status !== 'fail';
}

async function linkUp(w: Walk, hop: Hop, ns: string, dev: string, role: string): Promise<LinkInfo | undefined> {
  const link = (await w.links(ns)).find((l) => l.name === dev);
  if (!link) {
    add(hop, 'fail', `${role} interface`, `${dev} does not exist`);
    return undefined;
  }
  add(
    hop,
    link.up ? 'ok' : 'fail',
    `${role} interface`,
    `${dev} ${link.up ? 'up' : 'down'}, mtu ${link.mtu}`,
    link.up ? undefined : `ip${ns ? ` -n ${ns}` : ''} link set ${dev} up`,
  );
  return link;
}

/** Where `dev` in `ns` leads for a packet to `gateway` (or, on-link, to the destination itself). */
async function nextHop(
  w: Walk,
  index: Map<string, { ns: string; ifname: string }>,
  ns: string,
  dev: string,
  target: string,
): Promise<{ ns: string; ingress: string } | undefined> {
  const owner = index.get(target);
  if (owner && owner.ns !== ns) return { ns: owner.ns, ingress: owner.ifname };
  const link = (await w.links(ns)).find((l) => l.name === dev);
  if (!link?.peer) return undefined;
  const peerNs = link.peer.ns ?? ns;
  const peer = (await w.links(peerNs)).find((l) => l.ifindex === link.peer!.ifindex);
  if (!peer) return undefined;
  return { ns: peerNs, ingress: peer.master ?? peer.name };
}

async function sourceHop(w: Walk): Promise<{ dev: string; gateway?: string; mtu: number } | undefined> {
  const { src, dst } = w.input;
  const hop: Hop = { ns: src.ns, label: `pod ${src.name ?? src.ip}`, checks: [] };
  w.hops.push(hop);
  const addr = (await w.view.addrs(src.ns)).find((a) => a.address === src.ip);
  if (
    !add(
      hop,
      addr ? 'ok' : 'fail',
      'address',
      addr ? `${src.ip}/${addr.prefixlen} on ${addr.ifname}` : `${src.ip} is not configured in ${src.ns}`,
      addr ? undefined : 'the CNI ADD did not finish or the pod was re-created: check the runtime and gannet-cni logs',
    )
  )
    return undefined;
  const link = await linkUp(w, hop, src.ns, addr!.ifname, 'pod');
  if (!link?.up) return undefined;
  const hit = await w.view.routeGet(src.ns, dst.ip, { from: src.ip });
  if (hit.error || !hit.dev) {
    add(
      hop,
      'fail',
      'route',
      `no route to ${dst.ip}: ${hit.error ?? 'no device'}`,
      'the pod lost its default route: the CNI wiring is broken (re-create the pod, or gannet-cni CHECK)',
    );
    return undefined;
  }
  add(hop, 'ok', 'route', `to ${dst.ip} via ${hit.gateway ?? 'on-link'} dev ${hit.dev}`);
  hop.egress = hit.dev;
  if (hit.gateway && !(await neighbourCheck(w, hop, src.ns, hit.gateway, hit.dev))) return undefined;
  const mtu = (await w.links(src.ns)).find((l) => l.name === hit.dev)?.mtu ?? link.mtu;
  return { dev: hit.dev, ...(hit.gateway ? { gateway: hit.gateway } : {}), mtu };
}

async function neighbourCheck(w: Walk, hop: Hop, ns: string, gateway: string, dev: string): Promise<boolean> {
  const state = await w.view.neigh(ns, gateway, dev);
  if (!state) return add(hop, 'ok', 'neighbour', `${gateway} on ${dev}: no entry yet (resolved on first packet)`);
  const bad = state.some((s) => s === 'FAILED' || s === 'INCOMPLETE');
  return add(
    hop,
    bad ? 'fail' : 'ok',
    'neighbour',
    `${gateway} on ${dev}: ${state.join(',')}`,
    bad ? `nothing answers ARP/ND for ${gateway} on ${dev}: is the next hop's interface up and addressed?` : undefined,
  );
}

async function bgpCheck(w: Walk, hop: Hop, ns: string, dst: string, kernel: KernelRoute | undefined): Promise<boolean> {
  const agent = await w.agent(ns);
  if (!agent) {
    return add(
      hop,
      'warn',
      'agent',
      'no Gannet agent answers here (routes are kept while it restarts)',
      'gannet status; is the agent running?',
    );
  }
  const down = agent.peers.filter((p) => p.state !== 'Established');
  // The agent's longest route containing the destination: the path BGP chose, installed or not.
  const target = parseCidr(`${dst}/${isV6(dst) ? 128 : 32}`);
  const route = agent.routes
    .filter((r) => {
      try {
        return cidrContains(parseCidr(r.prefix), target);
      } catch {
        return false;
      }
    })
    .sort((a, b) => parseCidr(b.prefix).length - parseCidr(a.prefix).length)[0];
  if (route) {
    if (!route.installed) {
      const foreign = kernel && kernel.protocol !== undefined && kernel.protocol !== 'gannet';
      const what = `best path ${route.prefix} via ${route.nexthops.join(', ') || 'local'} (${route.source}) is NOT installed`;
      return foreign
        ? add(
            hop,
            'fail',
            'bgp',
            `${what}: another route for ${kernel.dst} (proto ${kernel.protocol}${kernel.dev ? ` dev ${kernel.dev}` : ''}) holds its place, and Gannet never replaces routes it does not own`,
            `remove that route (ip route del ${kernel.dst} proto ${kernel.protocol}) or the source that adds it`,
          )
        : add(
            hop,
            'fail',
            'bgp',
            `${what}: the kernel refuses it`,
            'gannet status --all; the agent log names the kernel error (gannet_routes_failed in /metrics)',
          );
    }
    add(
      hop,
      'ok',
      'bgp',
      `best path ${route.prefix} via ${route.nexthops.join(', ') || 'local'} (${route.source}), installed`,
    );
  }
  if (down.length > 0) {
    const list = down.map((p) => `${p.address} ${p.state}${p.lastError ? ` (${p.lastError})` : ''}`).join('; ');
    return add(
      hop,
      route ? 'warn' : 'fail',
      'sessions',
      `not Established: ${list}`,
      route
        ? undefined
        : `no route to ${dst} because the session(s) that would bring it are down: check the peer, the link, the ASNs`,
    );
  }
  return true;
}

async function transitHop(
  w: Walk,
  ns: string,
  ingress: string,
  prevMtu: number,
): Promise<{ dev: string; gateway?: string; mtu: number } | undefined> {
  const { src, dst } = w.input;
  const hop: Hop = { ns, label: w.label(ns, 'host'), ingress, checks: [] };
  w.hops.push(hop);
  const inLink = await linkUp(w, hop, ns, ingress, 'ingress');
  if (!inLink?.up) return undefined;
  if (inLink.mtu < prevMtu) {
    add(
      hop,
      'fail',
      'mtu',
      `${ingress} accepts ${inLink.mtu} bytes, the previous hop sends up to ${prevMtu}`,
      `set the same MTU on both ends of the link (ip link set ${ingress} mtu ${prevMtu})`,
    );
    return undefined;
  }
  const fam = isV6(dst.ip) ? 'ipv6' : 'ipv4';
  const keys =
    fam === 'ipv4'
      ? ['ipv4/ip_forward', 'ipv4/conf/all/rp_filter', `ipv4/conf/${ingress}/rp_filter`]
      : ['ipv6/conf/all/forwarding'];
  const sys = await w.view.sysctls(ns, keys);
  const fwd = fam === 'ipv4' ? sys['ipv4/ip_forward'] : sys['ipv6/conf/all/forwarding'];
  if (
    !add(
      hop,
      fwd === '1' ? 'ok' : 'fail',
      'forwarding',
      `${fam} forwarding ${fwd === '1' ? 'on' : 'off'}`,
      fwd === '1' ? undefined : `sysctl -w net.${fam === 'ipv4' ? 'ipv4.ip_forward' : 'ipv6.conf.all.forwarding'}=1`,
    )
  )
    return undefined;
  if (fam === 'ipv4') {
    const rp = Math.max(
      Number(sys['ipv4/conf/all/rp_filter'] ?? 0),
      Number(sys[`ipv4/conf/${ingress}/rp_filter`] ?? 0),
    );
    if (rp === 1) {
      const back = await w.view.routeGet(ns, src.ip);
      const inDev = inLink.name;
      const symmetric = back.dev === inDev;
      if (
        !add(
          hop,
          symmetric ? 'ok' : 'fail',
          'rp_filter',
          symmetric
            ? `strict, replies to ${src.ip} leave by ${inDev} too`
            : `strict on ${ingress}, but the route back to ${src.ip} leaves by ${back.dev ?? '(none)'}: packets from it are dropped`,
          symmetric
            ? undefined
            : `sysctl -w net.ipv4.conf.${ingress}.rp_filter=2 (loose) and net.ipv4.conf.all.rp_filter=2, as asymmetric (ECMP) paths need`,
        )
      )
        return undefined;
    } else {
      add(hop, 'ok', 'rp_filter', rp === 2 ? 'loose' : 'off');
    }
  }
  const hit = await w.view.routeGet(ns, dst.ip, { from: src.ip, iif: ingress });
  const kernel = await w.view.routeMatch(ns, dst.ip);
  const isNode = w.input.nodes.has(ns);
  if (hit.error || !hit.dev || (hit.type && !['unicast', 'local'].includes(hit.type))) {
    const why = hit.error ?? `the route is ${hit.type}`;
    if (await hostsDestination(w, hop, ns)) return undefined;
    if (isNode) await bgpCheck(w, hop, ns, dst.ip, kernel);
    if (!w.failed()) {
      add(
        hop,
        'fail',
        'route',
        `no usable route to ${dst.ip}: ${why}${kernel ? ` (kernel route ${kernel.dst} ${kernel.type ?? ''})` : ''}`,
        kernel?.type === 'blackhole'
          ? `${kernel.dst} is blackholed here: is ${dst.ip} a pod of this node that is gone?`
          : 'the destination node’s pod CIDR is not in this kernel: is it advertised (gannet status on that node) and accepted here?',
      );
    }
    return undefined;
  }
  add(
    hop,
    'ok',
    'route',
    `to ${dst.ip} via ${hit.gateway ?? 'on-link'} dev ${hit.dev}${kernel ? ` (kernel ${kernel.dst}${kernel.protocol ? ` proto ${kernel.protocol}` : ''}${kernel.gateways.length > 1 ? `, ${kernel.gateways.length} next hops` : ''})` : ''}`,
  );
  if (isNode && kernel && kernel.dst !== `${dst.ip}/${isV6(dst.ip) ? 128 : 32}` && kernel.dst !== dst.ip) {
    if (!(await bgpCheck(w, hop, ns, dst.ip, kernel))) return undefined;
  }
  hop.egress = hit.dev;
  const out = await linkUp(w, hop, ns, hit.dev, 'egress');
  if (!out?.up) return undefined;
  if (hit.gateway && !(await neighbourCheck(w, hop, ns, hit.gateway, hit.dev))) return undefined;
  return { dev: hit.dev, ...(hit.gateway ? { gateway: hit.gateway } : {}), mtu: out.mtu };
}

/**
 * On the node whose veth leads into the destination pod: that veth must be up and carry the pod's /32 host route.
 * Returns true when it found the pod's wiring broken (and said so).
 */
async function hostsDestination(w: Walk, hop: Hop, ns: string): Promise<boolean> {
  const { dst } = w.input;
  const veth = (await w.links(ns)).find((l) => l.peer?.ns === dst.ns);
  if (!veth) return false;
  if (!veth.up) {
    add(
      hop,
      'fail',
      'pod veth',
      `${veth.name}, the host end of ${dst.name ?? dst.ip}'s veth, is down (its host route went with it)`,
      `ip${ns ? ` -n ${ns}` : ''} link set ${veth.name} up, then re-add the host route (or re-create the pod)`,
    );
    return true;
  }
  const host = await w.view.routeGet(ns, dst.ip);
  if (host.dev !== veth.name) {
    add(
      hop,
      'fail',
      'pod route',
      `no host route ${dst.ip} dev ${veth.name}: the kernel sends it ${host.dev ? `by ${host.dev}` : `nowhere (${host.error ?? host.type})`}`,
      `ip${ns ? ` -n ${ns}` : ''} route add ${dst.ip} dev ${veth.name} scope link (gannet-cni CHECK reports it)`,
    );
    return true;
  }
  return false;
}

async function destinationHop(w: Walk, ingress: string, prevMtu: number): Promise<boolean> {
  const { src, dst } = w.input;
  const hop: Hop = { ns: dst.ns, label: `pod ${dst.name ?? dst.ip}`, ingress, checks: [] };
  w.hops.push(hop);
  const link = await linkUp(w, hop, dst.ns, ingress, 'pod');
  if (!link?.up) return false;
  if (link.mtu < prevMtu) {
    return add(
      hop,
      'fail',
      'mtu',
      `${ingress} accepts ${link.mtu} bytes, the node sends up to ${prevMtu}`,
      'the pod and host ends of the veth must have the same MTU',
    );
  }
  const addr = (await w.view.addrs(dst.ns)).find((a) => a.address === dst.ip);
  if (
    !add(
      hop,
      addr ? 'ok' : 'fail',
      'address',
      addr ? `${dst.ip} on ${addr.ifname}` : `${dst.ip} is not configured in ${dst.ns}`,
    )
  )
    return false;
  const back = await w.view.routeGet(dst.ns, src.ip, { from: dst.ip });
  return add(
    hop,
    back.error ? 'fail' : 'ok',
    'route back',
    back.error
      ? `no route back to ${src.ip}: ${back.error}`
      : `to ${src.ip} via ${back.gateway ?? 'on-link'} dev ${back.dev}`,
    back.error ? 'the pod lost its default route: the CNI wiring is broken' : undefined,
  );
}

export async function walkPath(view: NetView, input: DoctorInput, now: () => number = Date.now): Promise<DoctorReport> {
  const started = now();
  const w = new Walk(view, input);
  for (const ns of input.prefetchAgents ?? []) void w.agent(ns);
  const index = new Map<string, { ns: string; ifname: string }>();
  await Promise.all(
    [...new Set([...input.namespaces, input.dst.ns])].map(async (ns) => {
      for (const a of await view.addrs(ns).catch(() => [])) {
        if (a.address.startsWith('127.') || a.address === '::1' || a.address.startsWith('fe80')) continue;
        if (!index.has(a.address)) index.set(a.address, { ns, ifname: a.ifname });
      }
    }),
  );
  type At = { dev: string; gateway?: string; mtu: number } | 'arrived' | undefined;
  let at = (await sourceHop(w)) as At;
  let ns = input.src.ns;
  const seen = new Set<string>([ns]);
  for (let i = 0; at && at !== 'arrived' && i < MAX_HOPS; i++) {
    const hop = w.hops[w.hops.length - 1]!;
    const next = await nextHop(w, index, ns, at.dev, at.gateway ?? input.dst.ip);
    if (!next && input.leavesNodeOk) {
      add(hop, 'ok', 'leaves', `the packet leaves this node by ${at.dev} towards ${at.gateway ?? input.dst.ip}`);
      at = 'arrived';
      break;
    }
    if (!next) {
      add(
        hop,
        'fail',
        'next hop',
        `cannot tell where ${at.dev} leads (${at.gateway ?? input.dst.ip} belongs to no known namespace)`,
      );
      break;
    }
    if (next.ns === input.dst.ns) {
      await destinationHop(w, next.ingress, at.mtu);
      at = 'arrived';
      break;
    }
    if (seen.has(next.ns)) {
      add(hop, 'fail', 'loop', `the packet comes back to ${w.label(next.ns, 'host')}: a routing loop`);
      break;
    }
    seen.add(next.ns);
    ns = next.ns;
    at = await transitHop(w, ns, next.ingress, at.mtu);
  }
  const report: DoctorReport = { src: input.src, dst: input.dst, ok: false, hops: w.hops, elapsedMs: 0 };
  if (input.ping !== false) report.ping = await view.ping(input.src.ns, input.dst.ip);
  for (const h of w.hops) {
    const c = h.checks.find((x) => x.status === 'fail');
    if (c) {
      report.broken = { hop: h.label, check: c.name, detail: c.detail, ...(c.hint ? { hint: c.hint } : {}) };
      break;
    }
  }
  if (!report.broken && at !== 'arrived') {
    report.broken = {
      hop: w.hops[w.hops.length - 1]?.label ?? 'source',
      check: 'path',
      detail: `no end after ${MAX_HOPS} hops`,
    };
  }
  if (!report.broken && report.ping === false) {
    // A NetworkPolicy that selects either end is the usual reason a whole path does not answer.
    for (const h of [...w.hops].reverse()) {
      if (!input.nodes.has(h.ns)) continue;
      const sel = await view.policySelected(h.ns);
      if (!sel) continue;
      const which = [
        sel.ingress.has(input.dst.ip) ? `${input.dst.ip} for ingress` : '',
        sel.egress.has(input.src.ip) ? `${input.src.ip} for egress` : '',
      ].filter(Boolean);
      if (which.length === 0) continue;
      add(
        h,
        'fail',
        'policy',
        `NetworkPolicy selects ${which.join(' and ')} here, and the ping was dropped`,
        'no policy allows this traffic: list the policies that select the pod (gannet lab policy / kubectl get networkpolicy) and allow it',
      );
      report.broken = {
        hop: h.label,
        check: 'policy',
        detail: h.checks[h.checks.length - 1]!.detail,
        hint: h.checks[h.checks.length - 1]!.hint!,
      };
      break;
    }
  }
  if (!report.broken && report.ping === false) {
    report.broken = {
      hop: w.hops[w.hops.length - 1]!.label,
      check: 'ping',
      detail: `every hop checks out, but ${input.dst.ip} does not answer a ping`,
      hint: 'a firewall or NetworkPolicy dropping it (nft list ruleset in the nodes), or the pod not answering ICMP',
    };
  }
  report.ok = !report.broken;
  report.elapsedMs = now() - started;
  return report;
}

export function renderReport(r: DoctorReport): string {
  const mark = { ok: '✓', warn: '!', fail: '✗' } as const;
  let out = `${r.src.name ?? r.src.ip} (${r.src.ip}) → ${r.dst.name ?? r.dst.ip} (${r.dst.ip})\n`;
  for (const h of r.hops) {
    out += `\n${h.label}${h.ns ? ` [${h.ns}]` : ''}${h.ingress ? ` in ${h.ingress}` : ''}${h.egress ? ` out ${h.egress}` : ''}\n`;
    for (const c of h.checks) out += `  ${mark[c.status]} ${c.name.padEnd(12)} ${c.detail}\n`;
  }
  if (r.ping !== undefined) out += `\nping ${r.dst.ip}: ${r.ping ? 'answered' : 'no answer'}\n`;
  out += r.broken
    ? `\nBROKEN at ${r.broken.hop}: ${r.broken.check}: ${r.broken.detail}\n${r.broken.hint ? `hint: ${r.broken.hint}\n` : ''}`
    : `\npath OK (${r.hops.length} hops, ${r.elapsedMs} ms)\n`;
  return out;
}
