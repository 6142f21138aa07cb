// RunPodSandbox → pod IP through containerd's CRI (Debian's containerd 1.6, run by the benchmark as the e2e suite runs
// it), p50/p99 over 100 sandboxes: gannet-cni with the shipped conflist (gannet-cni + portmap; a gannet agent writes
// the node state), next to Debian's ptp + host-local (+ portmap) under the same containerd build and config in a
// second node, and a hostNetwork sandbox (no CNI at all: the runtime's own cost). The three are interleaved sandbox by
// sandbox, so machine load falls on all of them alike; each sandbox is stopped and removed right after (timed too).
// Goal (issue 20): gannet-cni's p50 within 1.3× of ptp's.
import { availableParallelism, loadavg } from 'node:os';
import type { CriClient } from '../src/cri-client.js';
import { CriNode, criPrerequisites, shippedConflist } from '../src/cri-node.js';
import { TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const SANDBOXES = 100;

const PTP_CONFLIST = JSON.stringify({
  cniVersion: '1.0.0',
  name: 'ptpnet',
  plugins: [
    {
      type: 'ptp',
      ipMasq: false,
      ipam: { type: 'host-local', subnet: '10.245.1.0/24', routes: [{ dst: '0.0.0.0/0' }] },
    },
    { type: 'portmap', capabilities: { portMappings: true } },
  ],
});

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

function stats(ms: readonly number[]): { p50: number; p99: number } {
  const s = [...ms].sort((a, b) => a - b);
  return { p50: quantile(s, 0.5), p99: quantile(s, 0.99) };
}

interface Variant {
  readonly label: string;
  readonly cri: () => CriClient;
  readonly hostNetwork: boolean;
  readonly up: number[];
  readonly down: number[];
}

async function oneSandbox(v: Variant, i: number): Promise<void> {
  const cri = v.cri();
  const t0 = performance.now();
  const id = await cri.runPodSandbox({
    name: `bench-${i}`,
    namespace: 'bench',
    uid: `${v.label}-${i}`,
    hostNetwork: v.hostNetwork,
  });
  const st = await cri.podSandboxStatus(id);
  const t1 = performance.now();
  if (!v.hostNetwork && !st.ip) throw new Error(`${v.label}: sandbox ${id} has no IP`);
  await cri.stopPodSandbox(id);
  await cri.removePodSandbox(id);
  v.up.push(t1 - t0);
  v.down.push(performance.now() - t1);
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('cri.bench: SKIPPED (needs root for namespaces and containerd)');
    return;
  }
  const missing = criPrerequisites();
  if (missing) {
    console.log(`cri.bench: SKIPPED (${missing})`);
    return;
  }
  const net = new TestNet('crib');
  const gannet = new CriNode(net, { name: 'g' });
  const ptp = new CriNode(net, { name: 'p', plugins: ['loopback', 'portmap', 'ptp', 'host-local'] });
  try {
    await Promise.all([gannet.start(), ptp.start()]);
    await Promise.all([gannet.startContainerd(), ptp.startContainerd()]);
    gannet.startAgent(
      'nodeName: g\nasn: 64512\nrouterId: 172.31.9.1\npodCIDRs: [10.244.1.0/24]\nclusterCIDRs: [10.244.0.0/16]\npeers: []\n',
      shippedConflist(),
    );
    ptp.installConflist('10-ptp.conflist', PTP_CONFLIST);
    await waitFor(
      'both networks ready',
      async () =>
        (await gannet.cri.status()).NetworkReady?.status === true &&
        (await ptp.cri.status()).NetworkReady?.status === true,
      { timeoutMs: 20_000, intervalMs: 100 },
    );
    const variants: Variant[] = [
      { label: 'gannet-cni + portmap', cri: () => gannet.cri, hostNetwork: false, up: [], down: [] },
      { label: 'ptp + host-local + portmap', cri: () => ptp.cri, hostNetwork: false, up: [], down: [] },
      { label: 'hostNetwork (no CNI)', cri: () => gannet.cri, hostNetwork: true, up: [], down: [] },
    ];
    // warm-up: one of each (image unpacked, plugins in the page cache)
    for (const v of variants) await oneSandbox(v, -1);
    for (const v of variants) {
      v.up.length = 0;
      v.down.length = 0;
    }
    for (let i = 0; i < SANDBOXES; i++) {
      for (const v of variants) await oneSandbox(v, i);
    }
    const load = loadavg().map((x) => x.toFixed(2));
    console.log(`containerd ${(await gannet.cri.version()).runtimeVersion}; ${SANDBOXES} sandboxes each, interleaved`);
    console.log(`load average ${load.join(' ')} on ${availableParallelism()} CPUs (figures scale with it); ms`);
    console.log(
      `${'network'.padEnd(30)}${'run→IP p50'.padStart(12)}${'p99'.padStart(8)}${'stop+rm p50'.padStart(13)}${'p99'.padStart(8)}`,
    );
    for (const v of variants) {
      const up = stats(v.up);
      const down = stats(v.down);
      console.log(
        `${v.label.padEnd(30)}${up.p50.toFixed(1).padStart(12)}${up.p99.toFixed(1).padStart(8)}${down.p50.toFixed(1).padStart(13)}${down.p99.toFixed(1).padStart(8)}`,
      );
    }
    const [g, p, h] = variants.map((v) => stats(v.up).p50) as [number, number, number];
    const ratio = g / p;
    console.log(
      `gannet/ptp p50 ${ratio.toFixed(2)}× (goal ≤ 1.3×: ${ratio <= 1.3 ? 'met' : 'NOT met'}); ` +
        `the runtime's own sandbox cost (hostNetwork) is ${((h / p) * 100).toFixed(0)} % of ptp's`,
    );
  } finally {
    await gannet.destroy();
    await ptp.destroy();
    await net.cleanup();
  }
}

await main();
