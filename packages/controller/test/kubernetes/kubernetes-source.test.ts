// KubernetesSource driving the real @kubernetes/client-node against the in-process API server: the configs it emits.
import assert from 'node:assert/strict';
import { bgpPeer, eventually, node } from './helpers.js';
import { byAddress, peerDiff, type Rig, rig, TOR } from './source-rig.js';

describe('kubernetes/KubernetesSource: what it derives and emits', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
  });

  it("every Node's InternalIPs (the policy source's node addresses), emitted when they change and only then", async () => {
    r = await rig({ start: false });
    const seen: string[][] = [];
    r.source.on('nodeAddresses', (a) => seen.push(a));
    await r.source.start();
    await eventually(() => assert.deepEqual(seen, [['172.30.0.1', '172.30.0.2', '172.30.0.3']]));
    r.server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24'], { rack: 'b' })); // a label: no change
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24']));
    await eventually(() => assert.equal(seen.length, 2));
    assert.deepEqual(seen[1], ['172.30.0.1', '172.30.0.2', '172.30.0.3', '172.30.0.4']);
    assert.deepEqual(r.source.nodeAddresses(), seen[1]);
  });

  it('derives the node config from Nodes, the default BGPConfiguration and matching BGPPeers', async () => {
    r = await rig();
    assert.equal(r.configs.length, 1);
    assert.deepEqual(r.configs[0], {
      nodeName: 'node1',
      asn: 64512,
      routerId: '172.30.0.1',
      podCIDRs: ['10.244.1.0/24'],
      clusterCIDRs: ['10.244.0.0/16'],
      listen: { address: '0.0.0.0', port: 179 },
      api: { listen: '127.0.0.1:9179' },
      peers: [
        { address: '172.30.0.2', asn: 64512, localAddress: '172.30.0.1', source: 'mesh:node2' },
        { address: '172.30.0.3', asn: 64512, localAddress: '172.30.0.1', source: 'mesh:node3' },
        {
          address: '192.0.2.1',
          asn: 65000,
          holdTime: 30,
          maxPrefixes: 500,
          gracefulRestart: false,
          source: 'BGPPeer/tor-a',
        },
      ],
    });
    assert.deepEqual(r.errors, []);
    assert.deepEqual(r.source.health(), { synced: true, failing: [] });
  });

  it('mesh growth and shrink add and remove exactly that peer', async () => {
    r = await rig();
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24']));
    await eventually(() => assert.equal(r!.configs.length, 2), 'config after node4 joined');
    assert.deepEqual(peerDiff(r.configs[0]!, r.configs[1]!), { added: ['172.30.0.4'], removed: [], changed: [] });
    assert.equal(byAddress(r.configs[1]!).get('172.30.0.4')?.source, 'mesh:node4');
    r.server.remove('nodes', 'node2');
    await eventually(() => assert.equal(r!.configs.length, 3), 'config after node2 left');
    assert.deepEqual(peerDiff(r.configs[1]!, r.configs[2]!), { added: [], removed: ['172.30.0.2'], changed: [] });
    const { peers: _a, ...rest1 } = r.configs[0]!;
    const { peers: _b, ...rest3 } = r.configs[2]!;
    assert.deepEqual(rest3, rest1, 'nothing but the peers changed');
  });

  it('node status heartbeats are dropped on arrival: no derivation, nothing stored but what is used', async () => {
    r = await rig();
    const before = r.source.stats.derivations;
    for (let i = 0; i < 10; i++) {
      const n3 = node('node3', '172.30.0.3', ['10.244.3.0/24'], { rack: 'b' }) as { status: Record<string, unknown> };
      n3.status.conditions = [{ type: 'Ready', status: 'True', lastHeartbeatTime: new Date(i * 1000).toISOString() }];
      n3.status.images = [{ names: [`registry.example/img:${i}`], sizeBytes: 1000 }];
      r.server.put('nodes', n3);
    }
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24'])); // a real change, to know the events arrived
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.equal(r.source.stats.derivations, before + 1, 'only node4 caused a derivation');
    const stored = r.source.reflectors.nodes.items.get('node3')!;
    assert.deepEqual(stored.status, { addresses: [{ type: 'InternalIP', address: '172.30.0.3' }] });
    assert.deepEqual(Object.keys(stored.metadata!).sort(), ['labels', 'name', 'resourceVersion', 'uid']);
  });

  it('a change of the node pod CIDRs is emitted with the same peers', async () => {
    r = await rig();
    r.server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24', '10.244.101.0/24'], { rack: 'a' }));
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.deepEqual(r.configs[1]!.podCIDRs, ['10.244.1.0/24', '10.244.101.0/24']);
    assert.deepEqual(r.configs[1]!.peers, r.configs[0]!.peers);
  });

  it('a BGPPeer change changes only that peer; a node no longer selected drops it', async () => {
    r = await rig();
    r.server.put('bgppeers', bgpPeer('tor-a', { ...(TOR.spec as object), holdTime: 9 }));
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.deepEqual(peerDiff(r.configs[0]!, r.configs[1]!), { added: [], removed: [], changed: ['192.0.2.1'] });
    assert.equal(byAddress(r.configs[1]!).get('192.0.2.1')?.holdTime, 9);
    r.server.put(
      'bgppeers',
      bgpPeer('tor-a', { ...(TOR.spec as object), holdTime: 9, nodeSelector: 'rack in (b, c)' }),
    );
    await eventually(() => assert.equal(r!.configs.length, 3));
    assert.deepEqual(peerDiff(r.configs[1]!, r.configs[2]!), { added: [], removed: ['192.0.2.1'], changed: [] });
  });

  it('relabelling our own Node changes which BGPPeers apply', async () => {
    r = await rig();
    r.server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24'], { rack: 'b' }));
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.deepEqual(peerDiff(r.configs[0]!, r.configs[1]!), { added: [], removed: ['192.0.2.1'], changed: [] });
    r.server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24'], { rack: 'b' }));
    await eventually(() => assert.equal(r!.source.reflectors.nodes.items.get('node2')?.metadata?.labels?.rack, 'b'));
    assert.equal(r.configs.length, 2, "another node's labels do not matter to us");
  });

  it('deleting the BGPConfiguration falls back to the defaults', async () => {
    r = await rig();
    r.server.put('bgpconfigurations', { metadata: { name: 'default' }, spec: { clusterCIDRs: ['10.0.0.0/8'] } });
    await eventually(() => assert.equal(r!.configs.length, 2));
    r.server.remove('bgpconfigurations', 'default');
    await eventually(() => assert.equal(r!.configs.length, 3));
    assert.deepEqual(r.configs[2]!.clusterCIDRs, ['10.244.0.0/16'], 'covering the Nodes’ pod CIDRs');
    assert.equal(r.configs[2]!.asn, 64512);
    assert.deepEqual(peerDiff(r.configs[0]!, r.configs[2]!), { added: [], removed: [], changed: [] });
  });

  it('BGPConfiguration switches the mesh off and overrides the ASN per node', async () => {
    r = await rig();
    r.server.put('bgpconfigurations', {
      metadata: { name: 'default' },
      spec: {
        asn: 64512,
        nodeToNodeMesh: false,
        clusterCIDRs: ['10.244.0.0/16'],
        nodeASNs: [{ node: 'node1', asn: 4200000001 }],
      },
    });
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.equal(r.configs[1]!.asn, 4200000001);
    assert.deepEqual(
      r.configs[1]!.peers.map((p) => p.source),
      ['BGPPeer/tor-a'],
    );
  });

  it('an invalid BGPPeer is reported once and ignored; the rest applies', async () => {
    r = await rig();
    r.server.put('bgppeers', bgpPeer('broken', { peerAddress: '192.0.2.300', asn: 65001 }));
    r.server.put(
      'bgppeers',
      bgpPeer('bad-selector', { peerAddress: '192.0.2.9', asn: 65001, nodeSelector: 'rack in (a' }),
    );
    await eventually(() => assert.equal(r!.errors.length, 2));
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24']));
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.equal(r.errors.length, 2, 'not reported again on the next change');
    const messages = r.errors.map((e) => e.message).sort();
    assert.match(messages[0]!, /BGPPeer\/bad-selector: invalid node selector "rack in \(a": unbalanced parentheses/);
    assert.match(messages[1]!, /BGPPeer\/broken: spec.peerAddress "192.0.2.300" is not an IP address/);
    assert.ok(r.errors.every((e) => e.code === 'ERR_GANNET_K8S_INVALID_OBJECT'));
    assert.ok(!r.configs[1]!.peers.some((p) => p.address === '192.0.2.9'));
  });

  it('a throwing config listener is reported and the watch goes on', async () => {
    r = await rig();
    r.source.on('config', () => {
      throw new Error('agent bug');
    });
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24']));
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.match(r.errors[0]!.message, /a config listener failed: agent bug/);
    r.server.remove('nodes', 'node4');
    await eventually(() => assert.equal(r!.configs.length, 3), 'events still flow');
  });

  it('keeps the last config when its own Node disappears', async () => {
    r = await rig();
    r.server.remove('nodes', 'node1');
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_NODE_NOT_READY');
    assert.equal(r.configs.length, 1);
    assert.equal(r.source.current?.nodeName, 'node1');
  });
});
