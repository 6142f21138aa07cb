// Kubernetes mode against an API server as a pod sees it: HTTPS with the cluster CA and the ServiceAccount token
// from the files the kubelet mounts (and rotates), read by loadKubeConfig's in-cluster path.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api } from '@kubernetes/client-node';
import { loadKubeConfig } from '../../src/kubernetes/kube-config.js';
import { KubernetesSource } from '../../src/kubernetes/kubernetes-source.js';
import { WatchClient } from '../../src/kubernetes/watch-client.js';
import { FakeApiServer } from './fake-apiserver.js';
import { CountingBackoff, eventually, FakeClock, node, RESOURCES } from './helpers.js';
import { makePki, type TestPki } from './tls.js';

describe('kubernetes: in-cluster config over HTTPS, with token rotation', function () {
  this.timeout(10_000);
  let pki: TestPki;
  let server: FakeApiServer;
  let source: KubernetesSource | undefined;
  before(() => {
    pki = makePki('token-1');
  });
  after(() => pki.cleanup());
  beforeEach(async () => {
    server = await FakeApiServer.start(RESOURCES, { tls: { cert: pki.cert, key: pki.key }, tokens: ['token-1'] });
    server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    server.put('bgpconfigurations', { metadata: { name: 'default' }, spec: { clusterCIDRs: ['10.244.0.0/16'] } });
  });
  afterEach(async () => {
    source?.stop();
    source = undefined;
    pki.rotateToken('token-1');
    await server.close();
  });

  const env = () => ({ KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port) });

  it('syncs through TLS verified against ca.crt with the bearer token from the token file', async () => {
    const kc = loadKubeConfig(undefined, { serviceAccountDir: pki.serviceAccountDir, env: env() });
    assert.equal(kc.getCurrentCluster()?.server, `https://127.0.0.1:${server.port}`);
    source = new KubernetesSource({ kubeConfig: kc, nodeName: 'node1', clock: new FakeClock() });
    await source.start();
    assert.equal(source.current?.podCIDRs[0], '10.244.1.0/24');
    await eventually(() => assert.equal(server.watchCount(), 3));
  });

  it('a rotated token is used from the next request on; the old one is refused (401) meanwhile', async () => {
    const kc = loadKubeConfig(undefined, { serviceAccountDir: pki.serviceAccountDir, env: env() });
    const core = kc.makeApiClient(CoreV1Api);
    assert.equal((await core.listNode()).items.length, 1);
    server.acceptTokens(['token-2']); // the old token expired before the kubelet wrote the new one
    await assert.rejects(core.listNode(), (e: { code?: number }) => e.code === 401);
    pki.rotateToken('token-2');
    assert.equal((await core.listNode()).items.length, 1, 'no restart, no 60 s wait');
    // and the watch client, which builds its own requests, reads it too
    const watch = new WatchClient(kc);
    const events: string[] = [];
    const ctrl = await watch.watch(
      '/api/v1/nodes',
      {},
      (type) => events.push(type),
      () => {},
    );
    await eventually(() => assert.deepEqual(events, ['ADDED']));
    ctrl.abort();
    watch.destroy();
  });

  it('a KubernetesSource keeps syncing across a rotation: its watches reconnect with the new token', async () => {
    const kc = loadKubeConfig(undefined, { serviceAccountDir: pki.serviceAccountDir, env: env() });
    const clock = new FakeClock();
    source = new KubernetesSource({
      kubeConfig: kc,
      nodeName: 'node1',
      clock,
      backoff: () => new CountingBackoff(1000),
    });
    await source.start();
    await eventually(() => assert.equal(server.watchCount(), 3));
    pki.rotateToken('token-2');
    server.acceptTokens(['token-2']);
    server.dropWatches();
    await eventually(() => assert.equal(server.watchCount(), 3), 'watches back with the new token');
    assert.deepEqual(
      server.calls.filter((c) => c.status === 401),
      [],
      'the new token was read before the first reconnect',
    );
    server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
    await eventually(() => assert.equal(source!.current?.peers.length, 1));
  });

  it('refuses a server whose certificate the cluster CA did not sign, and names a missing token file', async () => {
    const other = makePki('token-1');
    try {
      const kc = loadKubeConfig(undefined, { serviceAccountDir: other.serviceAccountDir, env: env() });
      await assert.rejects(kc.makeApiClient(CoreV1Api).listNode(), (e: Error & { cause?: { code?: string } }) =>
        /CERT|SIGNATURE|UNABLE_TO_VERIFY/.test(String(e.cause?.code)),
      );
      rmSync(join(other.serviceAccountDir, 'token'));
      await assert.rejects(kc.makeApiClient(CoreV1Api).listNode(), /ServiceAccount token .*token: ENOENT/);
    } finally {
      other.cleanup();
    }
    assert.throws(
      () => loadKubeConfig(undefined, { serviceAccountDir: pki.serviceAccountDir, env: {} }),
      /not running in a pod \(KUBERNETES_SERVICE_HOST unset\)/,
    );
  });
});
