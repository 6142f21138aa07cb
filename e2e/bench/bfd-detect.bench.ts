// Failure detection with BFD: a node and an FRR router (zebra+bfdd+bgpd) on one veth; the link silently drops
// everything (nftables in the router's namespace, carrier up); the time until the router's route leaves the node's
// kernel (and the node's route the router's kernel). Three nodes on the same topology in one run: the Gannet agent
// with BFD at 100 ms × 3 (hold time 90 s), FRR itself with the same BFD timers (the reference), and the agent without
// BFD at hold time 3 s. Goal (issue 12): Gannet+BFD ≤ 1.2× FRR+BFD and < 1 s.
//   BFD_BENCH_TRIALS=5 pnpm bench bfd-detect
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  hasKernelRoute,
  heal,
  NODE_PREFIX,
  type Node,
  ROUTER_PREFIX,
  type Router,
  RouteWatch,
  silentCut,
  startAgentNode,
  startFrrNode,
  startFrrRouter,
  type Timers,
  twoNamespaces,
} from '../src/bfd-rig.js';
import { TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const TRIALS = Number(process.env.BFD_BENCH_TRIALS ?? 3);
const FAST: Timers = { minRxMs: 100, minTxMs: 100, multiplier: 3 };

interface Case {
  label: string;
  bfd: boolean;
  start(net: TestNet, node: ReturnType<typeof twoNamespaces>['node'], dir: string): Promise<Node>;
  routerTimers?: [number, number];
}

const CASES: Case[] = [
  {
    label: 'gannet + BFD 100ms×3, hold 90 s',
    bfd: true,
    start: (net, ns, dir) => startAgentNode(net, ns, dir, { bfd: FAST, holdTime: 90 }),
  },
  { label: 'FRR + BFD 100ms×3 (reference)', bfd: true, start: (net, ns) => startFrrNode(net, ns, FAST) },
  {
    label: 'gannet, no BFD, hold 3 s',
    bfd: false,
    routerTimers: [1, 3],
    start: (net, ns, dir) => startAgentNode(net, ns, dir, { holdTime: 3 }),
  },
];

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function runCase(c: Case): Promise<{ here: number[]; there: number[] }> {
  const net = new TestNet('bfdb');
  const dir = mkdtempSync(join(tmpdir(), 'gnt-bfd-bench-'));
  const here: number[] = [];
  const there: number[] = [];
  let router: Router | undefined;
  const { node: nodeNs, router: routerNs } = twoNamespaces(net);
  try {
    router = await startFrrRouter(net, routerNs, c.bfd ? FAST : undefined, c.routerTimers);
    const node = await c.start(net, nodeNs, dir);
    for (let i = 0; i < TRIALS; i++) {
      await waitFor(
        'session up, routes in both kernels',
        async () =>
          (await node.established()) &&
          (!c.bfd || ((await node.peer()).bfd?.state.toLowerCase() === 'up' && router!.bfdUp())) &&
          hasKernelRoute(nodeNs, ROUTER_PREFIX) &&
          hasKernelRoute(routerNs, NODE_PREFIX),
        { timeoutMs: 60_000, intervalMs: 200 },
      );
      await new Promise((r) => setTimeout(r, 1_500)); // let the Poll Sequence settle the fast timers
      const ours = new RouteWatch(nodeNs);
      const theirs = new RouteWatch(routerNs);
      try {
        await Promise.all([ours.ready(), theirs.ready()]);
        const t0 = silentCut(routerNs);
        const [a, b] = await Promise.all([ours.gone(ROUTER_PREFIX, 30_000), theirs.gone(NODE_PREFIX, 30_000)]);
        here.push(a - t0);
        there.push(b - t0);
      } finally {
        ours.close();
        theirs.close();
        heal(routerNs);
      }
    }
  } finally {
    await router?.stop();
    await net.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  return { here, there };
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bfd-detect: skipped (needs root for network namespaces)');
    return;
  }
  console.log(`Silent link failure → route gone from the kernel, ${TRIALS} trials each (ms; median [min–max])`);
  console.log(
    'node                               | router’s route out of the node’s kernel | node’s route out of the router’s kernel',
  );
  const results: { label: string; here: number[]; there: number[] }[] = [];
  for (const c of CASES) {
    const r = await runCase(c);
    results.push({ label: c.label, ...r });
    const f = (xs: number[]) =>
      `${median(xs).toFixed(0).padStart(6)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}]`.padEnd(39);
    console.log(`${c.label.padEnd(34)} | ${f(r.here)} | ${f(r.there)}`);
  }
  const g = median(results[0]!.here);
  const frr = median(results[1]!.here);
  console.log(
    `gannet/FRR (node side, medians): ${(g / frr).toFixed(2)}× — goal ≤ 1.2× and < 1000 ms: ${g / frr <= 1.2 && g < 1000 ? 'met' : 'NOT met'}`,
  );
}

await main();
