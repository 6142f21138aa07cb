// The lab end to end: nodes, a router (FRR or BIRD 2) or none (iBGP full mesh), pods attached through gannet-cni;
// every pod reaches every other pod across nodes over routes the agents learned by BGP, natively (no tunnel).
import assert from 'node:assert/strict';
import type { LabOptions } from '@gannet/controller';
import { gannetRoutes, ipIn, routerPodRoutes, TestLab } from '../src/lab-fixture.js';
import { describeLost, pingBurst } from '../src/lab-pinger.js';
import { requireRoot } from '../src/root.js';

const cases: { router: LabOptions['router']; nodes: number; podsPerNode: number }[] = [
  { router: 'frr', nodes: 3, podsPerNode: 2 },
  { router: 'bird', nodes: 3, podsPerNode: 1 },
  { router: 'none', nodes: 3, podsPerNode: 1 },
];

for (const c of cases) {
  describe(`lab e2e: ${c.nodes} nodes, router ${c.router}, ${c.podsPerNode} pod(s) per node`, function () {
    this.timeout(90_000);
    let t: TestLab;

    before(async function () {
      requireRoot(this);
      t = new TestLab({ nodes: c.nodes, router: c.router, podsPerNode: c.podsPerNode });
      await t.up();
    });
    after(async () => {
      await t?.destroy();
    });

    it('has every configured session Established on every node', async () => {
      for (const node of t.plan.nodes) {
        const states = await t.peerStates(node.name);
        assert.equal(node.peers.length, c.router === 'none' ? c.nodes - 1 : 1);
        assert.deepEqual(
          states,
          node.peers.map(() => 'Established'),
          `${node.name}: ${states.join(',')}`,
        );
      }
    });

    it('delivers a 10 ms ping burst between every pair of pods on different nodes, without loss', () => {
      const pods = t.lab.state.pods;
      assert.equal(pods.length, c.nodes * c.podsPerNode);
      const cross = pods.flatMap((a) => pods.filter((b) => b.node !== a.node).map((b) => ({ a, b })));
      assert.equal(cross.length, pods.length * (pods.length - c.podsPerNode));
      for (const { a, b } of cross) {
        const s = pingBurst(a.ns, b.ip, 10);
        assert.equal(s.transmitted, 10, `${a.id} → ${b.id} (${b.ip}): sent ${s.transmitted}`);
        assert.deepEqual(s.lost, [], `${a.id} → ${b.id} (${b.ip}): ${describeLost(s.lost)}`);
      }
    });

    it("installs in each node exactly a blackhole for its own pod CIDR and each other node's CIDR via that node", () => {
      for (const node of t.plan.nodes) {
        const want = [
          `blackhole ${node.podCIDR}`,
          ...t.plan.nodes.filter((o) => o !== node).map((o) => `${o.podCIDR} via ${o.address} dev eth0`),
        ].sort();
        assert.deepEqual(gannetRoutes(node.ns), want, node.name);
      }
    });

    it('carries pod traffic natively: no tunnel device in any node, pod routes point at the pod veths', () => {
      for (const node of t.plan.nodes) {
        const tunnels = ipIn(node.ns, '-d', 'link', 'show').match(/\b(vxlan|ipip|gre|geneve|wireguard)\b/g) ?? [];
        assert.deepEqual(tunnels, [], `${node.name} has tunnel devices`);
        for (const pod of t.pods(node.name)) {
          const r = ipIn(node.ns, 'route', 'show', 'exact', `${pod.ip}/32`).trim();
          assert.match(
            r,
            new RegExp(`^${pod.ip.replaceAll('.', '\\.')} dev \\S+ scope link`),
            `host route of ${pod.id}`,
          );
        }
      }
    });

    if (c.router !== 'none') {
      it(`has the ${c.router.toUpperCase()} router route every node's pod CIDR to that node`, () => {
        const got = routerPodRoutes(t.plan).map((l) => l.replace(/ proto \S+ metric \d+$/, ''));
        const want = t.plan.nodes.map((n) => `${n.podCIDR} via ${n.address} dev br0`).sort();
        assert.deepEqual(got, want);
      });
    }
  });
}
