// What `gannet doctor` observes of the network, behind one interface: links, addresses, the kernel's own route
// lookup, neighbour entries, sysctls, the agent's view (sessions, routes) and one ping, per network namespace. The
// Linux implementation asks iproute2 (`ip -n NS -j …`); unit tests use an in-memory view.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { RouteView } from '../agent.js';
import { queryAgent } from '../agent-query.js';
import type { PeerView } from '../api/server.js';

const execFileP = promisify(execFile);

export interface LinkInfo {
  ifindex: number;
  name: string;
  /** Administratively up with carrier (UP and LOWER_UP). */
  up: boolean;
  mtu: number;
  kind?: string;
  /** The bridge (or other master) this port belongs to. */
  master?: string;
  /** A veth's other end: its namespace (undefined: this one) and its ifindex there. */
  peer?: { ns: string | undefined; ifindex: number };
}

export interface AddrInfo {
  ifname: string;
  address: string;
  prefixlen: number;
}

/** `ip route get`: where the kernel would send it, or why it would not. */
export interface RouteHit {
  dev?: string;
  gateway?: string;
  /** unicast, blackhole, unreachable, prohibit, local… */
  type?: string;
  error?: string;
}

export interface KernelRoute {
  dst: string;
  dev?: string;
  gateways: string[];
  protocol?: string;
  type?: string;
}

export interface AgentView {
  ready: boolean;
  peers: PeerView[];
  routes: RouteView[];
}

export interface NetView {
  links(ns: string): Promise<LinkInfo[]>;
  addrs(ns: string): Promise<AddrInfo[]>;
  routeGet(ns: string, dst: string, opts?: { from?: string; iif?: string }): Promise<RouteHit>;
  /** The longest kernel route (main table) containing `dst`. */
  routeMatch(ns: string, dst: string): Promise<KernelRoute | undefined>;
  /** Neighbour states of `address` on `dev` (REACHABLE, STALE, FAILED…), or undefined when there is no entry. */
  neigh(ns: string, address: string, dev: string): Promise<string[] | undefined>;
  /** /proc/sys/net/… values by path relative to /proc/sys/net (e.g. ipv4/ip_forward); missing ones left out. */
  sysctls(ns: string, keys: string[]): Promise<Record<string, string>>;
  /** The Gannet agent running in `ns`, if any answers. */
  agent(ns: string): Promise<AgentView | undefined>;
  ping(ns: string, dst: string): Promise<boolean>;
  /** Pod IPs that Gannet's NetworkPolicy table selects in `ns`, per direction; undefined without the table. */
  policySelected(ns: string): Promise<{ ingress: Set<string>; egress: Set<string> } | undefined>;
}

/** The keys of an `nft -j list map` answer (elements are [key, value] pairs; keys may be wrapped). */
export function nftMapKeys(json: unknown): string[] {
  const out: string[] = [];
  const doc = json as { nftables?: { map?: { elem?: unknown[] } }[] };
  for (const item of doc.nftables ?? []) {
    for (const e of item.map?.elem ?? []) {
      const key = Array.isArray(e) ? e[0] : e;
      if (typeof key === 'string') out.push(key);
      else if (key && typeof key === 'object' && 'elem' in key) {
        const val = (key as { elem: { val?: unknown } }).elem.val;
        if (typeof val === 'string') out.push(val);
      }
    }
  }
  return out;
}

/** Namespace '' is the process's own (the host). */
export class LinuxNetView implements NetView {
  private readonly nsNames = new Map<string, Promise<Map<number, string>>>();

  /** @param agentApi the agents' status API address inside each namespace (the lab's and the default: 127.0.0.1:9179) */
  constructor(private readonly agentApi = '127.0.0.1:9179') {}

  private async ip(ns: string, args: string[]): Promise<string> {
    const { stdout } = await execFileP('ip', [...(ns ? ['-n', ns] : []), ...args], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    return stdout;
  }

  private async json<T>(ns: string, args: string[]): Promise<T> {
    const out = (await this.ip(ns, ['-j', ...args])).trim();
    return (out ? JSON.parse(out) : []) as T;
  }

  private netnsIds(ns: string): Promise<Map<number, string>> {
    let p = this.nsNames.get(ns);
    if (!p) {
      p = this.json<{ nsid: number; name?: string }[]>(ns, ['netns', 'list-id']).then(
        (l) => new Map(l.filter((x) => x.name).map((x) => [x.nsid, x.name!])),
        () => new Map(),
      );
      this.nsNames.set(ns, p);
    }
    return p;
  }

  async links(ns: string): Promise<LinkInfo[]> {
    type Raw = {
      ifindex: number;
      ifname: string;
      flags?: string[];
      mtu: number;
      master?: string;
      link_index?: number;
      link_netnsid?: number;
      linkinfo?: { info_kind?: string };
    };
    const raw = await this.json<Raw[]>(ns, ['-d', 'link', 'show']);
    const ids = raw.some((l) => l.link_netnsid !== undefined) ? await this.netnsIds(ns) : new Map<number, string>();
    return raw.map((l) => {
      const info: LinkInfo = {
        ifindex: l.ifindex,
        name: l.ifname,
        up: (l.flags ?? []).includes('UP') && (l.flags ?? []).includes('LOWER_UP'),
        mtu: l.mtu,
      };
      if (l.linkinfo?.info_kind) info.kind = l.linkinfo.info_kind;
      if (l.master) info.master = l.master;
      if (l.linkinfo?.info_kind === 'veth' && l.link_index !== undefined) {
        info.peer = { ns: l.link_netnsid === undefined ? undefined : ids.get(l.link_netnsid), ifindex: l.link_index };
      }
      return info;
    });
  }

  async addrs(ns: string): Promise<AddrInfo[]> {
    type Raw = { ifname: string; addr_info?: { local: string; prefixlen: number; scope?: string }[] };
    const raw = await this.json<Raw[]>(ns, ['addr', 'show']);
    return raw.flatMap((l) =>
      (l.addr_info ?? []).map((a) => ({ ifname: l.ifname, address: a.local, prefixlen: a.prefixlen })),
    );
  }

  async routeGet(ns: string, dst: string, opts: { from?: string; iif?: string } = {}): Promise<RouteHit> {
    const args = ['route', 'get', dst];
    if (opts.from) args.push('from', opts.from);
    if (opts.iif) args.push('iif', opts.iif);
    try {
      const [r] = await this.json<{ dev?: string; gateway?: string; type?: string }[]>(ns, args);
      const hit: RouteHit = { type: r?.type ?? 'unicast' };
      if (r?.dev) hit.dev = r.dev;
      if (r?.gateway) hit.gateway = r.gateway;
      return hit;
    } catch (e) {
      const msg = String((e as { stderr?: string }).stderr ?? (e as Error).message).trim();
      return { error: msg.replace(/^RTNETLINK answers: /, '') || 'no route' };
    }
  }

  async routeMatch(ns: string, dst: string): Promise<KernelRoute | undefined> {
    type Raw = {
      dst: string;
      dev?: string;
      gateway?: string;
      protocol?: string;
      type?: string;
      nexthops?: { gateway?: string; dev?: string }[];
    };
    const all = await this.json<Raw[]>(ns, ['route', 'show', 'match', dst]);
    const len = (r: Raw) => (r.dst === 'default' ? 0 : Number(r.dst.split('/')[1] ?? (dst.includes(':') ? 128 : 32)));
    const best = [...all].sort((a, b) => len(b) - len(a))[0];
    if (!best) return undefined;
    const gateways = best.nexthops
      ? best.nexthops.map((h) => h.gateway).filter((g): g is string => !!g)
      : best.gateway
        ? [best.gateway]
        : [];
    const out: KernelRoute = { dst: best.dst, gateways };
    if (best.dev ?? best.nexthops?.[0]?.dev) out.dev = best.dev ?? best.nexthops?.[0]?.dev;
    if (best.protocol) out.protocol = best.protocol;
    if (best.type) out.type = best.type;
    return out;
  }

  async neigh(ns: string, address: string, dev: string): Promise<string[] | undefined> {
    const [n] = await this.json<{ state?: string[] }[]>(ns, ['neigh', 'show', address, 'dev', dev]);
    return n?.state;
  }

  async sysctls(ns: string, keys: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    const files = keys.map((k) => `/proc/sys/net/${k}`);
    // One process per namespace: `ip netns exec` makes /proc/sys/net the namespace's own.
    const cmd = ns ? ['ip', ['netns', 'exec', ns, 'grep', '-H', '', ...files]] : ['grep', ['-H', '', ...files]];
    try {
      const { stdout } = await execFileP(cmd[0] as string, cmd[1] as string[], { encoding: 'utf8', timeout: 10_000 });
      for (const line of stdout.split('\n')) {
        const i = line.indexOf(':');
        if (i > 0) out[line.slice('/proc/sys/net/'.length, i)] = line.slice(i + 1).trim();
      }
    } catch (e) {
      // grep exits 2 when a file is missing but still prints the others
      const stdout = String((e as { stdout?: string }).stdout ?? '');
      for (const line of stdout.split('\n')) {
        const i = line.indexOf(':');
        if (i > 0) out[line.slice('/proc/sys/net/'.length, i)] = line.slice(i + 1).trim();
      }
    }
    return out;
  }

  async agent(ns: string): Promise<AgentView | undefined> {
    return await queryAgent(ns, this.agentApi).catch(() => undefined);
  }

  async policySelected(ns: string): Promise<{ ingress: Set<string>; egress: Set<string> } | undefined> {
    const list = async (map: string) => {
      const args = ['-j', 'list', 'map', 'inet', 'gannet', map];
      const [file, all] = ns ? ['ip', ['netns', 'exec', ns, 'nft', ...args]] : ['nft', args];
      const { stdout } = await execFileP(file, all, { encoding: 'utf8', timeout: 10_000, maxBuffer: 64 * 1024 * 1024 });
      return new Set(nftMapKeys(JSON.parse(stdout)));
    };
    try {
      return { ingress: await list('ingress-pods'), egress: await list('egress-pods') };
    } catch {
      return undefined;
    }
  }

  async ping(ns: string, dst: string): Promise<boolean> {
    const args = ['-n', '-q', '-c', '1', '-W', '1', dst];
    const [file, all] = ns ? ['ip', ['netns', 'exec', ns, 'ping', ...args]] : ['ping', args];
    return execFileP(file, all, { timeout: 5_000 }).then(
      () => true,
      () => false,
    );
  }
}
