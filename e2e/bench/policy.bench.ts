// Policy programming time of @gannet/policy (issue 11): 1,000 pods (all on this node) and 200 NetworkPolicies
// compiled and applied in one nft transaction, next to `nft -f` of the same ruleset text alone, in the same process
// and namespace; then one pod added → enforced (compile, delta, nft), p50/p99 over 100 adds, next to `nft -f` of the
// same delta scripts alone. Goal: p99 of one pod add < 100 ms.
// Datapath (src/policy-datapath.ts): pod-to-pod iperf3 throughput and new-connection rate with 500 policies applied
// by Gannet vs no ruleset (goal ≥ 0.95×), next to a linear iptables ruleset of the same policies, interleaved rounds.
// POLICY_BENCH_PART=programming|datapath runs one part.
import { spawnSync } from 'node:child_process';
import {
  compilePolicies,
  ExecNftRunner,
  type NetworkPolicy,
  type NftRunner,
  PolicyApplier,
  renderFull,
} from '@gannet/policy';
import { TestNet } from '../src/netns.js';
import { CLIENT_IP, connectRate, iperf, linearIptables, SERVER_IP, startServers } from '../src/policy-datapath.js';
import { PolicyLab } from '../src/policy-lab.js';
import { scaleInput, scalePod } from '../src/policy-scale.js';
import { isRoot } from '../src/root.js';

const PODS = Number(process.env.POLICY_BENCH_PODS ?? 1000);
const POLICIES = Number(process.env.POLICY_BENCH_POLICIES ?? 200);
const RUNS = Number(process.env.POLICY_BENCH_RUNS ?? 5);
const ADDS = Number(process.env.POLICY_BENCH_ADDS ?? 100);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] as number;
const ms = (x: number) => `${x.toFixed(1)} ms`.padStart(10);

function nftAlone(ns: string, script: string): number {
  const t0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], { input: script, encoding: 'utf8' });
  const t = performance.now() - t0;
  if (r.status !== 0) throw new Error(`nft -f failed: ${r.stderr.slice(0, 400)}`);
  return t;
}

/** Passes scripts to nft and keeps the last one, so the reference can run exactly the same text. */
class Recording implements NftRunner {
  last = '';
  constructor(private readonly inner: NftRunner) {}
  run(script: string): Promise<void> {
    this.last = script;
    return this.inner.run(script);
  }
  listTable(): Promise<string | undefined> {
    return this.inner.listTable();
  }
}

const PART = process.env.POLICY_BENCH_PART ?? '';
const DP_POLICIES = Number(process.env.POLICY_BENCH_DATAPATH_POLICIES ?? 500);
const DP_ROUNDS = Number(process.env.POLICY_BENCH_DATAPATH_ROUNDS ?? 5);

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('policy bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  if (spawnSync('nft', ['--version']).status !== 0) throw new Error('nft is missing (Debian nftables)');
  if (PART !== 'datapath') await programming();
  if (PART !== 'programming') await datapath();
}

async function datapath(): Promise<void> {
  const base = scaleInput(200, DP_POLICIES, 20);
  const bench = (name: string, ip: string) => ({
    namespace: 'bench',
    name,
    labels: { app: name },
    ips: [ip],
    local: true,
  });
  const allow: NetworkPolicy = {
    metadata: { namespace: 'bench', name: 'allow-client' },
    spec: {
      podSelector: { matchLabels: { app: 'server' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }],
    },
  };
  const input = {
    ...base,
    clusterCidrs: ['10.244.0.0/16', '10.245.0.0/16'],
    pods: [...base.pods, bench('server', SERVER_IP), bench('client', CLIENT_IP)],
    policies: [...base.policies, allow],
  };
  const model = compilePolicies(input);
  const linear = linearIptables(model, SERVER_IP);
  const hasIptables = spawnSync('iptables-restore', ['--version']).status === 0;
  console.log(
    `\ndatapath: ${DP_POLICIES + 1} policies over ${input.pods.length} pods; gannet ${model.stats.rules} rules; ` +
      `linear iptables ${linear.rules} rules${hasIptables ? '' : ' (SKIPPED: no iptables-restore)'}`,
  );
  const lab = new PolicyLab(
    [
      { key: 'bench/server', ip: SERVER_IP },
      { key: 'bench/client', ip: CLIENT_IP },
    ],
    [],
  );
  try {
    await startServers(lab);
    const applier = new PolicyApplier(new ExecNftRunner({ netns: lab.node.name }));
    const ipt = (args: string[], input?: string) => {
      const r = spawnSync('ip', ['netns', 'exec', lab.node.name, ...args], { input, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    };
    const variants = ['none', 'gannet', ...(hasIptables ? ['iptables'] : [])] as const;
    const set = async (v: string) => {
      await applier.remove();
      if (hasIptables) ipt(['iptables-restore'], '*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n');
      if (v === 'gannet') await applier.apply(input);
      if (v === 'iptables') ipt(['iptables-restore'], linear.text);
    };
    const gbps: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    const cps: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v, []]));
    for (let round = 0; round < DP_ROUNDS; round++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(k + round) % variants.length]!;
        await set(v);
        gbps[v]!.push(iperf(lab, 3));
        cps[v]!.push(connectRate(lab, 2000));
      }
    }
    await set('none');
    const none = { g: median(gbps.none!), c: median(cps.none!) };
    console.log(`median of ${DP_ROUNDS} interleaved rounds (iperf3 -t 3, one stream; sequential connect+RST for 2 s):`);
    console.log(
      `  ${'variant'.padEnd(10)}${'Gbit/s'.padStart(10)}${'×none'.padStart(8)}${'conn/s'.padStart(10)}${'×none'.padStart(8)}`,
    );
    for (const v of variants) {
      const g = median(gbps[v]!);
      const c = median(cps[v]!);
      console.log(
        `  ${v.padEnd(10)}${g.toFixed(2).padStart(10)}${(g / none.g).toFixed(2).padStart(8)}` +
          `${c.toFixed(0).padStart(10)}${(c / none.c).toFixed(2).padStart(8)}   ` +
          `[${gbps[v]!.map((x) => x.toFixed(1)).join(' ')} | ${cps[v]!.map((x) => x.toFixed(0)).join(' ')}]`,
      );
    }
    const worst = Math.min(median(gbps.gannet!) / none.g, median(cps.gannet!) / none.c);
    console.log(`gannet worst ratio ${worst.toFixed(2)}× (goal ≥ 0.95×): ${worst >= 0.95 ? 'met' : 'NOT met'}`);
  } finally {
    await lab.cleanup();
  }
}

async function programming(): Promise<void> {
  const net = new TestNet('pb');
  try {
    const refNs = net.ns('ref');
    const gnNs = net.ns('gnt');
    const input = scaleInput(PODS, POLICIES);
    const model = compilePolicies(input);
    const text = renderFull(model);
    console.log(
      `${PODS} pods (all local), ${POLICIES} policies → ${model.stats.rules} rules, ${model.chains.size} chains, ` +
        `${model.sets.size} sets, ${text.split('\n').length} lines of nft (${(text.length / 1024).toFixed(0)} KiB)`,
    );

    // Full programming: a fresh applier (compile + render + nft) vs nft -f of the same text, alternating order.
    const full = { compile: [] as number[], gannet: [] as number[], nft: [] as number[] };
    for (let run = 0; run < RUNS; run++) {
      const doRef = () => full.nft.push(nftAlone(refNs.name, renderFull(model)));
      if (run % 2 === 0) doRef();
      const applier = new PolicyApplier(new ExecNftRunner({ netns: gnNs.name }));
      const t0 = performance.now();
      const r = await applier.apply(input);
      full.gannet.push(performance.now() - t0);
      full.compile.push(r.compileMs);
      if (r.mode !== 'full') throw new Error(`expected a full apply, got ${r.mode}`);
      if (run % 2 === 1) doRef();
    }
    console.log(`\nfull apply, median of ${RUNS} runs:`);
    console.log(
      `  nft -f of the ruleset text alone        ${ms(median(full.nft))}   [${full.nft.map((x) => x.toFixed(0)).join(' ')}]`,
    );
    console.log(
      `  gannet (compile + render + nft)          ${ms(median(full.gannet))}   [${full.gannet.map((x) => x.toFixed(0)).join(' ')}]`,
    );
    console.log(`    of which compile + render              ${ms(median(full.compile))}`);

    // One pod added → enforced: the applier holds the full state; each add compiles everything, sends the delta.
    const recorder = new Recording(new ExecNftRunner({ netns: gnNs.name }));
    const applier = new PolicyApplier(recorder);
    await applier.apply(input);
    nftAlone(refNs.name, recorder.last);
    const add = {
      total: [] as number[],
      compile: [] as number[],
      nft: [] as number[],
      lines: [] as number[],
      ref: [] as number[],
    };
    const pods = [...input.pods];
    for (let k = 0; k < ADDS; k++) {
      const p = scalePod(PODS + k, 20);
      pods.push(p);
      const next = { ...input, pods: [...pods] };
      const t0 = performance.now();
      const r = await applier.apply(next);
      add.total.push(performance.now() - t0);
      add.compile.push(r.compileMs);
      add.nft.push(r.nftMs);
      add.lines.push(r.scriptLines);
      if (r.mode !== 'delta' || !r.incremental) throw new Error(`expected an incremental delta, got ${r.mode}`);
      add.ref.push(nftAlone(refNs.name, recorder.last));
    }
    const row = (label: string, xs: number[]) =>
      console.log(`  ${label.padEnd(40)}${ms(pct(xs, 50))}${ms(pct(xs, 99))}`);
    console.log(`\none pod added → enforced, ${ADDS} adds (delta of median ${median(add.lines)} nft lines; the`);
    console.log('reference runs the same delta text in a namespace holding the same table, right after):');
    console.log(`  ${''.padEnd(40)}${'p50'.padStart(10)}${'p99'.padStart(10)}`);
    row('nft -f of the same delta alone', add.ref);
    row('gannet total (compile + delta + nft)', add.total);
    row('  compile + render delta', add.compile);
    row('  nft', add.nft);
    const p99 = pct(add.total, 99);
    console.log(`p99 ${p99.toFixed(1)} ms (goal < 100 ms): ${p99 < 100 ? 'met' : 'NOT met'}`);
    await applier.remove();
  } finally {
    await net.cleanup();
  }
}

await main();
