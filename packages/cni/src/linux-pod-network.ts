// PodNetwork on Linux through iproute2, with as few process spawns as the kernel allows: one `ip -batch` inside the
// pod's namespace (`ip -n NAME`, or under nsenter for other netns paths) creates the veth pair with its host end
// placed straight into our own namespace (`netns <our pid>`) and configures the pod end; sysctls are plain writes to
// /proc/sys (which shows the namespace of the writing process); one `ip -batch` in our namespace brings the host end
// up and adds the host route. Both run with spawnSync: starting them early with an async spawn, so that their
// start-up overlapped the address allocation, was measured slower (ADD p50 69.5 vs 62.8 ms): Node's async pipes
// cost ~5 ms of CPU per run to load and set up, more than the overlap saved.
//
// Gateway: the pod's default route points at 169.254.1.1 on-link. The host veth has no address; it answers ARP for
// the gateway with proxy_arp (proxy_delay 0), as Calico does, and the pod also gets a permanent neighbour entry for
// the gateway with the host veth's MAC, so that the pod reaches the host even where the host namespace has no route
// to 169.254.1.1 (proxy ARP only answers for addresses the host can route), and without an ARP round trip.
//
// IPv6: the pod's address is a /128 added with `nodad`, so it is usable at once (no ~1-2 s of tentative state from
// duplicate address detection; the address is the IPAM's, unique by construction). The default route points at
// fe80::1 with a permanent neighbour entry for it (the host veth's MAC), and the host has a permanent neighbour entry
// for the pod's address (the pod veth's MAC): no neighbour discovery in either direction, so neither end needs a
// non-tentative link-local address before the first packet. The host veth carries no IPv6 address of its own.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { type CommandResult, type RunCommand, runCommand } from './command.js';
import { CniCode, CniError } from './errors.js';
import { type NetnsState, netnsRefusal, type PodNetwork, type PodWiring } from './pod-network.js';
import { POD_GATEWAY, POD_GATEWAY6 } from './result.js';

/** Reads and writes /proc/sys (keys like `net/ipv4/ip_forward`); read returns undefined when absent. */
export interface Sysctl {
  read(key: string): string | undefined;
  write(key: string, value: string): void;
}

const procSysctl: Sysctl = {
  read(key) {
    try {
      return readFileSync(`/proc/sys/${key}`, 'utf8').trim();
    } catch {
      return undefined;
    }
  },
  write(key, value) {
    writeFileSync(`/proc/sys/${key}`, value);
  },
};

export type { CommandResult, RunCommand } from './command.js';

export interface LinuxPodNetworkOptions {
  readonly run?: RunCommand;
  readonly sysctl?: Sysctl;
  /** Reads /proc/net/route of our namespace. */
  readonly routeTable?: () => string;
  /** Our own PID: names our namespace for `ip link add … netns <pid>`. */
  readonly pid?: number;
  /**
   * Reads /proc/net/dev of our namespace (the interfaces of the reading process's namespace): remove() spawns no
   * `ip` when the veth is not listed. Throwing means "cannot tell": remove() then asks ip.
   */
  readonly netDev?: () => string;
  /** Called after each step of add() ('veth', 'sysctls', 'routed'); e2e tests kill the plugin there. */
  readonly onStep?: (step: string) => void;
  /** Classifies CNI_NETNS (default: classifyNetns, which stats the path). */
  readonly netnsState?: (netns: string) => NetnsState;
}

/**
 * What a CNI_NETNS path is, from two stat(2)s: a namespace file lives on nsfs (the device of /proc/self/ns/net) and
 * its inode number is the namespace's; the plugin's own network namespace has the inode of /proc/self/ns/net.
 * Another kind of namespace (uts, mnt…) passes here; entering it as a network namespace then fails (code 4 too).
 */
export function classifyNetns(netns: string, own = '/proc/self/ns/net'): NetnsState {
  let st: { dev: number; ino: number };
  try {
    st = statSync(netns);
  } catch {
    return 'missing';
  }
  const ours = statSync(own);
  if (st.dev !== ours.dev) return 'not-a-netns';
  return st.ino === ours.ino ? 'own' : 'ok';
}

function failed(what: string, r: CommandResult, hint = ''): CniError {
  const err = r.stderr.trim() || `exit status ${r.status}`;
  return new CniError(CniCode.IoFailure, `${what}: ${err}${hint}`, r.stderr.trim());
}

/** The line of an `ip -batch` script that failed ("Command failed -:N"), 0 when none is named. */
function failedLine(r: CommandResult): number {
  if (r.status === 0) return 0;
  const m = /Command failed -:(\d+)/.exec(r.stderr);
  return m ? Number(m[1]) : 0;
}

/**
 * How to run `ip -batch -` inside a pod's namespace: `ip -n NAME` when CNI_NETNS is a named namespace under
 * /run/netns (one exec), else `nsenter --net=PATH ip` (for /proc/PID/ns/net and other bind mounts).
 */
function podIpArgs(netns: string, flags: string[]): string[] {
  const named = /^\/(?:var\/)?run\/netns\/([^/]+)$/.exec(netns)?.[1];
  if (named !== undefined && named !== '.' && named !== '..' && sameFile(netns, `/var/run/netns/${named}`)) {
    return ['ip', '-n', named, ...flags, '-batch', '-']; // ip looks names up in /var/run/netns
  }
  return ['nsenter', `--net=${netns}`, 'ip', ...flags, '-batch', '-'];
}

function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const [x, y] = [statSync(a), statSync(b)];
    return x.ino === y.ino && x.dev === y.dev;
  } catch {
    return false;
  }
}

/** The lines of the pod's `ip -batch`, each with what it does (to explain the line ip names on failure). */
function podLines(w: PodWiring, pid: number): { line: string; what: string }[] {
  const dev = w.podIfName;
  const out = [
    {
      line: `link add ${dev} mtu ${w.mtu} address ${w.podMac} type veth peer name ${w.hostIfName} mtu ${w.mtu} address ${w.hostMac} netns ${pid}`,
      what: 'link',
    },
  ];
  if (w.ipv4 !== undefined) out.push({ line: `addr add ${w.ipv4}/32 dev ${dev}`, what: 'addr' });
  if (w.ipv6 !== undefined) out.push({ line: `addr add ${w.ipv6}/128 dev ${dev} nodad`, what: 'addr' });
  out.push({ line: `link set ${dev} up`, what: 'up' });
  if (w.ipv4 !== undefined) {
    out.push({ line: `route add default via ${POD_GATEWAY} dev ${dev} onlink`, what: 'default' });
    out.push({ line: `neigh replace ${POD_GATEWAY} lladdr ${w.hostMac} dev ${dev} nud permanent`, what: 'neigh' });
  }
  if (w.ipv6 !== undefined) {
    out.push({ line: `route add default via ${POD_GATEWAY6} dev ${dev}`, what: 'default' });
    out.push({ line: `neigh replace ${POD_GATEWAY6} lladdr ${w.hostMac} dev ${dev} nud permanent`, what: 'neigh' });
  }
  return out;
}

function parseJsonLines(text: string): unknown[][] {
  return text
    .split('\n')
    .filter((l) => l.trim().startsWith('['))
    .map((l) => JSON.parse(l) as unknown[]);
}

export class LinuxPodNetwork implements PodNetwork {
  private readonly run: RunCommand;
  private readonly pid: number;
  private readonly sysctls: Sysctl;
  private readonly routeTable: () => string;
  private readonly netDev: () => string;
  private readonly onStep: (step: string) => void;
  readonly netnsState: (netns: string) => NetnsState;

  constructor(opts: LinuxPodNetworkOptions = {}) {
    this.run = opts.run ?? runCommand;
    this.pid = opts.pid ?? process.pid;
    this.sysctls = opts.sysctl ?? procSysctl;
    this.routeTable = opts.routeTable ?? (() => readFileSync('/proc/net/route', 'utf8'));
    this.netDev = opts.netDev ?? (() => readFileSync('/proc/net/dev', 'utf8'));
    this.onStep = opts.onStep ?? (() => {});
    this.netnsState = opts.netnsState ?? ((netns) => classifyNetns(netns));
  }

  /** The `ip -batch` script run inside the pod's namespace. */
  podBatch(w: PodWiring): string {
    return podLines(w, this.pid)
      .map((l) => `${l.line}\n`)
      .join('');
  }

  /** The `ip -batch` script run in the plugin's (the host's) namespace. */
  hostBatch(w: PodWiring): string {
    const lines = [`link set ${w.hostIfName} up`];
    if (w.ipv4 !== undefined) lines.push(`route replace ${w.ipv4}/32 dev ${w.hostIfName} scope link`);
    if (w.ipv6 !== undefined) {
      lines.push(`route replace ${w.ipv6}/128 dev ${w.hostIfName}`);
      lines.push(`neigh replace ${w.ipv6} lladdr ${w.podMac} dev ${w.hostIfName} nud permanent`);
    }
    return `${lines.join('\n')}\n`;
  }

  add(w: PodWiring): void {
    const refused = netnsRefusal(w.netns, this.netnsState(w.netns));
    if (refused) throw new CniError(CniCode.InvalidEnvironment, refused);
    let r = this.inPod(w.netns, this.podBatch(w));
    if (failedLine(r) === 1 && /File exists/.test(r.stderr) && this.remove(w.hostIfName)) {
      // a leftover of an earlier, interrupted ADD for the same attachment: the veth is gone now, start again
      r = this.inPod(w.netns, this.podBatch(w));
    }
    if (r.status !== 0 && /setting the network namespace .* failed|reassociate to namespace/.test(r.stderr)) {
      // an nsfs file of another kind of namespace (uts, mnt…): setns(CLONE_NEWNET) refuses it
      throw new CniError(
        CniCode.InvalidEnvironment,
        `CNI_NETNS ${w.netns} is not a network namespace: ${r.stderr.trim()}`,
      );
    }
    if (r.status !== 0) {
      const what = podLines(w, this.pid)[failedLine(r) - 1]?.what;
      const exists = /File exists/.test(r.stderr);
      const hint =
        exists && what === 'link'
          ? ` (the pod already has an interface named ${w.podIfName})`
          : exists && what === 'default'
            ? ' (the pod already has a default route: gannet-cni must be its first network)'
            : '';
      throw failed(`cannot create and configure the veth pair in ${w.netns}`, r, hint);
    }
    this.onStep('veth');
    this.sysctl(`net/ipv4/conf/${w.hostIfName}/proxy_arp`, '1');
    this.sysctl(`net/ipv4/neigh/${w.hostIfName}/proxy_delay`, '0');
    // forwarding: read first, write only when off. A write takes the RTNL lock with rtnl_trylock() and restarts
    // the syscall while it is busy (a spin under concurrent ADDs); a new veth normally inherits forwarding=1 from
    // conf.default once net.ipv4.ip_forward is 1.
    if (w.ipv4 !== undefined) {
      if (this.readSysctl('net/ipv4/ip_forward') !== '1') this.sysctl('net/ipv4/ip_forward', '1');
      const forwarding = `net/ipv4/conf/${w.hostIfName}/forwarding`;
      if (this.readSysctl(forwarding) !== '1') this.sysctl(forwarding, '1');
    }
    if (w.ipv6 !== undefined) {
      // IPv6 has no per-interface forwarding switch that routes (conf/*/forwarding only picks host or router
      // behaviour); all.forwarding is the one, and the kernel copies it to every interface when it is set
      if (this.readSysctl('net/ipv6/conf/all/forwarding') !== '1') this.sysctl('net/ipv6/conf/all/forwarding', '1');
    }
    this.onStep('sysctls');
    const h = this.run('ip', ['-batch', '-'], this.hostBatch(w));
    if (h.status !== 0) {
      const routes = [w.ipv4 && `${w.ipv4}/32`, w.ipv6 && `${w.ipv6}/128`].filter(Boolean).join(' and ');
      throw failed(`cannot bring up ${w.hostIfName} and route ${routes} to it`, h);
    }
    this.onStep('routed');
  }

  remove(hostIfName: string): boolean {
    // a DEL repeated, or after the pod's namespace (and with it the veth pair) is gone: no ip run needed
    if (!this.listed(hostIfName)) return false;
    const r = this.run('ip', ['link', 'del', hostIfName]);
    if (r.status === 0) return true;
    if (/Cannot find device|does not exist/.test(r.stderr)) return false;
    throw failed(`cannot delete ${hostIfName}`, r);
  }

  check(w: PodWiring): string[] {
    const problems: string[] = [];
    const link = this.run('ip', ['-j', 'link', 'show', 'dev', w.hostIfName]);
    if (link.status !== 0) {
      problems.push(`host interface ${w.hostIfName} is missing`);
    } else {
      const l = (parseJsonLines(link.stdout)[0]?.[0] ?? {}) as { flags?: string[]; mtu?: number };
      if (!l.flags?.includes('UP')) problems.push(`host interface ${w.hostIfName} is down`);
      if (l.mtu !== w.mtu) problems.push(`host interface ${w.hostIfName} has MTU ${l.mtu}, expected ${w.mtu}`);
      if (this.readSysctl(`net/ipv4/conf/${w.hostIfName}/proxy_arp`) !== '1') {
        problems.push(`proxy_arp is off on ${w.hostIfName}`);
      }
    }
    const families = [
      { ip: w.ipv4, len: 32, inet: 'inet', gw: POD_GATEWAY, flags: [] as string[] },
      { ip: w.ipv6, len: 128, inet: 'inet6', gw: POD_GATEWAY6, flags: ['-6'] },
    ].filter((f): f is typeof f & { ip: string } => f.ip !== undefined);
    for (const f of families) {
      const route = this.run('ip', [...f.flags, '-j', 'route', 'show', 'exact', `${f.ip}/${f.len}`]);
      const routes = (parseJsonLines(route.stdout)[0] ?? []) as { dev?: string }[];
      if (!routes.some((rt) => rt.dev === w.hostIfName)) {
        problems.push(`host route ${f.ip}/${f.len} dev ${w.hostIfName} is missing`);
      }
    }
    const refused = netnsRefusal(w.netns, this.netnsState(w.netns));
    if (refused) return [...problems, refused.replace(/^CNI_NETNS /, 'network namespace ')];
    const pod = this.inPod(w.netns, `addr show dev ${w.podIfName}\nroute show default\n`, ['-j']);
    const [addrs = [], defaults4 = []] = parseJsonLines(pod.stdout) as [
      { addr_info?: { family: string; local: string; prefixlen: number }[]; flags?: string[] }[]?,
      { gateway?: string; dev?: string }[]?,
    ];
    const podIf = addrs[0];
    if (pod.status !== 0 && !podIf) return [...problems, `pod interface ${w.podIfName} is missing in ${w.netns}`];
    // `ip -batch` takes no family per line: the IPv6 default route is a second run, only for a pod that has IPv6
    const defaults6 =
      w.ipv6 === undefined
        ? []
        : ((parseJsonLines(this.inPod(w.netns, 'route show default\n', ['-6', '-j']).stdout)[0] ?? []) as {
            gateway?: string;
            dev?: string;
          }[]);
    for (const f of families) {
      if (!podIf?.addr_info?.some((a) => a.family === f.inet && a.local === f.ip && a.prefixlen === f.len)) {
        problems.push(`pod interface ${w.podIfName} lacks ${f.ip}/${f.len}`);
      }
      const defaults = f.len === 32 ? defaults4 : defaults6;
      if (!defaults.some((d) => d.gateway === f.gw && d.dev === w.podIfName)) {
        problems.push(`pod default route via ${f.gw} dev ${w.podIfName} is missing`);
      }
    }
    if (!podIf?.flags?.includes('UP')) problems.push(`pod interface ${w.podIfName} is down`);
    return problems;
  }

  uplinkMtu(): number | undefined {
    let table: string;
    try {
      table = this.routeTable(); // the routing table of our own namespace
    } catch {
      return undefined;
    }
    const row = table
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1] === '00000000' && f[7] === '00000000');
    const dev = row?.[0];
    if (!dev) return undefined;
    // /sys/class/net may show another namespace's devices (under nsenter), so ask the kernel through ip
    const r = this.run('ip', ['-j', 'link', 'show', 'dev', dev]);
    const mtu = (parseJsonLines(r.stdout)[0]?.[0] as { mtu?: number } | undefined)?.mtu;
    return r.status === 0 && typeof mtu === 'number' ? mtu : undefined;
  }

  /** Is the interface in /proc/net/dev of our namespace? True when that cannot be read (ip decides). */
  private listed(ifName: string): boolean {
    let text: string;
    try {
      text = this.netDev();
    } catch {
      return true;
    }
    return text.split('\n').some((l) => l.trimStart().startsWith(`${ifName}:`));
  }

  /** `ip [flags] -batch -` inside the pod's namespace, as argv: see podIpArgs(). */
  private inPod(netns: string, batch: string, flags: string[] = []): CommandResult {
    const [cmd, ...args] = podIpArgs(netns, flags);
    return this.run(cmd as string, args, batch);
  }

  private sysctl(key: string, value: string): void {
    try {
      this.sysctls.write(key, value);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new CniError(CniCode.IoFailure, `cannot set sysctl ${key.replaceAll('/', '.')}=${value}: ${why}`);
    }
  }

  private readSysctl(key: string): string | undefined {
    return this.sysctls.read(key);
  }
}
