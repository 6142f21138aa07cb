// KubernetesPolicySource against the fake API server: Pods, Namespaces and NetworkPolicies flow to a real
// PolicyApplier (in-memory nft), and the compiled model says what is allowed; relists, dropped watches, 410 Gone,
// 403 and refused NetworkPolicies.
import assert from 'node:assert/strict';
import { PolicyApplier } from '@gannet/policy';
import { evaluateForward, MemoryNftRunner } from '@gannet/policy/testing';
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import type { RejectedPolicy } from '../../src/kubernetes/policy-objects.js';
import { KubernetesPolicySource } from '../../src/kubernetes/policy-source.js';
import { FakeApiServer } from './fake-apiserver.js';
import { apiPod, networkPolicy as netpol, namespace as ns, POLICY_RESOURCES } from './fake-pods.js';
import { CountingBackoff, eventually, FakeClock, kubeConfigFor, settle } from './helpers.js';

const DENY_ALL = { podSelector: {}, policyTypes: ['Ingress'] };

/** A new resourceVersion without a change we read: pod x/a's Ready condition flips. */
function heartbeat(server: FakeApiServer): void {
  const pod = apiPod('x', 'a', { ips: ['10.244.1.2'], labels: { pod: 'a' } });
  (pod.status as Record<string, unknown>).conditions = [{ type: 'Ready', status: String(Math.random()) }];
  server.put('pods', pod);
}

interface PolicyRig {
  server: FakeApiServer;
  clock: FakeClock;
  source: KubernetesPolicySource;
  nft: MemoryNftRunner;
  applier: PolicyApplier;
  changes: number;
  errors: KubernetesError[];
  rejected: RejectedPolicy[];
  /** Applies the source's current objects; resolves with the model. */
  apply(): Promise<void>;
  /** Whether a new TCP connection from `src` to `dst`:`port` passes this node's forward hook. */
  allowed(src: string, dst: string, port?: number): boolean;
}

async function policyRig(opts: { start?: boolean } = {}): Promise<PolicyRig> {
  const clock = new FakeClock();
  const server = await FakeApiServer.start(POLICY_RESOURCES);
  server.put('namespaces', ns('x', { team: 'red' }));
  server.put('namespaces', ns('y', { team: 'blue' }));
  server.put('pods', apiPod('x', 'a', { ips: ['10.244.1.2'], labels: { pod: 'a' } }));
  server.put('pods', apiPod('x', 'b', { ips: ['10.244.2.2'], labels: { pod: 'b' }, node: 'node2' }));
  server.put('pods', apiPod('y', 'a', { ips: ['10.244.1.3'], labels: { pod: 'a' } }));
  const source = new KubernetesPolicySource({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node1',
    clock,
    backoff: () => new CountingBackoff(1000),
    relistDelayMs: 0,
  });
  const nft = new MemoryNftRunner();
  const applier = new PolicyApplier(nft);
  const r: PolicyRig = {
    server,
    clock,
    source,
    nft,
    applier,
    changes: 0,
    errors: [],
    rejected: [],
    apply: async () => {
      const { policies, pods, namespaces, nodeAddresses } = source.objects();
      await applier.apply({ policies, pods, namespaces, nodeAddresses, clusterCidrs: ['10.244.0.0/16'] });
    },
    allowed: (saddr, daddr, dport = 80) => evaluateForward(applier.current()!, { saddr, daddr, proto: 'tcp', dport }),
  };
  source.on('error', (e) => r.errors.push(e));
  source.on('rejected', (e) => r.rejected.push(e));
  source.setNodeAddresses(['172.30.0.2', '172.30.0.1']);
  if (opts.start !== false) {
    source.start(() => r.changes++);
    await eventually(() => assert.equal(r.changes, 1), 'first sync');
    await eventually(() => assert.equal(server.watchCount(), 3), 'three watches');
  }
  return r;
}

describe('kubernetes/KubernetesPolicySource against the fake API server', function () {
  this.timeout(10_000);
  let r: PolicyRig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
  });

  it('first sync: every pod (local or not, same names in two namespaces), namespaces, node addresses', async () => {
    r = await policyRig();
    const o = r.source.objects();
    assert.deepEqual(o.pods.map((p) => `${p.namespace}/${p.name}:${p.local}`).sort(), [
      'x/a:true',
      'x/b:false',
      'y/a:true',
    ]);
    assert.deepEqual(o.namespaces.map((n) => n.name).sort(), ['x', 'y']);
    assert.deepEqual(o.nodeAddresses, ['172.30.0.1', '172.30.0.2']);
    assert.ok(r.source.synced());
    assert.deepEqual(r.source.problems(), []);
    const lists = r.server.calls.filter((c) => c.verb === 'list').map((c) => `${c.resource}@${c.resourceVersion}`);
    assert.deepEqual(lists.sort(), ['namespaces@0', 'networkpolicies@0', 'pods@0'], 'from the watch cache');
    await r.apply();
    assert.ok(r.allowed('10.244.2.2', '10.244.1.2'), 'no policy: all allowed');
  });

  it('add, modify and delete of each kind reach the applier', async () => {
    r = await policyRig();
    await r.apply();
    // NetworkPolicy added: x's pods are isolated
    r.server.put('networkpolicies', netpol('x', 'deny', DENY_ALL));
    await eventually(() => assert.equal(r!.changes, 2), 'policy added');
    await r.apply();
    assert.equal(r.allowed('10.244.2.2', '10.244.1.2'), false);
    assert.ok(r.allowed('10.244.2.2', '10.244.1.3'), "y's pod is not selected");
    // modified: allow from namespaces labelled team=blue
    r.server.put(
      'networkpolicies',
      netpol('x', 'deny', {
        ...DENY_ALL,
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }],
      }),
    );
    await eventually(() => assert.equal(r!.changes, 3), 'policy modified');
    await r.apply();
    assert.ok(r.allowed('10.244.1.3', '10.244.1.2'), 'from y (blue)');
    assert.equal(r.allowed('10.244.2.2', '10.244.1.2'), false, 'from x (red)');
    // namespace relabelled: x becomes blue, its remote pod b gets in
    r.server.put('namespaces', ns('x', { team: 'blue' }));
    await eventually(() => assert.equal(r!.changes, 4), 'namespace relabelled');
    await r.apply();
    assert.ok(r.allowed('10.244.2.2', '10.244.1.2'));
    // namespace added and a pod in it: blue, so allowed
    r.server.put('namespaces', ns('z', { team: 'blue' }));
    r.server.put('pods', apiPod('z', 'c', { ips: ['10.244.3.4'], node: 'node3' }));
    await eventually(() => assert.deepEqual(r!.source.objects().namespaces.length, 3), 'namespace z');
    await eventually(() => assert.deepEqual(r!.source.objects().pods.length, 4), 'pod z/c');
    await r.apply();
    assert.ok(r.allowed('10.244.3.4', '10.244.1.2'));
    // pod modified (new IP after a restart) and deleted
    r.server.put('pods', apiPod('z', 'c', { ips: ['10.244.3.5'], node: 'node3' }));
    await eventually(() => assert.ok(r!.source.objects().pods.some((p) => p.ips[0] === '10.244.3.5')), 'pod z/c moved');
    await r.apply();
    assert.ok(r.allowed('10.244.3.5', '10.244.1.2'));
    r.server.remove('pods', 'z/c');
    await eventually(() => assert.equal(r!.source.objects().pods.length, 3), 'pod z/c gone');
    // namespace deleted: its pods would match by label no more (z had none left)
    r.server.remove('namespaces', 'z');
    await eventually(() => assert.equal(r!.source.objects().namespaces.length, 2), 'namespace z gone');
    // policy deleted: all allowed again
    r.server.remove('networkpolicies', 'x/deny');
    await eventually(() => assert.equal(r!.source.objects().policies.length, 0), 'policy gone');
    await r.apply();
    assert.ok(r.allowed('10.244.2.2', '10.244.1.2'));
    // every change after the first reached the nft runner as a delta, never a whole table
    assert.equal(r.nft.scripts.filter((s) => s.includes('table inet gannet {')).length, 1);
  });

  it("a pod's status heartbeat (a field we drop) changes nothing; one watch chunk of many events is one change", async () => {
    r = await policyRig();
    const before = r.changes;
    const pod = apiPod('x', 'a', { ips: ['10.244.1.2'], labels: { pod: 'a' } });
    (pod.status as Record<string, unknown>).conditions = [{ type: 'Ready', status: 'False' }];
    r.server.put('pods', pod);
    await settle();
    assert.equal(r.changes, before);
    for (let i = 0; i < 50; i++) {
      r.server.put('pods', apiPod('x', `burst-${i}`, { ips: [`10.244.1.${100 + i}`] }));
    }
    await eventually(() => assert.equal(r!.source.objects().pods.length, 53), 'the burst');
    assert.ok(r.changes - before <= 3, `${r.changes - before} changes for 50 events`);
  });

  for (const expiredAs of ['event', 'status'] as const) {
    it(`410 Gone (${expiredAs}) relists: nothing changed → no change; the change made meanwhile → exactly it`, async () => {
      r = await policyRig();
      r.server.expiredAs = expiredAs;
      const objects = r.source.objects();
      r.server.dropWatches();
      heartbeat(r.server); // the cluster moves on while we are away, then compacts past what we saw
      r.server.compact();
      r.clock.advance(1000);
      await eventually(() => assert.equal(r!.server.watchCount(), 3), 'watches back');
      await eventually(
        () => assert.equal(r!.source.reflectors.pods.stats.relistsAfterGone, 1),
        'relist after 410 (pods)',
      );
      await settle();
      assert.equal(r.changes, 1, 'a relist that changed nothing changes nothing');
      assert.ok(
        r.source.objects().pods.every((p) => objects.pods.includes(p)),
        'the same objects',
      );
      r.server.dropWatches();
      r.server.put('pods', apiPod('y', 'new', { ips: ['10.244.1.9'] }));
      r.server.compact();
      // a second drop in a row goes through the backoff (its timer is set once the socket has closed)
      await eventually(() => {
        r!.clock.advance(1000);
        assert.equal(r!.changes, 2);
      }, 'the one change');
      const added = r.source.objects().pods.filter((p) => !objects.pods.includes(p));
      assert.deepEqual(
        added.map((p) => p.name),
        ['new'],
      );
    });
  }

  it('a dropped watch reopens from where it was; changes flow again', async () => {
    r = await policyRig();
    r.server.dropWatches();
    await eventually(() => assert.equal(r!.server.watchCount(), 3), 'reopened at once');
    r.server.put('networkpolicies', netpol('y', 'deny', DENY_ALL));
    await eventually(() => assert.equal(r!.changes, 2));
    assert.equal(r.source.reflectors.policies.stats.lists, 1, 'no relist');
  });

  it('an ERROR event: reported once per resource, reopened after backoff from where it was; the objects stay', async () => {
    r = await policyRig();
    const before = r.source.objects();
    r.server.errorWatches(500);
    await eventually(() => assert.equal(r!.errors.length, 3), 'one error per resource');
    assert.ok(r.errors.every((e) => /injected 500/.test(e.message)));
    assert.equal(r.source.problems().length, 3, 'failing resources are problems (readiness, metrics)');
    assert.equal(r.source.objects(), before, 'the last objects stay in force');
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.server.watchCount(), 3), 'watches back');
    assert.equal(r.source.reflectors.pods.stats.lists, 1, 'resumed, not relisted');
    r.server.put('pods', apiPod('y', 'later', { ips: ['10.244.1.20'] }));
    await eventually(() => assert.equal(r!.changes, 2), 'changes flow again');
    assert.deepEqual(r.source.problems(), []);
  });

  it('an API outage: nothing withdrawn, one error per resource, resumed without a change when it comes back', async () => {
    r = await policyRig();
    const before = r.source.objects();
    await r.server.outage();
    await eventually(() => assert.equal(r!.errors.length, 3), 'one error per resource');
    for (let i = 0; i < 5; i++) {
      await eventually(() => assert.equal(r!.clock.pending(), 3), 'three retries scheduled');
      r.clock.advance(1000);
      await eventually(() => assert.ok(r!.source.reflectors.pods.stats.failures >= i + 2), `retry ${i}`);
    }
    assert.equal(r.errors.length, 3, 'no error storm');
    assert.equal(r.source.objects(), before);
    assert.ok(r.source.synced(), 'still synced: the engine keeps enforcing the last objects');
    await r.server.restore();
    await eventually(() => {
      r!.clock.advance(1000);
      assert.equal(r!.server.watchCount(), 3);
    }, 'watches back');
    await settle();
    assert.equal(r.changes, 1, 'nothing changed meanwhile: no change');
  });

  it('403 on pods: reported once, not fatal, not synced until allowed; then it syncs', async () => {
    r = await policyRig({ start: false });
    r.server.forbid('list', 'pods');
    r.source.start(() => r!.changes++);
    await eventually(() => assert.equal(r!.errors.length, 1), 'one error');
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_FORBIDDEN');
    assert.match(r.errors[0]!.message, /list pods: forbidden/);
    for (let i = 0; i < 3; i++) {
      await eventually(() => assert.equal(r!.clock.pending(), 1), 'retry scheduled');
      r.clock.advance(1000);
      await eventually(() => assert.equal(r!.source.reflectors.pods.stats.failures, i + 2), `retry ${i}`);
    }
    assert.equal(r.errors.length, 1, 'no error storm');
    assert.equal(r.source.synced(), false, 'nothing to apply: an empty input would lift every policy');
    assert.match(r.source.problems().join('\n'), /pods: list pods: forbidden/);
    r.server.allow('list', 'pods');
    await eventually(() => assert.equal(r!.clock.pending(), 1), 'retry scheduled');
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.changes, 1), 'synced');
    assert.deepEqual(r.source.problems(), []);
  });

  it('a NetworkPolicy the compiler refuses: reported with object and field, the last good one and the others enforced', async () => {
    r = await policyRig();
    r.server.put('networkpolicies', netpol('x', 'deny', DENY_ALL));
    r.server.put('networkpolicies', netpol('y', 'web', { podSelector: {}, ingress: [{ ports: [{ port: 80 }] }] }));
    await eventually(() => assert.equal(r!.source.objects().policies.length, 2));
    await r.apply();
    assert.ok(r.allowed('10.244.2.2', '10.244.1.3', 80));
    assert.equal(r.allowed('10.244.2.2', '10.244.1.3', 81), false);
    // an edit the API server would let through (a field from a newer API) but the compiler does not know
    r.server.put(
      'networkpolicies',
      netpol('y', 'web', { podSelector: {}, ingress: [{ ports: [{ port: 81 }] }], x: 1 }),
    );
    await eventually(() => assert.equal(r!.rejected.length, 1), 'reported');
    assert.equal(r.rejected[0]!.policy, 'y/web');
    assert.match(r.rejected[0]!.message, /NetworkPolicy y\/web: spec\.x: unknown field "x"/);
    assert.match(r.source.problems()[0]!, /its last accepted version stays enforced/);
    await r.apply();
    assert.ok(r.allowed('10.244.2.2', '10.244.1.3', 80), 'the last good y/web');
    assert.equal(r.allowed('10.244.2.2', '10.244.1.3', 81), false);
    assert.equal(r.allowed('10.244.2.2', '10.244.1.2'), false, 'x/deny still enforced');
    // a relist re-derives the same refusal: not reported again
    r.server.dropWatches();
    heartbeat(r.server);
    r.server.compact();
    r.clock.advance(1000);
    await eventually(() => assert.equal(r!.source.reflectors.policies.stats.relistsAfterGone, 1));
    await settle();
    assert.equal(r.rejected.length, 1);
    // fixed: the new version applies, nothing reported
    r.server.put('networkpolicies', netpol('y', 'web', { podSelector: {}, ingress: [{ ports: [{ port: 81 }] }] }));
    await eventually(() => assert.deepEqual(r!.source.problems(), []));
    await r.apply();
    assert.ok(r.allowed('10.244.2.2', '10.244.1.3', 81));
  });
});
