// Service advertisement in Kubernetes mode against the in-process fake API server: with Service lists in the
// BGPConfiguration, the config handed to the agent carries the selected prefixes in `advertise`, follows endpoint
// moves (eTP Local) and never carries an address outside the lists; without lists nothing is watched.
import assert from 'node:assert/strict';
import type { AgentConfig } from '../src/config/types.js';
import { type KubernetesMode, startKubernetesMode } from '../src/kubernetes-mode.js';
import { silentLogger } from '../src/log.js';
import type { FakeApiServer as Server } from './kubernetes/fake-apiserver.js';
import { FakeApiServer } from './kubernetes/fake-apiserver.js';
import { apiEndpointSlice, apiService, SERVICE_RESOURCES } from './kubernetes/fake-services.js';
import { CountingBackoff, eventually, kubeConfigFor, node } from './kubernetes/helpers.js';

function seed(server: Server, spec: Record<string, unknown>): void {
  server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
  server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
  server.put('bgpconfigurations', {
    metadata: { name: 'default' },
    spec: { clusterCIDRs: ['10.244.0.0/16'], ...spec },
  });
}

describe('controller: Kubernetes mode advertises Service addresses', function () {
  this.timeout(10_000);
  let server: FakeApiServer;
  let k8s: KubernetesMode | undefined;
  afterEach(async () => {
    k8s?.stop();
    k8s = undefined;
    await server?.close();
  });

  async function start(): Promise<{ configs: AgentConfig[] }> {
    k8s = await startKubernetesMode({
      kubeConfig: kubeConfigFor(server.url),
      nodeName: 'node1',
      logger: silentLogger(),
      savedConfigFile: false,
      networkPolicy: false,
      backoff: () => new CountingBackoff(20),
    });
    const configs: AgentConfig[] = [(await k8s.firstConfig).config];
    k8s.subscribe((c) => configs.push(c));
    return { configs };
  }
  const last = (c: { configs: AgentConfig[] }) => c.configs[c.configs.length - 1]!;

  it('ClusterIP range, an LB IP with eTP Local from the endpoint’s node only, moving with the endpoint', async () => {
    server = await FakeApiServer.start(SERVICE_RESOURCES);
    seed(server, {
      serviceClusterIPs: ['10.96.0.0/12'],
      serviceLoadBalancerIPs: ['198.51.100.0/24'],
      serviceExternalIPs: ['192.0.2.0/24'],
    });
    server.put('services', apiService('shop', 'web', { lb: ['198.51.100.7'], local: true }));
    server.put('services', apiService('shop', 'typo', { externalIPs: ['192.0.3.9'] }));
    server.put('endpointslices', apiEndpointSlice('shop', 'web', ['node1']));
    server.put('endpointslices', apiEndpointSlice('shop', 'typo', ['node1', 'node2']));
    const c = await start();
    await eventually(() => assert.deepEqual(last(c).advertise, ['10.96.0.0/12', '198.51.100.7/32']));
    assert.deepEqual(last(c).serviceRanges?.loadBalancerIPs, ['198.51.100.0/24']);
    // The endpoint moves to node2: node1 withdraws the /32, keeps the range.
    server.put('endpointslices', apiEndpointSlice('shop', 'web', ['node2']));
    await eventually(() => assert.deepEqual(last(c).advertise, ['10.96.0.0/12']));
    // Back, then the Service goes.
    server.put('endpointslices', apiEndpointSlice('shop', 'web', ['node2', 'node1']));
    await eventually(() => assert.deepEqual(last(c).advertise, ['10.96.0.0/12', '198.51.100.7/32']));
    server.remove('services', 'shop/web');
    await eventually(() => assert.deepEqual(last(c).advertise, ['10.96.0.0/12']));
    assert.ok(
      c.configs.every((x) => !(x.advertise ?? []).includes('192.0.3.9/32')),
      'the typo never leaked',
    );
  });

  it('without Service lists nothing is watched and nothing is advertised', async () => {
    server = await FakeApiServer.start(SERVICE_RESOURCES);
    seed(server, {});
    server.put('services', apiService('shop', 'web', { lb: ['198.51.100.7'] }));
    const c = await start();
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(last(c).advertise, undefined);
    assert.ok(!server.calls.some((x) => x.resource === 'services' || x.resource === 'endpointslices'));
  });
});
