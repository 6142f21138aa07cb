import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load-config.js';
import { birdConfig, frrConfig } from '../src/lab/router-config.js';
import { checkLabName, cniConf, isLabNamespace, nodeConfigYaml, planLab } from '../src/lab/topology.js';

describe('controller: lab plan', () => {
  it('plans nodes, a router and pods: eBGP, one ASN per node, addresses on one segment', () => {
    const plan = planLab({ name: 'lab', nodes: 3, router: 'frr', podsPerNode: 2 });
    assert.equal(plan.segmentNs, 'gnt-lab-router');
    assert.deepEqual(plan.router, { kind: 'frr', ns: 'gnt-lab-router', address: '172.30.0.254', asn: 65000 });
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.ns, n.address, n.asn, n.podCIDR, n.peers]),
      [
        ['node1', 'gnt-lab-node1', '172.30.0.1', 65001, '10.244.1.0/24', [{ address: '172.30.0.254', asn: 65000 }]],
        ['node2', 'gnt-lab-node2', '172.30.0.2', 65002, '10.244.2.0/24', [{ address: '172.30.0.254', asn: 65000 }]],
        ['node3', 'gnt-lab-node3', '172.30.0.3', 65003, '10.244.3.0/24', [{ address: '172.30.0.254', asn: 65000 }]],
      ],
    );
    assert.deepEqual(
      plan.nodes[1]!.pods.map((p) => p.ns),
      ['gnt-lab-node2-pod1', 'gnt-lab-node2-pod2'],
    );
  });

  it('without a router: an iBGP full mesh in one AS over a fabric namespace', () => {
    const plan = planLab({ name: 'm', nodes: 3, router: 'none', podsPerNode: 0 });
    assert.equal(plan.router, undefined);
    assert.equal(plan.segmentNs, 'gnt-m-fabric');
    assert.ok(plan.nodes.every((n) => n.asn === 64512));
    assert.deepEqual(
      plan.nodes[0]!.peers.map((p) => p.address),
      ['172.30.0.2', '172.30.0.3'],
    );
  });

  it('writes node configs that the agent accepts', () => {
    const plan = planLab({ name: 'lab', nodes: 2, router: 'bird', podsPerNode: 1 });
    const c = parseConfig(nodeConfigYaml(plan, plan.nodes[1]!, '/run/gannet/lab/lab/node2'));
    assert.equal(c.nodeName, 'node2');
    assert.equal(c.asn, 65002);
    assert.deepEqual(c.podCIDRs, ['10.244.2.0/24']);
    assert.deepEqual(c.clusterCIDRs, ['10.244.0.0/16']);
    assert.equal(c.nodeStateFile, '/run/gannet/lab/lab/node2/node-state.json');
    assert.deepEqual(
      c.peers.map((p) => [p.address, p.asn, p.holdTime]),
      [['172.30.0.254', 65000, 9]],
    );
    const mesh = planLab({ name: 'lab', nodes: 1, router: 'none', podsPerNode: 0 });
    assert.deepEqual(parseConfig(nodeConfigYaml(mesh, mesh.nodes[0]!, '/x')).peers, []);
    assert.deepEqual(JSON.parse(cniConf('/d')), {
      cniVersion: '1.0.0',
      name: 'gannet',
      type: 'gannet-cni',
      dataDir: '/d/ipam',
      nodeStateFile: '/d/node-state.json',
    });
  });

  it('renders FRR and BIRD router configs with one neighbour per node', () => {
    const plan = planLab({ name: 'lab', nodes: 2, router: 'frr', podsPerNode: 0 });
    const frr = frrConfig(plan, '/d');
    assert.match(frr.bgpd, /router bgp 65000\n bgp router-id 172\.30\.0\.254\n no bgp ebgp-requires-policy/);
    assert.match(frr.bgpd, / neighbor 172\.30\.0\.1 remote-as 65001\n/);
    assert.match(frr.bgpd, / neighbor 172\.30\.0\.2 remote-as 65002\n/);
    const bird = birdConfig(plan, '/d');
    assert.match(bird, /protocol bgp node1 from gannet_nodes \{\n {2}neighbor 172\.30\.0\.1 as 65001;/);
    assert.match(bird, /local 172\.30\.0\.254 as 65000;/);
    assert.match(bird, /hold time 9;\n.*\n {2}error wait time 1, 10;/);
    assert.match(bird, /protocol kernel/);
  });

  it('rejects bad options with a clear message', () => {
    assert.throws(() => planLab({ name: 'lab', nodes: 0, router: 'frr', podsPerNode: 1 }), /--nodes must be 1\.\.50/);
    assert.throws(
      () => planLab({ name: 'lab', nodes: 2, router: 'gobgp' as 'frr', podsPerNode: 1 }),
      /--router must be/,
    );
    assert.throws(() => planLab({ name: 'lab', nodes: 2, router: 'frr', podsPerNode: 99 }), /--pods-per-node/);
    assert.throws(() => checkLabName('Lab'), /lower-case/);
    assert.throws(() => checkLabName('averyverylongname'), /1-10/);
    assert.throws(() => checkLabName('t1a2b3c'), /test namespace/);
  });

  it('knows its own namespaces, and no one else’s', () => {
    assert.ok(isLabNamespace('lab', 'gnt-lab-router'));
    assert.ok(isLabNamespace('lab', 'gnt-lab-node12-pod3'));
    assert.ok(isLabNamespace('lab', 'gnt-lab-fabric'));
    assert.ok(!isLabNamespace('lab', 'gnt-lab2-node1'));
    assert.ok(!isLabNamespace('lab', 'gnt-lab-node1-x-y')); // (node1-x is a pod of `lab pod add x`)
    assert.ok(!isLabNamespace('lab', 'gnt-t0a1b2c-x-a'));
    assert.ok(!isLabNamespace('lab', 'other'));
  });
});
