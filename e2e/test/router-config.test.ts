// `gannet router-config` loaded into real routers: the FRR and BIRD configurations it prints for two nodes are given
// to bgpd and BIRD 2 in a router namespace, unedited but for the router's own header (router ID, logging); the nodes
// (Gannet speakers in their own namespaces) reach Established and announce their pod CIDR plus what they must not (the
// other node's block, a longer prefix inside their own, an outside prefix): the router holds exactly one route per
// node, its pod CIDR, and the sessions stay up (max-prefix counts what the filter accepted). Every setting the
// renderer knows (password, multihop, GTSM, BFD, port, IPv6) is also checked by the daemons' own config parsers.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GANNET_BIN } from '../src/cri-node.js';
import { type Bird, FRR_BGPD, type Frr, startBird, startFrr } from '../src/daemons.js';
import { type Netns, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';

const ROUTER = '192.168.77.1';
const NODES = [
  { name: 'node1', address: '192.168.77.11', asn: 65001, pods: '10.244.1.0/24' },
  { name: 'node2', address: '192.168.77.12', asn: 65002, pods: '10.244.2.0/24' },
];

function nodeConfig(n: (typeof NODES)[number]): string {
  return `nodeName: ${n.name}
asn: ${n.asn}
routerId: ${n.address}
podCIDRs: [${n.pods}]
clusterCIDRs: [10.244.0.0/16]
listen: { address: ${n.address}, port: 179 }
api: { listen: 127.0.0.1:9179 }
peers:
  - { address: ${ROUTER}, asn: 65000, holdTime: 9 }
`;
}

function routerConfig(dir: string, vendor: 'frr' | 'bird'): string {
  const files = NODES.flatMap((n) => ['--config', join(dir, `${n.name}.yaml`)]);
  return execFileSync(join(GANNET_BIN, 'gannet'), ['router-config', '--vendor', vendor, ...files], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('router-config: generated configs in real FRR and BIRD', function () {
  this.timeout(90_000);
  let net: TestNet;
  let r: Netns;
  let dir: string;
  const nodes: { ns: Netns; child?: SpeakerChild }[] = [];

  before(function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'gnt-rc-e2e-'));
    for (const n of NODES) writeFileSync(join(dir, `${n.name}.yaml`), nodeConfig(n));
    net = new TestNet('rc');
    r = net.ns('r');
    r.ip('link', 'add', 'br0', 'type', 'bridge');
    r.ip('addr', 'add', `${ROUTER}/24`, 'dev', 'br0');
    r.ip('link', 'set', 'br0', 'up');
    NODES.forEach((n, i) => {
      const ns = net.ns(`n${i + 1}`);
      net.link(ns, 'eth0', r, `p${i + 1}`, `${n.address}/24`);
      r.ip('link', 'set', `p${i + 1}`, 'master', 'br0');
      nodes.push({ ns });
    });
  });

  after(async () => {
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Each node announces its pod CIDR and three prefixes the router must refuse. */
  async function startNodes(): Promise<void> {
    for (const [i, n] of NODES.entries()) {
      const other = NODES[1 - i]!;
      const child = await SpeakerChild.start(net, nodes[i]!.ns, {
        speaker: { asn: n.asn, routerId: n.address, listen: false },
        peers: [
          {
            address: ROUTER,
            asn: 65000,
            localAddress: n.address,
            holdTime: 9,
            families: ['ipv4'],
            import: [{ prefix: '0.0.0.0/0', le: 32, action: 'permit' }],
            export: [{ prefix: '0.0.0.0/0', le: 32, action: 'permit' }],
          },
        ],
        originate: [n.pods, other.pods, n.pods.replace('.0/24', '.128/25'), '10.99.0.0/24'],
      });
      nodes[i]!.child = child;
    }
  }

  async function stopNodes(): Promise<void> {
    for (const n of nodes) {
      await n.child?.stop();
      n.child = undefined;
    }
  }

  async function established(): Promise<void> {
    for (const [i, n] of NODES.entries()) {
      await waitFor(`${n.name} Established`, async () => (await nodes[i]!.child!.peerState(ROUTER)) === 'Established', {
        timeoutMs: 30_000,
      });
    }
  }

  it('FRR: both nodes Established, only each node’s own pod CIDR accepted, sessions stay up', async () => {
    const config = routerConfig(dir, 'frr');
    let frr: Frr | undefined;
    try {
      // The router's own part: FRR's defaults, its router ID. No `no bgp ebgp-requires-policy`: the generated
      // prefix lists and route-map are the policy eBGP requires.
      frr = await startFrr(
        net,
        r,
        `frr defaults traditional\nhostname r\n!\nrouter bgp 65000\n bgp router-id ${ROUTER}\n!\n${config}`,
      );
      await startNodes();
      await established();
      await waitFor('FRR holds both pod CIDRs', () => {
        const routes = frr!.routes();
        return routes['10.244.1.0/24'] !== undefined && routes['10.244.2.0/24'] !== undefined;
      });
      await new Promise((res) => setTimeout(res, 1_500)); // room for a max-prefix teardown, were it to come
      const routes = frr.routes();
      assert.deepEqual(Object.keys(routes).sort(), ['10.244.1.0/24', '10.244.2.0/24']);
      assert.deepEqual(
        routes['10.244.1.0/24']!.map((p) => p.nexthops?.[0]?.ip),
        ['192.168.77.11'],
        'node2 announced node1’s block too: only node1’s path may be there',
      );
      const peers = frr.summary().peers ?? {};
      for (const n of NODES) {
        assert.equal(peers[n.address]?.state, 'Established');
        assert.equal(peers[n.address]?.pfxRcd, 1);
      }
    } finally {
      await stopNodes();
      await frr?.stop();
    }
  });

  it('BIRD: both nodes Established, only each node’s own pod CIDR accepted, sessions stay up', async () => {
    const config = routerConfig(dir, 'bird');
    let bird: Bird | undefined;
    try {
      bird = await startBird(net, r, `router id ${ROUTER};\nprotocol device {}\n${config}`);
      await startNodes();
      await established();
      await waitFor('BIRD holds both pod CIDRs', () => bird!.routeCount() === 2);
      await new Promise((res) => setTimeout(res, 1_500));
      assert.equal(bird.routeCount(), 2);
      const all = bird.birdc('show route');
      assert.match(all, /10\.244\.1\.0\/24 .*\n?.*via 192\.168\.77\.11/);
      assert.match(all, /10\.244\.2\.0\/24 .*\n?.*via 192\.168\.77\.12/);
      assert.doesNotMatch(all, /10\.99\.0\.0|\/25/);
      for (const n of ['gannet_node1', 'gannet_node2']) assert.equal(bird.protocol(n).state, 'up');
    } finally {
      await stopNodes();
      await bird?.stop();
    }
  });

  it('every setting the renderer writes is accepted by bgpd’s and BIRD’s own config parsers', () => {
    const full = `nodeName: n3
asn: 65003
routerId: 192.168.77.13
podCIDRs: [10.244.3.0/24, fd00:244:3::/64]
clusterCIDRs: [10.244.0.0/16, fd00:244::/32]
listen: { address: 192.168.77.13, port: 1790 }
api: { listen: 127.0.0.1:9179 }
peers:
  - { address: ${ROUTER}, asn: 65000, holdTime: 30 }
  - { address: 192.168.77.2, asn: 65003 }
`;
    writeFileSync(join(dir, 'n3.yaml'), full);
    const g = join(GANNET_BIN, 'gannet');
    // One bgpd (one BIRD) per router: an eBGP router and an iBGP one.
    for (const router of [ROUTER, '192.168.77.2']) {
      const args = ['router-config', '--config', join(dir, 'n3.yaml'), '--router', router];
      const frr = execFileSync(g, [...args, '--vendor', 'frr'], { encoding: 'utf8' });
      const frrFile = join(dir, 'check-bgpd.conf');
      writeFileSync(frrFile, frr);
      const check = spawnSync(
        FRR_BGPD,
        ['-C', '-f', frrFile, '-S', '-n', '-Z', '-i', join(dir, 'c.pid'), '-z', join(dir, 'zs'), '--vty_socket', dir],
        { encoding: 'utf8', timeout: 20_000 },
      );
      const said = `${check.stdout}${check.stderr}`;
      assert.doesNotMatch(said, /No such command|Unknown command|error/i, `${said}\n${frr}`);
      const bird = execFileSync(g, [...args, '--vendor', 'bird'], { encoding: 'utf8' });
      const birdFile = join(dir, 'check-bird.conf');
      writeFileSync(birdFile, `router id ${ROUTER};\nprotocol device {}\n${bird}`);
      const parsed = spawnSync('bird', ['-p', '-c', birdFile], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(parsed.status, 0, `${parsed.stdout}${parsed.stderr}\n${bird}`);
    }
  });
});
