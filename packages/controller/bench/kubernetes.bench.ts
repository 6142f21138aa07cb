// pnpm bench kubernetes: Kubernetes mode against the fake API server (test/kubernetes), in figures.
// 1. First sync of one agent in a 5,000-Node cluster: time and memory, beside @kubernetes/client-node's own
//    informer (ListWatch, whole objects kept) on the same cluster. Each in its own child process (clean RSS).
// 2. An API server restart under 500 agents (one process, one shared fake server, 1,500 watches): requests, bytes,
//    lists served by etcd, time until every agent is synced again — the reflectors as they are (relist from the
//    watch cache) beside the old behaviour (relistFrom: 'quorum'), selectable for this comparison. The fake serves
//    an etcd read as fast as a cache read, so the times differ by noise only: the figure that differs is the etcd
//    reads column (what a real restart would have sent to etcd at once).
// 3. One simulated hour of 500 agents' watches on a fake clock: requests per agent per hour and the peak number of
//    watches reopened in one second — randomised 5–10 min timeouts beside the old fixed 300 s.
// 4. Status writes per minute per node in a 1,000-node mesh (10 of its nodes' writers, each with 999 sessions):
//    server-side apply on change with bounded lists beside the old cadence (1-minute heartbeat, every session).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import { KubernetesSource, type KubernetesSourceOptions } from '../src/kubernetes/kubernetes-source.js';
import { NodeStatusWriter, type SessionStatus } from '../src/kubernetes/node-status-writer.js';
import { CountingBackoff, FakeClock, kubeConfigFor } from '../test/kubernetes/helpers.js';
import { churn, cluster, gc, mb, row, smallNode, until } from './kubernetes-fixtures.js';

const FIRST_SYNC_NODES = 5000;
const AGENTS = 500;
const MESH = 1000;
const MESH_WRITERS = 10;

async function firstSyncChild(impl: string): Promise<void> {
  const server = await cluster(FIRST_SYNC_NODES);
  const kc = kubeConfigFor(server.url);
  gc();
  const before = process.memoryUsage();
  const t0 = performance.now();
  let stop: () => void;
  if (impl === 'gannet') {
    const source = new KubernetesSource({ kubeConfig: kc, nodeName: 'node-00001' });
    await source.start();
    stop = () => source.stop();
  } else {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/nodes', () => core.listNode());
    await informer.start();
    stop = () => void informer.stop();
  }
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 500)); // let the responses' buffers and closures go before measuring
  gc();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      ms,
      rss: after.rss - before.rss,
      heap: after.heapUsed - before.heapUsed,
      bytes: server.load.bytes,
    }),
  );
  stop();
  await server.close();
  process.exit(0);
}

function firstSync(): void {
  console.log(`\n1. first sync, ${FIRST_SYNC_NODES} Nodes (~4 KB each), one agent; each run in its own process`);
  const w = [44, 10, 12, 12, 12];
  console.log(row(['', 'time', 'RSS +', 'heap +', 'served'], w));
  for (const [impl, label] of [
    ['gannet', 'KubernetesSource (nodes, peers, configs)'],
    ['informer', 'reference: client-node informer (nodes)'],
  ] as const) {
    const r = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), `--first-sync=${impl}`], {
      encoding: 'utf8',
    });
    const line = r.stdout.trim().split('\n').pop() ?? '';
    if (r.status !== 0 || !line.startsWith('{')) throw new Error(`first sync ${impl} failed: ${r.stderr}`);
    const f = JSON.parse(line) as { ms: number; rss: number; heap: number; bytes: number };
    console.log(row([label, `${f.ms.toFixed(0)} ms`, `${mb(f.rss)} MB`, `${mb(f.heap)} MB`, `${mb(f.bytes)} MB`], w));
  }
}

async function agents(n: number, url: string, options: Partial<KubernetesSourceOptions>): Promise<KubernetesSource[]> {
  const kc = kubeConfigFor(url);
  const out: KubernetesSource[] = [];
  for (let i = 0; i < n; i++) {
    out.push(
      new KubernetesSource({
        kubeConfig: kc,
        nodeName: `node-${String(i).padStart(5, '0')}`,
        backoff: () => new CountingBackoff(1000),
        ...options,
      }),
    );
  }
  // a DaemonSet rollout starts them within seconds of each other: in waves of 50
  for (let i = 0; i < n; i += 50) await Promise.all(out.slice(i, i + 50).map((s) => s.start()));
  return out;
}

async function restart(): Promise<void> {
  console.log(`\n2. API server restart under ${AGENTS} agents (${AGENTS} Nodes, ${3 * AGENTS} watches, one process)`);
  const w = [44, 10, 10, 12, 12, 14];
  console.log(row(['', 'requests', 'lists', 'etcd reads', 'served', 'all synced'], w));
  for (const [mode, label] of [
    ['cache', 'relist from the watch cache (now)'],
    ['quorum', 'before: relist from etcd (quorum read)'],
  ] as const) {
    const server = await cluster(AGENTS);
    const sources = await agents(
      AGENTS,
      server.url,
      mode === 'cache' ? {} : { relistFrom: 'quorum', relistDelayMs: 0, watchTimeoutJitter: false },
    );
    await until(() => server.watchCount() === 3 * AGENTS, 'every watch open');
    churn(server); // the cluster moved on while the agents watched quietly
    const load0 = { ...server.load };
    const listed0 = sources.map((s) => Object.values(s.reflectors).reduce((k, r) => k + r.stats.lists, 0));
    const t0 = performance.now();
    server.restart();
    await until(
      () =>
        server.watchCount() === 3 * AGENTS &&
        sources.every((s, i) => Object.values(s.reflectors).reduce((k, r) => k + r.stats.lists, 0) === listed0[i]! + 3),
      'every agent relisted and watching',
    );
    const ms = performance.now() - t0;
    const d = (k: keyof typeof server.load) => server.load[k] - load0[k];
    const etcdBytes = `${d('quorumLists')} (${mb(d('quorumBytes'))} MB)`;
    console.log(
      row(
        [
          label,
          d('requests'),
          d('quorumLists') + d('cacheLists'),
          etcdBytes,
          `${mb(d('bytes'))} MB`,
          `${(ms / 1000).toFixed(2)} s`,
        ],
        w,
      ),
    );
    for (const s of sources) s.stop();
    await server.close();
  }
}

async function watchHour(): Promise<void> {
  console.log(`\n3. one simulated hour of ${AGENTS} agents' watches (fake clock; a quiet cluster)`);
  const w = [44, 18, 16, 18];
  console.log(row(['', 'req/agent/hour', 'watch reopens', 'peak reopens/s'], w));
  for (const [jitter, label] of [
    [true, 'timeouts drawn in 5–10 min (now)'],
    [false, 'before: every watch 300 s'],
  ] as const) {
    const clock = new FakeClock();
    const server = await cluster(AGENTS, clock, smallNode); // the objects' size does not change the watch count
    const sources = await agents(AGENTS, server.url, { clock, watchTimeoutJitter: jitter });
    await until(() => server.watchCount() === 3 * AGENTS, 'every watch open');
    const req0 = server.load.requests;
    const watches0 = server.load.watches;
    let peak = 0;
    for (let s = 0; s < 3600; s++) {
      const before = server.load.watches;
      clock.advance(1000);
      if (server.watchCount() < 3 * AGENTS) {
        await until(() => server.watchCount() === 3 * AGENTS, 'watches back');
      }
      peak = Math.max(peak, server.load.watches - before);
    }
    const perAgent = (server.load.requests - req0) / AGENTS;
    console.log(row([label, perAgent.toFixed(1), server.load.watches - watches0, peak], w));
    for (const src of sources) src.stop();
    await server.close();
  }
}

function meshSessions(node: number, t: number): SessionStatus[] {
  return Array.from({ length: MESH }, (_, j) => j)
    .filter((j) => j !== node)
    .map((j) => ({
      address: `172.${16 + (j >> 16)}.${(j >> 8) & 255}.${j & 255}`,
      asn: 64512,
      state: 'Established',
      uptimeSeconds: 86_400 + t / 1000,
      lastError: null,
      prefixesReceived: 1,
      prefixesAccepted: 1,
      prefixesAdvertised: 1,
    }));
}

async function statusWrites(): Promise<void> {
  const minutes = 10;
  console.log(
    `\n4. GannetNodeStatus writes in a ${MESH}-node mesh (${MESH_WRITERS} of its writers, ${minutes} simulated minutes, status offered every 5 s)`,
  );
  const w = [44, 18, 14, 16];
  console.log(row(['', 'writes/node/min', 'bytes/write', 'flapping node'], w));
  for (const [label, opts] of [
    ['apply on change, 5-min heartbeat, bounded', {}],
    ['before: 1-min heartbeat, 5 s, all sessions', { heartbeatMs: 60_000, minIntervalMs: 5000, maxSessions: Infinity }],
  ] as const) {
    const clock = new FakeClock();
    const server = await cluster(0, clock);
    const kc = kubeConfigFor(server.url);
    const writers = Array.from(
      { length: MESH_WRITERS },
      (_, i) => new NodeStatusWriter({ kubeConfig: kc, nodeName: `node-${i}`, clock, ...opts }),
    );
    const report = (i: number, flap: boolean) => {
      const sessions = meshSessions(i, clock.now());
      if (flap && Math.floor(clock.now() / 7000) % 2 === 1) sessions[0]!.state = 'Active';
      return { sessions, advertisedPrefixes: ['10.64.0.0/24'], asn: 64512, routerId: '172.16.0.1' };
    };
    let writes = 0;
    for (const wr of writers) wr.on('written', () => writes++);
    const idle = () => writers.every((x) => (x as unknown as { inFlight?: unknown }).inFlight === undefined);
    const run = async (flap: boolean) => {
      for (let t = 0; t < (minutes * 60) / 5; t++) {
        writers.forEach((wr, i) => {
          wr.update(report(i, flap && i === 0));
        });
        clock.advance(5000);
        await new Promise((r) => setImmediate(r));
        await until(idle, 'writes');
      }
    };
    const bytes0 = server.load.bytes;
    await run(false);
    const steady = writes;
    const perWrite = (server.load.bytes - bytes0) / Math.max(1, steady);
    const flapping0 = writers[0]!.stats.writes;
    await run(true);
    const flapping = writers[0]!.stats.writes - flapping0;
    console.log(
      row(
        [
          label,
          (steady / MESH_WRITERS / minutes).toFixed(2),
          `${(perWrite / 1024).toFixed(1)} KB`,
          `${(flapping / minutes).toFixed(1)}/min`,
        ],
        w,
      ),
    );
    for (const wr of writers) wr.stop();
    await server.close();
  }
}

const childArg = process.argv.find((a) => a.startsWith('--first-sync='));
if (childArg) {
  await firstSyncChild(childArg.split('=')[1]!);
} else {
  const only = process.env.K8S_BENCH_PART;
  if (!only || only === '1') firstSync();
  if (!only || only === '2') await restart();
  if (!only || only === '3') await watchHour();
  if (!only || only === '4') await statusWrites();
  process.exit(0);
}
