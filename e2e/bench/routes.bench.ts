// Kernel route throughput of @gannet/routes (RouteReconciler over IpRouteTable: diff, ip -batch helper, monitor on)
// next to plain `ip -batch FILE` applying the same routes, in the same run, each in its own namespace.
// Phases: install N routes, change the next hop of all N, delete all N; N = 10,000 and 100,000; 5 runs, each a
// back-to-back pair; the ratio is the median of the per-run ratios.
// Goal (issue 4): gannet ≥ 0.8 × the ip -batch rate.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpRouteTable, GANNET_ROUTE_PROTOCOL as P, type Route, RouteReconciler } from '@gannet/routes';
import { type Netns, TestNet } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const SIZES = [10_000, 100_000];
const RUNS = Number(process.env.ROUTES_BENCH_RUNS ?? 5);
const PHASES = ['install', 'change next hop', 'delete'] as const;
type Phase = (typeof PHASES)[number];

const host = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;

function prepare(net: TestNet, label: string): Netns {
  const ns = net.ns(label);
  ns.ip('link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1');
  ns.ip('addr', 'add', '192.0.2.1/24', 'dev', 'v0');
  ns.ip('link', 'set', 'v0', 'up');
  ns.ip('link', 'set', 'v1', 'up');
  return ns;
}

function countOurs(ns: Netns): number {
  const r = spawnSync('sh', ['-c', `ip -n ${ns.name} route show proto ${P} | wc -l`], { encoding: 'utf8' });
  return Number(r.stdout.trim());
}

/** ip -batch FILE for one phase; returns seconds. */
function ipBatchPhase(ns: Netns, dir: string, n: number, phase: Phase): number {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const dst = host(i);
    if (phase === 'install') lines.push(`route add ${dst} via 192.0.2.2 proto ${P}`);
    else if (phase === 'change next hop') lines.push(`route replace ${dst} via 192.0.2.3 proto ${P}`);
    else lines.push(`route del ${dst} proto ${P}`);
  }
  const file = join(dir, `batch-${phase.replace(/ /g, '-')}.txt`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const t0 = performance.now();
  const r = spawnSync('ip', ['-n', ns.name, '-batch', file], { encoding: 'utf8' });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`ip -batch ${phase} failed: ${r.stderr.slice(0, 300)}`);
  return s;
}

/** The desired set for a phase, built before the clock starts (as the ip -batch file is written before its run). */
function desiredFor(n: number, phase: Phase): Route[] {
  if (phase === 'delete') return [];
  const via = phase === 'install' ? '192.0.2.2' : '192.0.2.3';
  const routes: Route[] = [];
  for (let i = 0; i < n; i++) routes.push({ dst: host(i), type: 'unicast', nexthops: [{ via }] });
  return routes;
}

/** setDesired() until the kernel matches (validation, diff, batches, results); returns seconds. */
async function gannetPhase(rec: RouteReconciler, routes: Route[], phase: Phase): Promise<number> {
  const t0 = performance.now();
  rec.setDesired(routes);
  await rec.settled();
  const s = (performance.now() - t0) / 1000;
  const st = rec.status();
  if (st.failed > 0) throw new Error(`gannet ${phase}: ${st.failed} routes failed: ${rec.failedRoutes()[0]?.reason}`);
  if (st.installed !== routes.length) throw new Error(`gannet ${phase}: ${st.installed} of ${routes.length} installed`);
  return s;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (n: number) => `${Math.round(n / 1000)}k/s`.padStart(9);

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('routes bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  const net = new TestNet('rb');
  const dir = mkdtempSync(join(tmpdir(), 'gannet-routes-bench-'));
  try {
    const refNs = prepare(net, 'ref');
    const gnNs = prepare(net, 'gnt');
    const kernel = new IpRouteTable({ netns: gnNs.name });
    const rec = new RouteReconciler({ kernel, resyncIntervalMs: 600_000 });
    await rec.start();
    rec.initialStateComplete();
    console.log(`routes/s, median of ${RUNS} runs (ip -batch FILE vs @gannet/routes reconciler, monitor on);`);
    console.log('ratio = median of the per-run gannet/ip-batch ratios (each run listed in brackets)');
    console.log(
      `${'routes'.padStart(8)}  ${'phase'.padEnd(16)}${'ip -batch'.padStart(10)}${'gannet'.padStart(10)}   ratio`,
    );
    let worst = Number.POSITIVE_INFINITY;
    for (const n of SIZES) {
      const ref: Record<Phase, number[]> = { install: [], 'change next hop': [], delete: [] };
      const gn: Record<Phase, number[]> = { install: [], 'change next hop': [], delete: [] };
      const ratio: Record<Phase, number[]> = { install: [], 'change next hop': [], delete: [] };
      for (let run = 0; run < RUNS; run++) {
        for (const phase of PHASES) {
          // Each pair runs back to back, in alternating order, so a load spike from elsewhere hits both alike.
          const refFirst = run % 2 === 0;
          let a = 0;
          if (refFirst) a = n / ipBatchPhase(refNs, dir, n, phase);
          const b = n / (await gannetPhase(rec, desiredFor(n, phase), phase));
          if (!refFirst) a = n / ipBatchPhase(refNs, dir, n, phase);
          ref[phase].push(a);
          gn[phase].push(b);
          ratio[phase].push(b / a);
          if (phase === 'install' && countOurs(refNs) !== n) throw new Error('ip -batch did not install every route');
          if (phase === 'install' && countOurs(gnNs) !== n) throw new Error('gannet did not install every route');
          // Let the resync that follows a large batch of ours finish before the next pair is timed.
          await new Promise((r) => setTimeout(r, 300));
          await rec.settled();
        }
      }
      for (const phase of PHASES) {
        const r = median(ratio[phase]);
        worst = Math.min(worst, r);
        const line = `${String(n).padStart(8)}  ${phase.padEnd(16)}${fmt(median(ref[phase]))} ${fmt(median(gn[phase]))}`;
        console.log(`${line}   ${r.toFixed(2)}×   [${ratio[phase].map((x) => x.toFixed(2)).join(' ')}]`);
      }
    }
    const st = rec.status();
    console.log(
      `gannet: ${st.counters.applies} batches, ${st.counters.resyncs} resyncs, ${st.counters.kernelErrors} kernel errors`,
    );
    console.log(`worst ratio ${worst.toFixed(2)}× (goal ≥ 0.80×): ${worst >= 0.8 ? 'met' : 'NOT met'}`);
    await rec.stop();
    await kernel.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await net.cleanup();
  }
}

await main();
