// An agent holding N learned routes from a live BIRD 2 session, for the status API load test and benchmark. Two
// namespaces on one veth: `node` runs the agent (its status API on the namespace's 127.0.0.1:9179), `peer` runs BIRD
// with N static /24s exported over eBGP (next hop self). BIRD's hold time is short (3 s by default), so an agent
// whose event loop stalls longer than that loses the session.
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '@gannet/controller';
import { type Bird, startBird } from './daemons.js';
import { type Netns, type SpawnedProcess, TestNet, waitFor } from './netns.js';
import type { ProbePlan, ProbeResult } from './status-prober.js';

const AGENT = join(dirname(fileURLToPath(import.meta.resolve('@gannet/controller'))), 'bin', 'gannet.js');
const PROBER = fileURLToPath(new URL('./status-prober.js', import.meta.url));
export const STATUS_API = 'http://127.0.0.1:9179';
const NODE = '172.31.0.1';
const PEER = '172.31.0.2';

/** The i-th fed prefix: 10.0.0.0/24, 10.0.1.0/24, … then 11.x.y.0/24 (up to 131,072). */
export function fedPrefix(i: number): string {
  return `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
}
/** The agent's own pod CIDR, outside the fed prefixes. */
export const POD_CIDR = '11.255.0.0/24';

/** A Prometheus histogram's cumulative buckets (le → count) and count, from /metrics text. */
export function histogram(metrics: string, name: string): { buckets: Map<string, number>; count: number } {
  const buckets = new Map<string, number>();
  for (const m of metrics.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)$`, 'gm'))) {
    buckets.set(m[1] as string, Number(m[2]));
  }
  const count = Number(new RegExp(`^${name}_count (\\d+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);
  if (buckets.size === 0 || !Number.isFinite(count)) throw new Error(`${name} is not in /metrics`);
  return { buckets, count };
}

/**
 * Between two scrapes: samples above `le`, and the smallest bucket bound that every new sample fits under (the
 * largest sample was at most that).
 */
export function histogramDelta(
  before: string,
  after: string,
  name: string,
  le: string,
): { above: number; samples: number; maxAtMost: string } {
  const a = histogram(before, name);
  const b = histogram(after, name);
  const samples = b.count - a.count;
  const above = samples - ((b.buckets.get(le) ?? 0) - (a.buckets.get(le) ?? 0));
  let maxAtMost = '+Inf';
  for (const [bound, n] of b.buckets) {
    if (n - (a.buckets.get(bound) ?? 0) === samples) {
      maxAtMost = bound;
      break;
    }
  }
  return { above, samples, maxAtMost };
}

export interface StatusFixtureOptions {
  routes: number;
  /** BIRD's hold time in seconds (default 3, BIRD's minimum); keepalives every third of it. */
  holdTime?: number;
  /** The agent's full kernel resync period (default: the agent's own, 30 s). */
  resyncIntervalSeconds?: number;
  /** Extra node flags for the agent (e.g. --trace-gc when looking into a pause). */
  nodeFlags?: string[];
  tag?: string;
}

export class StatusFixture {
  private probes = 0;

  private constructor(
    readonly net: TestNet,
    readonly node: Netns,
    readonly peer: Netns,
    readonly bird: Bird,
    readonly agent: SpawnedProcess,
    readonly dir: string,
    readonly routes: number,
  ) {}

  /** Starts BIRD and the agent and waits until every fed route is in the agent's kernel (bounded by `timeoutMs`). */
  static async start(opts: StatusFixtureOptions, timeoutMs = 120_000): Promise<StatusFixture> {
    if (opts.routes > 131_072) throw new Error('at most 131,072 fed routes');
    const net = new TestNet(opts.tag ?? 'st');
    const dir = mkdtempSync(join(tmpdir(), 'gnt-status-'));
    try {
      const node = net.ns('node');
      const peer = net.ns('peer');
      net.link(node, 'eth0', peer, 'eth0', `${NODE}/24`, `${PEER}/24`);
      const hold = opts.holdTime ?? 3;
      const statics: string[] = [];
      for (let i = 0; i < opts.routes; i++) statics.push(`route ${fedPrefix(i)} blackhole;`);
      const bird = await startBird(
        net,
        peer,
        `router id ${PEER};
protocol device {}
protocol static feed { ipv4; ${statics.join('\n')} }
protocol bgp agent {
  local ${PEER} as 65000; neighbor ${NODE} as 64512;
  hold time ${hold}; keepalive time ${Math.max(1, Math.floor(hold / 3))}; connect retry time 1;
  ipv4 { import none; export all; next hop self; };
}
`,
      );
      writeFileSync(
        join(dir, 'gannet.yaml'),
        `nodeName: status-load
asn: 64512
routerId: ${NODE}
podCIDRs: [${POD_CIDR}]
clusterCIDRs: [10.0.0.0/8, 11.0.0.0/8]
nodeStateFile: ${dir}/node-state.json
ipam: { dataDir: ${dir}/ipam }
gracefulRestart: { deferralTime: 30 }
${opts.resyncIntervalSeconds ? `routes: { resyncIntervalSeconds: ${opts.resyncIntervalSeconds} }\n` : ''}peers:
  - { address: ${PEER}, asn: 65000, maxPrefixes: 200000 }
`,
      );
      // Without this machine's NODE_EXTRA_CA_CERTS, as a DaemonSet would run it (see DESIGN.md).
      const agent = net.spawn(
        node,
        process.execPath,
        [
          ...AGENT_NODE_FLAGS,
          ...(opts.nodeFlags ?? []),
          AGENT,
          'agent',
          '--config',
          join(dir, 'gannet.yaml'),
          '--log-format',
          'json',
        ],
        { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } },
      );
      const f = new StatusFixture(net, node, peer, bird, agent, dir, opts.routes);
      await waitFor(`${opts.routes} routes in the agent's kernel`, () => f.kernelRoutes() >= opts.routes + 1, {
        timeoutMs,
        intervalMs: 250,
      });
      return f;
    } catch (err) {
      await net.cleanup();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Routes of Gannet's protocol in the node's kernel (the fed ones and the pod CIDR's blackhole). */
  kernelRoutes(): number {
    const out = execFileSync('ip', ['-n', this.node.name, 'route', 'show', 'proto', '71'], {
      encoding: 'utf8',
      maxBuffer: 256 << 20,
    });
    let n = 0;
    for (let i = out.indexOf('\n'); i !== -1; i = out.indexOf('\n', i + 1)) n++;
    return n;
  }

  /** Runs the prober in the node's namespace: `paths` read in turn while /healthz is polled. */
  probe(paths: string[], opts: Partial<ProbePlan> = {}): Promise<ProbeResult> {
    const outDir = join(this.dir, `probe-${++this.probes}`);
    mkdirSync(outDir);
    const plan: ProbePlan = { base: STATUS_API, paths, outDir, ...opts };
    return new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', this.node.name, process.execPath, PROBER, JSON.stringify(plan)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.stderr.on('data', (c: Buffer) => {
        out += c.toString();
      });
      child.once('exit', (code) => {
        const line = out.split('\n').find((l) => l.startsWith('{"reads"'));
        if (code !== 0 || !line) reject(new Error(`prober exited ${code}: ${out}`));
        else resolve(JSON.parse(line) as ProbeResult);
      });
    });
  }

  /** A body the last probe read. */
  body(read: { file: string }): string {
    return readFileSync(read.file, 'utf8');
  }

  /** BIRD's view of the session: state, the time it last changed (changes if the session flapped), and info. */
  session(): { state: string; since: string; info: string } {
    const line =
      this.bird
        .birdc('show protocols agent')
        .split('\n')
        .find((l) => l.startsWith('agent ')) ?? '';
    const cols = line.trim().split(/\s+/);
    return { state: cols[3] ?? 'missing', since: cols[4] ?? '', info: cols.slice(5).join(' ') };
  }

  async stop(): Promise<void> {
    await this.net.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
