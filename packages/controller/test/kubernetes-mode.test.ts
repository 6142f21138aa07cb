// Kubernetes mode's glue against the in-process fake API server: the first config, pushed updates, status written back.
import assert from 'node:assert/strict';
import type { AgentConfig } from '../src/config/types.js';
import { startKubernetesMode } from '../src/kubernetes-mode.js';
import { silentLogger } from '../src/log.js';
import { peerStatus } from './fakes.js';
import { FakeApiServer } from './kubernetes/fake-apiserver.js';
import { eventually, kubeConfigFor, node, RESOURCES } from './kubernetes/helpers.js';

describe('controller: Kubernetes mode', () => {
  let server: FakeApiServer;
  beforeEach(async () => {
    server = await FakeApiServer.start(RESOURCES);
    server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
    server.put('bgpconfigurations', {
      metadata: { name: 'default' },
      spec: { asn: 64512, clusterCIDRs: ['10.244.0.0/16'] },
    });
  });
  afterEach(async () => {
    await server.close();
  });

  it('starts from the API, follows changes, and writes the session status back owned by the Node', async () => {
    const k8s = await startKubernetesMode({
      kubeConfig: kubeConfigFor(server.url),
      nodeName: 'node1',
      logger: silentLogger(),
      statusIntervalMs: 50,
    });
    try {
      assert.equal(k8s.config.nodeName, 'node1');
      assert.equal(k8s.config.routerId, '172.30.0.1');
      assert.deepEqual(k8s.config.podCIDRs, ['10.244.1.0/24']);
      assert.deepEqual(
        k8s.config.peers.map((p) => [p.address, p.asn]),
        [['172.30.0.2', 64512]],
      );
      const seen: AgentConfig[] = [];
      k8s.subscribe((c) => seen.push(c));
      server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24']));
      const grown = await eventually(() => {
        assert.ok(seen.length > 0);
        return seen.at(-1)!;
      }, 'the mesh to grow');
      assert.deepEqual(
        grown.peers.map((p) => p.address),
        ['172.30.0.2', '172.30.0.3'],
      );

      k8s.reportStatus(() => [peerStatus({ address: '172.30.0.2', asn: 64512 })]);
      const status = await eventually(
        () => {
          const s = server.get('gannetnodestatuses', 'node1');
          assert.ok(s, 'status written');
          return s;
        },
        'the node status',
        10_000,
      );
      assert.equal(JSON.stringify(status).includes('172.30.0.2'), true);
      assert.equal(status.metadata.ownerReferences?.[0]?.kind, 'Node');
    } finally {
      k8s.stop();
    }
  });
});
