// Route reflector at scale: N iBGP clients (one process, e2e/src/rr-clients.ts, each on its own address in a client
// namespace) connect to one reflector over a veth, each announces its node's /24; timed from the moment every
// session is up to every client holding every other client's route. The reflector is Gannet's speaker
// (routeReflector, N passive client peers) and then BIRD 2 (`rr client`) for the same clients in the same run; peak
// RSS (VmHWM) and CPU seconds (utime + stime) of the reflector process are read from /proc.
// Goal (issue 14): convergence ≤ 2× BIRD's and RSS ≤ 300 MB at 500 clients.
//   RR_BENCH_SIZES=100,300,500 (default) — smaller on a busy machine: RR_BENCH_SIZES=50 pnpm bench route-reflector
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Bird, startBird } from '../src/daemons.js';
import { type Netns, type SpawnedProcess, TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';

const SIZES = (process.env.RR_BENCH_SIZES ?? '100,300,500').split(',').map(Number);
const CLIENTS = fileURLToPath(new URL('../src/rr-clients.js', import.meta.url));
const ASN = 64512;
const DUT = '10.254.0.1';
const OUR_PORT = 1179;
const BIRD_PORT = 2179;
const TIMEOUT_MS = 600_000;

interface Client {
  address: string;
  prefix: string;
}

/** Client i (0-based): 10.254.1.1 …, each announcing 10.100.0.0/24, 10.100.1.0/24, … */
function clients(n: number): Client[] {
  return Array.from({ length: n }, (_, i) => ({
    address: `10.254.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`,
    prefix: `10.${100 + (i >> 8)}.${i & 255}.0/24`,
  }));
}

interface Result {
  seconds: number;
  /** From the first session up (the clients connect all at once): the whole exchange. */
  total: number;
  rssMB: number;
  cpuSeconds: number;
  updates: number;
}

function vmHwmMB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

/** utime + stime of a process in seconds (fields 14 and 15 of /proc/PID/stat, in clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Runs the clients against host:port until converged; returns the times (ms) every session was up and converged. */
async function runClients(
  net: TestNet,
  cl: Netns,
  port: number,
  list: Client[],
  expect?: number,
): Promise<{ first: number; up: number; done: number; updates: number }> {
  const cfg = { host: DUT, port, asn: ASN, clients: list, ...(expect !== undefined ? { expect } : {}) };
  const proc: SpawnedProcess = net.spawn(cl, process.execPath, [CLIENTS, JSON.stringify(cfg)]);
  try {
    let up = 0;
    let first = 0;
    let done = 0;
    let updates = 0;
    await waitFor(
      'every client holds every other client’s route',
      () => {
        const o = proc.output();
        if (/"type":"(error|notification|closed)"/.test(o)) throw new Error(`clients: ${o.slice(-2000)}`);
        const u = /"type":"established","at":(\d+),"firstAt":(\d+)/.exec(o);
        if (u) {
          up = Number(u[1]);
          first = Number(u[2]);
        }
        const c = /"type":"converged","at":(\d+),"updates":(\d+)/.exec(o);
        if (c) {
          done = Number(c[1]);
          updates = Number(c[2]);
        }
        return up > 0 && done > 0;
      },
      { timeoutMs: TIMEOUT_MS, intervalMs: 20 },
    ).catch((e: Error) => {
      const last = proc.output().trim().split('\n').slice(-2).join(' ');
      throw new Error(`${e.message}; last: ${last}`);
    });
    return { first, up, done, updates };
  } finally {
    try {
      process.kill(proc.pid, 'SIGTERM');
    } catch {
      // gone
    }
    await proc.exited;
  }
}

/**
 * Gannet as the reflector; or (mesh) as one node of a full mesh: the same N sessions as plain iBGP peers, nothing
 * reflected, its own /24 announced, done when every peer holds that one route — what each of N mesh nodes carries.
 */
async function runOurs(net: TestNet, dut: Netns, cl: Netns, list: Client[], mesh = false): Promise<Result> {
  const speaker = await SpeakerChild.start(net, dut, {
    speaker: {
      asn: ASN,
      routerId: DUT,
      listen: { address: DUT, port: OUR_PORT },
      ...(mesh ? {} : { routeReflector: { clusterId: DUT } }),
    },
    peers: list.map((c) => ({
      address: c.address,
      asn: ASN,
      passive: true,
      holdTime: 240,
      families: ['ipv4' as const],
      ...(mesh ? {} : { routeReflectorClient: true }),
    })),
    ...(mesh ? { originate: ['10.99.0.0/24'] } : {}),
    bestEvents: false,
  });
  try {
    const cpu0 = cpuSeconds(speaker.pid);
    const r = await runClients(net, cl, OUR_PORT, list, mesh ? 1 : undefined);
    return {
      seconds: (r.done - r.up) / 1000,
      total: (r.done - r.first) / 1000,
      rssMB: vmHwmMB(speaker.pid),
      cpuSeconds: cpuSeconds(speaker.pid) - cpu0,
      updates: r.updates,
    };
  } finally {
    await speaker.stop();
  }
}

function birdConf(list: Client[]): string {
  return `router id ${DUT};
protocol device {}
template bgp rrc {
  local ${DUT} port ${BIRD_PORT} as ${ASN};
  passive on;
  hold time 240;
  rr client;
  rr cluster id ${DUT};
  ipv4 { import all; export all; };
}
${list.map((c, i) => `protocol bgp c${i} from rrc { neighbor ${c.address} as ${ASN}; }`).join('\n')}
`;
}

async function runBird(net: TestNet, dut: Netns, cl: Netns, list: Client[]): Promise<Result> {
  const bird: Bird = await startBird(net, dut, birdConf(list));
  try {
    await waitFor(
      'BIRD listening',
      () => dut.tryRun('ss', ['-ltnH', `sport = :${BIRD_PORT}`]).stdout.includes(`:${BIRD_PORT}`),
      { timeoutMs: 30_000 },
    );
    const cpu0 = cpuSeconds(bird.pid);
    const r = await runClients(net, cl, BIRD_PORT, list);
    return {
      seconds: (r.done - r.up) / 1000,
      total: (r.done - r.first) / 1000,
      rssMB: vmHwmMB(bird.pid),
      cpuSeconds: cpuSeconds(bird.pid) - cpu0,
      updates: r.updates,
    };
  } finally {
    await bird.stop();
  }
}

const fmt = (r: Result) =>
  `${r.seconds.toFixed(2).padStart(9)} s | ${r.total.toFixed(2).padStart(9)} s | ${r.cpuSeconds.toFixed(2).padStart(5)} s | ${r.rssMB.toFixed(0).padStart(5)} MB | ${String(r.updates).padStart(10)}`;

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('route-reflector: skipped (needs root for network namespaces)');
    return;
  }
  const net = new TestNet('rrb');
  try {
    const cl = net.ns('cl');
    const dut = net.ns('dut');
    net.link(cl, 'c0', dut, 'd0', undefined, `${DUT}/16`);
    const max = Math.max(...SIZES);
    // Every client address at once (ip -batch: one process, not one per address).
    cl.run('ip', ['-batch', '-'], {
      input: clients(max)
        .map((c) => `addr add ${c.address}/16 dev c0`)
        .join('\n'),
    });
    console.log('Route reflector: N iBGP clients (one process), each announcing one /24, over a veth');
    console.log(
      '  time: every session up → every client holds the other N−1 routes; CPU and peak RSS of the reflector',
    );
    console.log(
      ' clients | reflector          | all up→done | 1st up→done |     CPU | peak RSS | UPDATEs rx | time ratio | RSS ratio',
    );
    for (const n of SIZES) {
      const list = clients(n);
      const bird = await runBird(net, dut, cl, list);
      const row = (label: string, r: Result) =>
        console.log(
          `${String(n).padStart(8)} | ${label.padEnd(18)} | ${fmt(r)} | ${(r.seconds / bird.seconds).toFixed(2).padStart(10)} | ${(r.rssMB / bird.rssMB).toFixed(2).padStart(9)}`,
        );
      row('BIRD 2 (reference)', bird);
      row('gannet', await runOurs(net, dut, cl, list));
      row('gannet, mesh node', await runOurs(net, dut, cl, list, true));
    }
    console.log('goal at 500 clients: time ratio ≤ 2, gannet RSS ≤ 300 MB');
    console.log(
      'mesh node: one node of a full mesh of N+1 (N plain iBGP sessions, its own /24 to each); every node of the mesh carries this',
    );
  } finally {
    await net.cleanup();
  }
}

await main();
