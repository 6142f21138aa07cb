// examples/containerlab: every node's gannet.yaml is a valid agent config, and the topology, the node configs and the
// ToR's FRR config agree (links, addresses, ASNs, pod CIDRs), so a user who deploys it gets sessions that come up.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { parseConfig } from '../src/config/load-config.js';
import type { AgentConfig } from '../src/config/types.js';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../examples/containerlab');

interface ClabNode {
  kind?: string;
  image?: string;
  binds?: string[];
  env?: Record<string, string>;
  cmd?: string;
  exec?: string[];
}
interface Clab {
  name: string;
  topology: { defaults?: { kind?: string }; nodes: Record<string, ClabNode>; links: { endpoints: string[] }[] };
}

const read = (rel: string) => readFileSync(join(EXAMPLE, rel), 'utf8');
const clab = parse(read('gannet.clab.yml')) as Clab;
const frr = read('frr/frr.conf');
const agentNodes = Object.entries(clab.topology.nodes).filter(([, n]) => n.image?.startsWith('gannet'));

/** The host file bound to `target` in a node, relative to the example directory. */
function bindOf(node: ClabNode, target: string): string | undefined {
  return node.binds?.map((b) => b.split(':')).find(([, t]) => t === target)?.[0];
}

function configOf(node: ClabNode): AgentConfig {
  const file = bindOf(node, '/etc/gannet/gannet.yaml');
  assert.ok(file, 'gannet.yaml is bind-mounted at /etc/gannet/gannet.yaml');
  return parseConfig(read(file), file);
}

/** The ToR interface linked to `node`'s eth1. */
function torPortOf(name: string): string {
  const link = clab.topology.links.find((l) => l.endpoints.includes(`${name}:eth1`));
  assert.ok(link, `${name}:eth1 is linked`);
  const tor = link.endpoints.find((e) => e.startsWith('tor:'));
  assert.ok(tor, `${name}:eth1 is linked to the ToR`);
  return tor.slice('tor:'.length);
}

function ipv4(s: string): number {
  return s.split('.').reduce((a, o) => a * 256 + Number(o), 0);
}
function sameSubnet(a: string, b: string, len: number): boolean {
  const mask = 2 ** 32 - 2 ** (32 - len);
  return (ipv4(a) & mask) >>> 0 === (ipv4(b) & mask) >>> 0;
}

describe('examples/containerlab', () => {
  it('has an FRR ToR and 2–3 agent nodes of the gannet image, every bound file present', () => {
    assert.equal(clab.name, 'gannet');
    assert.match(clab.topology.nodes.tor?.image ?? '', /frr/);
    assert.ok(agentNodes.length >= 2 && agentNodes.length <= 3, `${agentNodes.length} agent nodes`);
    for (const [name, node] of Object.entries(clab.topology.nodes)) {
      assert.equal(node.kind ?? clab.topology.defaults?.kind, 'linux', name);
      for (const b of node.binds ?? []) {
        const src = b.split(':')[0]!;
        assert.ok(existsSync(join(EXAMPLE, src)), `${name}: ${src} exists`);
      }
    }
    for (const f of ['README.md', 'Dockerfile', 'frr/daemons']) assert.ok(existsSync(join(EXAMPLE, f)), f);
    assert.match(read('frr/daemons'), /^bgpd=yes$/m);
  });

  for (const [name, node] of agentNodes) {
    it(`${name}: gannet.yaml is a valid agent config that matches its node, link and the ToR`, () => {
      const c = configOf(node);
      assert.equal(c.nodeName, name);
      assert.match(node.cmd ?? '', /\/etc\/gannet\/start\.sh/);
      const [address, len] = (node.env?.NODE_ADDRESS ?? '').split('/');
      assert.ok(address && len, `${name}: NODE_ADDRESS is a CIDR`);
      assert.equal(c.routerId, address, 'router id = the node address');
      assert.equal(c.peers.length, 1, 'one session, to the ToR');
      const peer = c.peers[0]!;
      assert.ok(sameSubnet(peer.address, address, Number(len)), `${peer.address} is on ${node.env?.NODE_ADDRESS}`);
      assert.equal(peer.holdTime, 9);
      // The ToR's side: its port on this link carries the peer address, and it peers with our address and ASN.
      const port = torPortOf(name);
      assert.match(frr, new RegExp(`^interface ${port}\\n(?: .*\\n)*? ip address ${peer.address}/${len}$`, 'm'));
      assert.match(frr, new RegExp(`^router bgp ${peer.asn}$`, 'm'));
      assert.match(frr, new RegExp(`^ neighbor ${address} remote-as ${c.asn}$`, 'm'));
      assert.equal(c.podCIDRs.length, 1);
      assert.ok(c.clusterCIDRs.includes('10.244.0.0/16'));
      assert.ok(c.podCIDRs[0]!.startsWith('10.244.'));
    });
  }

  it('gives every node its own ASN, router id and pod CIDR, all different from the ToR', () => {
    const configs = agentNodes.map(([, n]) => configOf(n));
    const unique = (xs: unknown[]) => new Set(xs).size === xs.length;
    assert.ok(unique(configs.map((c) => c.asn)), 'ASNs');
    assert.ok(unique(configs.map((c) => c.routerId)), 'router ids');
    assert.ok(unique(configs.map((c) => c.podCIDRs[0])), 'pod CIDRs');
    const torAsn = Number(/^router bgp (\d+)$/m.exec(frr)?.[1]);
    assert.ok(configs.every((c) => c.asn !== torAsn && c.peers[0]?.asn === torAsn));
    // the ToR lets exactly the pod network through, both ways
    assert.match(frr, /^ip prefix-list PODS seq \d+ permit 10\.244\.0\.0\/16 le 24$/m);
  });
});
