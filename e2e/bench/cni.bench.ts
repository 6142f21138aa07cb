// ADD and DEL latency of gannet-cni (the single executable), run as a runtime does (nsenter into the node, CNI_* and
// PATH only), next to Debian's ptp + host-local run the same way, and next to a hello-world single executable built
// the same way (Node's bare start-up). 100 sequential pods, then 50 concurrent pods, p50/p99 per operation.
// Goals (issue 5): gannet p50 ≤ hello p50 + 1.5 × ptp p50; gannet p99 < 150 ms. A dual-stack gannet-cni (one IPv4
// and one IPv6 address per pod) runs interleaved with the IPv4-only one; goal (issue 13): its p50/p99 ≤ 1.2× them.
// GANNET_CNI_BASELINE=<another gannet-cni build> adds it as a fourth variant, interleaved pod by pod with the others,
// for A/B comparisons on a noisy machine (`cp dist/bin/gannet-cni /tmp/before`, change, build, bench); its 50
// concurrent pods then run 3 rounds alternating with gannet-cni's.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, TestNet } from '../src/netns.js';
import { isRoot } from '../src/root.js';
import { execPlugin, type PluginCall, type PluginReply, requireGannetCni } from '../test/cni-runtime.js';

const SEQUENTIAL = 100;
const CONCURRENT = 50;

interface Variant {
  readonly label: string;
  readonly bin: string;
  readonly conf: Record<string, unknown>;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number;
}

interface Stats {
  p50: number;
  p99: number;
  n: number;
}

function stats(ms: readonly number[]): Stats {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99), n: s.length };
}

function ok(r: PluginReply, what: string): number {
  if (r.status !== 0) throw new Error(`${what} failed (${r.status ?? r.signal}): ${r.stdout} ${r.stderr}`);
  return r.ms;
}

async function buildHello(dir: string): Promise<string> {
  const entry = join(dir, 'hello.cjs');
  writeFileSync(entry, "require('node:fs').writeSync(1, 'hello\\n');\n");
  const out = join(dir, 'hello-sea');
  const buildBins = '../../../scripts/build-bins.mjs';
  const { buildSea } = (await import(buildBins)) as {
    buildSea: (o: { entry: string; out: string; snapshot: boolean; workDir: string }) => Promise<void>;
  };
  // built exactly as scripts/build-bins.mjs builds gannet-cni (esbuild bundle, code cache, postject)
  await buildSea({ entry, out, snapshot: false, workDir: dir });
  return out;
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('cni.bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  const gannet = requireGannetCni();
  const net = new TestNet('bench');
  const work = mkdtempSync(join(tmpdir(), 'gannet-cni-bench-'));
  try {
    const hello = await buildHello(work);
    const node = net.ns('node');
    const baseline = process.env.GANNET_CNI_BASELINE;
    const variants: Variant[] = [
      {
        label: 'gannet-cni',
        bin: gannet,
        conf: {
          cniVersion: '1.1.0',
          name: 'gbench',
          type: 'gannet-cni',
          podCIDR: '10.244.0.0/24',
          mtu: 1500,
          dataDir: join(work, 'gannet'),
        },
      },
      {
        label: 'ptp+host-local',
        bin: '/usr/lib/cni/ptp',
        conf: {
          cniVersion: '1.0.0',
          name: 'pbench',
          type: 'ptp',
          ipam: { type: 'host-local', ranges: [[{ subnet: '10.245.0.0/24' }]], dataDir: join(work, 'host-local') },
        },
      },
    ];
    if (baseline) {
      variants.push({
        label: 'gannet-cni baseline',
        bin: baseline,
        conf: { ...(variants[0] as Variant).conf, name: 'gbase', podCIDR: '10.246.0.0/24' },
      });
    }
    const dualV: Variant = {
      label: 'gannet-cni dual-stack',
      bin: gannet,
      conf: {
        ...(variants[0] as Variant).conf,
        name: 'gdual',
        podCIDR: undefined,
        podCIDRs: ['10.247.0.0/24', 'fd00:10:247::/64'],
      },
    };
    variants.push(dualV);
    // one set of pod namespaces per plugin, so that their ADDs can interleave
    const pods: Netns[][] = variants.map((_, k) => Array.from({ length: SEQUENTIAL }, (_, i) => net.ns(`p${k}x${i}`)));
    const call = (v: Variant, command: PluginCall['command'], i: number) =>
      execPlugin({
        bin: v.bin,
        nodeNs: node.name,
        command,
        // per variant: its own pod namespaces, and container IDs of its own (the host veth is named after them)
        containerId: `bench-${Math.max(0, variants.indexOf(v))}-${i}`,
        netns: `/run/netns/${(pods[Math.max(0, variants.indexOf(v))] as Netns[])[i]!.name}`,
        ifname: 'eth0',
        conf: v.conf,
      });
    const rows: { what: string; mode: string; op: string; s: Stats }[] = [];
    // warm the page cache for every binary
    for (const v of variants) {
      ok(await call(v, 'ADD', 0), `${v.label} warm-up ADD`);
      ok(await call(v, 'DEL', 0), `${v.label} warm-up DEL`);
    }
    const helloV: Variant = { label: 'hello SEA', bin: hello, conf: {} };
    const gannetV = variants[0] as Variant;
    // sequential: interleaved pod by pod (gannet, ptp, hello, gannet VERSION), so that the machine's load swings
    // hit every variant alike
    const seqAdd = variants.map(() => [] as number[]);
    const seqDel = variants.map(() => [] as number[]);
    const seqHello: number[] = [];
    const seqOwn: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      for (const [k, v] of variants.entries()) seqAdd[k]?.push(ok(await call(v, 'ADD', i), `${v.label} ADD`));
      seqHello.push(ok(await call(helloV, 'VERSION', i), 'hello'));
      seqOwn.push(ok(await call(gannetV, 'VERSION', i), 'gannet VERSION'));
    }
    for (let i = 0; i < SEQUENTIAL; i++) {
      for (const [k, v] of variants.entries()) seqDel[k]?.push(ok(await call(v, 'DEL', i), `${v.label} DEL`));
    }
    for (const [k, v] of variants.entries()) {
      rows.push({ what: v.label, mode: `${SEQUENTIAL} sequential`, op: 'ADD', s: stats(seqAdd[k] ?? []) });
      rows.push({ what: v.label, mode: `${SEQUENTIAL} sequential`, op: 'DEL', s: stats(seqDel[k] ?? []) });
    }
    rows.push({ what: 'gannet-cni VERSION', mode: `${SEQUENTIAL} sequential`, op: 'exec', s: stats(seqOwn) });
    rows.push({ what: 'hello SEA (bare start-up)', mode: `${SEQUENTIAL} sequential`, op: 'exec', s: stats(seqHello) });
    // concurrent: each variant's 50 at once, one variant after the other; gannet, the dual-stack gannet (and the
    // baseline) alternate for 3 rounds each (pooled), so that a swing of the machine's load between phases does not
    // decide the A/B comparison (one round each measured dual-stack 0.58× IPv4 at load 15: the phase, not the family)
    const rounds = (v: Variant) => (v !== variants[1] ? 3 : 1);
    const concAdd = variants.map(() => [] as number[]);
    const concDel = variants.map(() => [] as number[]);
    for (let round = 0; round < 3; round++) {
      for (const [k, v] of variants.entries()) {
        if (round >= rounds(v)) continue;
        const idx = Array.from({ length: CONCURRENT }, (_, i) => i);
        concAdd[k]?.push(...(await Promise.all(idx.map(async (i) => ok(await call(v, 'ADD', i), `${v.label} ADD`)))));
        concDel[k]?.push(...(await Promise.all(idx.map(async (i) => ok(await call(v, 'DEL', i), `${v.label} DEL`)))));
      }
    }
    for (const [k, v] of variants.entries()) {
      const mode = `${CONCURRENT} concurrent${rounds(v) > 1 ? ` ×${rounds(v)}` : ''}`;
      rows.push({ what: v.label, mode, op: 'ADD', s: stats(concAdd[k] ?? []) });
      rows.push({ what: v.label, mode, op: 'DEL', s: stats(concDel[k] ?? []) });
    }
    const conc = await Promise.all(
      Array.from({ length: CONCURRENT }, async (_, i) => ok(await call(helloV, 'VERSION', i), 'hello')),
    );
    rows.push({ what: 'hello SEA (bare start-up)', mode: `${CONCURRENT} concurrent`, op: 'exec', s: stats(conc) });

    const load = loadavg().map((x) => x.toFixed(1));
    console.log(`load average ${load.join(' ')} on ${availableParallelism()} CPUs (figures scale with it)`);
    console.log('all timings include nsenter --net=<node> (≈2 ms), as a runtime entering the node would not; ms');
    console.log(`${'plugin'.padEnd(28)}${'mode'.padEnd(19)}${'op'.padEnd(6)}${'p50'.padStart(8)}${'p99'.padStart(8)}`);
    for (const r of rows) {
      console.log(
        `${r.what.padEnd(28)}${r.mode.padEnd(19)}${r.op.padEnd(6)}${r.s.p50.toFixed(1).padStart(8)}${r.s.p99.toFixed(1).padStart(8)}`,
      );
    }
    const find = (what: string, mode: string, op: string) =>
      rows.find((r) => r.what.startsWith(what) && r.mode.startsWith(mode) && r.op === op)?.s ?? {
        p50: 0,
        p99: 0,
        n: 0,
      };
    for (const mode of [String(SEQUENTIAL), String(CONCURRENT)]) {
      for (const op of ['ADD', 'DEL']) {
        const v4 = find('gannet-cni', mode, op);
        const dual = rows.find((r) => r.what === dualV.label && r.mode.startsWith(mode) && r.op === op)?.s;
        if (!dual) continue;
        const r50 = dual.p50 / v4.p50;
        const r99 = dual.p99 / v4.p99;
        console.log(
          `goal ${mode} ${op} dual-stack/IPv4: p50 ${dual.p50.toFixed(1)}/${v4.p50.toFixed(1)} = ${r50.toFixed(2)}×, p99 ${dual.p99.toFixed(1)}/${v4.p99.toFixed(1)} = ${r99.toFixed(2)}× ≤ 1.2×: ${r50 <= 1.2 && r99 <= 1.2 ? 'met' : r50 <= 1.2 ? 'p50 met, p99 MISSED' : 'MISSED'}`,
        );
      }
      const bare = find('hello', mode, 'exec').p50;
      for (const op of ['ADD', 'DEL']) {
        const g = find('gannet', mode, op);
        const p = find('ptp', mode, op);
        const budget = bare + 1.5 * p.p50;
        console.log(
          `goal ${mode} ${op}: gannet p50 ${g.p50.toFixed(1)} ≤ bare ${bare.toFixed(1)} + 1.5 × ptp ${p.p50.toFixed(1)} = ${budget.toFixed(1)}: ${g.p50 <= budget ? 'met' : 'MISSED'}; p99 ${g.p99.toFixed(1)} < 150: ${g.p99 < 150 ? 'met' : 'MISSED'}`,
        );
      }
    }
  } finally {
    await net.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
