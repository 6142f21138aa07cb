// BFD interop and failure-detection rig: a node namespace (the Gannet agent, or FRR as the reference) and a router
// namespace (FRR zebra+bfdd+bgpd, or BIRD 2 with its bfd protocol) on one veth; a silent link failure is an
// nftables table dropping everything in the router's namespace (the link stays up, as the machine's kernel has no
// netem); the time a route leaves a kernel is read from `ip monitor route` as it happens.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startBird } from './daemons.js';
import { type Netns, type SpawnedProcess, sleep, type TestNet, waitFor } from './netns.js';

export const GANNET = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/bin/gannet');
export const NODE_ADDR = '192.0.2.1';
export const ROUTER_ADDR = '192.0.2.2';
/** What the node and the router originate. */
export const NODE_PREFIX = '10.244.1.0/24';
export const ROUTER_PREFIX = '10.99.0.0/24';

export interface Timers {
  minRxMs: number;
  minTxMs: number;
  multiplier: number;
}

export interface Router {
  kind: 'frr' | 'bird';
  /** The router holds the node's prefix (in BGP). */
  hasNodeRoute(): boolean;
  /** The router's BFD session with the node is up. */
  bfdUp(): boolean;
  /** FRR only: Admin-Down (true) or back (false) for the BFD peer (`shutdown` under `bfd / peer`). */
  bfdShutdown(down: boolean): void;
  stop(): Promise<void>;
}

function frrUid(): { uid: number; gid: number } {
  const uid = Number(execFileSync('id', ['-u', 'frr'], { encoding: 'utf8' }).trim());
  const gid = Number(execFileSync('id', ['-g', 'frr'], { encoding: 'utf8' }).trim());
  return { uid, gid };
}

export interface FrrSuite {
  dir: string;
  /** PIDs by daemon name (zebra, bfdd, bgpd). */
  pids: Record<string, number>;
  vtysh(command: string): string;
  configure(lines: string[]): string;
}

/** FRR's zebra, bfdd and bgpd in `ns`, as the frr user, with their own sockets in a temp dir. */
export async function startFrrSuite(net: TestNet, ns: Netns, bgpd: string, bfdd: string): Promise<FrrSuite> {
  const dir = mkdtempSync(join(tmpdir(), 'gnt-frrbfd-'));
  // Removed when the process ends, whatever the caller does (the daemons are killed by the TestNet's cleanup first).
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'zebra.conf'), 'hostname gnt\n');
  writeFileSync(join(dir, 'bgpd.conf'), bgpd);
  writeFileSync(join(dir, 'bfdd.conf'), bfdd);
  const { uid, gid } = frrUid();
  for (const f of ['', 'zebra.conf', 'bgpd.conf', 'bfdd.conf']) chownSync(join(dir, f), uid, gid);
  const common = ['-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-u', 'frr', '-g', 'frr', '-P', '0'];
  const start = (daemon: string, extra: string[] = []) =>
    net.spawn(ns, `/usr/lib/frr/${daemon}`, [
      '-f',
      join(dir, `${daemon}.conf`),
      '-i',
      join(dir, `${daemon}.pid`),
      ...common,
      ...extra,
    ]);
  const procs: SpawnedProcess[] = [start('zebra')];
  await waitFor('zebra', () => existsSync(join(dir, 'zserv.api')), { timeoutMs: 10_000 });
  procs.push(start('bfdd', ['--bfdctl', join(dir, 'bfdd.sock')]), start('bgpd'));
  try {
    await waitFor('bfdd and bgpd', () => existsSync(join(dir, 'bgpd.vty')) && existsSync(join(dir, 'bfdd.vty')), {
      timeoutMs: 10_000,
    });
  } catch (err) {
    throw new Error(`FRR did not start: ${procs.map((p) => p.output()).join('\n')}`, { cause: err });
  }
  const vtysh = (command: string) => ns.run('vtysh', ['--vty_socket', dir, '-c', command], { timeoutMs: 10_000 });
  return {
    dir,
    pids: { zebra: procs[0]!.pid, bfdd: procs[1]!.pid, bgpd: procs[2]!.pid },
    vtysh,
    configure: (lines) =>
      ns.run('vtysh', ['--vty_socket', dir, '-c', 'configure terminal', ...lines.flatMap((l) => ['-c', l])]),
  };
}

const frrBfdd = (peer: string, t: Timers) => `bfd
 profile fast
  receive-interval ${t.minRxMs}
  transmit-interval ${t.minTxMs}
  detect-multiplier ${t.multiplier}
 !
 peer ${peer}
  profile fast
 !
!
`;

interface FrrBgpdOptions {
  asn: number;
  id: string;
  peer: string;
  peerAsn: number;
  prefix: string;
  bfd: boolean;
  /** Keepalive and hold time, s (default 30 90). */
  timers?: [number, number];
}

function frrBgpd(o: FrrBgpdOptions): string {
  return `frr defaults traditional
hostname gnt
log stdout informational
!
router bgp ${o.asn}
 bgp router-id ${o.id}
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor ${o.peer} remote-as ${o.peerAsn}
 neighbor ${o.peer} timers ${(o.timers ?? [30, 90]).join(' ')}
 neighbor ${o.peer} timers connect 1
${o.bfd ? ` neighbor ${o.peer} bfd profile fast\n` : ''} !
 address-family ipv4 unicast
  network ${o.prefix}
 exit-address-family
!
`;
}

/**
 * The FRR router: originates ROUTER_PREFIX, BFD with the node at `t` (undefined: BFD off), keepalive/hold 30/90 s
 * unless `timers` says otherwise.
 */
export async function startFrrRouter(
  net: TestNet,
  ns: Netns,
  t: Timers | undefined,
  timers?: [number, number],
): Promise<Router> {
  const o: FrrBgpdOptions = {
    asn: 65000,
    id: ROUTER_ADDR,
    peer: NODE_ADDR,
    peerAsn: 65001,
    prefix: ROUTER_PREFIX,
    bfd: t !== undefined,
  };
  if (timers) o.timers = timers;
  const frr = await startFrrSuite(net, ns, frrBgpd(o), t ? frrBfdd(NODE_ADDR, t) : 'bfd\n!\n');
  return {
    kind: 'frr',
    hasNodeRoute: () => {
      const out = JSON.parse(frr.vtysh('show bgp ipv4 unicast json')) as { routes?: Record<string, unknown> };
      return out.routes?.[NODE_PREFIX] !== undefined;
    },
    bfdUp: () => {
      const peers = JSON.parse(frr.vtysh('show bfd peers json')) as { peer: string; status: string }[];
      return peers.some((p) => p.peer === NODE_ADDR && p.status === 'up');
    },
    bfdShutdown: (down) => {
      frr.configure(['bfd', `peer ${NODE_ADDR}`, down ? 'shutdown' : 'no shutdown']);
    },
    stop: async () => rmSync(frr.dir, { recursive: true, force: true }),
  };
}

/** The BIRD 2 router: the same, with protocols bfd, bgp (bfd on), static and kernel. */
export async function startBirdRouter(net: TestNet, ns: Netns, t: Timers): Promise<Router> {
  const bird = await startBird(
    net,
    ns,
    `router id ${ROUTER_ADDR};
protocol device {}
protocol kernel { ipv4 { import none; export all; }; }
protocol static st { ipv4; route ${ROUTER_PREFIX} blackhole; }
protocol bfd {
  interface "*" { min rx interval ${t.minRxMs} ms; min tx interval ${t.minTxMs} ms; multiplier ${t.multiplier}; };
}
protocol bgp gannet {
  local ${ROUTER_ADDR} as 65000;
  neighbor ${NODE_ADDR} as 65001;
  hold time 90;
  connect retry time 1;
  error wait time 1, 5;
  bfd on;
  ipv4 { import all; export all; };
}
`,
  );
  return {
    kind: 'bird',
    hasNodeRoute: () => bird.birdc(`show route for ${NODE_PREFIX} protocol gannet`).includes(NODE_PREFIX),
    bfdUp: () =>
      /\bUp\b/.test(
        bird
          .birdc('show bfd sessions')
          .split('\n')
          .find((l) => l.includes(NODE_ADDR)) ?? '',
      ),
    bfdShutdown: () => {
      throw new Error('Admin-Down from BIRD is not driven by this rig');
    },
    stop: () => bird.stop(),
  };
}

export interface Node {
  kind: 'gannet' | 'frr';
  /** The node's BGP session is Established. */
  established(): Promise<boolean>;
  /** The node's view of its peer (the agent's /api/v1/peers entry; FRR's summary state). */
  peer(): Promise<{ state: string; bfd?: { state: string; localDiag: string; remoteDiag: string } }>;
  /** The agent only: every peer of /api/v1/peers. */
  peers?(): Promise<{ address: string; state: string; bfd?: { state: string } }[]>;
}

/** The Gannet agent as a process in `ns`, peering with the router; `bfd` undefined: BFD off. */
export async function startAgentNode(
  net: TestNet,
  ns: Netns,
  dir: string,
  o: { bfd?: Timers; holdTime: number; extraPeers?: string[] },
): Promise<Node> {
  const bfd = o.bfd
    ? `\n    bfd: { enabled: true, minRxMs: ${o.bfd.minRxMs}, minTxMs: ${o.bfd.minTxMs}, multiplier: ${o.bfd.multiplier} }`
    : '';
  const conf = join(dir, 'gannet.yaml');
  writeFileSync(
    conf,
    `nodeName: bfd-node
asn: 65001
routerId: ${NODE_ADDR}
podCIDRs: [${NODE_PREFIX}]
clusterCIDRs: [10.0.0.0/8]
natOutgoing: false
listen: { address: 0.0.0.0, port: 179 }
api: { listen: 127.0.0.1:9179 }
nodeStateFile: ${join(dir, 'node-state.json')}
peers:
  - address: ${ROUTER_ADDR}
    asn: 65000
    holdTime: ${o.holdTime}${bfd}
${(o.extraPeers ?? []).map((l) => `  - ${l}\n`).join('')}`,
  );
  const proc = net.spawn(ns, GANNET, ['agent', '--log-format', 'json', '--config', conf], { detached: true });
  const peer = async () => {
    const peers = JSON.parse(apiGet(ns, '/api/v1/peers') || '[]') as {
      state: string;
      bfd?: { state: string; localDiag: string; remoteDiag: string };
    }[];
    if (proc.child.exitCode !== null) throw new Error(`the agent exited: ${proc.output().slice(-2000)}`);
    return peers[0] ?? { state: 'none' };
  };
  const peers = async () =>
    JSON.parse(apiGet(ns, '/api/v1/peers') || '[]') as { address: string; state: string; bfd?: { state: string } }[];
  return { kind: 'gannet', peer, peers, established: async () => (await peer()).state === 'Established' };
}

/** GET on the agent's status API inside `ns` (127.0.0.1:9179): the body, or '' when nothing answers. */
export function apiGet(ns: Netns, path: string): string {
  const script = `fetch('http://127.0.0.1:9179${path}', { signal: AbortSignal.timeout(2000) })
    .then((r) => r.text()).then((t) => process.stdout.write(t)).catch(() => {})`;
  return ns.run(process.execPath, ['-e', script], { timeoutMs: 10_000 });
}

/** CPU time (user + system) a process has used, ms (from /proc/PID/stat; 100 ticks per second on Linux). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10; // utime, stime (fields 14 and 15)
}

/** FRR (zebra+bfdd+bgpd) as the node: the reference for detection time. */
export async function startFrrNode(net: TestNet, ns: Netns, t: Timers): Promise<Node> {
  const bgpd = frrBgpd({
    asn: 65001,
    id: NODE_ADDR,
    peer: ROUTER_ADDR,
    peerAsn: 65000,
    prefix: NODE_PREFIX,
    bfd: true,
  });
  const frr = await startFrrSuite(net, ns, bgpd, frrBfdd(ROUTER_ADDR, t));
  // zebra needs the prefix it originates to be reachable for `network`: import-check is off, so no route needed.
  const peer = async () => {
    const s = JSON.parse(frr.vtysh('show bgp ipv4 unicast summary json')) as {
      peers?: Record<string, { state: string }>;
    };
    const b = (
      JSON.parse(frr.vtysh('show bfd peers json')) as { peer: string; status: string; diagnostic: string }[]
    ).find((p) => p.peer === ROUTER_ADDR);
    return {
      state: s.peers?.[ROUTER_ADDR]?.state ?? 'none',
      ...(b ? { bfd: { state: b.status, localDiag: b.diagnostic, remoteDiag: '' } } : {}),
    };
  };
  return { kind: 'frr', peer, established: async () => (await peer()).state === 'Established' };
}

/** The node and router namespaces on one veth (node0 192.0.2.1/24 — router0 192.0.2.2/24). */
export function twoNamespaces(net: TestNet): { node: Netns; router: Netns } {
  const node = net.ns('node');
  const router = net.ns('rtr');
  net.link(node, 'node0', router, 'rtr0', `${NODE_ADDR}/24`, `${ROUTER_ADDR}/24`);
  return { node, router };
}

const CUT_TABLE = 'gnt_silent_cut';

/** Drops every packet in and out of `ns` (the link stays up); returns performance.now() just before. */
export function silentCut(ns: Netns): number {
  const t0 = performance.now();
  ns.run('nft', ['-f', '-'], {
    input: `table inet ${CUT_TABLE} {
  chain in { type filter hook input priority -300; policy drop; }
  chain out { type filter hook output priority -300; policy drop; }
}
`,
  });
  return t0;
}

export function heal(ns: Netns): void {
  ns.tryRun('nft', ['delete', 'table', 'inet', CUT_TABLE]);
}

/** Watches a namespace's routes; `gone(prefix)` resolves with performance.now() when the route is deleted. */
export class RouteWatch {
  private readonly child: ChildProcess;
  private buf = '';
  private readonly waiters: { prefix: string; resolve: (t: number) => void }[] = [];

  constructor(ns: Netns) {
    this.child = spawn('ip', ['-n', ns.name, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'ignore'] });
    this.child.stdout?.on('data', (chunk: Buffer) => {
      const now = performance.now();
      this.buf += chunk.toString();
      const lines = this.buf.split('\n');
      this.buf = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('Deleted ')) continue;
        for (const w of this.waiters.splice(0)) {
          if (line.startsWith(`Deleted ${w.prefix} `)) w.resolve(now);
          else this.waiters.push(w);
        }
      }
    });
  }

  /** Resolves when `prefix` is deleted, or rejects after `timeoutMs`. */
  gone(prefix: string, timeoutMs: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${prefix} still in the kernel after ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        prefix,
        resolve: (at) => {
          clearTimeout(t);
          resolve(at);
        },
      });
    });
  }

  /** Let `ip monitor` subscribe before the event it must see. */
  ready(): Promise<void> {
    return sleep(200);
  }

  close(): void {
    if (this.child.pid !== undefined) {
      try {
        process.kill(this.child.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
  }
}

/** `ip route show PREFIX` in `ns` has the route. */
export function hasKernelRoute(ns: Netns, prefix: string): boolean {
  return ns.ip('route', 'show', prefix).trim() !== '';
}
