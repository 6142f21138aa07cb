// Faults in a running lab (FRR ToR, 3 nodes, 2 pods each), in order: a node's link to the router cut and restored,
// a pod deleted, a node removed for good; then the link cut again with BIRD as the router. Every wait is bounded.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { IpamStore, ipamUsage } from '@gannet/cni';
import { gannetRoutes, ipIn, monitorRoutes, routerPodRoutes, routesTo, TestLab } from '../src/lab-fixture.js';
import { describeLost, pingBurst } from '../src/lab-pinger.js';
import { waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

/** The lab's hold time (topology.ts writes holdTime: 9 for every peer; the router uses timers 3 9). */
const HOLD_S = 9;

/** Cuts node1's link in the router namespace; its prefix must go everywhere after the hold time, then come back. */
async function cutAndRestore(t: TestLab): Promise<void> {
  const cut = t.node('node1');
  const others = t.plan.nodes.filter((n) => n !== cut);
  const router = t.plan.router!;
  const monitor = await monitorRoutes(others[0]!.ns);
  const t0 = Date.now();
  ipIn(router.ns, 'link', 'set', cut.segmentIf, 'down');
  let events: string[] = [];
  try {
    await waitFor(
      `${cut.podCIDR} to be withdrawn from ${others.map((n) => n.name).join(' and ')}`,
      () => others.every((n) => routesTo(n.ns, cut.podCIDR).length === 0),
      { timeoutMs: (HOLD_S + 15) * 1000, intervalMs: 100 },
    );
    const elapsed = Date.now() - t0;
    // Nothing notices a silent link but the hold timer: keepalives every 3 s, so it expires 6–9 s after the cut.
    assert.ok(elapsed >= (HOLD_S - 3 - 1) * 1000, `withdrawn after only ${elapsed} ms: before the hold timer`);
    await waitFor(
      `the router to drop ${cut.podCIDR}`,
      () => !routerPodRoutes(t.plan).some((l) => l.startsWith(`${cut.podCIDR} `)),
      {
        timeoutMs: 10_000,
      },
    );
    // The cut node lost its session too and withdrew what it had learned; its own blackhole stays.
    await waitFor(`${cut.name} to drop the routes it learned`, () => gannetRoutes(cut.ns).length === 1, {
      timeoutMs: 10_000,
    });
    assert.deepEqual(gannetRoutes(cut.ns), [`blackhole ${cut.podCIDR}`]);
    assert.notDeepEqual(await t.peerStates(cut.name), ['Established']);
    for (const n of others) {
      assert.deepEqual(
        gannetRoutes(n.ns),
        [
          `blackhole ${n.podCIDR}`,
          ...others.filter((o) => o !== n).map((o) => `${o.podCIDR} via ${o.address} dev eth0`),
        ].sort(),
        `${n.name} keeps the other prefixes`,
      );
    }
  } finally {
    ipIn(router.ns, 'link', 'set', cut.segmentIf, 'up');
    events = await monitor.stop();
  }
  assert.ok(
    events.some((l) => l.startsWith(`Deleted ${cut.podCIDR} via ${cut.address}`)),
    `the kernel of ${others[0]!.name} saw the withdrawal: ${events.join(' | ')}`,
  );
  // The session comes back by itself (the agent reconnects) and the prefix is learned again everywhere.
  await waitFor(
    `${cut.podCIDR} to be back in ${others.map((n) => n.name).join(' and ')}`,
    () => others.every((n) => routesTo(n.ns, cut.podCIDR).length === 1),
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  await t.waitConverged(30_000);
}

describe('lab e2e: faults (FRR router, 3 nodes, 2 pods per node)', function () {
  this.timeout(120_000);
  let t: TestLab;

  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 3, router: 'frr', podsPerNode: 2 });
    await t.up();
  });
  after(async () => {
    await t?.destroy();
  });

  it('router session cut: the node prefix is withdrawn everywhere after the hold time, and comes back', async () => {
    await cutAndRestore(t);
  });

  it("pod deleted: its address is free again in the node's IPAM store and its host route is gone", async () => {
    const node = t.node('node1');
    const [keep, gone] = t.pods(node.name);
    assert.ok(keep && gone, 'two pods on node1');
    const store = { dataDir: join(t.lab.nodeDir(node), 'ipam'), network: 'gannet', podCIDR: node.podCIDR };
    const before = ipamUsage(store);
    const containerId = `${t.plan.options.name}-${gone.id}`;
    assert.ok(
      new IpamStore(store.dataDir, store.network).list().some((r) => r.containerId === containerId),
      'the pod holds a reservation',
    );
    assert.equal(routesTo(node.ns, `${gone.ip}/32`).length, 1, 'the pod has a host route');
    const vethsBefore = hostVeths(node.ns);

    await t.lab.deletePod(gone.id);

    const after = ipamUsage(store);
    assert.deepEqual(after, { used: before.used - 1, free: before.free + 1, total: before.total });
    assert.equal(
      new IpamStore(store.dataDir, store.network).list().some((r) => r.containerId === containerId),
      false,
      'its reservation is released',
    );
    assert.deepEqual(routesTo(node.ns, `${gone.ip}/32`), [], 'its host route is gone');
    assert.equal(hostVeths(node.ns), vethsBefore - 1, 'its host-side veth is gone');
    assert.equal(
      t.lab.state.pods.some((p) => p.id === gone.id),
      false,
    );
    assert.equal(
      execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
        .split('\n')
        .some((l) => l.split(' ')[0] === gone.ns),
      false,
      'its namespace is gone',
    );
    // The other pod of the node is untouched, and a new pod on that node is wired and reachable.
    const other = t.pods('node2')[0]!;
    assert.deepEqual(pingBurst(keep.ns, other.ip, 10).lost, []);
    const ip = await t.lab.addPod(node, 'node1-pod3', `${t.plan.prefix}node1-pod3`);
    assert.ok(ip.startsWith('10.244.1.'), ip);
    assert.ok(!t.lab.state.pods.some((p) => p.ip === ip && p.id !== 'node1-pod3'), `${ip} is not in use elsewhere`);
    const s = pingBurst(other.ns, ip, 10);
    assert.deepEqual(s.lost, [], `node2 → the new pod: ${describeLost(s.lost)}`);
  });

  it('node removed: its prefix disappears from every other node and from the router after the hold time', async () => {
    const gone = t.node('node3');
    const rest = t.plan.nodes.filter((n) => n !== gone);
    // A node that dies takes its link with it: no FIN reaches the router. (Killing the agent with the link up lets
    // the kernel close its TCP session cleanly; the router then keeps the prefix for the graceful-restart time, as
    // it should for a restart: see lab-restart.test.ts.)
    ipIn(t.plan.router!.ns, 'link', 'del', gone.segmentIf);
    await t.lab.stopAgent(gone, 'SIGKILL');
    await waitFor(
      `${gone.podCIDR} to disappear from ${rest.map((n) => n.name).join(', ')} and the router`,
      () =>
        rest.every((n) => routesTo(n.ns, gone.podCIDR).length === 0) &&
        !routerPodRoutes(t.plan).some((l) => l.startsWith(`${gone.podCIDR} `)),
      { timeoutMs: (HOLD_S + 15) * 1000, intervalMs: 200 },
    );
    for (const n of rest) {
      assert.deepEqual(
        gannetRoutes(n.ns),
        [
          `blackhole ${n.podCIDR}`,
          ...rest.filter((o) => o !== n).map((o) => `${o.podCIDR} via ${o.address} dev eth0`),
        ].sort(),
        n.name,
      );
    }
    assert.deepEqual(
      routerPodRoutes(t.plan).map((l) => l.replace(/ proto \S+ metric \d+$/, '')),
      rest.map((n) => `${n.podCIDR} via ${n.address} dev br0`).sort(),
    );
    // The remaining nodes' pods still reach each other.
    const pods = t.lab.state.pods.filter((p) => p.node !== gone.name);
    for (const a of pods)
      for (const b of pods.filter((x) => x.node !== a.node)) {
        const s = pingBurst(a.ns, b.ip, 5);
        assert.deepEqual(s.lost, [], `${a.id} → ${b.id}: ${describeLost(s.lost)}`);
      }
  });
});

/** Host-side pod veths in a node (gannet-cni names them gnt…). */
function hostVeths(ns: string): number {
  return ipIn(ns, '-o', 'link', 'show', 'type', 'veth')
    .split('\n')
    .filter((l) => /^\d+: gnt/.test(l)).length;
}

describe('lab e2e: router session cut with BIRD (3 nodes, 1 pod per node)', function () {
  this.timeout(120_000);
  let t: TestLab;

  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 3, router: 'bird', podsPerNode: 1 });
    await t.up();
  });
  after(async () => {
    await t?.destroy();
  });

  it('withdraws the node prefix everywhere after the hold time, and restores it when the link comes back', async () => {
    await cutAndRestore(t);
  });
});
