// Agent restarts under traffic: with FRR and with BIRD as the ToR, and in the router-less iBGP mesh. Pods ping each
// other every 10 ms through the node whose agent is killed (SIGKILL: a crash) or stopped (SIGTERM: an upgrade), kept
// down a while, then started again. No packet may be lost: the kernel routes stay while the agent is away (it never
// flushes them), the router (in the mesh: every other agent) keeps our routes as a graceful-restart helper, and the
// new agent adopts the routes it finds and converges to the same set.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { LabOptions } from '@gannet/controller';
import { gannetRoutes, monitorRoutes, routerPodRoutes, TestLab } from '../src/lab-fixture.js';
import { describeLost, type Pinger, type PingStats, startPinger } from '../src/lab-pinger.js';
import { sleep, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

/** Everything the restart must not change: each node's routes of ours and the router's routes to the pods. */
function snapshot(t: TestLab): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of t.plan.nodes) out[n.name] = gannetRoutes(n.ns);
  if (t.plan.router) out.router = routerPodRoutes(t.plan);
  return out;
}

/** Running (a zombie not yet reaped by us, its parent, counts as gone). */
function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function restartUnderTraffic(t: TestLab, nodeName: string, signal: NodeJS.Signals): Promise<void> {
  const node = t.node(nodeName);
  const [a, b] = t.plan.nodes.filter((n) => n !== node);
  const mine = t.pods(nodeName)[0]!;
  const podA = t.pods(a!.name)[0]!;
  const podB = t.pods(b!.name)[0]!;
  const before = snapshot(t);
  assert.equal(before[nodeName]?.length, t.plan.nodes.length, 'the lab is converged before the restart');

  // Out of the restarting node, and into it from another node.
  const flows: { what: string; pinger: Pinger }[] = [
    { what: `${mine.id} → ${podA.id}`, pinger: startPinger(mine.ns, podA.ip) },
    { what: `${podB.id} → ${mine.id}`, pinger: startPinger(podB.ns, mine.ip) },
  ];
  const results: { what: string; stats: PingStats }[] = [];
  const monitors = await Promise.all(t.plan.nodes.map(async (n) => ({ node: n.name, m: await monitorRoutes(n.ns) })));
  const events: { node: string; lines: string[] }[] = [];
  try {
    await sleep(500);
    const oldPid = t.lab.agentPid(node);
    await t.lab.stopAgent(node, signal);
    assert.equal(alive(oldPid), false, `the agent (pid ${oldPid}) is gone after ${signal}`);
    // Away for a while, longer than a keepalive interval: nothing is withdrawn anywhere.
    await sleep(3000);
    assert.deepEqual(snapshot(t), before, `routes while the agent of ${nodeName} is down after ${signal}`);

    const newPid = t.lab.startAgent(node);
    assert.notEqual(newPid, oldPid);
    await waitFor(
      `the restarted agent of ${nodeName} to be Established again`,
      async () => (await t.peerStates(nodeName)).every((s) => s === 'Established'),
      { timeoutMs: 40_000, intervalMs: 300 },
    );
    await waitFor('the routes to be the same as before the restart', () => sameRoutes(snapshot(t), before), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    // Traffic keeps flowing after the restarted agent took over (and after the router's End-of-RIB).
    await sleep(1500);
    assert.deepEqual(snapshot(t), before, 'routes after the restart');
  } finally {
    for (const f of flows) results.push({ what: f.what, stats: await f.pinger.stop() });
    for (const { node, m } of monitors) events.push({ node, lines: await m.stop() });
  }
  // Not one of our routes was deleted or changed in any node's kernel, not even for a millisecond.
  for (const { node, lines } of events) {
    const ours = lines.filter((l) => l.includes('proto gannet') && !/^10\.244\.\d+\.\d+ dev /.test(l));
    assert.deepEqual(ours, [], `route events in ${node} during the restart`);
  }
  for (const { what, stats } of results) {
    assert.ok(stats.transmitted >= 200, `${what}: only ${stats.transmitted} pings sent`);
    assert.equal(stats.duplicates, 0, `${what}: duplicates`);
    assert.deepEqual(stats.lost, [], `${what}: ${describeLost(stats.lost)} of ${stats.transmitted}`);
  }
}

function sameRoutes(a: Record<string, string[]>, b: Record<string, string[]>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

for (const router of ['frr', 'bird', 'none'] as LabOptions['router'][]) {
  describe(`lab e2e: agent restarts under 10 ms pings, ${router === 'none' ? 'iBGP full mesh (the other agents are the helpers)' : `${router.toUpperCase()} router`}`, function () {
    this.timeout(90_000);
    let t: TestLab;

    before(async function () {
      requireRoot(this);
      t = new TestLab({ nodes: 3, router, podsPerNode: 1 });
      await t.up();
    });
    after(async () => {
      await t?.destroy();
    });

    it('loses no packet when the agent is killed (SIGKILL) and restarted', async () => {
      await restartUnderTraffic(t, 'node1', 'SIGKILL');
    });

    it('loses no packet when the agent is stopped (SIGTERM) and restarted', async () => {
      await restartUnderTraffic(t, 'node2', 'SIGTERM');
    });

    it('is fully converged afterwards: every pod answers every other pod', async () => {
      await t.waitConverged(20_000);
    });
  });
}
