// A one-node world for @gannet/policy e2e tests and benchmarks: a "node" namespace routing for pod namespaces
// attached by veth as Gannet wires them (pod: /32 address, default route via 169.254.1.1 on-link; node: /32 host
// route, proxy ARP, no bridge), plus an "outside" namespace on the node's uplink. Each namespace runs a
// policy-agent-process that serves TCP/UDP ports and probes on request.
import { execFileSync } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type Netns, type SpawnedProcess, TestNet, waitFor } from './netns.js';

const AGENT = fileURLToPath(new URL('./policy-agent-process.js', import.meta.url));

export const NODE_UPLINK = '192.168.100.1';
export const OUTSIDE = '192.168.100.5';

export interface ProbeResult {
  ok: boolean;
  seen?: string;
  error?: string;
}

export class Agent {
  private next = 1;
  private readonly waiting = new Map<number, (r: ProbeResult) => void>();
  readonly ready: Promise<void>;

  constructor(
    readonly ns: Netns,
    readonly proc: SpawnedProcess,
  ) {
    let onReady!: () => void;
    this.ready = new Promise((r) => (onReady = r));
    createInterface({ input: proc.child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as ProbeResult & { id?: number; ready?: boolean };
      if (m.ready) onReady();
      else if (m.id !== undefined) this.waiting.get(m.id)?.(m);
    });
  }

  request(req: Record<string, unknown>): Promise<ProbeResult> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, (r) => {
        this.waiting.delete(id);
        resolve(r);
      });
      this.proc.child.stdin!.write(`${JSON.stringify({ id, timeoutMs: 3000, ...req })}\n`);
    });
  }
}

export interface PodSpec {
  key: string;
  ip: string;
}

export class PolicyLab {
  readonly net: TestNet;
  readonly node: Netns;
  readonly outside: Netns;
  readonly agents = new Map<string, Agent>();

  /** @param outsideAddrs extra addresses of the outside host (it answers on all of them), each a /32. */
  constructor(
    readonly pods: PodSpec[],
    readonly ports: number[],
    readonly outsideAddrs: string[] = [],
  ) {
    this.net = new TestNet('pol');
    this.node = this.net.ns('node');
    this.node.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    this.outside = this.net.ns('out');
    this.net.link(this.node, 'up0', this.outside, 'eth0', `${NODE_UPLINK}/24`, `${OUTSIDE}/24`);
    // A default route via the uplink, as a real node has (proxy ARP answers for 169.254.1.1 only when it is routable).
    this.node.ip('route', 'add', 'default', 'via', OUTSIDE);
    for (const a of outsideAddrs) {
      this.outside.ip('addr', 'add', `${a}/32`, 'dev', 'eth0');
      this.node.ip('route', 'add', `${a}/32`, 'via', OUTSIDE);
    }
    // The outside host routes the pod range back to the node (seen only when NAT is off).
    this.outside.ip('route', 'add', '10.244.0.0/16', 'via', NODE_UPLINK);
    for (const [i, p] of pods.entries()) this.wirePod(p, i);
  }

  private wirePod(p: PodSpec, i: number): void {
    const ns = this.net.ns(`p${i}`);
    const hostIf = `gp${i}`;
    this.net.link(ns, 'eth0', this.node, hostIf);
    ns.ip('addr', 'add', `${p.ip}/32`, 'dev', 'eth0');
    ns.ip('route', 'add', '169.254.1.1', 'dev', 'eth0', 'scope', 'link');
    ns.ip('route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0');
    this.node.run('sysctl', ['-qw', `net.ipv4.conf.${hostIf}.proxy_arp=1`, `net.ipv4.neigh.${hostIf}.proxy_delay=0`]);
    this.node.ip('route', 'add', `${p.ip}/32`, 'dev', hostIf, 'scope', 'link');
    this.podNs.set(p.key, ns);
  }

  readonly podNs = new Map<string, Netns>();

  /** Starts an agent in every pod, the node and the outside host; resolves when all listen. */
  async start(): Promise<void> {
    const start = (key: string, ns: Netns, udpBind: string[] = []) => {
      const args = [AGENT, ...this.ports.map(String), ...(udpBind.length ? ['--udp-bind', udpBind.join(',')] : [])];
      const proc = this.net.spawn(ns, process.execPath, args, {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      this.agents.set(key, new Agent(ns, proc));
    };
    for (const [key, ns] of this.podNs) start(key, ns);
    start('node', this.node);
    start('outside', this.outside, [OUTSIDE, ...this.outsideAddrs]);
    let all = false;
    void Promise.all([...this.agents.values()].map((a) => a.ready)).then(() => (all = true));
    await waitFor('policy agents listening', () => all, { timeoutMs: 20_000, intervalMs: 50 });
  }

  /** `nft …` inside the node namespace. */
  nft(...args: string[]): string {
    return execFileSync('ip', ['netns', 'exec', this.node.name, 'nft', ...args], { encoding: 'utf8' });
  }

  cleanup(): Promise<void> {
    return this.net.cleanup();
  }
}
