// The route-reflector lab plan (`gannet lab up --topology rr --route-reflectors R`): who peers with whom, and the
// agent configs it writes (parsed back by the config loader, as the agents will).
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load-config.js';
import { nodeConfigYaml, planLab } from '../src/lab/topology.js';
import { resolvePeer } from '../src/policy.js';

describe('controller: route-reflector lab plan', () => {
  const plan = planLab({ name: 'lab', nodes: 5, router: 'frr', podsPerNode: 1, topology: 'rr', routeReflectors: 2 });

  it('no router, one segment; the first R nodes reflect for the others, every session at both ends', () => {
    assert.equal(plan.routers.length, 0);
    assert.equal(plan.router, undefined);
    assert.equal(plan.topology, 'rr');
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.asn, n.routeReflector]),
      [
        ['node1', 64512, true],
        ['node2', 64512, true],
        ['node3', 64512, false],
        ['node4', 64512, false],
        ['node5', 64512, false],
      ],
    );
    const n1 = plan.nodes[0]!;
    assert.deepEqual(
      n1.peers.map((p) => [p.address, p.routeReflectorClient ?? false]),
      [
        ['172.30.0.2', false],
        ['172.30.0.3', true],
        ['172.30.0.4', true],
        ['172.30.0.5', true],
      ],
    );
    assert.deepEqual(
      plan.nodes[2]!.peers.map((p) => [p.address, p.routeReflectorClient ?? false]),
      [
        ['172.30.0.1', false],
        ['172.30.0.2', false],
      ],
    );
    // Every session is configured at both ends.
    for (const n of plan.nodes) {
      for (const p of n.peers) {
        const other = plan.nodes.find((o) => o.address === p.address)!;
        assert.ok(
          other.peers.some((q) => q.address === n.address),
          `${other.name} peers back with ${n.name}`,
        );
      }
    }
    // 2 reflectors × 3 clients + the reflectors' own session, against 10 for a full mesh of 5.
    assert.equal(plan.nodes.reduce((s, n) => s + n.peers.length, 0) / 2, 7);
  });

  it('writes agent configs the loader accepts: the reflector with routeReflector and client flags', () => {
    const rr = parseConfig(nodeConfigYaml(plan, plan.nodes[0]!, '/tmp/x'));
    assert.deepEqual(rr.routeReflector, { clusterId: '10.255.0.1' });
    assert.deepEqual(
      rr.peers.map((p) => p.routeReflectorClient ?? false),
      [false, true, true, true],
    );
    assert.equal(resolvePeer(rr, rr.peers[1]!).routeReflectorClient, true);
    const client = parseConfig(nodeConfigYaml(plan, plan.nodes[3]!, '/tmp/x'));
    assert.equal(client.routeReflector, undefined);
    assert.deepEqual(
      client.peers.map((p) => p.address),
      ['172.30.0.1', '172.30.0.2'],
    );
  });

  it('refuses a reflector count outside 1..nodes; defaults to 2', () => {
    const opts = { name: 'lab', nodes: 3, router: 'none' as const, podsPerNode: 0, topology: 'rr' as const };
    assert.throws(() => planLab({ ...opts, routeReflectors: 0 }), /--route-reflectors must be 1\.\.3/);
    assert.throws(() => planLab({ ...opts, routeReflectors: 4 }), /--route-reflectors must be 1\.\.3/);
    assert.equal(planLab(opts).nodes.filter((n) => n.routeReflector).length, 2);
  });
});
