import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load-config.js';
import { longInterfaceNames } from '../src/lab/plan-types.js';
import { birdConfig, frrConfig } from '../src/lab/router-config.js';
import { isLabNamespace, type LabPlan, nodeConfigYaml, planLab } from '../src/lab/topology.js';

const addrOf = (cidr: string | undefined) => cidr?.split('/')[0];

/** Every BGP session in the plan is configured at both ends with matching addresses and ASNs. */
function assertSessionsMatch(plan: LabPlan): void {
  const endpoints = new Map<string, { asn: number; who: string }>();
  for (const n of plan.nodes) {
    for (const l of plan.links.filter((x) => x.a.ns === n.ns))
      endpoints.set(addrOf(l.a.address)!, { asn: n.asn, who: n.name });
  }
  for (const r of plan.routers) {
    for (const nb of r.neighbors) endpoints.set(nb.localAddress, { asn: r.asn, who: r.name });
  }
  for (const r of plan.routers) {
    for (const nb of r.neighbors) {
      const peer = endpoints.get(nb.address);
      assert.ok(peer, `${r.name}: neighbour ${nb.address} is nobody's address`);
      assert.equal(peer.asn, nb.asn, `${r.name}: ${nb.address} is AS ${peer.asn}, configured ${nb.asn}`);
      assert.equal(peer.who, nb.name);
    }
  }
  for (const n of plan.nodes) {
    for (const p of n.peers) {
      const r = plan.routers.find((x) => x.neighbors.some((nb) => nb.localAddress === p.address && nb.name === n.name));
      assert.ok(r, `${n.name}: peer ${p.address} has no router configured for it`);
      assert.equal(r.asn, p.asn);
    }
  }
}

/** Names, addresses and ASNs that must be unique, and interface names within Linux's 15 characters. */
function assertWellFormed(plan: LabPlan): void {
  assert.deepEqual(longInterfaceNames(plan.links, plan.segments), []);
  const unique = (what: string, xs: string[]) => assert.equal(new Set(xs).size, xs.length, `${what} not unique`);
  unique('namespaces', [...plan.nodes.map((n) => n.ns), ...plan.routers.map((r) => r.ns)]);
  unique(
    'link names',
    plan.links.map((l) => l.name),
  );
  unique('addresses', [
    ...(plan.links
      .flatMap((l) => [l.a.address, l.b.address])
      .filter((a): a is string => !!a)
      .map(addrOf) as string[]),
    ...plan.segments.map((s) => addrOf(s.gateway)!).filter(Boolean),
  ]);
  unique(
    'pod CIDRs',
    plan.nodes.map((n) => n.podCIDR),
  );
  unique(
    'router ids',
    plan.routers.map((r) => r.routerId),
  );
  unique(
    'interfaces per namespace',
    plan.links.flatMap((l) => [`${l.a.ns}/${l.a.ifname}`, `${l.b.ns}/${l.b.ifname}`]),
  );
  for (const ns of [...plan.nodes.map((n) => n.ns), ...plan.routers.map((r) => r.ns)]) {
    assert.ok(isLabNamespace(plan.options.name, ns), `${ns} is recognised by lab down`);
  }
  for (const asn of [...plan.nodes.map((n) => n.asn), ...plan.routers.map((r) => r.asn)]) {
    assert.ok(asn >= 64512 && asn <= 65534, `AS ${asn} is a private 16-bit ASN`);
  }
  assertSessionsMatch(plan);
}

describe('controller: lab plans per topology', () => {
  it('flat: the lab of old, its one link per node named node<i>-router', () => {
    const plan = planLab({ name: 'lab', nodes: 3, router: 'frr', podsPerNode: 2 });
    assert.equal(plan.topology, 'flat');
    assert.deepEqual(
      plan.links.map((l) => [l.name, l.a.ifname, l.a.address, l.b.ns, l.b.ifname, l.b.bridge]),
      [
        ['node1-router', 'eth0', '172.30.0.1/24', 'gnt-lab-router', 'n1', 'br0'],
        ['node2-router', 'eth0', '172.30.0.2/24', 'gnt-lab-router', 'n2', 'br0'],
        ['node3-router', 'eth0', '172.30.0.3/24', 'gnt-lab-router', 'n3', 'br0'],
      ],
    );
    assert.deepEqual(plan.segments, [
      { name: 'segment', ns: 'gnt-lab-router', bridge: 'br0', cidr: '172.30.0.0/24', gateway: '172.30.0.254/24' },
    ]);
    assert.equal(plan.holdTime, 9);
    assertWellFormed(plan);
    const mesh = planLab({ name: 'm', nodes: 2, router: 'none', podsPerNode: 0 });
    assert.deepEqual(mesh.routers, []);
    assert.deepEqual(
      mesh.links.map((l) => l.name),
      ['node1-fabric', 'node2-fabric'],
    );
  });

  it('dual-homed: two routers in AS 65000, two segments, every node on both and peering with both', () => {
    const plan = planLab({ name: 'd', nodes: 2, router: 'bird', podsPerNode: 1, topology: 'dual-homed' });
    assert.deepEqual(
      plan.routers.map((r) => [r.name, r.ns, r.asn, r.routerId]),
      [
        ['router1', 'gnt-d-router1', 65000, '172.30.0.254'],
        ['router2', 'gnt-d-router2', 65000, '172.31.0.254'],
      ],
    );
    assert.deepEqual(
      plan.links.map((l) => [l.name, l.a.ifname, l.a.address, l.b.ns, l.b.ifname]),
      [
        ['node1-router1', 'eth0', '172.30.0.1/24', 'gnt-d-router1', 'n1'],
        ['node1-router2', 'eth1', '172.31.0.1/24', 'gnt-d-router2', 'n1'],
        ['node2-router1', 'eth0', '172.30.0.2/24', 'gnt-d-router1', 'n2'],
        ['node2-router2', 'eth1', '172.31.0.2/24', 'gnt-d-router2', 'n2'],
      ],
    );
    assert.deepEqual(plan.nodes[1]!.peers, [
      { address: '172.30.0.254', asn: 65000 },
      { address: '172.31.0.254', asn: 65000 },
    ]);
    const c = parseConfig(nodeConfigYaml(plan, plan.nodes[1]!, '/x'));
    assert.deepEqual(
      c.peers.map((p) => [p.address, p.asn, p.holdTime]),
      [
        ['172.30.0.254', 65000, 9],
        ['172.31.0.254', 65000, 9],
      ],
    );
    assertWellFormed(plan);
    assert.throws(() => planLab({ ...plan.options, router: 'none' }), /dual-homed needs --router frr or bird/);
  });

  it('leaf-spine: RFC 7938 ASNs (spines share one, a leaf each, a node each), /31 fabric links, rack segments', () => {
    const plan = planLab({
      name: 'f',
      nodes: 0,
      router: 'frr',
      podsPerNode: 1,
      topology: 'leaf-spine',
      racks: 2,
      nodesPerRack: 2,
      spines: 2,
    });
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.rack, n.address, n.asn, n.podCIDR, n.peers]),
      [
        ['node1', 1, '172.30.1.1', 65201, '10.244.1.0/24', [{ address: '172.30.1.254', asn: 65101 }]],
        ['node2', 1, '172.30.1.2', 65202, '10.244.2.0/24', [{ address: '172.30.1.254', asn: 65101 }]],
        ['node3', 2, '172.30.2.1', 65203, '10.244.3.0/24', [{ address: '172.30.2.254', asn: 65102 }]],
        ['node4', 2, '172.30.2.2', 65204, '10.244.4.0/24', [{ address: '172.30.2.254', asn: 65102 }]],
      ],
    );
    assert.deepEqual(
      plan.routers.map((r) => [r.name, r.role, r.asn, r.routerId, r.neighbors.map((n) => `${n.name}@${n.address}`)]),
      [
        [
          'leaf1',
          'leaf',
          65101,
          '172.30.1.254',
          ['node1@172.30.1.1', 'node2@172.30.1.2', 'spine1@172.31.1.0', 'spine2@172.31.1.2'],
        ],
        [
          'leaf2',
          'leaf',
          65102,
          '172.30.2.254',
          ['node3@172.30.2.1', 'node4@172.30.2.2', 'spine1@172.31.2.0', 'spine2@172.31.2.2'],
        ],
        ['spine1', 'spine', 65000, '172.31.0.1', ['leaf1@172.31.1.1', 'leaf2@172.31.2.1']],
        ['spine2', 'spine', 65000, '172.31.0.2', ['leaf1@172.31.1.3', 'leaf2@172.31.2.3']],
      ],
    );
    assert.deepEqual(
      plan.links
        .filter((l) => l.name.startsWith('leaf'))
        .map((l) => [l.name, l.a.ifname, l.a.address, l.b.ifname, l.b.address]),
      [
        ['leaf1-spine1', 's1', '172.31.1.1/31', 'l1', '172.31.1.0/31'],
        ['leaf2-spine1', 's1', '172.31.2.1/31', 'l2', '172.31.2.0/31'],
        ['leaf1-spine2', 's2', '172.31.1.3/31', 'l1', '172.31.1.2/31'],
        ['leaf2-spine2', 's2', '172.31.2.3/31', 'l2', '172.31.2.2/31'],
      ],
    );
    assert.deepEqual(
      plan.links.filter((l) => l.name.startsWith('node')).map((l) => [l.name, l.b.ns, l.b.ifname]),
      [
        ['node1-leaf1', 'gnt-f-leaf1', 'n1'],
        ['node2-leaf1', 'gnt-f-leaf1', 'n2'],
        ['node3-leaf2', 'gnt-f-leaf2', 'n3'],
        ['node4-leaf2', 'gnt-f-leaf2', 'n4'],
      ],
    );
    assert.deepEqual(
      plan.segments.map((s) => [s.name, s.ns, s.cidr, s.gateway]),
      [
        ['rack1', 'gnt-f-leaf1', '172.30.1.0/24', '172.30.1.254/24'],
        ['rack2', 'gnt-f-leaf2', '172.30.2.0/24', '172.30.2.254/24'],
      ],
    );
    assertWellFormed(plan);
  });

  it('the largest labs allowed stay well-formed: names within 15 characters, nothing shared', () => {
    const name = 'abcdefghij';
    assertWellFormed(
      planLab({
        name,
        nodes: 0,
        router: 'bird',
        podsPerNode: 50,
        topology: 'leaf-spine',
        racks: 16,
        nodesPerRack: 8,
        spines: 8,
      }),
    );
    assertWellFormed(
      planLab({
        name,
        nodes: 0,
        router: 'frr',
        podsPerNode: 1,
        topology: 'leaf-spine',
        racks: 4,
        nodesPerRack: 32,
        spines: 8,
      }),
    );
    assertWellFormed(planLab({ name, nodes: 50, router: 'frr', podsPerNode: 50, topology: 'dual-homed' }));
    assertWellFormed(planLab({ name, nodes: 50, router: 'frr', podsPerNode: 50 }));
    const ls = { name, nodes: 0, router: 'frr' as const, podsPerNode: 1, topology: 'leaf-spine' as const };
    assert.throws(() => planLab({ ...ls, racks: 17 }), /--racks must be 1\.\.16/);
    assert.throws(() => planLab({ ...ls, spines: 0 }), /--spines must be 1\.\.8/);
    assert.throws(() => planLab({ ...ls, nodesPerRack: 33 }), /--nodes-per-rack must be 1\.\.32/);
    assert.throws(() => planLab({ ...ls, racks: 16, nodesPerRack: 9 }), /at most 128 nodes/);
    assert.throws(() => planLab({ ...ls, router: 'none' }), /leaf-spine needs --router/);
    assert.throws(
      () => planLab({ ...ls, topology: 'ring' as 'flat' }),
      /--topology must be flat, dual-homed, leaf-spine/,
    );
    assert.throws(() => planLab({ ...ls, holdTime: 2 }), /--hold-time must be 3\.\.65535/);
  });

  it('router configs allow ECMP and carry every neighbour with the hold time', () => {
    const plan = planLab({
      name: 'f',
      nodes: 0,
      router: 'frr',
      podsPerNode: 0,
      topology: 'leaf-spine',
      racks: 2,
      nodesPerRack: 1,
      spines: 2,
      holdTime: 3,
    });
    const leaf = frrConfig(plan, '/d', plan.routers[0]!).bgpd;
    assert.match(leaf, /router bgp 65101\n bgp router-id 172\.30\.1\.254\n/);
    assert.match(leaf, / bgp bestpath as-path multipath-relax\n/);
    assert.match(leaf, / address-family ipv4 unicast\n {2}maximum-paths 8\n/);
    assert.match(leaf, / neighbor 172\.30\.1\.1 remote-as 65201\n neighbor 172\.30\.1\.1 timers 1 3\n/);
    assert.match(leaf, / neighbor 172\.31\.1\.0 remote-as 65000\n/);
    assert.match(leaf, / neighbor 172\.31\.1\.2 remote-as 65000\n/);
    const spine = frrConfig(plan, '/d', plan.routers[2]!).bgpd;
    assert.match(spine, /router bgp 65000\n bgp router-id 172\.31\.0\.1\n/);
    assert.equal(spine.match(/remote-as/g)?.length, 2);
    const bird = birdConfig({ ...plan, routers: plan.routers }, '/d', plan.routers[0]!);
    assert.match(bird, /merge paths on;/);
    assert.match(bird, /hold time 3;/);
    assert.match(
      bird,
      /protocol bgp spine2 from gannet_nodes \{\n {2}local 172\.31\.1\.3 as 65101;\n {2}neighbor 172\.31\.1\.2 as 65000;/,
    );
    assert.match(
      bird,
      /protocol bgp node1 from gannet_nodes \{\n {2}local 172\.30\.1\.254 as 65101;\n {2}neighbor 172\.30\.1\.1 as 65201;/,
    );
    // --bfd: bfdd with the lab's profile, every neighbour on it; BIRD's protocol bfd and bfd on; the agents too
    const withBfd = { ...plan, options: { ...plan.options, bfd: true } };
    const f = frrConfig(withBfd, '/d', plan.routers[0]!);
    assert.match(f.bgpd, / neighbor 172\.31\.1\.0 bfd profile lab\n/);
    assert.match(
      f.bfdd ?? '',
      /profile lab\n {2}receive-interval 100\n {2}transmit-interval 100\n {2}detect-multiplier 3\n/,
    );
    assert.equal(frrConfig(plan, '/d', plan.routers[0]!).bfdd, undefined);
    assert.match(
      birdConfig(withBfd, '/d', plan.routers[0]!),
      /protocol bfd \{\n {2}interface "\*" \{ min rx interval 100 ms;[^\n]*\n\}\n/,
    );
    assert.match(birdConfig(withBfd, '/d', plan.routers[0]!), /error wait time 1, 10;\n {2}bfd on;/);
    const node = parseConfig(nodeConfigYaml(withBfd, plan.nodes[0]!, '/x'));
    assert.deepEqual(node.peers[0]!.bfd, { enabled: true, minRxMs: 100, minTxMs: 100, multiplier: 3 });
    // a ToR with one local address keeps it in the template, as the flat lab always wrote it
    const flat = planLab({ name: 'lab', nodes: 2, router: 'bird', podsPerNode: 0 });
    assert.match(
      birdConfig(flat, '/d'),
      /template bgp gannet_nodes \{\n {2}local 172\.30\.0\.254 as 65000;\n {2}hold time 9;/,
    );
    assert.match(
      birdConfig(flat, '/d'),
      /protocol bgp node1 from gannet_nodes \{\n {2}neighbor 172\.30\.0\.1 as 65001;\n\}/,
    );
  });
});
