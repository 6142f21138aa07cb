// The route-reflector lab (`gannet lab up --topology rr`): four nodes, two of them Gannet route reflectors, no router.
// Every pod reaches every other pod; each node's kernel route to another node's pod CIDR goes straight to that node
// (the reflectors leave the next hop alone); with one reflector's agent killed, routes and pings survive through the
// other.
import assert from 'node:assert/strict';
import { gannetRoutes, TestLab } from '../src/lab-fixture.js';
import { describeLost, pingBurst } from '../src/lab-pinger.js';
import { waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

describe('lab e2e: 4 nodes behind two Gannet route reflectors (--topology rr)', function () {
  this.timeout(120_000);
  let t: TestLab;

  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 4, router: 'none', podsPerNode: 1, topology: 'rr', routeReflectors: 2 });
    await t.up(90_000);
  });
  after(async () => {
    await t?.destroy();
  });

  it('reflectors peer with every node, clients with the reflectors only; all Established', async () => {
    for (const node of t.plan.nodes) {
      assert.equal(node.peers.length, node.routeReflector ? 3 : 2, node.name);
      assert.deepEqual(
        await t.peerStates(node.name),
        node.peers.map(() => 'Established'),
        node.name,
      );
    }
  });

  it("installs in each node each other node's pod CIDR via that node (next hop unchanged by the reflectors)", () => {
    for (const node of t.plan.nodes) {
      const want = [
        `blackhole ${node.podCIDR}`,
        ...t.plan.nodes.filter((o) => o !== node).map((o) => `${o.podCIDR} via ${o.address} dev eth0`),
      ].sort();
      assert.deepEqual(gannetRoutes(node.ns), want, node.name);
    }
  });

  it('delivers a ping burst between every pair of pods on different nodes, without loss', () => {
    const pods = t.lab.state.pods;
    for (const a of pods) {
      for (const b of pods.filter((p) => p.node !== a.node)) {
        const s = pingBurst(a.ns, b.ip, 10);
        assert.deepEqual(s.lost, [], `${a.id} → ${b.id} (${b.ip}): ${describeLost(s.lost)}`);
      }
    }
  });

  it('one reflector down: the clients keep every route through the other one', async () => {
    const rr1 = t.node('node1');
    await t.lab.stopAgent(rr1, 'SIGKILL');
    // node3 and node4 lose their session to node1 (hold time 9 s at most) but keep node4's/node3's routes via node2.
    await waitFor('node3 sees node1 down', async () => (await t.peerStates('node3'))[0] !== 'Established', {
      timeoutMs: 20_000,
    });
    const n3 = t.node('node3');
    const n4 = t.node('node4');
    assert.ok(gannetRoutes(n3.ns).includes(`${n4.podCIDR} via ${n4.address} dev eth0`), gannetRoutes(n3.ns).join('; '));
    const p3 = t.pods('node3')[0]!;
    const p4 = t.pods('node4')[0]!;
    const s = pingBurst(p3.ns, p4.ip, 10);
    assert.deepEqual(s.lost, [], describeLost(s.lost));
  });
});
