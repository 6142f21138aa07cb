// Route reflectors through KubernetesSource against the in-process API server: labelling a node per the
// BGPConfiguration's routeReflectorSelector turns the mesh into reflector sessions, live, and unlabelling turns it back.
import assert from 'node:assert/strict';
import { eventually, node, settle } from './helpers.js';
import { type Rig, rig } from './source-rig.js';

const SELECTOR = 'gannet.dev/route-reflector == true';

describe('kubernetes/KubernetesSource: route reflectors from node labels', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
  });

  const meshPeers = (i: number) =>
    r!.configs[i]!.peers.filter((p) => p.source?.startsWith('mesh:') || p.source?.startsWith('rr')).map((p) => [
      p.address,
      p.source,
      p.routeReflectorClient ?? false,
    ]);

  it('a client node: mesh → reflector only → mesh again', async () => {
    r = await rig();
    assert.deepEqual(meshPeers(0), [
      ['172.30.0.2', 'mesh:node2', false],
      ['172.30.0.3', 'mesh:node3', false],
    ]);
    r.server.put('bgpconfigurations', {
      metadata: { name: 'default' },
      spec: { asn: 64512, clusterCIDRs: ['10.244.0.0/16'], routeReflectorSelector: SELECTOR },
    });
    // No node matches yet: still the mesh (the derived config is unchanged, so nothing is emitted).
    await settle(100);
    assert.equal(r.configs.length, 1);
    r.server.put(
      'nodes',
      node('node3', '172.30.0.3', ['10.244.3.0/24'], { rack: 'b', 'gannet.dev/route-reflector': 'true' }),
    );
    await eventually(() => assert.deepEqual(meshPeers(r!.configs.length - 1), [['172.30.0.3', 'rr:node3', false]]));
    assert.equal(r.configs.at(-1)?.routeReflector, undefined);
    r.server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24'], { rack: 'b' }));
    await eventually(() =>
      assert.deepEqual(meshPeers(r!.configs.length - 1), [
        ['172.30.0.2', 'mesh:node2', false],
        ['172.30.0.3', 'mesh:node3', false],
      ]),
    );
    assert.deepEqual(r.errors, []);
  });

  it('the labelled node itself becomes a reflector with the others as clients', async () => {
    r = await rig();
    r.server.put('bgpconfigurations', {
      metadata: { name: 'default' },
      spec: {
        asn: 64512,
        clusterCIDRs: ['10.244.0.0/16'],
        routeReflectorSelector: SELECTOR,
        routeReflectorClusterId: '10.255.0.1',
      },
    });
    r.server.put(
      'nodes',
      node('node1', '172.30.0.1', ['10.244.1.0/24'], { rack: 'a', 'gannet.dev/route-reflector': 'true' }),
    );
    await eventually(() => assert.deepEqual(r!.configs.at(-1)?.routeReflector, { clusterId: '10.255.0.1' }));
    assert.deepEqual(meshPeers(r.configs.length - 1), [
      ['172.30.0.2', 'rr-client:node2', true],
      ['172.30.0.3', 'rr-client:node3', true],
    ]);
  });
});
