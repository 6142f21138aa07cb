// From API objects to @gannet/policy's input: trimming, which pods take part, named ports, identity kept for
// unchanged objects, and a refused NetworkPolicy (the last good version of the object stays enforced).
import assert from 'node:assert/strict';
import { compilePolicies, type PodInfo } from '@gannet/policy';
import {
  namespaceInfoOf,
  PolicyInputBuilder,
  podInfoOf,
  trimNetworkPolicy,
  trimPod,
} from '../../src/kubernetes/policy-objects.js';
import type { NetworkPolicyObject, PodObject } from '../../src/kubernetes/resources.js';
import { apiPod } from './fake-pods.js';

const info = (p: PodObject, node = 'node1') => podInfoOf(trimPod(p), node);

describe('kubernetes/policy-objects: API objects → policy input', () => {
  it('a running pod: namespace, name, labels, IPs, local or not; everything else is dropped', () => {
    const p = apiPod('shop', 'web', { ips: ['10.244.1.5'], labels: { app: 'web', tier: 'front' } });
    const t = trimPod(p);
    assert.deepEqual(t, {
      metadata: { name: 'web', namespace: 'shop', resourceVersion: '7', labels: { app: 'web', tier: 'front' } },
      spec: { nodeName: 'node1' },
      status: { phase: 'Running', podIPs: [{ ip: '10.244.1.5' }] },
    });
    assert.deepEqual(trimPod(t), t, 'idempotent');
    assert.deepEqual(podInfoOf(t, 'node1'), {
      namespace: 'shop',
      name: 'web',
      ips: ['10.244.1.5'],
      local: true,
      labels: { app: 'web', tier: 'front' },
    });
    assert.equal(podInfoOf(t, 'node2')?.local, false, "another node's pod feeds the selectors only");
    assert.ok(JSON.stringify(t).length * 2 < JSON.stringify(p).length, 'trimmed');
  });

  it('pods without IPs, finished pods take no part; a terminating pod does until it is gone', () => {
    assert.equal(info(apiPod('a', 'pending', { phase: 'Pending' })), undefined, 'no IP yet');
    assert.deepEqual(info(apiPod('a', 'starting', { phase: 'Pending', ips: ['10.244.1.9'] }))?.ips, ['10.244.1.9']);
    assert.equal(info(apiPod('a', 'done', { phase: 'Succeeded', ips: ['10.244.1.6'] })), undefined);
    assert.equal(info(apiPod('a', 'crashed', { phase: 'Failed', ips: ['10.244.1.7'] })), undefined);
    const leaving = info(apiPod('a', 'leaving', { deleting: true, ips: ['10.244.1.8'] }));
    assert.deepEqual(leaving?.ips, ['10.244.1.8'], 'still running through its grace period');
    // only the old single podIP (an old kubelet): taken as the list
    const old = apiPod('a', 'old', {});
    old.status = { phase: 'Running', podIP: '10.244.1.10' };
    assert.deepEqual(info(old)?.ips, ['10.244.1.10']);
  });

  it('dual-stack pods keep both IPs (the compiler polices IPv4 and ignores IPv6)', () => {
    const p = info(apiPod('a', 'dual', { ips: ['10.244.1.5', 'fd00:244:1::5'] }));
    assert.deepEqual(p?.ips, ['10.244.1.5', 'fd00:244:1::5']);
  });

  it('a host-network pod is passed as such, without ports (never policed, never a selector peer)', () => {
    const p = info(
      apiPod('kube-system', 'proxy', {
        hostNetwork: true,
        ips: ['172.30.0.1'],
        containers: [{ name: 'c', ports: [{ name: 'metrics', containerPort: 10249 }] }],
      }),
    );
    assert.deepEqual(p, {
      namespace: 'kube-system',
      name: 'proxy',
      ips: ['172.30.0.1'],
      local: true,
      labels: { app: 'proxy' },
      hostNetwork: true,
    });
  });

  it('named ports of containers and sidecars (restartPolicy Always), not of plain init containers nor unnamed', () => {
    const p = info(
      apiPod('a', 'multi', {
        ips: ['10.244.1.5'],
        containers: [
          { name: 'web', ports: [{ name: 'http', containerPort: 8080 }, { containerPort: 9999 }] },
          { name: 'dns', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] },
        ],
        initContainers: [
          { name: 'setup', ports: [{ name: 'setup', containerPort: 7000 }] },
          { name: 'proxy', restartPolicy: 'Always', ports: [{ name: 'proxy', containerPort: 15001, protocol: 'TCP' }] },
        ],
      }),
    );
    assert.deepEqual(p?.ports, [
      { name: 'http', containerPort: 8080, protocol: 'TCP' },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
      { name: 'proxy', containerPort: 15001, protocol: 'TCP' },
    ]);
  });

  it('a port the compiler would refuse is dropped, not the pod (one odd pod must not stop enforcement)', () => {
    const p = info(
      apiPod('a', 'odd', {
        ips: ['10.244.1.5'],
        containers: [
          {
            name: 'c',
            ports: [
              { name: 'Bad_Name', containerPort: 80 },
              { name: 'far', containerPort: 70000 },
              { name: 'weird', containerPort: 81, protocol: 'ICMP' },
              { name: 'ok', containerPort: 82 },
            ],
          },
        ],
      }),
    )!;
    assert.deepEqual(p.ports, [{ name: 'ok', containerPort: 82, protocol: 'TCP' }]);
    const model = compilePolicies({
      policies: [],
      pods: [p],
      namespaces: [],
      nodeAddresses: [],
      clusterCidrs: [],
      natOutgoing: false,
    });
    assert.equal(model.stats.selectedPods, 0);
  });

  it('namespaces keep their labels; a NetworkPolicy keeps name, namespace and spec only', () => {
    assert.deepEqual(namespaceInfoOf({ metadata: { name: 'shop', labels: { team: 'a' } } }), {
      name: 'shop',
      labels: { team: 'a' },
    });
    assert.deepEqual(namespaceInfoOf({ metadata: { name: 'bare' } }), { name: 'bare' });
    const np = {
      metadata: { name: 'deny', namespace: 'shop', uid: 'u', generation: 2, managedFields: [{}] },
      spec: { podSelector: {} },
      status: {},
    } as NetworkPolicyObject;
    assert.deepEqual(trimNetworkPolicy(np), {
      metadata: { name: 'deny', namespace: 'shop' },
      spec: { podSelector: {} },
    });
  });
});

describe('kubernetes/policy-objects: PolicyInputBuilder', () => {
  const policy = (ns: string, name: string, spec: unknown, rv = '1') =>
    trimNetworkPolicy({ metadata: { name, namespace: ns, resourceVersion: rv }, spec } as NetworkPolicyObject);
  const items = (pods: PodObject[], policies: NetworkPolicyObject[] = []) => ({
    pods: new Map(pods.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, trimPod(p)])),
    namespaces: new Map([['shop', { metadata: { name: 'shop' } }]]),
    policies: new Map(policies.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p])),
  });

  it('keeps the identity of unchanged objects across relists (new objects, same content)', () => {
    const b = new PolicyInputBuilder('node1');
    const pods = [apiPod('shop', 'a', { ips: ['10.244.1.2'] }), apiPod('shop', 'b', { ips: ['10.244.2.2'] })];
    const deny = policy('shop', 'deny', { podSelector: {} });
    const one = b.build(items(pods, [deny]));
    assert.equal(one.pods.length, 2);
    assert.equal(one.policies.length, 1);
    const relist = b.build(items(structuredClone(pods), [structuredClone(deny)]));
    assert.ok(relist.pods.every((p, i) => p === one.pods[i]));
    assert.equal(relist.policies[0], one.policies[0]);
    assert.equal(relist.namespaces[0], one.namespaces[0]);
    // a relabel gives a new object for that pod only
    const moved = [apiPod('shop', 'a', { ips: ['10.244.1.2'], labels: { app: 'x' } }), pods[1]!];
    const three = b.build(items(moved, [deny]));
    assert.notEqual(three.pods[0], one.pods[0]);
    assert.equal(three.pods[1], one.pods[1]);
  });

  it('a refused NetworkPolicy: reported with object and field; its last good version stays, the others are enforced', () => {
    const b = new PolicyInputBuilder('node1');
    const pods = [apiPod('shop', 'a', { ips: ['10.244.1.2'] })];
    const good = policy('shop', 'web', {
      podSelector: { matchLabels: { app: 'a' } },
      ingress: [{ ports: [{ port: 80 }] }],
    });
    const other = policy('shop', 'other', { podSelector: {} });
    const first = b.build(items(pods, [good, other]));
    assert.deepEqual(first.rejected, []);
    const bad = policy(
      'shop',
      'web',
      { podSelector: { matchLabels: { app: 'a' } }, ingress: [{ ports: [{ port: 'a-very-long-port-name' }] }] },
      '2',
    );
    const second = b.build(items(pods, [bad, other]));
    assert.equal(second.policies.length, 2);
    assert.equal(second.policies[0], first.policies[0], 'the last good version of shop/web');
    assert.equal(second.rejected.length, 1);
    assert.equal(second.rejected[0]!.policy, 'shop/web');
    assert.equal(second.rejected[0]!.keptLastGood, true);
    assert.match(second.rejected[0]!.message, /NetworkPolicy shop\/web: spec\.ingress\[0\]\.ports\[0\]\.port/);
    // still bad after another edit: still the last good one
    const worse = policy('shop', 'web', { podSelector: {}, bogus: true }, '3');
    const third = b.build(items(pods, [worse, other]));
    assert.equal(third.policies[0], first.policies[0]);
    assert.match(third.rejected[0]!.message, /spec\.bogus: unknown field/);
    // fixed: the new version is enforced, nothing reported
    const fixed = policy('shop', 'web', { podSelector: {}, policyTypes: ['Ingress'] }, '4');
    const fourth = b.build(items(pods, [fixed, other]));
    assert.deepEqual(fourth.rejected, []);
    assert.deepEqual(fourth.policies[0]!.spec, { podSelector: {}, policyTypes: ['Ingress'] });
    // a new object refused from the start: not enforced, reported as such
    const fresh = b.build(
      items(pods, [fixed, other, policy('shop', 'x', { podSelector: { matchLabels: { '-': 'a' } } })]),
    );
    assert.equal(fresh.policies.length, 2);
    assert.equal(fresh.rejected[0]!.keptLastGood, false);
    assert.match(fresh.rejected[0]!.message, /NetworkPolicy shop\/x: spec\.podSelector\.matchLabels/);
  });

  it('the input compiles: a deny-all selects the local pod', () => {
    const b = new PolicyInputBuilder('node1');
    const parts = b.build(
      items(
        [apiPod('shop', 'a', { ips: ['10.244.1.2'] }), apiPod('shop', 'b', { ips: ['10.244.2.2'], node: 'node2' })],
        [policy('shop', 'deny', { podSelector: {} })],
      ),
    );
    const local = parts.pods.filter((p: PodInfo) => p.local).map((p) => p.name);
    assert.deepEqual(local, ['a']);
    const { rejected: _r, ...input } = parts;
    const model = compilePolicies({ ...input, nodeAddresses: ['172.30.0.1'], clusterCidrs: ['10.244.0.0/16'] });
    assert.equal(model.stats.selectedPods, 1);
  });
});
