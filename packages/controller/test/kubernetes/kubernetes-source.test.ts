// KubernetesSource driving the real @kubernetes/client-node against the in-process API server.
import assert from 'node:assert/strict';
import type { AgentConfig, PeerConfig } from '../../src/config/types.js';
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import { KubernetesSource } from '../../src/kubernetes/kubernetes-source.js';
import { FakeApiServer } from './fake-apiserver.js';
import { bgpPeer, CountingBackoff, eventually, FakeClock, kubeConfigFor, node, RESOURCES, settle } from './helpers.js';

interface Rig {
  server: FakeApiServer;
  clock: FakeClock;
  source: KubernetesSource;
  configs: AgentConfig[];
  errors: KubernetesError[];
}

const TOR = bgpPeer('tor-a', {
  peerAddress: '192.0.2.1',
  asn: 65000,
  nodeSelector: 'rack == a',
  holdTime: 30,
  maxPrefixes: 500,
  gracefulRestart: false,
});

function seed(server: FakeApiServer): void {
  server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24'], { rack: 'a' }));
  server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24'], { rack: 'a' }));
  server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24'], { rack: 'b' }));
  server.put('bgpconfigurations', {
    metadata: { name: 'default' },
    spec: { asn: 64512, clusterCIDRs: ['10.244.0.0/16'] },
  });
  server.put('bgppeers', TOR);
}

async function rig(opts: { seed?: boolean; start?: boolean; resources?: typeof RESOURCES } = {}): Promise<Rig> {
  const server = await FakeApiServer.start(opts.resources ?? RESOURCES);
  if (opts.seed !== false) seed(server);
  const clock = new FakeClock();
  const source = new KubernetesSource({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node1',
    clock,
    backoff: () => new CountingBackoff(1000),
  });
  const configs: AgentConfig[] = [];
  const errors: KubernetesError[] = [];
  source.on('config', (c) => configs.push(c));
  source.on('error', (e) => errors.push(e));
  if (opts.start !== false) {
    await source.start();
    await eventually(() => assert.equal(server.watchCount(), 3), 'three watches');
  }
  return { server, clock, source, configs, errors };
}

const byAddress = (c: AgentConfig) => new Map(c.peers.map((p) => [p.address, p]));

/** The peers that differ between two configs: added, removed, changed (by address). */
function peerDiff(a: AgentConfig, b: AgentConfig): { added: string[]; removed: string[]; changed: string[] } {
  const pa = byAddress(a);
  const pb = byAddress(b);
  const same = (x: PeerConfig, y: PeerConfig) => JSON.stringify(x) === JSON.stringify(y);
  return {
    added: [...pb.keys()].filter((k) => !pa.has(k)),
    removed: [...pa.keys()].filter((k) => !pb.has(k)),
    changed: [...pb.keys()].filter((k) => pa.has(k) && !same(pa.get(k)!, pb.get(k)!)),
  };
}

describe('kubernetes/KubernetesSource against the fake API server', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
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
        { address: '172.30.0.2', asn: 64512, source: 'mesh:node2' },
        { address: '172.30.0.3', asn: 64512, source: 'mesh:node3' },
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

  it('an API outage keeps the last config: no emission, one error per resource, resync without a flap', async () => {
    r = await rig();
    const before = r.source.current;
    await r.server.outage();
    await eventually(() => assert.equal(r!.errors.length, 3), 'one error per watched resource');
    for (let i = 0; i < 20; i++) {
      r.clock.advance(1000); // every reflector retries, and fails, 20 times
      await settle(10);
    }
    assert.ok(r.source.reflectors.nodes.stats.failures >= 10, 'it kept retrying');
    assert.equal(r.errors.length, 3, 'no error storm');
    assert.ok(r.errors.every((e) => e.code === 'ERR_GANNET_K8S_UNREACHABLE'));
    assert.equal(r.configs.length, 1, 'nothing emitted: nothing withdrawn');
    assert.deepEqual(r.source.current, before);
    assert.equal(r.source.health().failing.length, 3);
    await r.server.restore();
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.server.watchCount(), 3), 'watches back');
    await settle();
    assert.equal(r.configs.length, 1, 'same config after the outage: nothing emitted');
    assert.deepEqual(r.source.health().failing, []);
    r.server.put('nodes', node('node5', '172.30.0.5', ['10.244.5.0/24']));
    await eventually(() => assert.equal(r!.configs.length, 2), 'changes flow again');
  });

  for (const expiredAs of ['event', 'status'] as const) {
    it(`410 Gone (${expiredAs === 'event' ? 'ERROR event' : 'HTTP 410'}) relists and emits nothing when nothing changed`, async () => {
      r = await rig();
      r.server.expiredAs = expiredAs;
      r.server.dropWatches();
      // while we are away: a node heartbeat (no field we use) and a compaction past our resourceVersion
      r.server.put('nodes', {
        ...node('node3', '172.30.0.3', ['10.244.3.0/24'], { rack: 'b' }),
        status: {
          addresses: [{ type: 'InternalIP', address: '172.30.0.3' }],
          conditions: [{ type: 'Ready', status: 'True' }],
        },
      });
      r.server.compact();
      r.clock.advance(1000);
      await eventually(() => assert.equal(r!.source.reflectors.nodes.stats.relistsAfterGone, 1), 'relist after 410');
      await eventually(() => assert.equal(r!.server.watchCount(), 3), 'watches back');
      await settle();
      assert.equal(r.configs.length, 1, 'no config emitted by the relist');
      assert.equal(r.source.reflectors.nodes.stats.lists, 2);
      const nodeLists = r.server.calls.filter((c) => c.verb === 'list' && c.resource === 'nodes');
      assert.deepEqual(
        nodeLists.map((c) => c.resourceVersion),
        ['0', undefined],
        'first list from the watch cache, the relist after 410 the most recent state',
      );
    });
  }

  it('410 relist emits exactly the change made while the watch was gone', async () => {
    r = await rig();
    r.server.dropWatches();
    r.server.remove('nodes', 'node3');
    r.server.compact();
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.configs.length, 2));
    assert.deepEqual(peerDiff(r.configs[0]!, r.configs[1]!), { added: [], removed: ['172.30.0.3'], changed: [] });
    assert.equal(r.source.reflectors.nodes.stats.relistsAfterGone, 1);
  });

  it('bookmarks keep the resourceVersion fresh: no relist after a compaction', async () => {
    r = await rig();
    r.server.put('bgppeers', bgpPeer('other', { peerAddress: '192.0.2.77', asn: 65077, nodeSelector: 'rack == z' }));
    await eventually(() => assert.equal(r!.source.reflectors.peers.items.size, 2));
    r.server.bookmark();
    await eventually(() => assert.equal(r!.source.reflectors.nodes.resourceVersion, String(r!.server.resourceVersion)));
    r.server.compact();
    r.server.dropWatches();
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(r.source.reflectors.nodes.stats.relistsAfterGone, 0);
    assert.equal(r.source.reflectors.nodes.stats.lists, 1);
    assert.equal(r.configs.length, 1);
  });

  it('a watch the server ends cleanly resumes from its resourceVersion without relisting', async () => {
    r = await rig();
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24']));
    await eventually(() => assert.equal(r!.configs.length, 2));
    r.server.endWatches();
    // nodes had events: reopened at once; the quiet ones wait one backoff step (a server closing at once is no loop)
    await eventually(() => assert.equal(r!.clock.pending, 2), 'two backoff timers');
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(r.source.reflectors.nodes.stats.lists, 1);
    r.server.remove('nodes', 'node4');
    await eventually(() => assert.equal(r!.configs.length, 3));
  });

  it('start() rejects with a clear error when RBAC forbids listing nodes', async () => {
    r = await rig({ start: false });
    r.server.forbid('list', 'nodes');
    await assert.rejects(r.source.start(), (e: KubernetesError) => {
      assert.equal(e.code, 'ERR_GANNET_K8S_FORBIDDEN');
      assert.match(e.message, /list nodes: forbidden \(HTTP 403\); check the gannet ClusterRole/);
      return true;
    });
  });

  it('a 403 after the first sync is reported once and the config is kept', async () => {
    r = await rig();
    r.server.forbid('watch', 'bgppeers');
    r.server.dropWatches();
    for (let i = 0; i < 5; i++) {
      r.clock.advance(1000);
      await settle(15);
    }
    const forbidden = r.errors.filter((e) => e.code === 'ERR_GANNET_K8S_FORBIDDEN');
    assert.equal(forbidden.length, 1);
    assert.match(forbidden[0]!.message, /watch bgppeers: forbidden/);
    assert.equal(r.configs.length, 1);
  });

  it('API unreachable at start: start() waits, reports once, and resolves when the API comes', async () => {
    r = await rig({ start: false });
    await r.server.outage();
    let started = false;
    const starting = r.source.start().then(() => {
      started = true;
    });
    await eventually(() => assert.equal(r!.errors.length, 3));
    r.clock.advance(1000);
    await settle(20);
    assert.equal(started, false);
    assert.equal(r.errors.length, 3);
    await r.server.restore();
    r.clock.advance(1000);
    await starting;
    assert.equal(r.configs.length, 1);
  });

  it('waits for the node to get a pod CIDR, reporting it once', async () => {
    r = await rig({ start: false, seed: false });
    r.server.put('nodes', node('node1', '172.30.0.1', []));
    let started = false;
    const starting = r.source.start().then(() => {
      started = true;
    });
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_NODE_NOT_READY');
    assert.match(r.errors[0]!.message, /Node\/node1: has no spec.podCIDRs yet/);
    r.server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
    await settle();
    assert.equal(started, false);
    assert.equal(r.errors.length, 1);
    r.server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    await starting;
    assert.deepEqual(r.configs[0]!.podCIDRs, ['10.244.1.0/24']);
    assert.deepEqual(r.configs[0]!.clusterCIDRs, [], 'no BGPConfiguration: accept nothing (DESIGN.md default)');
    assert.equal(r.configs[0]!.asn, 64512);
  });

  it('an ERROR event in the watch stream is reported once and the watch reopened after backoff', async () => {
    r = await rig();
    r.server.errorWatches(500);
    await eventually(() => assert.equal(r!.errors.length, 3));
    assert.ok(
      r.errors.every((e) => e.code === 'ERR_GANNET_K8S_UNREACHABLE' && /injected 500/.test(e.message)),
      r.errors.map((e) => e.message).join('; '),
    );
    assert.equal(r.server.watchCount(), 0, 'no reconnect before the backoff');
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(r.source.reflectors.nodes.stats.lists, 1, 'resumed, not relisted');
    assert.equal(r.configs.length, 1);
  });

  it('CRDs not installed: a clear error, and it starts once they are', async () => {
    const peers = RESOURCES.find((d) => d.plural === 'bgppeers')!;
    r = await rig({ start: false, seed: false, resources: RESOURCES.filter((d) => d !== peers) });
    r.server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    const starting = r.source.start();
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_API');
    assert.match(
      r.errors[0]!.message,
      /^list bgppeers: not found \(HTTP 404\); is the CustomResourceDefinition installed/,
    );
    r.server.define(peers);
    r.clock.advance(1000);
    await starting;
    assert.equal(r.source.nodeUid, r.server.get('nodes', 'node1')!.metadata.uid);
    assert.deepEqual(r.source.health(), { synced: true, failing: [] });
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
