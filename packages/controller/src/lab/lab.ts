// The lab: nodes, an optional router and pods as network namespaces on this machine, one real agent per node, pods
// attached through the real gannet-cni. Everything it makes is recorded in <stateRoot>/<name>/lab.json as it goes,
// so `down` removes exactly that, also after a crash. Nothing is added to the machine's own namespace.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NamespaceInfo, NetworkPolicy } from '@gannet/policy';
import { defaultBinDir, gannetCommand } from '../bin/self.js';
import {
  containerdMissing,
  killContainerdLeftovers,
  NodeContainerd,
  pauseImageTar,
  removeCniCacheEntries,
} from './lab-containerd.js';
import { inNs, ip, isLabNs, listNetns, pool, readPidFile, sleep, spawnDetached, stopPid } from './lab-host.js';
import { removePolicyTables, setupEgress, writePodsFile, writePoliciesFile } from './lab-policy.js';
import { routerDir, startRouter } from './lab-routers.js';
import type { PlannedLink } from './plan-types.js';
import { cniConf, type LabOptions, type LabPlan, nodeConfigYaml, type PlannedNode, planLab } from './topology.js';

export const DEFAULT_STATE_ROOT = '/run/gannet/lab';
/** dist/bin of the repository this module was built in (or the single executable's own directory). */
export const DEFAULT_BIN_DIR = defaultBinDir();
export { AGENT_NODE_FLAGS } from '../bin/self.js';

export interface LabState {
  name: string;
  options: LabOptions;
  createdAt: string;
  namespaces: string[];
  processes: { role: string; pid: number }[];
  /**
   * `sandbox`: the CRI sandbox ID (runtime containerd); `ns` is then containerd's cni-… namespace. `namespace` and
   * `labels`: the pod's Kubernetes namespace (default `default`) and labels, for NetworkPolicy (lab-policy.ts). `ip`
   * is the pod's first address (IPv4 unless the lab is IPv6-only); `ip6` its IPv6 one in a dual-stack lab.
   */
  pods: {
    id: string;
    ns: string;
    node: string;
    ip: string;
    ip6?: string;
    sandbox?: string;
    namespace?: string;
    labels?: Record<string, string>;
  }[];
  /** NetworkPolicy and Namespace objects applied with `lab policy apply` (written to policies.yaml). */
  policy?: { policies: NetworkPolicy[]; namespaces: NamespaceInfo[] };
}

export interface LabEnv {
  stateRoot?: string;
  binDir?: string;
  /** Progress lines. */
  progress?: (line: string) => void;
}

export class Lab {
  readonly dir: string;
  readonly plan: LabPlan;
  state: LabState;
  private readonly binDir: string;
  private readonly say: (line: string) => void;

  constructor(plan: LabPlan, env: LabEnv = {}, state?: LabState) {
    this.plan = plan;
    this.dir = join(env.stateRoot ?? DEFAULT_STATE_ROOT, plan.options.name);
    this.binDir = env.binDir ?? DEFAULT_BIN_DIR;
    this.say = env.progress ?? (() => {});
    this.state = state ?? {
      name: plan.options.name,
      options: plan.options,
      createdAt: new Date().toISOString(),
      namespaces: [],
      processes: [],
      pods: [],
    };
  }

  /** Loads a lab that `up` made (its state file), or undefined. */
  static load(name: string, env: LabEnv = {}): Lab | undefined {
    const file = join(env.stateRoot ?? DEFAULT_STATE_ROOT, name, 'lab.json');
    if (!existsSync(file)) return undefined;
    const state = JSON.parse(readFileSync(file, 'utf8')) as LabState;
    return new Lab(planLab(state.options), env, state);
  }

  nodeDir(node: PlannedNode): string {
    return join(this.dir, node.name);
  }

  private save(): void {
    writeFileSync(join(this.dir, 'lab.json'), `${JSON.stringify(this.state, null, 2)}\n`);
  }

  /** Records the state (lab.json) after a change made outside this class (lab-policy.ts). */
  saveState(): void {
    this.save();
  }

  private addNs(ns: string): void {
    ip('netns', 'add', ns);
    this.state.namespaces.push(ns);
    this.save();
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }

  track(role: string, pid: number): void {
    // a restarted daemon replaces its predecessor
    this.state.processes = this.state.processes.filter((p) => p.role !== role);
    this.state.processes.push({ role, pid });
    this.save();
  }

  /** Builds the namespaces and the segment, starts the router and the agents, attaches the pods. */
  async build(): Promise<void> {
    const { plan } = this;
    const taken = listNetns().filter((n) => n.startsWith(plan.prefix));
    if (existsSync(join(this.dir, 'lab.json')) || taken.length > 0) {
      throw new Error(
        `lab "${plan.options.name}" already exists; run 'gannet lab down${plan.options.name === 'lab' ? '' : ` --name ${plan.options.name}`}' first`,
      );
    }
    for (const bin of ['gannet-cni']) {
      if (!existsSync(join(this.binDir, bin))) throw new Error(`${join(this.binDir, bin)} is missing: run pnpm build`);
    }
    const containerd = plan.options.runtime === 'containerd';
    const missing = containerd ? containerdMissing() : undefined;
    if (missing) throw new Error(`--runtime containerd: ${missing}`);
    mkdirSync(this.dir, { recursive: true });
    this.save();

    this.say(describePlan(plan));
    const nodeNs = new Set(plan.nodes.map((n) => n.ns));
    const fabricNs = [...new Set([...plan.segments.map((s) => s.ns), ...plan.routers.map((r) => r.ns)])];
    for (const ns of fabricNs) this.addNs(ns);
    // --ip-family ipv6|dual: no duplicate address detection on the interfaces made from here on (link-local ones
    // included): FRR refuses to send IPv6 routes (nexthop_set failed, a FSM error 5/0 to the node) while its
    // segment interface's link-local address is still tentative
    const ipv6 = plan.nodes.some((n) => n.address.includes(':') || n.address6 !== undefined);
    const noDad = ['-qw', 'net.ipv6.conf.default.accept_dad=0', 'net.ipv6.conf.all.accept_dad=0'];
    if (ipv6) for (const ns of fabricNs) await inNs(ns, 'sysctl', noDad);
    for (const seg of plan.segments) {
      ip('-n', seg.ns, 'link', 'add', seg.bridge, 'type', 'bridge');
      ip('-n', seg.ns, 'link', 'set', seg.bridge, 'up');
      for (const gw of [seg.gateway, seg.gateway6])
        if (gw) ip('-n', seg.ns, 'addr', 'add', ...addrArgs(gw), seg.bridge);
    }
    // --ip-family ipv6|dual: the routers forward IPv6 too
    if (ipv6) for (const r of plan.routers) await inNs(r.ns, 'sysctl', ['-qw', 'net.ipv6.conf.all.forwarding=1']);
    const multipath = plan.topology !== 'flat' && plan.topology !== 'rr';
    for (const r of plan.routers)
      await inNs(r.ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', ...(multipath ? ECMP_SYSCTLS : [])]);
    for (const node of plan.nodes) {
      this.addNs(node.ns);
      if (ipv6) await inNs(node.ns, 'sysctl', noDad);
      for (const link of plan.links) if (link.a.ns === node.ns) addLink(link);
      if (multipath) await inNs(node.ns, 'sysctl', ['-qw', ...ECMP_SYSCTLS]);
      mkdirSync(this.nodeDir(node), { recursive: true });
    }
    for (const link of plan.links) if (!nodeNs.has(link.a.ns)) addLink(link);
    setupEgress(plan);
    // the agents' NetworkPolicy inputs exist before they start (they apply nothing until they could read them)
    writePoliciesFile(this);
    writePodsFile(this);
    await Promise.all(plan.routers.map((r) => startRouter(this, r)));
    for (const r of plan.routers)
      this.say(
        `${r.role === 'tor' ? 'router' : r.role} ${r.ns}: ${r.kind.toUpperCase()} AS ${r.asn}, router id ${r.routerId}`,
      );
    this.say('starting one gannet agent per node');
    for (const node of plan.nodes) this.startAgent(node);
    await this.waitNodeState();
    if (containerd) {
      await this.startContainerds();
      if (plan.options.podsPerNode > 0) {
        this.say(`starting ${plan.nodes.length * plan.options.podsPerNode} pod sandboxes through containerd's CRI`);
        for (const node of plan.nodes) for (const pod of node.pods) await this.runSandbox(node, pod.id);
      }
    } else if (plan.options.podsPerNode > 0) {
      this.say(`attaching ${plan.nodes.length * plan.options.podsPerNode} pods through gannet-cni`);
      // nodes in parallel (each node's own pods one after the other, as a kubelet would)
      await pool(plan.nodes, 4, async (node) => {
        for (const pod of node.pods) await this.addPod(node, pod.id, pod.ns);
      });
    }
  }

  /** Starts (or restarts) the agent of `node`; returns its PID. */
  startAgent(node: PlannedNode): number {
    const dir = this.nodeDir(node);
    const config = join(dir, 'gannet.yaml');
    writeFileSync(config, nodeConfigYaml(this.plan, node, dir));
    const gannet = gannetCommand();
    const pid = spawnDetached(
      node.ns,
      gannet.file,
      [...gannet.args, 'agent', '--config', config, '--log-format', 'json'],
      join(dir, 'agent.log'),
    );
    this.state.processes = this.state.processes.filter((p) => p.role !== `agent:${node.name}`);
    this.track(`agent:${node.name}`, pid);
    return pid;
  }

  agentPid(node: PlannedNode): number | undefined {
    return this.state.processes.find((p) => p.role === `agent:${node.name}`)?.pid;
  }

  /** Stops the agent of `node` with `signal` (SIGTERM: graceful; SIGKILL: a crash). */
  async stopAgent(node: PlannedNode, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const pid = this.agentPid(node);
    if (pid !== undefined) await stopPid(pid, this.dir, signal, 10_000);
  }

  private async waitNodeState(): Promise<void> {
    for (const node of this.plan.nodes) {
      const file = join(this.nodeDir(node), 'node-state.json');
      const pid = this.agentPid(node)!;
      await waitUntil(
        `the agent of ${node.name} to start (log: ${join(this.nodeDir(node), 'agent.log')})`,
        () => {
          // Not pidIsOurs: between fork and exec the child's command line is still ours (no lab dir in it), which a
          // loaded machine shows; a PID we spawned a moment ago cannot have been reused, so gone means exited.
          if (!alive(pid)) {
            const log = join(this.nodeDir(node), 'agent.log');
            const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
            throw new Error(`the agent of ${node.name} exited: see ${log}${tail ? `: ${tail}` : ''}`);
          }
          return existsSync(file);
        },
        20_000,
      );
    }
  }

  containerd(node: PlannedNode): NodeContainerd {
    return new NodeContainerd(this.nodeDir(node), node.ns);
  }

  private async startContainerds(): Promise<void> {
    this.say('starting one containerd per node (pause image from busybox, no registry)');
    const tar = pauseImageTar(join(this.dir, 'pause.tar'));
    for (const node of this.plan.nodes) {
      const c = this.containerd(node);
      mkdirSync(c.dir, { recursive: true });
      const pid = c.start(this.binDir);
      this.track(`containerd:${node.name}`, pid);
      await waitUntil(
        `containerd of ${node.name}`,
        async () => {
          // (not pidIsOurs: until nsenter has exec'd containerd the PID's command line is still ours)
          if (!alive(pid)) throw new Error(`containerd of ${node.name} exited: see ${c.dir}/containerd.log`);
          return await c.answers();
        },
        20_000,
        100,
        join(c.dir, 'containerd.log'),
      );
      c.importPause(tar);
      await waitUntil(`containerd of ${node.name} to load the CNI config`, () => c.cri.networkReady(), 10_000);
    }
  }

  /** RunPodSandbox on the node's containerd; the sandbox's namespace is recorded before anything else can fail. */
  async runSandbox(
    node: PlannedNode,
    id: string,
    meta: { namespace?: string; labels?: Record<string, string>; uid?: string } = {},
  ): Promise<string> {
    const c = this.containerd(node);
    const namespace = meta.namespace ?? 'lab';
    // `lab pod add` gives labels; the pods of `up` get gannet.dev/pod=<id> (NetworkPolicy selects by labels)
    const labels = meta.labels ?? { 'gannet.dev/pod': id };
    try {
      const r = await c.runPod(id, meta.uid ?? `${this.plan.options.name}-${id}`, namespace, labels);
      this.state.namespaces.push(r.netns);
      // the sandbox's metadata: its namespace and name = id, which containerd passes to gannet-cni in CNI_ARGS
      this.state.pods.push({
        id,
        ns: r.netns,
        node: node.name,
        ip: r.ip,
        sandbox: r.sandbox,
        namespace,
        ...(Object.keys(labels).length > 0 && { labels }),
      });
      this.save();
      writePodsFile(this);
      return r.ip;
    } finally {
      c.cri.close();
    }
  }

  private async removeSandboxes(): Promise<void> {
    for (const node of this.plan.nodes) {
      const c = this.containerd(node);
      try {
        if (await c.answers()) await c.removeAll();
      } catch (err) {
        this.say(`containerd of ${node.name}: ${(err as Error).message} (killing its sandboxes instead)`);
      } finally {
        c.cri.close();
      }
    }
  }

  private async killSandboxLeftovers(): Promise<void> {
    await killContainerdLeftovers(
      this.dir,
      this.plan.nodes.map((n) => this.containerd(n)),
    );
    // libcni caches each attachment's result in the host's /var/lib/cni/results and removes it on DEL, which a
    // crashed containerd never runs: remove exactly the entries of our sandboxes (their IDs are 64 hex digits).
    const sandboxes = this.state.pods
      .map((p) => p.sandbox)
      .filter((id): id is string => !!id && /^[0-9a-f]{64}$/.test(id));
    removeCniCacheEntries(sandboxes);
  }

  private cniEnv(
    command: string,
    id: string,
    podNs: string,
    pod?: { namespace: string; uid: string },
  ): NodeJS.ProcessEnv {
    return {
      // as containerd and CRI-O pass them: gannet-cni records the pod with its address (NetworkPolicy)
      ...(pod && {
        CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${pod.namespace};K8S_POD_NAME=${id};K8S_POD_UID=${pod.uid}`,
      }),
      PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin',
      CNI_COMMAND: command,
      CNI_CONTAINERID: `${this.plan.options.name}-${id}`,
      CNI_NETNS: `/run/netns/${podNs}`,
      CNI_IFNAME: 'eth0',
      CNI_PATH: this.binDir,
    };
  }

  /** Creates a pod namespace and attaches it with gannet-cni ADD, as a container runtime would. */
  async addPod(
    node: PlannedNode,
    id: string,
    podNs: string,
    meta: { namespace?: string; labels?: Record<string, string>; uid?: string } = {},
  ): Promise<string> {
    this.addNs(podNs);
    const namespace = meta.namespace ?? 'default';
    const out = await inNs(node.ns, join(this.binDir, 'gannet-cni'), [], {
      env: this.cniEnv('ADD', id, podNs, { namespace, uid: meta.uid ?? `${this.plan.options.name}-${id}` }),
      input: cniConf(this.nodeDir(node)),
    }).catch((err: Error & { stdout?: string }) => {
      throw new Error(`gannet-cni ADD for ${id} failed: ${err.stdout?.trim() || err.message}`);
    });
    const result = JSON.parse(out) as { ips?: { address: string }[] };
    const addr = result.ips?.[0]?.address?.split('/')[0];
    if (!addr) throw new Error(`gannet-cni ADD for ${id} returned no address: ${out}`);
    // a dual-stack pod: IPv4 first, then its IPv6 address
    const ip6 = result.ips?.[1]?.address?.split('/')[0];
    this.state.pods.push({
      id,
      ns: podNs,
      node: node.name,
      ip: addr,
      ...(ip6 && { ip6 }),
      ...(meta.namespace && { namespace: meta.namespace }),
      ...(meta.labels && Object.keys(meta.labels).length > 0 && { labels: meta.labels }),
    });
    this.save();
    writePodsFile(this);
    return addr;
  }

  /** gannet-cni DEL, then the pod namespace goes. */
  async deletePod(id: string): Promise<void> {
    const pod = this.state.pods.find((p) => p.id === id);
    if (!pod) throw new Error(`no pod ${id}`);
    const node = this.plan.nodes.find((n) => n.name === pod.node)!;
    if (pod.sandbox) {
      const c = this.containerd(node);
      try {
        await c.cri.stopPodSandbox(pod.sandbox);
        await c.cri.removePodSandbox(pod.sandbox);
      } finally {
        c.cri.close();
      }
      this.state.pods = this.state.pods.filter((p) => p.id !== id);
      this.state.namespaces = this.state.namespaces.filter((n) => n !== pod.ns);
      this.save();
      writePodsFile(this);
      return;
    }
    await inNs(node.ns, join(this.binDir, 'gannet-cni'), [], {
      env: this.cniEnv('DEL', id, pod.ns),
      input: cniConf(this.nodeDir(node)),
    });
    deleteNs(pod.ns);
    this.state.pods = this.state.pods.filter((p) => p.id !== id);
    this.state.namespaces = this.state.namespaces.filter((n) => n !== pod.ns);
    this.save();
    writePodsFile(this);
  }

  /** Removes everything `build` made: processes by PID, then namespaces, then the state directory. */
  async destroy(): Promise<void> {
    // CRI sandboxes first, while containerd runs: stop and remove run the CNI DEL that frees their network
    const containerd = this.plan.options.runtime === 'containerd';
    if (containerd) await this.removeSandboxes();
    const procs = [...this.state.processes].reverse();
    await Promise.all(procs.map((p) => stopPid(p.pid, this.dir, 'SIGTERM', 5000)));
    // Pid files of daemons that re-spawned themselves (none should, but their PID files say for sure).
    for (const r of this.plan.routers) {
      for (const d of ['bgpd', 'zebra', 'bird']) {
        const pid = readPidFile(join(routerDir(this.dir, r), `${d}.pid`));
        if (pid !== undefined) await stopPid(pid, this.dir, 'SIGTERM', 3000);
      }
    }
    if (containerd) await this.killSandboxLeftovers();
    // our nftables table in each node namespace we made (the agents leave it on stop, on purpose), nothing else
    await removePolicyTables(this);
    const known = new Set(this.state.namespaces);
    for (const ns of listNetns()) if (isLabNs(this.plan.options.name, ns)) known.add(ns);
    const order = [...known].sort((a, b) => b.split('-').length - a.split('-').length);
    for (const ns of order) deleteNs(ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The process exists and is not a zombie. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[^ ]+ \(.*\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

/** Routers and (with more than one path) nodes: ECMP hashing on L4, next hops whose link or neighbour is down skipped. */
const ECMP_SYSCTLS = [
  'net.ipv4.fib_multipath_hash_policy=1',
  'net.ipv4.fib_multipath_use_neigh=1',
  'net.ipv4.conf.all.ignore_routes_with_linkdown=1',
];

/** `ip addr add` arguments up to `dev`: an IPv6 address without duplicate address detection (usable at once). */
function addrArgs(address: string): string[] {
  return address.includes(':') ? [address, 'nodad', 'dev'] : [address, 'dev'];
}

/** Creates a planned veth pair: addresses, bridge ports, both ends up. */
export function addLink(link: PlannedLink): void {
  const { a, b } = link;
  ip('link', 'add', a.ifname, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.ifname, 'netns', b.ns);
  for (const end of [b, a]) {
    if (end.bridge) ip('-n', end.ns, 'link', 'set', end.ifname, 'master', end.bridge);
    for (const a of [end.address, end.address6]) if (a) ip('-n', end.ns, 'addr', 'add', ...addrArgs(a), end.ifname);
    ip('-n', end.ns, 'link', 'set', end.ifname, 'up');
  }
}

/** One line saying what `up` is building. */
export function describePlan(plan: LabPlan): string {
  const kind = plan.routers[0]?.kind.toUpperCase();
  const ns = `as namespaces ${plan.prefix}*`;
  if (plan.topology === 'dual-homed')
    return `creating ${plan.nodes.length} dual-homed nodes and two ${kind} routers ${ns}`;
  if (plan.topology === 'rr') {
    const rr = plan.nodes.filter((n) => n.routeReflector).length;
    return `creating ${plan.nodes.length} nodes, ${rr} of them route reflectors (iBGP, no router) ${ns}`;
  }
  if (plan.topology === 'leaf-spine') {
    const leaves = plan.routers.filter((r) => r.role === 'leaf').length;
    const spines = plan.routers.length - leaves;
    return `creating a leaf-spine fabric: ${leaves} racks × ${plan.nodes.length / leaves} nodes, ${leaves} ${kind} leaves, ${spines} ${kind} spines ${ns}`;
  }
  return `creating ${plan.nodes.length} nodes${plan.router ? ` and a ${plan.router.kind.toUpperCase()} router` : ' (iBGP full mesh)'} ${ns}`;
}

export function deleteNs(ns: string): void {
  try {
    ip('netns', 'del', ns);
  } catch {
    // already gone
  }
}

export async function waitUntil(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
  logFile?: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i <= Math.ceil(timeoutMs / intervalMs); i++) {
    if (await check()) return;
    if (Date.now() > deadline) break;
    await sleep(intervalMs);
  }
  const tail =
    logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${tail ? `: ${tail}` : ''}`);
}
