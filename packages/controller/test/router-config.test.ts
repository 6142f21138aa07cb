// gannet router-config: the plan from node configs, the four vendors' renderings (the Junos and EOS ones against the
// statements their documentation gives for these settings), and the command over files and the Kubernetes API.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../src/cli/main.js';
import { parseConfig } from '../src/config/load-config.js';
import type { AgentConfig } from '../src/config/types.js';
import { planRouters, type RouterPlan } from '../src/router-config/plan.js';
import { renderRouterConfig } from '../src/router-config/render.js';
import { FakeApiServer } from './kubernetes/fake-apiserver.js';
import { bgpPeer, node, RESOURCES } from './kubernetes/helpers.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
}

const NODE1 = `nodeName: node1
asn: 65001
routerId: 192.168.50.11
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
listen: { address: 0.0.0.0, port: 179 }
api: { listen: 127.0.0.1:9179 }
peers:
  - { address: 192.168.50.1, asn: 65000, holdTime: 9 }
  - { address: 192.168.50.2, asn: 65100 }
  - { address: 192.168.50.12, asn: 65002 }
`;
const NODE2 = `nodeName: node2
asn: 65002
routerId: 192.168.50.12
podCIDRs: [10.244.2.0/24, fd00:244:2::/64]
clusterCIDRs: [10.244.0.0/16, fd00:244::/32]
listen: { address: 192.168.50.12, port: 1790 }
api: { listen: 127.0.0.1:9179 }
peers:
  - { address: 192.168.50.1, asn: 65000, localAddress: 192.168.50.22 }
  - { address: 192.168.50.11, asn: 65001 }
`;
const cfg = (text: string): AgentConfig => parseConfig(text, 'node.yaml');

/** One neighbour with every setting, one iBGP with a referenced password and GTSM. */
const FULL: RouterPlan = {
  address: '192.168.50.1',
  asn: 65000,
  neighbors: [
    {
      node: 'node-1.a',
      address: '192.168.50.11',
      asn: 65001,
      prefixes: ['10.244.1.0/24', 'fd00:244:1::/64'],
      holdTime: 30,
      password: { text: 's3cret' },
      bfd: { minRxMs: 100, minTxMs: 200, multiplier: 3 },
      ebgpMultihop: 2,
    },
    {
      node: 'node2',
      address: '192.168.50.12',
      asn: 65000,
      prefixes: ['10.244.2.0/24'],
      password: { reference: 'Secret gannet/tor key password' },
      ttlSecurity: true,
    },
  ],
};

const lines = (text: string) => text.split('\n').map((l) => l.trim());
function hasLines(text: string, expected: string[]): void {
  const got = lines(text);
  for (const e of expected) assert.ok(got.includes(e), `missing line "${e}" in:\n${text}`);
}

describe('controller: gannet router-config', () => {
  describe('plan', () => {
    it('groups nodes by router, leaves node-to-node peers out, takes each session’s source address', () => {
      const plans = planRouters([cfg(NODE1), cfg(NODE2)]);
      assert.deepEqual(
        plans.map((p) => [p.address, p.asn, p.neighbors.map((n) => `${n.node}@${n.address}`)]),
        [
          ['192.168.50.1', 65000, ['node1@192.168.50.11', 'node2@192.168.50.22']],
          ['192.168.50.2', 65100, ['node1@192.168.50.11']],
        ],
      );
      const n2 = plans[0]!.neighbors[1]!;
      assert.deepEqual(
        n2.prefixes,
        ['10.244.2.0/24'],
        'an IPv4 session carries the IPv4 pod CIDR only (one session per family)',
      );
      assert.equal(n2.port, 1790);
      assert.equal(plans[0]!.neighbors[0]!.holdTime, 9);
      assert.equal(planRouters([cfg(NODE1)], { router: '192.168.50.2' }).length, 1);
      assert.equal(planRouters([cfg(NODE1)], { includeMesh: true }).length, 3);
    });

    it('refuses two nodes that disagree on a router’s ASN', () => {
      const other = cfg(NODE2.replace('{ address: 192.168.50.1, asn: 65000,', '{ address: 192.168.50.1, asn: 65009,'));
      assert.throws(() => planRouters([cfg(NODE1), other]), /router 192\.168\.50\.1: node node2 says AS 65009/);
    });

    it('takes password, BFD and TTL settings from the peer entry when it has them', () => {
      const c = cfg(NODE1);
      Object.assign(c.peers[0]!, {
        password: 'pw',
        bfd: { enabled: true, minRxMs: 100 },
        ebgpMultihop: 3,
        ttlSecurity: true,
      });
      Object.assign(c.peers[1]!, { passwordFile: '/etc/gannet/tor.pw', bfd: { enabled: false } });
      const plans = planRouters([c]);
      const a = plans.find((p) => p.address === '192.168.50.1');
      const b = plans.find((p) => p.address === '192.168.50.2');
      const n = a!.neighbors[0]!;
      assert.deepEqual(n.password, { text: 'pw' });
      assert.deepEqual(n.bfd, { minRxMs: 100, minTxMs: 300, multiplier: 3 });
      assert.equal(n.ebgpMultihop, 3);
      assert.equal(n.ttlSecurity, true);
      assert.deepEqual(b!.neighbors[0]!.password, { reference: 'file /etc/gannet/tor.pw' });
      assert.equal(b!.neighbors[0]!.bfd, undefined);
    });
  });

  describe('render', () => {
    it('FRR: exact per-node prefix lists in, an out policy (eBGP needs both), limits, password, BFD, TTL', () => {
      const t = renderRouterConfig('frr', [FULL]);
      hasLines(t, [
        'ip prefix-list GANNET-node-1-a-V4 seq 5 permit 10.244.1.0/24',
        'ipv6 prefix-list GANNET-node-1-a-V6 seq 5 permit fd00:244:1::/64',
        'route-map GANNET-OUT permit 10',
        'profile gannet-node-1-a',
        'detect-multiplier 3',
        'receive-interval 100',
        'transmit-interval 200',
        'router bgp 65000',
        'neighbor 192.168.50.11 remote-as 65001',
        'neighbor 192.168.50.11 timers 10 30',
        'neighbor 192.168.50.11 password s3cret',
        'neighbor 192.168.50.11 ebgp-multihop 2',
        'neighbor 192.168.50.11 bfd profile gannet-node-1-a',
        '! neighbor 192.168.50.12 password PASSWORD',
        'neighbor 192.168.50.12 ttl-security hops 1',
        'address-family ipv4 unicast',
        'neighbor 192.168.50.11 prefix-list GANNET-node-1-a-V4 in',
        'neighbor 192.168.50.11 route-map GANNET-OUT out',
        'neighbor 192.168.50.11 maximum-prefix 1',
        'address-family ipv6 unicast',
        'neighbor 192.168.50.11 prefix-list GANNET-node-1-a-V6 in',
      ]);
      assert.match(t, /node2: TCP-MD5 password from Secret gannet\/tor key password/);
      assert.throws(
        () =>
          renderRouterConfig('frr', [{ ...FULL, neighbors: [{ ...FULL.neighbors[0]!, password: { text: 'a b' } }] }]),
        /must not contain white space/,
      );
    });

    it('BIRD: a filter per node and family, import limit, local address, password, BFD block, GTSM', () => {
      const t = renderRouterConfig('bird', [FULL]);
      hasLines(t, [
        'protocol bfd gannet_bfd {',
        'neighbor 192.168.50.11;',
        'filter gannet_node_1_a_in4 {',
        'if net ~ [ 10.244.1.0/24 ] then accept;',
        'if net ~ [ fd00:244:1::/64 ] then accept;',
        'protocol bgp gannet_node_1_a {',
        'local 192.168.50.1 as 65000;',
        'neighbor 192.168.50.11 as 65001;',
        'hold time 30;',
        'password "s3cret";',
        'multihop 2;',
        'bfd { min rx interval 100 ms; min tx interval 200 ms; multiplier 3; };',
        'ipv4 { import filter gannet_node_1_a_in4; import limit 1 action restart; export all; };',
        'ipv6 { import filter gannet_node_1_a_in6; import limit 1 action restart; export all; };',
        '# password "PASSWORD";',
        'ttl security on;',
      ]);
      assert.throws(
        () =>
          renderRouterConfig('bird', [{ ...FULL, neighbors: [{ ...FULL.neighbors[0]!, password: { text: 'a"b' } }] }]),
        /quote/,
      );
    });

    it('Junos: prefix-list-filter exact, groups by session type, accepted-prefix-limit, documented BGP statements', () => {
      const t = renderRouterConfig('junos', [FULL]);
      // [edit policy-options] prefix-list / policy-statement … from prefix-list-filter NAME exact; then accept/reject
      // [edit protocols bgp group G] type external|internal; neighbor A { peer-as; import; hold-time;
      // authentication-key; multihop { ttl }; bfd-liveness-detection { minimum-receive-interval; transmit-interval
      // { minimum-interval }; multiplier }; family inet unicast accepted-prefix-limit { maximum; teardown; } }
      hasLines(t, [
        'prefix-list gannet-node-1-a {',
        '10.244.1.0/24;',
        'fd00:244:1::/64;',
        'policy-statement gannet-node-1-a-in {',
        'prefix-list-filter gannet-node-1-a exact;',
        'then accept;',
        'then reject;',
        'group gannet-ebgp {',
        'type external;',
        'group gannet-ibgp {',
        'type internal;',
        'neighbor 192.168.50.11 {',
        'peer-as 65001;',
        'import gannet-node-1-a-in;',
        'hold-time 30;',
        'authentication-key "s3cret";',
        'ttl 2;',
        'bfd-liveness-detection {',
        'minimum-receive-interval 100;',
        'minimum-interval 200;',
        'multiplier 3;',
        'family inet {',
        'family inet6 {',
        'accepted-prefix-limit {',
        'maximum 1;',
        'teardown;',
      ]);
      assert.match(t, /node2 uses GTSM: add a firewall filter/);
      // balanced braces: the file loads as one hierarchy
      assert.equal((t.match(/\{/g) ?? []).length, (t.match(/\}/g) ?? []).length);
    });

    it('EOS: prefix lists behind a route-map in, maximum-routes, password 0, ttl maximum-hops, bfd', () => {
      const t = renderRouterConfig('eos', [FULL]);
      hasLines(t, [
        'ip prefix-list GANNET-node-1-a-V4 seq 10 permit 10.244.1.0/24',
        'ipv6 prefix-list GANNET-node-1-a-V6 seq 10 permit fd00:244:1::/64',
        'route-map GANNET-node-1-a-IN permit 10',
        'match ip address prefix-list GANNET-node-1-a-V4',
        'route-map GANNET-node-1-a-IN permit 20',
        'match ipv6 address prefix-list GANNET-node-1-a-V6',
        'router bgp 65000',
        'neighbor 192.168.50.11 remote-as 65001',
        'neighbor 192.168.50.11 timers 10 30',
        'neighbor 192.168.50.11 password 0 s3cret',
        'neighbor 192.168.50.11 ebgp-multihop 2',
        'neighbor 192.168.50.11 bfd',
        'neighbor 192.168.50.11 route-map GANNET-node-1-a-IN in',
        'neighbor 192.168.50.11 maximum-routes 2',
        'neighbor 192.168.50.12 ttl maximum-hops 1',
        'address-family ipv4',
        'address-family ipv6',
        'neighbor 192.168.50.11 activate',
      ]);
    });
  });

  describe('command', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'gannet-rc-'));
      writeFileSync(join(dir, 'n1.yaml'), NODE1);
      writeFileSync(join(dir, 'n2.yaml'), NODE2);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('renders from config files, one router or all; --json prints the plan', async () => {
      const c = capture();
      const files = ['--config', join(dir, 'n1.yaml'), '--config', join(dir, 'n2.yaml')];
      assert.equal(await main(['router-config', '--vendor', 'bird', ...files, '--router', '192.168.50.1'], c.io), 0);
      assert.match(c.out.join(''), /protocol bgp gannet_node2 \{/);
      assert.doesNotMatch(c.out.join(''), /192\.168\.50\.2 /);
      const j = capture();
      assert.equal(await main(['router-config', '--json', ...files], j.io), 0);
      const plan = JSON.parse(j.out.join('')) as { routers: RouterPlan[] };
      assert.deepEqual(
        plan.routers.map((r) => r.address),
        ['192.168.50.1', '192.168.50.2'],
      );
    });

    it('usage errors: vendor, source, an unknown router', async () => {
      const c = capture();
      assert.equal(await main(['router-config', '--config', join(dir, 'n1.yaml')], c.io), 2);
      assert.equal(await main(['router-config', '--vendor', 'cisco', '--config', 'x'], c.io), 2);
      assert.equal(await main(['router-config', '--vendor', 'frr'], c.io), 2);
      assert.equal(await main(['router-config', '--vendor', 'frr', '--kubernetes', '--config', 'x'], c.io), 2);
      assert.equal(
        await main(
          ['router-config', '--vendor', 'frr', '--config', join(dir, 'n1.yaml'), '--router', '10.9.9.9'],
          c.io,
        ),
        1,
      );
      assert.match(c.err.join(''), /--vendor must be one of frr, bird, junos, eos/);
      assert.match(c.err.join(''), /no node peers with router 10\.9\.9\.9/);
      const h = capture();
      assert.equal(await main(['router-config', '--help'], h.io), 0);
      assert.match(h.out.join(''), /Usage: gannet router-config/);
    });

    it('--kubernetes: every ready Node with the BGPPeers that select it', async () => {
      const server = await FakeApiServer.start(RESOURCES);
      try {
        server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
        server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
        server.put('nodes', node('node3', '172.30.0.3', [])); // no pod CIDR yet: left out
        server.put('bgppeers', bgpPeer('tor', { peerAddress: '172.30.0.254', asn: 65000 }));
        const kubeconfig = join(dir, 'kubeconfig');
        writeFileSync(
          kubeconfig,
          `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}", insecure-skip-tls-verify: true}}]\n` +
            'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
        );
        const c = capture();
        const code = await main(['router-config', '--vendor', 'frr', '--kubernetes', '--kubeconfig', kubeconfig], c.io);
        assert.equal(code, 0, c.err.join(''));
        const t = c.out.join('');
        hasLines(t, [
          'router bgp 65000',
          'neighbor 172.30.0.1 remote-as 64512',
          'neighbor 172.30.0.2 remote-as 64512',
          'ip prefix-list GANNET-node2-V4 seq 5 permit 10.244.2.0/24',
        ]);
        assert.doesNotMatch(t, /node3/);
      } finally {
        await server.close();
      }
    });
  });
});
