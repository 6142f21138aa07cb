// pnpm bench agent: the agent holding 5,000 learned prefixes from one peer (a 5,000-node cluster).
// Measures the time from End-of-RIB to all 5,000 routes in the kernel, then the agent's idle RSS and CPU; prints them
// next to iproute2 installing the same 5,000 routes with `ip -batch` and BIRD holding the same table, in this run.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AGENT_NODE_FLAGS } from '@gannet/controller';
import { sleep, TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const PREFIXES = 5000;
const AGENT = join(dirname(fileURLToPath(import.meta.resolve('@gannet/controller'))), 'bin', 'gannet.js');

function prefixes(n: number): string[] {
  return Array.from({ length: n }, (_, i) => `10.${1 + (i >> 8)}.${i & 255}.0/24`);
}

function procStatus(pid: number, key: string): number {
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks (100/s)
}

function countRoutes(ns: string, args: string[]): number {
  return execFileSync('ip', ['-n', ns, 'route', 'show', ...args], { encoding: 'utf8', maxBuffer: 64 << 20 })
    .split('\n')
    .filter(Boolean).length;
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('agent bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  const net = new TestNet('abn');
  const dir = mkdtempSync(join(tmpdir(), 'gannet-bench-agent-'));
  try {
    const node = net.ns('node');
    const peer = net.ns('peer');
    net.link(node, 'eth0', peer, 'eth0', '172.31.0.1/24', '172.31.0.2/24');
    const list = prefixes(PREFIXES);
    writeFileSync(
      join(dir, 'bird.conf'),
      `router id 172.31.0.2;
protocol device {}
protocol static { ipv4; ${list.map((p) => `route ${p} blackhole;`).join(' ')} }
protocol bgp agent { local 172.31.0.2 as 65000; neighbor 172.31.0.1 as 64512; hold time 90;
  ipv4 { import none; export all; next hop self; }; }
`,
    );
    const bird = net.spawn(peer, '/usr/sbin/bird', [
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
      `nodeName: bench
asn: 64512
routerId: 172.31.0.1
podCIDRs: [10.244.0.0/24]
clusterCIDRs: [10.0.0.0/8]
nodeStateFile: ${dir}/node-state.json
ipam: { dataDir: ${dir}/ipam }
gracefulRestart: { deferralTime: 30 }
peers:
  - { address: 172.31.0.2, asn: 65000 }
`,
    );
    const t0 = Date.now();
    // The agent runs as a DaemonSet or service would: without this machine's NODE_EXTRA_CA_CERTS (see DESIGN.md).
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
    const agent = net.spawn(
      node,
      process.execPath,
      [...AGENT_NODE_FLAGS, AGENT, 'agent', '--config', join(dir, 'gannet.yaml'), '--log-format', 'json'],
      { env },
    );
    await waitFor(`${PREFIXES} routes in the kernel`, () => countRoutes(node.name, ['proto', '71']) >= PREFIXES + 1, {
      timeoutMs: 120_000,
      intervalMs: 10,
    });
    const tKernel = Date.now();
    const lines = agent
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    const at = (msg: string) => {
      const l = lines
        .map((x) => JSON.parse(x) as { message: string; timestamp: string })
        .find((x) => x.message.startsWith(msg));
      return l ? Date.parse(l.timestamp) : Number.NaN;
    };
    const tUp = at('peer up');
    const tSync = at('initial BGP sync complete');

    // Idle: 10 s with nothing to do.
    await sleep(2000);
    const cpu0 = cpuSeconds(agent.pid);
    await sleep(10_000);
    const idleCpu = (cpuSeconds(agent.pid) - cpu0) / 10;
    const agentRss = procStatus(agent.pid, 'VmRSS');
    const metrics = node.run(process.execPath, [
      '-e',
      "fetch('http://127.0.0.1:9179/metrics').then(r=>r.text()).then(t=>process.stdout.write(t))",
    ]);
    const metric = (name: string) =>
      Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? Number.NaN) / 1048576;
    const heapUsed = metric('gannet_nodejs_heap_size_used_bytes');
    const heapTotal = metric('gannet_nodejs_heap_size_total_bytes');
    const agentHwm = procStatus(agent.pid, 'VmHWM');
    const birdRss = procStatus(bird.pid, 'VmRSS');

    // Reference: iproute2 installing the same routes from a batch file, into a spare table of the same namespace.
    const batch = join(dir, 'routes.batch');
    writeFileSync(batch, list.map((p) => `route add ${p} via 172.31.0.2 table 100 proto 72`).join('\n') + '\n');
    const b0 = process.hrtime.bigint();
    execFileSync('ip', ['-n', node.name, '-batch', batch]);
    const batchMs = Number(process.hrtime.bigint() - b0) / 1e6;

    const row = (a: string, b: string, c: string) => console.log(`${a.padEnd(44)} ${b.padStart(14)}  ${c}`);
    console.log(`\nagent with ${PREFIXES} learned prefixes from one BIRD peer (eBGP), one process each`);
    row('measure', 'gannet agent', 'reference');
    row('agent start → session Established', `${tUp - t0} ms`, '');
    row(
      'End-of-RIB (initial sync) → all routes in kernel',
      `${tKernel - tSync} ms`,
      `ip -batch, same ${PREFIXES} routes: ${batchMs.toFixed(0)} ms`,
    );
    row('session Established → all routes in kernel', `${tKernel - tUp} ms`, '');
    row(
      'RSS (idle, after install)',
      `${agentRss.toFixed(1)} MB`,
      `BIRD holding the same table: ${birdRss.toFixed(1)} MB`,
    );
    row('V8 heap used / total', `${heapUsed.toFixed(1)} / ${heapTotal.toFixed(1)} MB`, '');
    row('RSS peak', `${agentHwm.toFixed(1)} MB`, 'goal: < 120 MB');
    row('CPU while idle (10 s)', `${(idleCpu * 100).toFixed(2)} %`, '');
    console.log(
      `goal: End-of-RIB → kernel under 1 s: ${tKernel - tSync < 1000 ? 'met' : 'NOT met'}; RSS < 120 MB: ${agentRss < 120 ? 'met' : 'NOT met'}`,
    );
  } finally {
    await net.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
