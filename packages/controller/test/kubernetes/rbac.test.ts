// The ClusterRole of deploy/rbac.yaml grants exactly the calls the code makes: a scenario exercises every API call
// path of KubernetesSource and NodeStatusWriter against the fake API server, and the (verb, resource) pairs it
// issued must equal the pairs the role grants. Calls made by every other test of this process must be granted too.
// The status object the writer produced must also pass the GannetNodeStatus schema.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { KubernetesSource } from '../../src/kubernetes/kubernetes-source.js';
import { NodeStatusWriter } from '../../src/kubernetes/node-status-writer.js';
import { KubernetesPolicySource } from '../../src/kubernetes/policy-source.js';
import { KubernetesServiceSource } from '../../src/kubernetes/service-source.js';
import { ALL_CALLS, type ApiCall, CORE_SECRETS, FakeApiServer } from './fake-apiserver.js';
import { apiPod, namespace, networkPolicy, POLICY_RESOURCES } from './fake-pods.js';
import { apiEndpointSlice, apiService, CORE_SERVICES, ENDPOINT_SLICES } from './fake-services.js';
import { bgpPeer, CountingBackoff, eventually, FakeClock, kubeConfigFor, node, repoRoot } from './helpers.js';
import { loadYaml, schemaOf } from './manifests.js';
import { validate } from './openapi-validator.js';

const pair = (c: Pick<ApiCall, 'verb' | 'group' | 'resource'>) =>
  `${c.verb} ${c.group ? `${c.group}/` : ''}${c.resource}`;

function granted(): Set<string> {
  const docs = loadYaml(join(repoRoot(), 'deploy', 'rbac.yaml'));
  // the ClusterRole, and the Role of the agent's namespace (get secrets: BGPPeer passwords)
  const rules = docs.filter((d) => d.kind === 'ClusterRole' || d.kind === 'Role').flatMap((d) => d.rules);
  const out = new Set<string>();
  for (const rule of rules as {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
    resourceNames?: string[];
  }[]) {
    for (const g of rule.apiGroups) {
      for (const r of rule.resources) {
        for (const v of rule.verbs) {
          assert.ok(!['*'].includes(v) && !r.includes('*') && g !== '*', 'no wildcards');
          out.add(pair({ verb: v as ApiCall['verb'], group: g, resource: r }));
        }
      }
    }
  }
  return out;
}

describe('deploy/rbac.yaml against the calls the code makes', function () {
  this.timeout(10_000);
  let server: FakeApiServer;
  let source: KubernetesSource | undefined;
  let writer: NodeStatusWriter | undefined;
  let policySource: KubernetesPolicySource | undefined;
  let serviceSource: KubernetesServiceSource | undefined;
  afterEach(async () => {
    source?.stop();
    policySource?.stop();
    serviceSource?.stop();
    writer?.stop();
    await server?.close();
  });

  it('the scenario issues exactly the granted (verb, resource) pairs, and the status it writes is schema-valid', async () => {
    server = await FakeApiServer.start([...POLICY_RESOURCES, CORE_SERVICES, ENDPOINT_SLICES, CORE_SECRETS]);
    server.put('secrets', {
      metadata: { namespace: 'gannet-system', name: 'tor-md5' },
      data: { password: Buffer.from('s3cret').toString('base64') },
    });
    server.put(
      'bgppeers',
      bgpPeer('tor-md5', {
        peerAddress: '192.0.2.9',
        asn: 65000,
        password: { secretKeyRef: { name: 'tor-md5', key: 'password' } },
      }),
    );
    server.put('services', apiService('shop', 'web', { lb: ['198.51.100.7'] }));
    server.put('endpointslices', apiEndpointSlice('shop', 'web', ['node1']));
    server.put('namespaces', namespace('shop'));
    server.put('pods', apiPod('shop', 'web', { ips: ['10.244.1.2'] }));
    server.put('networkpolicies', networkPolicy('shop', 'deny', { podSelector: {} }));
    server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
    server.put('bgpconfigurations', { metadata: { name: 'default' }, spec: { clusterCIDRs: ['10.244.0.0/16'] } });
    server.put('bgppeers', bgpPeer('tor', { peerAddress: '192.0.2.1', asn: 65000 }));
    const kubeConfig = kubeConfigFor(server.url);
    const clock = new FakeClock();
    source = new KubernetesSource({ kubeConfig, nodeName: 'node1', clock, backoff: () => new CountingBackoff() });
    await source.start();
    await eventually(() => assert.equal(server.watchCount(), 3));
    policySource = new KubernetesPolicySource({
      kubeConfig,
      nodeName: 'node1',
      clock,
      backoff: () => new CountingBackoff(),
    });
    policySource.start();
    await eventually(() => assert.ok(policySource!.synced()));
    await eventually(() => assert.equal(server.watchCount(), 6));
    assert.equal(policySource.objects().policies.length, 1);
    serviceSource = new KubernetesServiceSource({
      kubeConfig,
      nodeName: 'node1',
      clock,
      backoff: () => new CountingBackoff(),
    });
    const advertised = new Promise<string[]>((r) => serviceSource!.once('prefixes', r));
    serviceSource.setRanges({ clusterIPs: [], externalIPs: [], loadBalancerIPs: ['198.51.100.0/24'] });
    serviceSource.start();
    assert.deepEqual(await advertised, ['198.51.100.7/32']);
    await eventually(() => assert.equal(server.watchCount(), 8));
    writer = new NodeStatusWriter({
      kubeConfig,
      nodeName: 'node1',
      nodeUid: () => source?.nodeUid,
      clock,
      backoff: new CountingBackoff(),
    });
    const peers = source.current!.peers.map((p) => ({
      address: p.address,
      asn: p.asn,
      state: 'Established',
      uptimeSeconds: 10,
      lastError: null,
      prefixesReceived: 1,
      prefixesAccepted: 1,
      prefixesAdvertised: 1,
    }));
    const report = {
      sessions: peers,
      advertisedPrefixes: source.current!.podCIDRs,
      asn: 64512,
      routerId: '172.30.0.1',
    };
    await writer.flush(); // nothing pending: no call
    writer.update(report);
    await writer.flush(); // apply (creates it)
    writer.update({ ...report, sessions: [{ ...peers[0]!, state: 'Active', lastError: 'hold timer expired' }] });
    await writer.flush(); // apply
    const stored = server.get('gannetnodestatuses', 'node1')!;
    assert.deepEqual(validate(schemaOf('GannetNodeStatus'), stored), []);
    assert.equal(stored.status.lastError, '172.30.0.2: hold timer expired');

    const issued = new Set(server.calls.map(pair));
    assert.deepEqual([...issued].sort(), [...granted()].sort());
  });

  it("the binding gives the role to the DaemonSet's ServiceAccount, and nothing else is bound", () => {
    const docs = loadYaml(join(repoRoot(), 'deploy', 'rbac.yaml'));
    const [ds] = loadYaml(join(repoRoot(), 'deploy', 'daemonset.yaml'));
    const sa = docs.find((d) => d.kind === 'ServiceAccount')!;
    const role = docs.find((d) => d.kind === 'ClusterRole')!;
    const bindings = docs.filter((d) => d.kind.endsWith('Binding'));
    assert.deepEqual(
      docs.map((d) => d.kind),
      ['ServiceAccount', 'ClusterRole', 'Role', 'RoleBinding', 'ClusterRoleBinding'],
    );
    // the Role: get secrets in the agent's namespace, nothing else, bound to the same ServiceAccount
    const nsRole = docs.find((d) => d.kind === 'Role')!;
    const nsBinding = docs.find((d) => d.kind === 'RoleBinding')!;
    assert.equal(nsRole.metadata.namespace, sa.metadata.namespace);
    assert.deepEqual(nsRole.rules, [{ apiGroups: [''], resources: ['secrets'], verbs: ['get'] }]);
    assert.deepEqual(nsBinding.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'Role',
      name: nsRole.metadata.name,
    });
    assert.deepEqual(nsBinding.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    bindings.splice(bindings.indexOf(nsBinding), 1);
    assert.equal(bindings.length, 1);
    assert.deepEqual(bindings[0]!.roleRef, {
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: role.metadata.name,
    });
    assert.deepEqual(bindings[0]!.subjects, [
      { kind: 'ServiceAccount', name: sa.metadata.name, namespace: sa.metadata.namespace },
    ]);
    assert.equal(ds!.spec.template.spec.serviceAccountName, sa.metadata.name);
    assert.equal(ds!.metadata.namespace, sa.metadata.namespace);
  });

  it('every call made by every test in this process is granted (a 403 the fake server was told to give aside)', () => {
    const role = granted();
    const calls = new Set(ALL_CALLS.map(pair));
    assert.ok(calls.size > 0);
    for (const c of calls) assert.ok(role.has(c), `the code called "${c}", which deploy/rbac.yaml does not grant`);
  });
});
