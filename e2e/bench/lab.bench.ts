// The lab (issue 8): (1) time from `lab up` start to all-pairs pod reachability, 3 and 10 nodes with an FRR ToR;
// (2) pod-to-pod TCP throughput (iperf3 -t 5) across two nodes over Gannet's native path, next to the same pod
// namespaces joined by a VXLAN overlay built by hand, and by a hand-built static route, in the same run.
// Goals: native ≥ 1.1 × overlay; native within 5 % of static. (3) issue 13: lab up to all-pairs reachability with
// --ip-family dual (every pod pinged at both addresses) beside ipv4, 3 nodes, alternated over 2 rounds each.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { labReport, pingAll, sessionsUp } from '@gannet/controller';
import { gannetRoutes, ipIn, runIn, TestLab } from '../src/lab-fixture.js';
import { sleep } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const IPERF_SECONDS = 5;
const ROUNDS = 3;

interface UpTiming {
  family: 'ipv4' | 'dual';
  nodes: number;
  pods: number;
  build: number;
  routes: number;
  reach: number;
  sessions: string;
}

/** Builds a lab and times it: build() returned, every node has every other prefix, every pod answers every pod. */
async function timeLabUp(nodes: number, podsPerNode: number, family: 'ipv4' | 'dual' = 'ipv4'): Promise<UpTiming> {
  const t = new TestLab({ nodes, router: 'frr', podsPerNode, ipFamily: family });
  // own blackhole + (nodes - 1) learned prefixes, per family
  const complete = (ns: string) =>
    gannetRoutes(ns).length === nodes &&
    (family === 'ipv4' || ipIn(ns, '-6', 'route', 'show', 'proto', 'gannet').trim().split('\n').length === nodes);
  try {
    const t0 = performance.now();
    await t.lab.build();
    const build = performance.now() - t0;
    let routes = Number.NaN;
    for (let i = 0; i < 2400 && Number.isNaN(routes); i++) {
      if (t.plan.nodes.every((n) => complete(n.ns))) routes = performance.now() - t0;
      else await sleep(25);
    }
    if (Number.isNaN(routes)) throw new Error(`${nodes} nodes: routes incomplete after 60 s`);
    let reach = Number.NaN;
    for (let i = 0; i < 200 && Number.isNaN(reach); i++) {
      if ((await pingAll(t.lab)).every((r) => r.ok)) reach = performance.now() - t0;
      else await sleep(50);
    }
    if (Number.isNaN(reach)) throw new Error(`${nodes} nodes: pods do not all reach each other`);
    const s = sessionsUp(t.lab, await labReport(t.lab));
    return { family, nodes, pods: t.lab.state.pods.length, build, routes, reach, sessions: `${s.up}/${s.total}` };
  } finally {
    await t.destroy();
  }
}

/** The host-side veth of a pod (the device of its /32 host route in the node). */
function hostVeth(nodeNs: string, podIp: string): string {
  const dev = /\bdev (\S+)/.exec(ipIn(nodeNs, 'route', 'show', 'exact', `${podIp}/32`))?.[1];
  if (!dev) throw new Error(`no host route for ${podIp} in ${nodeNs}`);
  return dev;
}

interface Path {
  label: string;
  src: string;
  dst: string;
}

/**
 * Two nodes, one pod each. Besides Gannet's own addresses (10.244.N.x, routed by BGP-installed routes), each pod gets
 * two more addresses on the same eth0: one routed node-to-node by a hand-written static route over the same segment
 * (10.252.N.2), one carried by a VXLAN tunnel between the two nodes over the same segment (10.251.N.2; the tunnel
 * device has the usual 50-byte smaller MTU). Same namespaces, same veths, same segment: only the middle differs.
 */
function wirePaths(t: TestLab): Path[] {
  const [n1, n2] = t.plan.nodes;
  const a = t.pods(n1!.name)[0]!;
  const b = t.pods(n2!.name)[0]!;
  const sides = [
    { node: n1!, pod: a, peer: n2!, i: 1, vx: '10.250.0.1', peerVx: '10.250.0.2' },
    { node: n2!, pod: b, peer: n1!, i: 2, vx: '10.250.0.2', peerVx: '10.250.0.1' },
  ];
  for (const s of sides) {
    const veth = hostVeth(s.node.ns, s.pod.ip);
    const other = 3 - s.i;
    // static: the pod's extra address, its host route, and a static route to the other node's
    ipIn(s.pod.ns, 'addr', 'add', `10.252.${s.i}.2/32`, 'dev', 'eth0');
    ipIn(s.node.ns, 'route', 'add', `10.252.${s.i}.2/32`, 'dev', veth);
    ipIn(s.node.ns, 'route', 'add', `10.252.${other}.0/24`, 'via', s.peer.address, 'dev', 'eth0', 'proto', 'static');
    // VXLAN: a tunnel between the two nodes' segment addresses, the other pod's range through it
    ipIn(
      s.node.ns,
      'link',
      'add',
      'vx0',
      'type',
      'vxlan',
      'id',
      '42',
      'local',
      s.node.address,
      'remote',
      s.peer.address,
      'dstport',
      '4789',
      'dev',
      'eth0',
    );
    ipIn(s.node.ns, 'addr', 'add', `${s.vx}/24`, 'dev', 'vx0');
    ipIn(s.node.ns, 'link', 'set', 'vx0', 'up');
    ipIn(s.pod.ns, 'addr', 'add', `10.251.${s.i}.2/32`, 'dev', 'eth0');
    ipIn(s.node.ns, 'route', 'add', `10.251.${s.i}.2/32`, 'dev', veth);
    ipIn(s.node.ns, 'route', 'add', `10.251.${other}.0/24`, 'via', s.peerVx, 'dev', 'vx0');
  }
  const paths: Path[] = [
    { label: 'native (Gannet, BGP routes)', src: a.ip, dst: b.ip },
    { label: 'VXLAN overlay (by hand)', src: '10.251.1.2', dst: '10.251.2.2' },
    { label: 'static route (by hand)', src: '10.252.1.2', dst: '10.252.2.2' },
  ];
  for (const p of paths) runIn(a.ns, 'ping', ['-n', '-q', '-c', '2', '-i', '0.2', '-W', '1', '-I', p.src, p.dst]);
  return paths;
}

function iperf(ns: string, p: Path): number {
  const out = execFileSync(
    'ip',
    ['netns', 'exec', ns, 'iperf3', '-c', p.dst, '-B', p.src, '-t', String(IPERF_SECONDS), '-J'],
    { encoding: 'utf8', timeout: (IPERF_SECONDS + 20) * 1000, maxBuffer: 16 * 1024 * 1024 },
  );
  const r = JSON.parse(out) as { end?: { sum_received?: { bits_per_second?: number } }; error?: string };
  const bps = r.end?.sum_received?.bits_per_second;
  if (!bps) throw new Error(`iperf3 ${p.label}: ${r.error ?? 'no result'}`);
  return bps / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function throughput(): Promise<{ label: string; gbps: number[] }[]> {
  const t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 1 });
  let server: ChildProcess | undefined;
  try {
    await t.up();
    const paths = wirePaths(t);
    const client = t.pods('node1')[0]!.ns;
    const serverNs = t.pods('node2')[0]!.ns;
    server = spawn('ip', ['netns', 'exec', serverNs, 'iperf3', '-s'], { stdio: 'ignore' });
    await sleep(500);
    const results = paths.map((p) => ({ label: p.label, gbps: [] as number[] }));
    // Interleaved rounds, so that the machine's noise spreads over every path alike.
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, p] of paths.entries()) results[i]!.gbps.push(iperf(client, p));
    }
    return results;
  } finally {
    if (server?.pid !== undefined) {
      try {
        process.kill(server.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    await t.destroy();
  }
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('lab.bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  console.log(
    `lab.bench: ${availableParallelism()} CPUs, load ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}; FRR ToR; iperf3 -t ${IPERF_SECONDS}, ${ROUNDS} interleaved rounds`,
  );
  const ups: UpTiming[] = [];
  for (const [nodes, pods] of [
    [3, 1],
    [10, 1],
  ] as const) {
    ups.push(await timeLabUp(nodes, pods));
  }
  // dual-stack beside IPv4, alternated so that the machine's load swings hit both alike
  const pairs: UpTiming[] = [];
  for (let round = 0; round < 2; round++) {
    for (const family of ['ipv4', 'dual'] as const) pairs.push(await timeLabUp(3, 2, family));
  }
  ups.push(...pairs);
  console.log('\nlab up → all-pairs reachability (seconds from build start)');
  console.log('family  nodes  pods  namespaces+router+agents+pods  all routes in kernels  all pairs ping  sessions');
  for (const u of ups) {
    console.log(
      `${u.family.padEnd(6)}  ${String(u.nodes).padStart(5)}  ${String(u.pods).padStart(4)}  ${(u.build / 1000).toFixed(2).padStart(29)}  ${(u.routes / 1000).toFixed(2).padStart(21)}  ${(u.reach / 1000).toFixed(2).padStart(14)}  ${u.sessions}`,
    );
  }
  const reach = (f: string) => median(pairs.filter((u) => u.family === f).map((u) => u.reach));
  console.log(
    `3 nodes, 6 pods, dual / ipv4 time to all-pairs reachability (median of 2): ${(reach('dual') / 1000).toFixed(2)} / ${(reach('ipv4') / 1000).toFixed(2)} s = ${(reach('dual') / reach('ipv4')).toFixed(2)}× (dual pings twice the pairs)`,
  );

  const tp = await throughput();
  console.log('\npod-to-pod TCP across two nodes (same pod namespaces and veths, same segment)');
  console.log('path                          median Gbit/s   runs');
  for (const r of tp) {
    console.log(
      `${r.label.padEnd(30)}${median(r.gbps).toFixed(2).padStart(13)}   ${r.gbps.map((g) => g.toFixed(2)).join(' ')}`,
    );
  }
  const [native, overlay, stat] = tp.map((r) => median(r.gbps)) as [number, number, number];
  const vsOverlay = native / overlay;
  const vsStatic = native / stat;
  console.log(
    `native / overlay = ${vsOverlay.toFixed(2)} (goal ≥ 1.10: ${vsOverlay >= 1.1 ? 'met' : 'NOT met'}); ` +
      `native / static = ${vsStatic.toFixed(2)} (goal within 5 %: ${Math.abs(1 - vsStatic) <= 0.05 ? 'met' : 'NOT met'})`,
  );
  console.log('reference (DESIGN.md): routed middle namespace ≈ 14 Gbit/s, VXLAN over the same veths ≈ 13 Gbit/s');
}

await main();
