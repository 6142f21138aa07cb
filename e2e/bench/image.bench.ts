// pnpm bench image: the single executable and the image (issue 18), each next to a reference run in this process.
// 1. `gannet --help` start-up: the single executable vs `node …/bin/gannet.js` (the shim of before), interleaved.
// 2. The agent holding 5,000 learned prefixes from BIRD: start → Established, idle RSS; the single executable vs
//    `node --max-semi-space-size=8 …/bin/gannet.js`, one after the other against the same BIRD. Goal RSS ≤ 80 MB.
// 3. gannet-cni ADD/DEL p50/p99: the multi-call executable invoked as gannet-cni vs a CNI-only single executable
//    built now from packages/cni (today's gannet-cni before the merge), interleaved pod by pod.
// 4. With podman (else SKIPPED): the image's size, and `podman build` cold (--no-cache) and cached.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '@gannet/controller';
import { type Netns, sleep, TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';
import { execPlugin } from '../test/cni-runtime.js';
import {
  type Built,
  baseImage,
  buildGannet,
  imageSize,
  nodeImage,
  podmanProblem,
  removeBuilt,
} from '../test/image-build.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const SEA = join(REPO, 'dist/bin/gannet');
const ENTRY = join(dirname(fileURLToPath(import.meta.resolve('@gannet/controller'))), 'bin', 'gannet.js');
const PREFIXES = 5000;
const CLEAN_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

interface Cmd {
  label: string;
  file: string;
  args: string[];
}
const seaCmd: Cmd = { label: 'single executable', file: SEA, args: [] };
const nodeCmd: Cmd = { label: 'node dist (before)', file: process.execPath, args: [...AGENT_NODE_FLAGS, ENTRY] };

function q(ms: number[], p: number): number {
  const s = [...ms].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)] ?? Number.NaN;
}
const row = (a: string, b: string, c: string) => console.log(`${a.padEnd(46)} ${b.padStart(18)}  ${c}`);
const f1 = (x: number) => x.toFixed(1);

function startup(): void {
  const times = new Map<Cmd, number[]>([
    [seaCmd, []],
    [nodeCmd, []],
  ]);
  for (let i = 0; i < 30; i++)
    for (const [c, t] of times) {
      const t0 = performance.now();
      const r = spawnSync(c.file, [...c.args, '--help'], { env: CLEAN_ENV });
      if (r.status !== 0) throw new Error(`${c.label} --help: ${r.stderr}`);
      t.push(performance.now() - t0);
    }
  console.log('\n`gannet --help` start-up, 30 runs interleaved, clean environment; ms');
  row('', seaCmd.label, nodeCmd.label);
  row(
    'p50 / p90',
    `${f1(q(times.get(seaCmd)!, 0.5))} / ${f1(q(times.get(seaCmd)!, 0.9))}`,
    `${f1(q(times.get(nodeCmd)!, 0.5))} / ${f1(q(times.get(nodeCmd)!, 0.9))}`,
  );
}

interface Rss {
  total: number;
  anon: number;
  file: number;
}

/** VmRSS and its parts: anonymous (heap, stacks) and file-backed (the executable's pages: shared, reclaimable). */
function rss(pid: number): Rss {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) / 1024;
  return { total: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile') };
}

function countRoutes(ns: string): number {
  const r = spawnSync('ip', ['-n', ns, 'route', 'show', 'proto', '71'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return r.stdout.split('\n').filter(Boolean).length;
}

async function agentRss(net: TestNet, dir: string): Promise<void> {
  const node = net.ns('node');
  const peer = net.ns('peer');
  net.link(node, 'eth0', peer, 'eth0', '172.31.0.1/24', '172.31.0.2/24');
  const list = Array.from({ length: PREFIXES }, (_, i) => `10.${1 + (i >> 8)}.${i & 255}.0/24`);
  writeFileSync(
    join(dir, 'bird.conf'),
    `router id 172.31.0.2;\nprotocol device {}\nprotocol static { ipv4; ${list.map((p) => `route ${p} blackhole;`).join(' ')} }
protocol bgp agent { local 172.31.0.2 as 65000; neighbor 172.31.0.1 as 64512; hold time 90;
  ipv4 { import none; export all; next hop self; }; }\n`,
  );
  net.spawn(peer, '/usr/sbin/bird', [
    '-f',
    '-c',
    join(dir, 'bird.conf'),
    '-s',
    join(dir, 'bird.ctl'),
    '-P',
    join(dir, 'bird.pid'),
  ]);
  await waitFor('bird to start', () => existsSync(join(dir, 'bird.ctl')), { timeoutMs: 10_000 });
  writeFileSync(
    join(dir, 'gannet.yaml'),
    `nodeName: bench\nasn: 64512\nrouterId: 172.31.0.1\npodCIDRs: [10.244.0.0/24]\nclusterCIDRs: [10.0.0.0/8]
nodeStateFile: ${dir}/node-state.json\nipam: { dataDir: ${dir}/ipam }\ngracefulRestart: { deferralTime: 30 }
peers:\n  - { address: 172.31.0.2, asn: 65000 }\n`,
  );
  const results: { c: Cmd; up: number; kernel: number; rss: Rss }[] = [];
  for (const c of [seaCmd, nodeCmd]) {
    const t0 = Date.now();
    const agent = net.spawn(
      node,
      c.file,
      [...c.args, 'agent', '--config', join(dir, 'gannet.yaml'), '--log-format', 'json'],
      {
        env: CLEAN_ENV,
      },
    );
    await waitFor(`${PREFIXES} routes (${c.label})`, () => countRoutes(node.name) >= PREFIXES + 1, {
      timeoutMs: 120_000,
      intervalMs: 20,
    });
    const kernel = Date.now() - t0;
    const upLine = agent
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { message: string; timestamp: string })
      .find((l) => l.message.startsWith('peer up'));
    await sleep(5000);
    results.push({ c, up: upLine ? Date.parse(upLine.timestamp) - t0 : Number.NaN, kernel, rss: rss(agent.pid) });
    process.kill(agent.pid, 'SIGTERM');
    await waitFor(
      `${c.label} to exit`,
      () =>
        !existsSync(`/proc/${agent.pid}/status`) ||
        /State:\s+Z/.test(readFileSync(`/proc/${agent.pid}/status`, 'utf8')),
      {
        timeoutMs: 20_000,
      },
    );
    spawnSync('ip', ['-n', node.name, 'route', 'flush', 'proto', '71']);
  }
  console.log(`\nagent with ${PREFIXES} prefixes from BIRD, one after the other; the same config and peer`);
  row('', seaCmd.label, nodeCmd.label);
  const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
  row('start → session Established', `${a.up} ms`, `${b.up} ms`);
  row(`start → ${PREFIXES} routes in the kernel`, `${a.kernel} ms`, `${b.kernel} ms`);
  const show = (r: Rss) => `${f1(r.total)} (${f1(r.anon)} + ${f1(r.file)}) MB`;
  row('RSS idle, 5 s after install (anon + file)', show(a.rss), show(b.rss));
  console.log(
    `goal: idle RSS ≤ 80 MB: ${a.rss.total <= 80 ? 'met' : 'NOT met'} (${f1(a.rss.total)}); anonymous memory ${f1(a.rss.anon)} vs ${f1(b.rss.anon)} MB`,
  );
}

async function cniAdd(net: TestNet, dir: string): Promise<void> {
  const { buildSea } = (await import(join(REPO, 'scripts/build-bins.mjs'))) as {
    buildSea: (o: { entry: string; out: string; workDir: string }) => Promise<void>;
  };
  const cniOnly = join(dir, 'gannet-cni-only');
  await buildSea({ entry: join(REPO, 'packages/cni/dist/src/main.js'), out: cniOnly, workDir: dir });
  const node = net.ns('cninode');
  const N = 60;
  const variants = [
    { label: 'gannet-cni (multi-call)', bin: join(REPO, 'dist/bin/gannet-cni'), cidr: '10.244.0.0/24' },
    { label: 'gannet-cni (CNI-only, before)', bin: cniOnly, cidr: '10.246.0.0/24' },
  ];
  const pods: Netns[][] = variants.map((_, k) => Array.from({ length: N }, (_, i) => net.ns(`c${k}x${i}`)));
  const call = (k: number, command: 'ADD' | 'DEL', i: number) =>
    execPlugin({
      bin: variants[k]!.bin,
      nodeNs: node.name,
      command,
      containerId: `img-${k}-${i}`,
      netns: `/run/netns/${pods[k]![i]!.name}`,
      ifname: 'eth0',
      conf: {
        cniVersion: '1.1.0',
        name: `img${k}`,
        type: 'gannet-cni',
        podCIDR: variants[k]!.cidr,
        mtu: 1500,
        dataDir: join(dir, `ipam${k}`),
      },
    });
  const add = variants.map(() => [] as number[]);
  const del = variants.map(() => [] as number[]);
  for (let i = 0; i < N; i++)
    for (const k of variants.keys()) {
      const r = await call(k, 'ADD', i);
      if (r.status !== 0) throw new Error(`${variants[k]!.label} ADD: ${r.stdout} ${r.stderr}`);
      add[k]!.push(r.ms);
    }
  for (let i = 0; i < N; i++)
    for (const k of variants.keys()) {
      const r = await call(k, 'DEL', i);
      if (r.status !== 0) throw new Error(`${variants[k]!.label} DEL: ${r.stdout} ${r.stderr}`);
      del[k]!.push(r.ms);
    }
  console.log(`\ngannet-cni, ${N} pods sequential, interleaved pod by pod (incl. nsenter ≈ 2 ms); ms p50 / p99`);
  row('', 'ADD', 'DEL');
  for (const k of variants.keys())
    row(
      variants[k]!.label,
      `${f1(q(add[k]!, 0.5))} / ${f1(q(add[k]!, 0.99))}`,
      `${f1(q(del[k]!, 0.5))} / ${f1(q(del[k]!, 0.99))}`,
    );
}

function image(): void {
  const problem = podmanProblem();
  if (problem) {
    console.log(`\nimage: SKIPPED (${problem})`);
    return;
  }
  let t = performance.now();
  const base = baseImage((l) => console.log(`  ${l}`));
  const node = nodeImage(base, (l) => console.log(`  ${l}`));
  const baseMs = performance.now() - t;
  const builds: Built[] = [];
  try {
    const cold = buildGannet(node, base, { noCache: true });
    builds.push(cold);
    const cached = buildGannet(node, base);
    builds.push(cached);
    t = performance.now();
    console.log('\nthe image, built by podman from the Dockerfile (base images local: see e2e/test/image-build.ts)');
    row('base + Node images (cached, or made now)', `${f1(baseMs / 1000)} s`, '');
    row('podman build, cold (--no-cache)', `${f1(cold.ms / 1000)} s`, '');
    row('podman build, cached', `${f1(cached.ms / 1000)} s`, '');
    const size = imageSize(cold.id) / 1e6;
    row(
      'image size (uncompressed)',
      `${f1(size)} MB`,
      `goal ≤ 250 MB: ${size <= 250 ? 'met' : 'NOT met'}; moonshot ≤ 200 MB: ${size <= 200 ? 'met' : 'not met'}`,
    );
  } finally {
    for (const b of builds.reverse()) removeBuilt(b);
  }
}

async function main(): Promise<void> {
  console.log(`load average ${loadavg().map(f1).join(' ')} (figures scale with it)`);
  startup();
  if (!isRoot()) {
    console.log('image bench: agent, CNI and image parts SKIPPED (need root)');
    return;
  }
  const net = new TestNet('ibn');
  const dir = mkdtempSync(join(tmpdir(), 'gannet-bench-image-'));
  try {
    await agentRss(net, dir);
    await cniAdd(net, dir);
  } finally {
    await net.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
  image();
}

await main();
