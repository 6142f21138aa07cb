// The lab's multi-path topologies on real FRR and BIRD: dual-homed nodes and a leaf-spine fabric come up with every
// pod reaching every other, hold two next hops per remote prefix (the nodes of a dual-homed lab, the leaves of a
// fabric), keep pods talking through a cut uplink and a dead spine (loss only within the detection time), get both
// next hops back when healed, and lose nothing while an agent restarts. Small labs, hold time 3 s; bounded waits.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import {
  cutLink,
  type FaultReport,
  fabricSessionsUp,
  findLink,
  healLink,
  killMember,
  measureFault,
  pingAll,
  renderFaultReport,
  restartMember,
  saveBaseline,
} from '@gannet/controller';
import { ipIn, TestLab } from '../src/lab-fixture.js';
import { waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const HOLD_S = 3;

/** Next hops the kernel of `ns` holds for `prefix` (one line per hop of a multipath route, or the single via). */
function nexthops(ns: string, prefix: string): string[] {
  const out = ipIn(ns, 'route', 'show', prefix);
  const hops = [...out.matchAll(/via (\S+) dev (\S+)/g)].map((m) => `${m[1]} ${m[2]}`);
  return hops.sort();
}

/** lab down removes exactly what up made: no namespace of the lab is left, nor any of its processes. */
async function destroyAll(t: TestLab | undefined): Promise<void> {
  if (!t) return;
  const pids = t.lab.state.processes.map((p) => p.pid);
  await t.destroy();
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.startsWith(t.plan.prefix));
  assert.deepEqual(left, [], 'no namespace of the lab left');
  const alive = pids.filter((pid) => {
    try {
      return !/^[^ ]+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, [], 'no process of the lab left');
}

async function allPingsOk(t: TestLab): Promise<void> {
  const failed = (await pingAll(t.lab)).filter((r) => !r.ok);
  assert.deepEqual(failed, [], 'every pod reaches every other pod');
}

/** Pairs whose ends are on neither of `nodes`. */
const untouched = (r: FaultReport, nodes: string[]) =>
  r.pairs.filter((p) => !nodes.some((n) => p.from.startsWith(`${n}-`) || p.to.startsWith(`${n}-`)));

function assertNothingLost(r: FaultReport): void {
  assert.equal(r.lost, 0, renderFaultReport(r));
  assert.ok(r.sent > 100, `pings were sent: ${renderFaultReport(r)}`);
}

async function fabricUp(t: TestLab): Promise<void> {
  await t.up(90_000);
  await waitFor(
    'every leaf–spine session',
    async () => {
      const f = await fabricSessionsUp(t.lab.dir, t.plan.routers);
      return f.up === f.total;
    },
    { timeoutMs: 30_000, intervalMs: 200 },
  );
}

for (const router of ['frr', 'bird'] as const) {
  describe(`lab e2e: dual-homed nodes (${router.toUpperCase()}, 3 nodes, 1 pod each, hold ${HOLD_S} s)`, function () {
    this.timeout(180_000);
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      t = new TestLab({ nodes: 3, router, podsPerNode: 1, topology: 'dual-homed', holdTime: HOLD_S });
      await t.up(90_000);
    });
    after(async () => {
      await destroyAll(t);
    });

    it('every node holds two next hops per remote pod CIDR, one through each segment', async () => {
      for (const n of t.plan.nodes) {
        for (const o of t.plan.nodes.filter((x) => x !== n)) {
          await waitFor(`${n.name}: two next hops to ${o.podCIDR}`, () => nexthops(n.ns, o.podCIDR).length === 2, {
            timeoutMs: 15_000,
            intervalMs: 100,
          });
          assert.deepEqual(nexthops(n.ns, o.podCIDR), [`172.30.0.${o.index} eth0`, `172.31.0.${o.index} eth1`]);
        }
      }
      await saveBaseline(t.lab);
    });

    if (router === 'bird') return; // the faults below on FRR; BIRD's up and ECMP above

    it('an uplink cut: pods keep reaching each other, loss only within the detection time, pairs elsewhere lose nothing', async () => {
      const link = findLink(t.plan, 'node1-router2');
      const r = await measureFault(t.lab, 'cut node1-router2', () => cutLink(link), {
        repairs: false,
        watchMs: (HOLD_S + 3) * 1000,
      });
      assert.ok(r.longestBlackholeMs <= (HOLD_S + 2) * 1000, `within detection: ${renderFaultReport(r)}`);
      assert.ok(r.trafficRestoredAfterMs <= (HOLD_S + 2) * 1000, renderFaultReport(r));
      assert.deepEqual(
        untouched(r, ['node1']).filter((p) => p.lost > 0),
        [],
        'node2 ↔ node3 unaffected',
      );
      await allPingsOk(t);
      assert.deepEqual(nexthops(t.node('node2').ns, '10.244.1.0/24'), ['172.30.0.1 eth0'], 'node1 now only via A');
    });

    it('healed: both next hops back, every route as before, nothing lost', async () => {
      const link = findLink(t.plan, 'node1-router2');
      const r = await measureFault(t.lab, 'heal node1-router2', () => healLink(link), { repairs: true });
      assert.notEqual(r.routesBackAfterMs, undefined, renderFaultReport(r));
      assertNothingLost(r);
      assert.deepEqual(nexthops(t.node('node2').ns, '10.244.1.0/24'), ['172.30.0.1 eth0', '172.31.0.1 eth1']);
    });

    it('a silent uplink cut (carrier up, packets dropped): found by the hold timer, then one next hop; healed: two', async () => {
      const link = findLink(t.plan, 'node1-router2');
      const r = await measureFault(t.lab, 'cut node1-router2 (silent)', () => cutLink(link, true), {
        repairs: false,
        watchMs: (HOLD_S + 3) * 1000,
      });
      assert.ok(r.longestBlackholeMs <= (HOLD_S + 2) * 1000, `within the hold time: ${renderFaultReport(r)}`);
      assert.ok(
        (r.routesSettledAfterMs ?? 0) >= (HOLD_S - 1 - 1) * 1000,
        `not before the hold timer: ${renderFaultReport(r)}`,
      );
      assert.deepEqual(nexthops(t.node('node2').ns, '10.244.1.0/24'), ['172.30.0.1 eth0']);
      await allPingsOk(t);
      const h = await measureFault(t.lab, 'heal node1-router2', () => healLink(link), { repairs: true });
      assert.notEqual(h.routesBackAfterMs, undefined, renderFaultReport(h));
      assert.deepEqual(nexthops(t.node('node2').ns, '10.244.1.0/24'), ['172.30.0.1 eth0', '172.31.0.1 eth1']);
    });

    it('an agent restarted (SIGTERM) under ping loses nothing', async () => {
      const r = await measureFault(t.lab, 'restart node2', () => restartMember(t.lab, 'node2', true), {
        repairs: true,
      });
      assertNothingLost(r);
      assert.notEqual(r.routesBackAfterMs, undefined, renderFaultReport(r));
    });
  });

  describe(`lab e2e: leaf-spine (${router.toUpperCase()}, 2 racks × 1 node × 2 spines, hold ${HOLD_S} s)`, function () {
    this.timeout(180_000);
    let t: TestLab;
    before(async function () {
      requireRoot(this);
      t = new TestLab({
        nodes: 0,
        router,
        podsPerNode: 1,
        topology: 'leaf-spine',
        racks: 2,
        nodesPerRack: 1,
        spines: 2,
        holdTime: HOLD_S,
      });
      await fabricUp(t);
    });
    after(async () => {
      await destroyAll(t);
    });

    const leaf = (r: number) => t.plan.routers.find((x) => x.name === `leaf${r}`)!;

    it('every leaf holds one next hop per spine for the other rack’s pod CIDR', async () => {
      for (const [r, other] of [
        [1, '10.244.2.0/24'],
        [2, '10.244.1.0/24'],
      ] as const) {
        await waitFor(`leaf${r}: two next hops to ${other}`, () => nexthops(leaf(r).ns, other).length === 2, {
          timeoutMs: 20_000,
          intervalMs: 100,
        });
        assert.deepEqual(nexthops(leaf(r).ns, other), [`172.31.${r}.0 s1`, `172.31.${r}.2 s2`]);
      }
      // a node's one next hop is its leaf
      assert.deepEqual(nexthops(t.node('node1').ns, '10.244.2.0/24'), ['172.30.1.254 eth0']);
      await saveBaseline(t.lab);
    });

    if (router === 'bird') return;

    it('a spine killed: traffic moves to the other spine (loss only within detection), leaves keep one next hop', async () => {
      const r = await measureFault(t.lab, 'kill spine1', () => killMember(t.lab, 'spine1'), {
        repairs: false,
        watchMs: (HOLD_S + 2) * 1000,
      });
      assert.ok(r.longestBlackholeMs <= (HOLD_S + 2) * 1000, renderFaultReport(r));
      await allPingsOk(t);
      assert.deepEqual(nexthops(leaf(1).ns, '10.244.2.0/24'), ['172.31.1.2 s2']);
      assert.deepEqual(nexthops(leaf(2).ns, '10.244.1.0/24'), ['172.31.2.2 s2']);
    });

    it('the spine restarted: both next hops back on every leaf', async () => {
      const r = await measureFault(t.lab, 'restart spine1', () => restartMember(t.lab, 'spine1', false), {
        repairs: true,
      });
      assert.notEqual(r.routesBackAfterMs, undefined, renderFaultReport(r));
      assertNothingLost(r);
      assert.deepEqual(nexthops(leaf(1).ns, '10.244.2.0/24'), ['172.31.1.0 s1', '172.31.1.2 s2']);
    });

    it('an agent restarted (SIGTERM) under ping loses nothing', async () => {
      const r = await measureFault(t.lab, 'restart node1', () => restartMember(t.lab, 'node1', true), {
        repairs: true,
      });
      assertNothingLost(r);
    });
  });
}

describe('lab e2e: dual-homed with BFD (FRR, 2 nodes, 1 pod each, hold 9 s, BFD 100 ms × 3)', function () {
  this.timeout(120_000);
  let t: TestLab;
  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 1, topology: 'dual-homed', bfd: true });
    await t.up(90_000);
    await waitFor('two next hops on node2', () => nexthops(t.node('node2').ns, '10.244.1.0/24').length === 2, {
      timeoutMs: 15_000,
    });
    await saveBaseline(t.lab);
  });
  after(async () => {
    await destroyAll(t);
  });

  it('a silent uplink cut is found by BFD within a second, long before the 9 s hold time; healed, both next hops', async () => {
    const link = findLink(t.plan, 'node1-router2');
    const r = await measureFault(t.lab, 'cut node1-router2 (silent)', () => cutLink(link, true), {
      repairs: false,
      watchMs: 3000,
    });
    assert.ok(r.longestBlackholeMs <= 1500, `within BFD's detection: ${renderFaultReport(r)}`);
    assert.deepEqual(nexthops(t.node('node2').ns, '10.244.1.0/24'), ['172.30.0.1 eth0'], 'withdrawn within 3 s');
    const h = await measureFault(t.lab, 'heal node1-router2', () => healLink(link), { repairs: true });
    assert.notEqual(h.routesBackAfterMs, undefined, renderFaultReport(h));
    assert.deepEqual(nexthops(t.node('node2').ns, '10.244.1.0/24'), ['172.30.0.1 eth0', '172.31.0.1 eth1']);
  });
});
