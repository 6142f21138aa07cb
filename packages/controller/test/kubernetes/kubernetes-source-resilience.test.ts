// KubernetesSource when the API server misbehaves: outages, 410 Gone, dropped and ended watches, 403, ERROR events.
import assert from 'node:assert/strict';
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import { bgpPeer, eventually, node, RESOURCES, settle } from './helpers.js';
import { peerDiff, type Rig, rig } from './source-rig.js';

describe('kubernetes/KubernetesSource: outages, 410 Gone, dropped watches, 403', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
  });

  it('an API outage keeps the last config: no emission, one error per resource, resync without a flap', async () => {
    r = await rig();
    const before = r.source.current;
    await r.server.outage();
    await eventually(() => assert.equal(r!.errors.length, 3), 'one error per watched resource');
    const failures = () => Object.values(r!.source.reflectors).reduce((n, x) => n + x.stats.failures, 0);
    const start = failures();
    for (let i = 1; i <= 20; i++) {
      await eventually(() => assert.equal(r!.clock.pending(), 3), 'three retries scheduled');
      r.clock.advance(1000); // every reflector retries, and fails, 20 times
      await eventually(() => assert.equal(failures(), start + 3 * i), `round ${i} failed`);
    }
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
      const had = r.source.reflectors.nodes.resourceVersion;
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
        nodeLists.map((c) => [c.resourceVersion, c.resourceVersionMatch]),
        [
          ['0', undefined],
          [had, 'NotOlderThan'],
        ],
        'first list from the watch cache, the relist after 410 not older than what we had: the watch cache again',
      );
      assert.equal(r.server.load.quorumLists, 0, 'etcd was never read');
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
    await eventually(() => assert.equal(r!.clock.pending(), 2), 'two backoff timers');
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(r.source.reflectors.nodes.stats.lists, 1);
    r.server.remove('nodes', 'node4');
    await eventually(() => assert.equal(r!.configs.length, 3));
    // a stream that lasted (the server's timeoutSeconds) is reopened at once, quiet or not
    r.clock.advance(10_000);
    r.server.endWatches();
    await eventually(() => assert.equal(r!.server.watchCount(), 3), 'reopened without waiting for a backoff');
    assert.equal(r.clock.pending(), 0);
  });

  it('stop() right after start() closes the watches that were still connecting', async () => {
    r = await rig({ start: false });
    await r.source.start(); // resolves on the lists, before the watches are connected
    r.source.stop();
    await settle(100);
    assert.equal(r.server.watchCount(), 0);
    assert.equal(r.clock.pending(), 0, 'no timer left behind');
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
    const watches403 = () => r!.server.calls.filter((c) => c.verb === 'watch' && c.status === 403).length;
    await eventually(() => assert.equal(watches403(), 1), 'the quiet reopen is refused');
    for (let i = 2; i <= 5; i++) {
      await eventually(() => assert.equal(r!.clock.pending(), 1), 'the retry is scheduled');
      r.clock.advance(1000);
      await eventually(() => assert.equal(watches403(), i), `refused retry ${i}`);
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
    assert.deepEqual(r.configs[0]!.clusterCIDRs, ['10.244.0.0/16'], 'no BGPConfiguration: the Nodes’ pod CIDRs');
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
});
