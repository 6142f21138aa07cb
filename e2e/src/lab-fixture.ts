// The lab as an e2e fixture: a lab with a unique name and its own state directory, built in a suite's `before`,
// waited on until converged, and removed in `after` (also when a test failed, and synchronously if the process exits
// early). Plus the kernel views the tests compare: our routes in a node, the router's routes.
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, type LabOptions, labReport, pingAll, planLab, routesComplete, sessionsUp } from '@gannet/controller';
import { sleep } from './netns.js';

type PlannedNode = Lab['plan']['nodes'][number];

const live = new Set<TestLab>();
process.on('exit', () => {
  for (const t of live) t.destroySync();
});

/** `e` + 5 random [a-z0-9]: a valid lab name (1–10 chars) that never looks like a test namespace id. */
export function labName(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return `e${[...randomBytes(5)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

export class TestLab {
  readonly lab: Lab;
  private readonly stateRoot: string;

  constructor(options: Omit<LabOptions, 'name'> & { name?: string }) {
    this.stateRoot = mkdtempSync(join(tmpdir(), 'gannet-lab-'));
    // FRR drops privileges to its own user, which must reach its directory below this one.
    chmodSync(this.stateRoot, 0o755);
    this.lab = new Lab(planLab({ name: options.name ?? labName(), ...options }), {
      stateRoot: this.stateRoot,
      progress: () => {},
    });
    live.add(this);
  }

  get plan(): Lab['plan'] {
    return this.lab.plan;
  }

  node(name: string): PlannedNode {
    const n = this.lab.plan.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name} in lab ${this.lab.plan.options.name}`);
    return n;
  }

  /** The pods of `node`, as the lab recorded them (id, namespace, address). */
  pods(node: string): Lab['state']['pods'] {
    return this.lab.state.pods.filter((p) => p.node === node);
  }

  /** Builds the lab and waits until every session is Established and every pod pings every other pod. */
  async up(timeoutMs = 60_000): Promise<void> {
    await this.lab.build();
    await this.waitConverged(timeoutMs);
  }

  /** Bounded: throws with the last sessions count and the failing ping pairs. */
  async waitConverged(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let why = '';
    for (let i = 0; i < 1000 && Date.now() <= deadline; i++) {
      const reports = await labReport(this.lab);
      const s = sessionsUp(this.lab, reports);
      const r = routesComplete(this.lab, reports);
      if (s.up !== s.total) {
        why = `sessions Established ${s.up}/${s.total}`;
      } else if (r.done !== r.total) {
        // pings alone could pass early: a default route via the router carries pod traffic before BGP has delivered
        why = `nodes with a route to every other pod CIDR: ${r.done}/${r.total}`;
      } else {
        const failed = (await pingAll(this.lab)).filter((r) => !r.ok);
        if (failed.length === 0) return;
        why = `pings unanswered: ${failed.map((f) => `${f.from}→${f.to}`).join(', ')}`;
      }
      await sleep(300);
    }
    throw new Error(`lab ${this.lab.plan.options.name} did not converge in ${timeoutMs / 1000} s: ${why}`);
  }

  /** Peer states of one node's agent, from its status API ('down' when the agent does not answer). */
  async peerStates(node: string): Promise<string[]> {
    const reports = await labReport(this.lab);
    const r = reports.find((x) => x.node === node);
    if (!r || r.agent === 'down') return ['down'];
    return r.peers.map((p) => p.state);
  }

  /** Removes the lab (processes by PID, namespaces, state directory). Safe to call twice. */
  async destroy(): Promise<void> {
    if (!live.has(this)) return;
    try {
      await this.lab.destroy();
    } finally {
      live.delete(this);
      rmSync(this.stateRoot, { recursive: true, force: true });
    }
  }

  /** Last resort when the process exits: SIGKILL the lab's processes by PID, delete its namespaces. */
  destroySync(): void {
    for (const p of this.lab.state.processes) {
      try {
        if (readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes(this.lab.dir)) process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (this.lab.plan.options.runtime === 'containerd') {
      // containerd's sandboxes outlive it: their shims and pause processes, by what the node's containerd recorded
      for (const node of this.lab.plan.nodes) {
        for (const p of this.lab.containerd(node).sandboxPids()) {
          try {
            process.kill(p.pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    }
    for (const ns of [...this.lab.state.namespaces].reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'pipe' });
      } catch {
        // gone
      }
    }
    rmSync(this.stateRoot, { recursive: true, force: true });
    live.delete(this);
  }
}

/** `ip …` in a namespace; stdout. */
export function ipIn(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a command inside a namespace (`ip netns exec`); stdout. Throws with stderr on a non-zero exit. */
export function runIn(ns: string, cmd: string, args: string[], timeoutMs = 30_000): string {
  return execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
}

export interface RouteMonitor {
  /** Stops `ip monitor` (by its PID) and returns the route events it printed, one line each. */
  stop(): Promise<string[]>;
}

/** Watches a namespace's routing table (`ip -n NS monitor route`): every add, change and delete. */
export async function monitorRoutes(ns: string): Promise<RouteMonitor> {
  const child = spawn('ip', ['-n', ns, 'monitor', 'route'], { stdio: ['ignore', 'pipe', 'pipe'] });
  if (child.pid === undefined) throw new Error(`could not start ip monitor in ${ns}`);
  const pid = child.pid;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<void>((r) => child.once('close', () => r()));
  await sleep(100); // subscribed before the caller acts
  return {
    async stop() {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone
      }
      await Promise.race([exited, sleep(3000)]);
      return out
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
    },
  };
}

/** The routes the agent owns in a node (`proto gannet`), one normalized line each, sorted. */
export function gannetRoutes(ns: string): string[] {
  return lines(ipIn(ns, 'route', 'show', 'proto', 'gannet'));
}

/** Every route of a namespace towards `prefix` (any protocol), or [] when there is none. */
export function routesTo(ns: string, prefix: string): string[] {
  return lines(ipIn(ns, 'route', 'show', 'exact', prefix));
}

/** Routes in the router's kernel towards the pod network (installed by zebra or BIRD from BGP). */
export function routerPodRoutes(plan: Lab['plan']): string[] {
  if (!plan.router) throw new Error('this lab has no router');
  return lines(ipIn(plan.router.ns, 'route', 'show', 'root', plan.clusterCIDR)).map((l) => l.replace(/ nhid \d+/, ''));
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean)
    .sort();
}
