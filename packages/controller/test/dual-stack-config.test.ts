// Dual-stack and IPv6-only nodes in the standalone config: one session per family, the router ID of a node without
// IPv4, and the errors that name the key when the families do not fit together.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPodCidr, IpamStore, type PodCidr } from '@gannet/cni';
import type { Agent } from '../src/agent.js';
import { parseConfig } from '../src/config/load-config.js';
import { defaultRouterId, routerIdFromName } from '../src/config/router-id.js';
import { ConfigError } from '../src/errors.js';
import { resolvePeer, unadvertisedPodCidrs } from '../src/policy.js';
import type { RoutesPort } from '../src/ports.js';
import { StatusHub } from '../src/status-api.js';

const DUAL = `nodeName: node1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24, fd00:10:244:1::/64]
clusterCIDRs: [10.244.0.0/16, fd00:10:244::/48]
peers:
  - { address: 172.30.0.254, asn: 65000 }
  - { address: fd00:172:30::fe, asn: 65000 }
`;
const V6 = `nodeName: node1
asn: 64512
podCIDRs: [fd00:10:244:1::/64]
clusterCIDRs: [fd00:10:244::/48]
listen: { address: "::", port: 179 }
peers:
  - { address: fd00:172:30::fe, asn: 65000, localAddress: fd00:172:30::1 }
`;

function refuses(text: string, key: string, why: RegExp): void {
  assert.throws(
    () => parseConfig(text, 'node.yaml'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, new RegExp(`${key.replace(/[[\].]/g, '\\$&')}: `));
      assert.match(e.message, why);
      return true;
    },
  );
}

describe('controller: dual-stack and IPv6-only config', () => {
  it('one session per family: each peer carries the family of its address only', () => {
    const c = parseConfig(DUAL);
    const [v4, v6] = c.peers.map((p) => resolvePeer(c, p));
    assert.deepEqual(v4?.families, ['ipv4']);
    assert.deepEqual(v6?.families, ['ipv6']);
    // both sessions get the whole export list: the speaker sends each family only where it is negotiated
    assert.deepEqual(
      v6?.export.map((r) => r.prefix),
      ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    );
    assert.deepEqual(unadvertisedPodCidrs(c), []);
  });

  it('IPv6-only: no routerId needed, one is derived from the node name, stably', () => {
    const c = parseConfig(V6);
    assert.equal(c.routerId, routerIdFromName('node1'));
    assert.equal(parseConfig(V6).routerId, c.routerId, 'the same on every load (a restart keeps it)');
    assert.equal(parseConfig(V6.replace('node1', 'node2')).routerId, routerIdFromName('node2'));
    assert.notEqual(routerIdFromName('node1'), routerIdFromName('node2'));
    // a configured one wins
    assert.equal(parseConfig(`routerId: 10.9.9.9\n${V6}`).routerId, '10.9.9.9');
  });

  it('derived router IDs: dotted quads, non-zero, distinct over a lab and a large cluster of names', () => {
    const ids = new Set<string>();
    for (let i = 1; i <= 5000; i++) {
      const id = routerIdFromName(`node${i}`);
      assert.match(id, /^\d+\.\d+\.\d+\.\d+$/);
      assert.notEqual(id, '0.0.0.0');
      ids.add(id);
    }
    assert.equal(ids.size, 5000);
    assert.deepEqual(defaultRouterId('n', '192.0.2.7'), { routerId: '192.0.2.7', from: 'listen.address' });
    assert.equal(defaultRouterId('n', '0.0.0.0').routerId, routerIdFromName('n'));
    assert.equal(defaultRouterId('n', '::').routerId, routerIdFromName('n'));
  });

  it('refuses a pod CIDR of a family that clusterCIDRs lacks, naming the key', () => {
    refuses(
      DUAL.replace('clusterCIDRs: [10.244.0.0/16, fd00:10:244::/48]', 'clusterCIDRs: [10.244.0.0/16]'),
      'podCIDRs[1]',
      /fd00:10:244:1::\/64 is IPv6 but clusterCIDRs has IPv4 prefixes only \(10\.244\.0\.0\/16\).*add an IPv6 cluster CIDR/,
    );
    refuses(
      V6.replace('clusterCIDRs: [fd00:10:244::/48]', 'clusterCIDRs: [10.244.0.0/16]'),
      'podCIDRs[0]',
      /is IPv6 but clusterCIDRs has IPv4 prefixes only/,
    );
  });

  it('refuses a localAddress of the other family than the peer (no usable next hop), naming the key', () => {
    refuses(
      V6.replace('localAddress: fd00:172:30::1', 'localAddress: 172.30.0.1'),
      'peers[0].localAddress',
      /172\.30\.0\.1 is IPv4 but the peer fd00:172:30::fe is IPv6: a session's next hop is its local address/,
    );
  });

  it('names a pod CIDR no session carries (every peer of the other family), for the agent to warn of', () => {
    const c = parseConfig(DUAL.replace('  - { address: fd00:172:30::fe, asn: 65000 }\n', ''));
    assert.deepEqual(unadvertisedPodCidrs(c), [
      {
        key: 'podCIDRs[1]',
        why: 'fd00:10:244:1::/64 is IPv6 but every peer is IPv4: a session carries its own family only (one session per family), so fd00:10:244:1::/64 is not advertised; add a peer with an IPv6 address',
      },
    ]);
    assert.deepEqual(unadvertisedPodCidrs({ ...c, peers: [] }), [], 'a node without peers: nothing to warn of');
  });
});

describe('controller: IPAM metrics of an IPv6-only node', () => {
  it('counts the IPv6 pod CIDR when the node has no IPv4 one (the IPv4 one otherwise)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gannet-ipam6-metrics-'));
    try {
      const store = new IpamStore(dir, 'gannet');
      store.allocate({ containerId: 'c1', ifname: 'eth0' }, checkPodCidr('fd00:10:244:1::/120') as PodCidr).done();
      const hub = new StatusHub();
      const config = (podCIDRs: string[]) => ({ podCIDRs, ipam: { dataDir: dir, network: 'gannet' } });
      const attach = (podCIDRs: string[]) =>
        hub.attach({ currentConfig: config(podCIDRs) } as unknown as Agent, {} as RoutesPort);
      attach(['fd00:10:244:1::/120']);
      assert.deepEqual(hub.ipam(), { used: 1, free: 252, total: 253 });
      attach(['fd00:10:244:1::/120', '10.244.1.0/24']);
      assert.deepEqual(hub.ipam(), { used: 0, free: 253, total: 253 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
