// The lab's --ip-family: addresses, sessions per family, node configs the agent accepts, router configs per family.
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load-config.js';
import { routerIdFromName } from '../src/config/router-id.js';
import { parseLabFile } from '../src/lab/lab-file.js';
import { birdConfig, frrConfig } from '../src/lab/router-config.js';
import { nodeConfigYaml, planLab } from '../src/lab/topology.js';
import { resolvePeer } from '../src/policy.js';

const lines = (text: string) => text.split('\n').map((l) => l.trim());

describe('controller: lab --ip-family', () => {
  it('ipv4 is the lab of old: the same plan as without the option', () => {
    const a = planLab({ name: 'lab', nodes: 3, router: 'frr', podsPerNode: 1 });
    const b = planLab({ name: 'lab', nodes: 3, router: 'frr', podsPerNode: 1, ipFamily: 'ipv4' });
    assert.deepEqual(b, { ...a, options: b.options });
    assert.doesNotMatch(frrConfig(b, '/d').bgpd, /ipv6|default ipv4-unicast/);
    assert.doesNotMatch(birdConfig(b, '/d'), /ipv6/);
  });

  it('dual: an IPv6 address and pod CIDR per node, an IPv6 session beside every IPv4 one', () => {
    const plan = planLab({ name: 'lab', nodes: 11, router: 'frr', podsPerNode: 1, ipFamily: 'dual' });
    const n11 = plan.nodes[10]!;
    assert.deepEqual(
      [n11.address, n11.address6, n11.podCIDR, n11.podCIDR6],
      ['172.30.0.11', 'fd00:172:30::b', '10.244.11.0/24', 'fd00:10:244:b::/64'],
    );
    assert.deepEqual(n11.peers, [
      { address: '172.30.0.254', asn: 65000 },
      { address: 'fd00:172:30::fe', asn: 65000 },
    ]);
    assert.deepEqual(plan.links[0]?.a, {
      ns: 'gnt-lab-node1',
      ifname: 'eth0',
      address: '172.30.0.1/24',
      address6: 'fd00:172:30::1/64',
    });
    assert.equal(plan.segments[0]?.gateway6, 'fd00:172:30::fe/64');
    assert.equal(plan.clusterCIDR6, 'fd00:10:244::/48');
    assert.equal(plan.routers[0]?.neighbors.length, 22);
    const c = parseConfig(nodeConfigYaml(plan, n11, '/run/gannet/lab/lab/node11'));
    assert.equal(c.routerId, '172.30.0.11');
    assert.deepEqual(c.podCIDRs, ['10.244.11.0/24', 'fd00:10:244:b::/64']);
    assert.deepEqual(c.clusterCIDRs, ['10.244.0.0/16', 'fd00:10:244::/48']);
    assert.equal(c.listen.address, '::', 'IPv6 peers must reach the listener');
    assert.deepEqual(
      c.peers.map((p) => resolvePeer(c, p).families),
      [['ipv4'], ['ipv6']],
    );
  });

  it('dual mesh: every other node twice, once per family', () => {
    const plan = planLab({ name: 'm', nodes: 3, router: 'none', podsPerNode: 0, ipFamily: 'dual' });
    assert.deepEqual(
      plan.nodes[0]!.peers.map((p) => p.address),
      ['172.30.0.2', '172.30.0.3', 'fd00:172:30::2', 'fd00:172:30::3'],
    );
    assert.equal(plan.segments[0]?.gateway6, undefined, 'no router: no gateway');
  });

  it('ipv6: no IPv4 anywhere but the router ID; nodes derive theirs from their names', () => {
    const plan = planLab({ name: 'lab', nodes: 2, router: 'bird', podsPerNode: 1, ipFamily: 'ipv6' });
    assert.deepEqual(
      plan.nodes.map((n) => [n.address, n.podCIDR, n.address6, n.peers]),
      [
        ['fd00:172:30::1', 'fd00:10:244:1::/64', undefined, [{ address: 'fd00:172:30::fe', asn: 65000 }]],
        ['fd00:172:30::2', 'fd00:10:244:2::/64', undefined, [{ address: 'fd00:172:30::fe', asn: 65000 }]],
      ],
    );
    assert.equal(plan.router?.address, 'fd00:172:30::fe');
    assert.equal(plan.links[1]?.a.address, 'fd00:172:30::2/64');
    assert.deepEqual(plan.segments[0]?.gateway, 'fd00:172:30::fe/64');
    assert.equal(plan.clusterCIDR, 'fd00:10:244::/48');
    const yaml = nodeConfigYaml(plan, plan.nodes[0]!, '/d');
    assert.doesNotMatch(yaml, /routerId|172\.|10\.244/);
    assert.equal(parseConfig(yaml).routerId, routerIdFromName('node1'));
  });

  it('FRR: no default IPv4 unicast, each neighbour activated in its own family, ECMP in both', () => {
    const plan = planLab({ name: 'lab', nodes: 2, router: 'frr', podsPerNode: 0, ipFamily: 'dual' });
    const got = lines(frrConfig(plan, '/d').bgpd);
    const at = (l: string) => got.indexOf(l);
    assert.ok(at('no bgp default ipv4-unicast') > 0);
    assert.ok(at('address-family ipv4 unicast') < at('neighbor 172.30.0.1 activate'));
    assert.ok(at('neighbor 172.30.0.2 activate') < at('address-family ipv6 unicast'));
    assert.ok(at('address-family ipv6 unicast') < at('neighbor fd00:172:30::1 activate'));
    assert.equal(got.filter((l) => l === 'maximum-paths 8').length, 2);
    assert.ok(got.includes('neighbor fd00:172:30::2 remote-as 65002'));
  });

  it('BIRD: an IPv6 template, one protocol per IPv6 neighbour, IPv6 routes exported to the kernel', () => {
    const plan = planLab({ name: 'lab', nodes: 2, router: 'bird', podsPerNode: 0, ipFamily: 'dual' });
    const conf = birdConfig(plan, '/d');
    assert.match(conf, /protocol bgp node1 from gannet_nodes \{\n {2}neighbor 172\.30\.0\.1 as 65001;\n\}/);
    assert.match(
      conf,
      /protocol bgp node2v6 from gannet_nodes6 \{\n {2}local fd00:172:30::fe as 65000;\n {2}neighbor fd00:172:30::2 as 65002;\n\}/,
    );
    assert.match(conf, /template bgp gannet_nodes6 \{[^}]*ipv6 \{ import all; export all; \};/);
    assert.match(conf, /protocol kernel \{ ipv6 \{ export where source = RTS_BGP; \}; merge paths on; \}/);
    assert.match(conf, /local 172\.30\.0\.254 as 65000;/, 'the IPv4 template keeps its shared local address');
  });

  it('other topologies refuse a family other than ipv4; a bad family is named', () => {
    assert.throws(
      () => planLab({ name: 'l', nodes: 2, router: 'frr', podsPerNode: 0, topology: 'leaf-spine', ipFamily: 'dual' }),
      /--ip-family dual needs --topology flat/,
    );
    assert.throws(
      () => planLab({ name: 'l', nodes: 2, router: 'frr', podsPerNode: 0, ipFamily: 'ipx' as never }),
      /--ip-family must be ipv4, ipv6, dual/,
    );
  });
});

describe('controller: lab file ipFamily', () => {
  it('reads ipFamily, refuses another value naming the key', () => {
    assert.deepEqual(parseLabFile('ipFamily: dual\n', 'lab.yaml').options, { ipFamily: 'dual' });
    assert.throws(
      () => parseLabFile('ipFamily: ipv5\n', 'lab.yaml'),
      /lab\.yaml:1: ipFamily: must be one of ipv4, ipv6, dual/,
    );
  });
});
