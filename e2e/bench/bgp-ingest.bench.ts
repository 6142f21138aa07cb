// BGP ingest: a generator peer (our encoder, ~800 prefixes per 4096-octet UPDATE) sends N IPv4 prefixes over TCP
// between two namespaces (a veth) to our speaker (its own process), then the same stream to BIRD 2 in the same run.
// Prints time from session up to End-of-RIB processed (BIRD: route count reaching N), prefixes/s and peak RSS
// (VmHWM). Goal (issue 3): at 1M, ≥ half BIRD's rate and RSS ≤ 3× BIRD's.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Bird, startBird } from '../src/daemons.js';
import { type Netns, type SpawnedProcess, TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';

const SIZES = (process.env.BGP_BENCH_SIZES ?? '100000,1000000').split(',').map(Number);
const GENERATOR = fileURLToPath(new URL('../src/bgp-generator.js', import.meta.url));
const OUR_PORT = 1179;
const GEN = '10.255.1.1';
const DUT = '10.255.1.2';
const BIRD_PORT = 2179;

const birdConf = (count: number) => `router id 10.255.0.1;
protocol device {}
protocol bgp gen {
  local ${DUT} port ${BIRD_PORT} as 65000;
  neighbor ${GEN} as 65001;
  passive on;
  hold time 240;
  ipv4 { import all; export none; receive limit ${count + 10}; };
}
`;

interface Result {
  seconds: number;
  rate: number;
  rssMB: number;
}

function vmHwmMB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** Starts the generator towards host:port and resolves with its 'established' time once it has sent everything. */
async function generate(
  net: TestNet,
  gen: Netns,
  port: number,
  count: number,
): Promise<{ proc: SpawnedProcess; t0: number }> {
  const cfg = { host: DUT, port, localAddress: GEN, asn: 65001, peerAsn: 65000, count };
  const proc = net.spawn(gen, process.execPath, [GENERATOR, JSON.stringify(cfg)]);
  let t0 = 0;
  await waitFor(
    'generator established',
    () => {
      const m = /"type":"established","at":(\d+)/.exec(proc.output());
      if (/"type":"(error|notification)"/.test(proc.output())) throw new Error(`generator: ${proc.output()}`);
      if (m) t0 = Number(m[1]);
      return t0 > 0;
    },
    { timeoutMs: 60_000, intervalMs: 5 },
  );
  return { proc, t0 };
}

async function stopGenerator(proc: SpawnedProcess): Promise<void> {
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    // already gone (it exits when its session closes)
  }
  await proc.exited;
}

async function runOurs(net: TestNet, ns: Netns, g: Netns, count: number, nodeFlags: string[]): Promise<Result> {
  const speaker = await SpeakerChild.start(
    net,
    ns,
    {
      speaker: { asn: 65000, routerId: '10.255.0.1', listen: { address: DUT, port: OUR_PORT } },
      peers: [
        {
          address: GEN,
          asn: 65001,
          passive: true,
          holdTime: 240,
          families: ['ipv4'],
          import: [{ prefix: '0.0.0.0/0', le: 32, action: 'permit' }],
        },
      ],
      bestEvents: false,
    },
    ['--max-old-space-size=4096', ...nodeFlags],
  );
  const gen = await generate(net, g, OUR_PORT, count);
  const eor = await speaker.waitEvent('End-of-RIB processed', (e) => e.type === 'end-of-rib', 600_000);
  const seconds = (Number(eor.at) - gen.t0) / 1000;
  if (Number(eor.routes) !== count) throw new Error(`speaker has ${String(eor.routes)} routes, expected ${count}`);
  const rssMB = vmHwmMB(speaker.pid);
  await speaker.stop();
  await stopGenerator(gen.proc);
  return { seconds, rate: count / seconds, rssMB };
}

async function runBird(net: TestNet, ns: Netns, g: Netns, count: number): Promise<Result> {
  const bird: Bird = await startBird(net, ns, birdConf(count));
  try {
    await waitFor(
      'BIRD listening',
      () => ns.tryRun('ss', ['-ltnH', `sport = :${BIRD_PORT}`]).stdout.includes(`:${BIRD_PORT}`),
      {
        timeoutMs: 15_000,
      },
    );
    const gen = await generate(net, g, BIRD_PORT, count);
    let t1 = 0;
    await waitFor(
      'BIRD has every route',
      () => {
        if (bird.routeCount() >= count) t1 = Date.now();
        return t1 > 0;
      },
      { timeoutMs: 600_000, intervalMs: 10 },
    );
    const seconds = (t1 - gen.t0) / 1000;
    const rssMB = vmHwmMB(bird.pid);
    await stopGenerator(gen.proc);
    return { seconds, rate: count / seconds, rssMB };
  } finally {
    await bird.stop();
  }
}

const fmt = (r: Result) =>
  `${r.seconds.toFixed(2).padStart(7)} s ${Math.round(r.rate).toLocaleString('en').padStart(11)} prefixes/s ${r.rssMB.toFixed(0).padStart(6)} MB`;

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bgp-ingest: skipped (needs root for network namespaces)');
    return;
  }
  const net = new TestNet('bench');
  try {
    const g = net.ns('gen');
    const ns = net.ns('dut');
    net.link(g, 'g0', ns, 'd0', `${GEN}/30`, `${DUT}/30`);
    console.log('BGP ingest: one generator peer, ~1000 /24s per 4096-octet UPDATE, over a veth between two namespaces');
    console.log(
      '   prefixes | speaker                  |    time        rate prefixes/s   peak RSS | rate ratio | RSS ratio',
    );
    for (const n of SIZES) {
      const bird = await runBird(net, ns, g, n);
      const row = (label: string, r: Result) =>
        console.log(
          `${n.toLocaleString('en').padStart(11)} | ${label.padEnd(24)} | ${fmt(r)} | ${(r.rate / bird.rate).toFixed(2).padStart(10)} | ${(r.rssMB / bird.rssMB).toFixed(2).padStart(9)}`,
        );
      row('BIRD 2 (reference)', bird);
      row('gannet (node defaults)', await runOurs(net, ns, g, n, []));
      // A young generation capped at 8 MB keeps short-lived decode garbage from inflating the peak (the agent's
      // recommended setting).
      row('gannet semi-space 8 MB', await runOurs(net, ns, g, n, ['--max-semi-space-size=8']));
    }
    console.log('goal at 1M: rate ratio ≥ 0.5, RSS ratio ≤ 3');
  } finally {
    await net.cleanup();
  }
}

await main();
