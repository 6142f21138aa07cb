// BFD under the agent's heaviest normal load: while a generator peer sends 100,000 prefixes (ingest, best-path
// selection, kernel install), do the agent's BFD sessions with an FRR router stay Up? For the default 300 ms × 3 and
// for 100 ms × 3: BFD downs counted by the agent and by FRR, the longest event-loop stall during the ingest, and the
// ingest time. FRR bfdd (its own process) is the reference side of the same session.
//   BFD_INGEST_PREFIXES=100000 pnpm bench bfd-ingest
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  apiGet,
  GANNET,
  NODE_ADDR,
  NODE_PREFIX,
  ROUTER_ADDR,
  startFrrSuite,
  type Timers,
  twoNamespaces,
} from '../src/bfd-rig.js';
import { sleep, TestNet, waitFor } from '../src/netns.js';
import { isRoot } from '../src/root.js';

const COUNT = Number(process.env.BFD_INGEST_PREFIXES ?? 100_000);
const GENERATOR = fileURLToPath(new URL('../src/bgp-generator.js', import.meta.url));
const GEN = '10.255.1.1';
const NODE_GEN = '10.255.1.2';

interface PeerView {
  address: string;
  state: string;
  prefixesAccepted: number;
  bfd?: { state: string; downs: number };
}

async function run(t: Timers, thread: 'worker' | 'main'): Promise<string> {
  const net = new TestNet('bfdi');
  const dir = mkdtempSync(join(tmpdir(), 'gnt-bfd-ingest-'));
  try {
    const { node, router } = twoNamespaces(net);
    const gen = net.ns('gen');
    net.link(gen, 'gen0', node, 'nodeg', `${GEN}/30`, `${NODE_GEN}/30`);
    const frr = await startFrrSuite(
      net,
      router,
      `frr defaults traditional\nhostname r\n!\nrouter bgp 65000\n bgp router-id ${ROUTER_ADDR}\n no bgp ebgp-requires-policy\n neighbor ${NODE_ADDR} remote-as 65001\n neighbor ${NODE_ADDR} timers 30 90\n neighbor ${NODE_ADDR} bfd profile fast\n!\n`,
      `bfd\n profile fast\n  receive-interval ${t.minRxMs}\n  transmit-interval ${t.minTxMs}\n  detect-multiplier ${t.multiplier}\n !\n peer ${NODE_ADDR}\n  profile fast\n !\n!\n`,
    );
    const conf = join(dir, 'gannet.yaml');
    writeFileSync(
      conf,
      `nodeName: bfd-ingest
asn: 65001
routerId: ${NODE_ADDR}
podCIDRs: [${NODE_PREFIX}]
clusterCIDRs: [10.0.0.0/8, 16.0.0.0/4]
natOutgoing: false
api: { listen: 127.0.0.1:9179 }
nodeStateFile: ${join(dir, 'node-state.json')}
peers:
  - address: ${ROUTER_ADDR}
    asn: 65000
    holdTime: 90
    bfd: { enabled: true, minRxMs: ${t.minRxMs}, minTxMs: ${t.minTxMs}, multiplier: ${t.multiplier} }
  - { address: ${GEN}, asn: 65002, passive: true, holdTime: 240, maxPrefixes: ${COUNT * 2} }
`,
    );
    const agent = net.spawn(node, GANNET, ['agent', '--log-format', 'json', '--config', conf], {
      detached: true,
      env: { ...process.env, GANNET_BFD_THREAD: thread },
    });
    const peers = () => JSON.parse(apiGet(node, '/api/v1/peers') || '[]') as PeerView[];
    const frrDowns = () =>
      (JSON.parse(frr.vtysh('show bfd peers counters json')) as Record<string, unknown>[]).reduce(
        (n, c) => n + Number(c['session-down'] ?? 0),
        0,
      );
    await waitFor(
      'BGP and BFD up with the router',
      () => {
        const r = peers().find((p) => p.address === ROUTER_ADDR);
        return r?.state === 'Established' && r.bfd?.state === 'Up';
      },
      { timeoutMs: 60_000, intervalMs: 300 },
    );
    await sleep(2_000);
    const downs0 = peers().find((p) => p.address === ROUTER_ADDR)?.bfd?.downs ?? 0;
    const frr0 = frrDowns();
    apiGet(node, '/metrics'); // resets the event-loop delay maximum
    const g = net.spawn(gen, process.execPath, [
      GENERATOR,
      JSON.stringify({ host: NODE_GEN, port: 179, localAddress: GEN, asn: 65002, peerAsn: 65001, count: COUNT }),
    ]);
    const t0 = performance.now();
    await waitFor(
      `${COUNT} prefixes accepted`,
      () => (peers().find((p) => p.address === GEN)?.prefixesAccepted ?? 0) >= COUNT,
      { timeoutMs: 300_000, intervalMs: 250 },
    );
    const ingest = (performance.now() - t0) / 1000;
    await waitFor(
      'kernel holds the routes',
      () => Number(node.run('sh', ['-c', 'ip route show proto 71 | wc -l'])) > COUNT,
      {
        timeoutMs: 120_000,
        intervalMs: 500,
      },
    );
    const installed = (performance.now() - t0) / 1000;
    const metrics = apiGet(node, '/metrics');
    const lagMax = Number(/^gannet_nodejs_eventloop_lag_max_seconds (\S+)/m.exec(metrics)?.[1] ?? Number.NaN);
    const r = peers().find((p) => p.address === ROUTER_ADDR);
    const downs = (r?.bfd?.downs ?? 0) - downs0;
    const frrCount = frrDowns() - frr0;
    process.kill(g.pid, 'SIGTERM');
    process.kill(agent.pid, 'SIGTERM');
    await Promise.race([agent.exited, sleep(5_000)]);
    const detect = t.minRxMs * t.multiplier;
    return (
      `${`${t.minRxMs} ms × ${t.multiplier} (detect ${detect} ms)`.padEnd(28)} | ${thread.padEnd(11)} | ${ingest.toFixed(1).padStart(5)} s / ${installed.toFixed(1).padStart(5)} s | ` +
      `${(lagMax * 1000).toFixed(0).padStart(16)} ms | ${String(downs).padStart(11)} | ${String(frrCount).padStart(9)} | ${r?.state}/${r?.bfd?.state}`
    );
  } finally {
    await net.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('bfd-ingest: skipped (needs root for network namespaces)');
    return;
  }
  console.log(
    `BFD while the agent ingests ${COUNT.toLocaleString('en')} prefixes from another peer (FRR router, hold 90 s)`,
  );
  console.log(
    'BFD timers                   | BFD thread  | accepted / in kernel | main loop max stall | agent downs | FRR downs | router session at the end',
  );
  for (const t of [
    { minRxMs: 300, minTxMs: 300, multiplier: 3 },
    { minRxMs: 100, minTxMs: 100, multiplier: 3 },
  ]) {
    // BFD on the main event loop is the reference: what the worker thread is for.
    console.log(await run(t, 'main'));
    console.log(await run(t, 'worker'));
  }
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  console.log(`machine load average: ${load} (${availableParallelism()} CPUs)`);
}

await main();
