// Kubernetes mode's NetworkPolicy path against the fake API server: its policy source feeds the agent's PolicyEngine
// (in-memory nft), changes in the API reach the kernel's ruleset, a refused NetworkPolicy shows in /readyz's entries
// and in the GannetNodeStatus, and the engine's state is written to status.policy.
import assert from 'node:assert/strict';
import { evaluateForward, MemoryNftRunner } from '@gannet/policy/testing';
import { type KubernetesMode, startKubernetesMode } from '../src/kubernetes-mode.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { PolicyEngine } from '../src/network-policy/policy-engine.js';
import { policySettings } from '../src/network-policy/settings.js';
import { FakeApiServer } from './kubernetes/fake-apiserver.js';
import { apiPod, namespace, networkPolicy, POLICY_RESOURCES } from './kubernetes/fake-pods.js';
import { CountingBackoff, eventually, kubeConfigFor, node } from './kubernetes/helpers.js';

describe('controller: Kubernetes mode enforces NetworkPolicies', function () {
  this.timeout(10_000);
  let server: FakeApiServer;
  let k8s: KubernetesMode | undefined;
  let engine: PolicyEngine | undefined;
  beforeEach(async () => {
    server = await FakeApiServer.start(POLICY_RESOURCES);
    server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
    server.put('bgpconfigurations', { metadata: { name: 'default' }, spec: { clusterCIDRs: ['10.244.0.0/16'] } });
    server.put('namespaces', namespace('shop'));
    server.put('pods', apiPod('shop', 'web', { ips: ['10.244.1.2'], labels: { app: 'web' } }));
    server.put('pods', apiPod('shop', 'client', { ips: ['10.244.2.2'], labels: { app: 'client' }, node: 'node2' }));
    server.put('pods', apiPod('shop', 'other', { ips: ['10.244.2.3'], labels: { app: 'other' }, node: 'node2' }));
  });
  afterEach(async () => {
    await engine?.stop();
    engine = undefined;
    k8s?.stop();
    k8s = undefined;
    await server.close();
  });

  it('API objects → engine → nft; a refused policy is reported in readiness and status; status.policy written', async () => {
    k8s = await startKubernetesMode({
      kubeConfig: kubeConfigFor(server.url),
      nodeName: 'node1',
      logger: silentLogger(),
      statusIntervalMs: 20,
      savedConfigFile: false,
      backoff: () => new CountingBackoff(20),
    });
    const { config } = await k8s.firstConfig;
    assert.equal(k8s.policySources.length, 1);
    const nft = new MemoryNftRunner();
    engine = new PolicyEngine({
      nft,
      sources: k8s.policySources,
      settings: policySettings(config, []),
      logger: silentLogger(),
      debounceMs: 1,
    });
    await engine.start();
    await eventually(() => assert.equal(engine!.status().applied, true), 'first apply');
    const allowed = (saddr: string, daddr: string) =>
      evaluateForward(engine!.model()!, { saddr, daddr, proto: 'tcp', dport: 80 });
    assert.ok(allowed('10.244.2.3', '10.244.1.2'), 'no policy yet');
    // every node's InternalIP is a node address (never NATed)
    assert.match(nft.scripts[0]!, /172\.30\.0\.2/);

    server.put(
      'networkpolicies',
      networkPolicy('shop', 'web', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'client' } } }] }],
      }),
    );
    await eventually(() => assert.equal(engine!.status().policies, 1), 'policy applied');
    await engine.idle();
    assert.ok(allowed('10.244.2.2', '10.244.1.2'), 'client → web');
    assert.equal(allowed('10.244.2.3', '10.244.1.2'), false, 'other → web');

    // a new pod labelled client, on another node: allowed once its IP is known
    server.put('pods', apiPod('shop', 'client2', { ips: ['10.244.2.9'], labels: { app: 'client' }, node: 'node2' }));
    await eventually(() => {
      assert.ok(allowed('10.244.2.9', '10.244.1.2'));
    }, 'client2 allowed');

    // an edit the compiler refuses: the last accepted version stays, reported in /readyz and the status
    server.put(
      'networkpolicies',
      networkPolicy('shop', 'web', {
        podSelector: { matchLabels: { app: 'web' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'other' } } }], future: true }],
      }),
    );
    await eventually(
      () =>
        assert.match(engine!.notReady().join('\n'), /kubernetes: NetworkPolicy shop\/web: spec\.ingress\[0\]\.future/),
      'readiness names it',
    );
    assert.ok(allowed('10.244.2.2', '10.244.1.2'), 'the last accepted version');
    assert.equal(allowed('10.244.2.3', '10.244.1.2'), false);

    const metrics = createMetrics({
      peers: () => [],
      routes: () => ({ desired: 0, installed: 0, failed: 0, applies: 0, errors: 0, lastApplySeconds: 0 }),
      ipam: () => undefined,
      policy: () => engine!.status(),
    });
    const text = await metrics.registry.metrics();
    metrics.close();
    assert.match(text, /^gannet_policy_source_problems\{source="kubernetes"\} 1$/m);
    assert.match(text, /^gannet_policy_policies 1$/m);

    k8s.reportStatus(
      () => [],
      () => engine!.status(),
    );
    const status = await eventually(() => {
      const s = server.get('gannetnodestatuses', 'node1');
      assert.ok(s?.status?.policy, 'status.policy written');
      return s.status.policy;
    }, 'the node status');
    assert.equal(status.applied, true);
    assert.equal(status.policies, 1);
    assert.equal(status.selectedPods, 1);
    assert.equal(status.rejectedCount, 1);
    assert.equal(status.rejected[0].policy, 'shop/web');
    assert.equal(status.rejected[0].keptLastGood, true);
    assert.match(status.rejected[0].message, /spec\.ingress\[0\]\.future: unknown field/);
  });

  it('networkPolicy: false watches no pods, namespaces nor NetworkPolicies', async () => {
    k8s = await startKubernetesMode({
      kubeConfig: kubeConfigFor(server.url),
      nodeName: 'node1',
      logger: silentLogger(),
      savedConfigFile: false,
      networkPolicy: false,
    });
    await k8s.firstConfig;
    assert.deepEqual(k8s.policySources, []);
    assert.deepEqual(
      server.calls.filter((c) => ['pods', 'namespaces', 'networkpolicies'].includes(c.resource)),
      [],
    );
  });
});
