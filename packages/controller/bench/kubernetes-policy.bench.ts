// pnpm bench kubernetes-policy: Kubernetes mode's NetworkPolicy source against the fake API server (test/kubernetes).
// 1. First sync of one agent in a cluster of 10,000 Pods (~3.7 KB of JSON each, 500 nodes, 50 namespaces, 100
//    NetworkPolicies): time, peak RSS and heap kept of KubernetesPolicySource (list parsed item by item, Pods trimmed
//    on arrival, converted to the compiler's input), beside the same with the list parsed whole, the same reflectors
//    keeping whole objects, and @kubernetes/client-node's own informer of Pods (whole typed objects). Each in its own
//    child process (clean heap).
// 2. A relist after 410 Gone (an API server restart) with nothing changed: its time, what it gives downstream (the
//    objects keep their identity, so the agent's apply has nothing to do), beside the first sync in the same process
//    and a full compile of the same input; then one local pod added: event → derived → applied (in-memory nft).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PolicyApplier } from '@gannet/policy';
import { MemoryNftRunner } from '@gannet/policy/testing';
import { CoreV1Api, makeInformer } from '@kubernetes/client-node';
import { ExponentialBackoff, systemClock } from '../src/kubernetes/clock.js';
import { KubernetesPolicySource } from '../src/kubernetes/policy-source.js';
import { Reflector } from '../src/kubernetes/reflector.js';
import type { PodObject } from '../src/kubernetes/resources.js';
import { WatchClient } from '../src/kubernetes/watch-client.js';
import { FakeApiServer } from '../test/kubernetes/fake-apiserver.js';
import { POLICY_RESOURCES } from '../test/kubernetes/fake-pods.js';
import { kubeConfigFor } from '../test/kubernetes/helpers.js';
import { gc, mb, row, until } from './kubernetes-fixtures.js';

const PODS = 10_000;
const NODES = 500;
const NAMESPACES = 50;
const POLICIES = 100;
const OUR_NODE = 'node-00001';

/** A Pod as the API server returns it for a Deployment's replica: about 5 KB of JSON. */
function realisticPod(i: number): Record<string, unknown> {
  const ns = `ns-${i % NAMESPACES}`;
  const app = `app-${i % 200}`;
  const name = `${app}-7d9f8c6b5-${(i * 7919).toString(36).padStart(5, 'x')}`;
  const node = `node-${String(i % NODES).padStart(5, '0')}`;
  const ip = `10.${64 + ((i % NODES) >> 8)}.${(i % NODES) & 255}.${2 + Math.floor(i / NODES)}`;
  const t = '2026-12-01T00:00:00Z';
  return {
    metadata: {
      name,
      namespace: ns,
      uid: `0f8a1b2c-3d4e-5f6a-7b8c-${String(i).padStart(12, '0')}`,
      generateName: `${app}-7d9f8c6b5-`,
      creationTimestamp: t,
      labels: { app, 'pod-template-hash': '7d9f8c6b5', tier: ['web', 'api', 'db'][i % 3]!, version: 'v2' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': t, 'prometheus.io/scrape': 'true' },
      ownerReferences: [
        { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `${app}-7d9f8c6b5`, uid: 'b1c2', controller: true },
      ],
      managedFields: [
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'v1',
          time: t,
          fieldsType: 'FieldsV1',
          fieldsV1: {
            'f:metadata': { 'f:generateName': {}, 'f:labels': { '.': {}, 'f:app': {} }, 'f:ownerReferences': {} },
            'f:spec': { 'f:containers': {}, 'f:dnsPolicy': {}, 'f:restartPolicy': {} },
          },
        },
        {
          manager: 'kubelet',
          operation: 'Update',
          apiVersion: 'v1',
          time: t,
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: {
            'f:status': {
              'f:conditions': {},
              'f:containerStatuses': {},
              'f:hostIP': {},
              'f:phase': {},
              'f:podIP': {},
              'f:podIPs': {},
              'f:startTime': {},
            },
          },
        },
      ],
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'app',
          image: `registry.example.com/team/${app}:v2.3.4`,
          ports: [
            { name: 'http', containerPort: 8080, protocol: 'TCP' },
            { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
          ],
          env: [
            { name: 'LOG_LEVEL', value: 'info' },
            { name: 'POD_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
          ],
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          readinessProbe: { httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, periodSeconds: 10 },
          livenessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 10 },
          volumeMounts: [
            {
              name: 'kube-api-access-abcde',
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              readOnly: true,
            },
          ],
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      volumes: [
        {
          name: 'kube-api-access-abcde',
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            ],
          },
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    },
    status: {
      phase: 'Running',
      conditions: ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(
        (type) => ({ type, status: 'True', lastProbeTime: null, lastTransitionTime: t }),
      ),
      hostIP: `172.16.${(i % NODES) >> 8}.${(i % NODES) & 255}`,
      hostIPs: [{ ip: `172.16.${(i % NODES) >> 8}.${(i % NODES) & 255}` }],
      podIP: ip,
      podIPs: [{ ip }],
      startTime: t,
      containerStatuses: [
        {
          name: 'app',
          state: { running: { startedAt: t } },
          lastState: {},
          ready: true,
          restartCount: 0,
          image: `registry.example.com/team/${app}:v2.3.4`,
          imageID: `registry.example.com/team/${app}@sha256:${(i * 31).toString(16).padStart(64, '0')}`,
          containerID: `containerd://${(i * 131).toString(16).padStart(64, '0')}`,
          started: true,
        },
      ],
      qosClass: 'Burstable',
    },
  };
}

async function policyCluster(): Promise<FakeApiServer> {
  const server = await FakeApiServer.start(POLICY_RESOURCES, { audit: false, gc: false });
  for (let n = 0; n < NAMESPACES; n++) {
    server.put('namespaces', {
      metadata: { name: `ns-${n}`, labels: { 'kubernetes.io/metadata.name': `ns-${n}`, team: `t${n % 5}` } },
    });
  }
  for (let i = 0; i < PODS; i++) server.put('pods', realisticPod(i));
  for (let p = 0; p < POLICIES; p++) {
    server.put('networkpolicies', {
      metadata: { name: `allow-${p}`, namespace: `ns-${p % NAMESPACES}` },
      spec: {
        podSelector: { matchLabels: { app: `app-${p % 200}` } },
        ingress: [
          {
            from: [
              {
                namespaceSelector: { matchLabels: { team: `t${p % 5}` } },
                podSelector: { matchLabels: { tier: 'web' } },
              },
            ],
            ports: [{ port: 'http' }],
          },
        ],
      },
    });
  }
  return server;
}

async function firstSyncChild(impl: string, url: string): Promise<void> {
  const kc = kubeConfigFor(url);
  gc();
  const before = process.memoryUsage();
  // the peak during the sync, sampled every 2 ms (the server runs in the parent: this is the client's alone)
  let peak = before.rss;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 2);
  const t0 = performance.now();
  let stop: () => void;
  if (impl === 'gannet' || impl === 'gannet-whole') {
    const source = new KubernetesPolicySource({
      kubeConfig: kc,
      nodeName: OUR_NODE,
      streamLists: impl === 'gannet',
    });
    source.start();
    await until(() => source.synced(), 'synced');
    stop = () => source.stop();
  } else if (impl === 'untrimmed') {
    const watch = new WatchClient(kc);
    const r = new Reflector<PodObject>(
      {
        resource: 'pods',
        path: '/api/v1/pods',
        list: (o) => watch.list('/api/v1/pods', { ...o }),
        watch,
        clock: systemClock,
        backoff: new ExponentialBackoff(),
        watchTimeoutSeconds: 300,
      },
      { changed: () => {}, failed: () => {}, recovered: () => {} },
    );
    r.start();
    await until(() => r.synced, 'synced');
    stop = () => {
      r.stop();
      watch.destroy();
    };
  } else {
    const core = kc.makeApiClient(CoreV1Api);
    const informer = makeInformer(kc, '/api/v1/pods', () => core.listPodForAllNamespaces());
    await informer.start();
    stop = () => void informer.stop();
  }
  const ms = performance.now() - t0;
  clearInterval(sampler);
  await new Promise((r) => setTimeout(r, 500)); // let the responses' buffers and closures go before measuring
  gc();
  const after = process.memoryUsage();
  console.log(
    JSON.stringify({
      ms,
      peak: peak - before.rss,
      heap: after.heapUsed - before.heapUsed,
    }),
  );
  stop();
  process.exit(0);
}

async function firstSync(): Promise<void> {
  const server = await policyCluster();
  console.log(
    `\n1. first sync, ${PODS} Pods (~3.7 KB each) on ${NODES} nodes, ${NAMESPACES} namespaces, ${POLICIES} NetworkPolicies; each client in its own process`,
  );
  const w = [52, 10, 14, 12, 12];
  console.log(row(['', 'time', 'peak RSS +', 'heap kept', 'served'], w));
  for (const [impl, label] of [
    ['gannet', 'KubernetesPolicySource (streamed list, trimmed)'],
    ['gannet-whole', 'the same, list parsed whole then trimmed'],
    ['untrimmed', 'reference: same reflector, whole Pods kept'],
    ['informer', 'reference: client-node informer (pods)'],
  ] as const) {
    const bytes0 = server.load.bytes;
    // spawned, not spawnSync: the parent's event loop serves the child's list and watches
    const child = spawn(
      process.execPath,
      ['--expose-gc', fileURLToPath(import.meta.url), `--first-sync=${impl}`, `--url=${server.url}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const status = await new Promise<number | null>((r) => child.on('exit', r));
    server.dropWatches();
    const line = out.trim().split('\n').pop() ?? '';
    if (status !== 0 || !line.startsWith('{')) throw new Error(`first sync ${impl} failed: ${err}`);
    const f = {
      ...(JSON.parse(line) as { ms: number; peak: number; heap: number }),
      bytes: server.load.bytes - bytes0,
    };
    console.log(row([label, `${f.ms.toFixed(0)} ms`, `${mb(f.peak)} MB`, `${mb(f.heap)} MB`, `${mb(f.bytes)} MB`], w));
  }
  await server.close();
}

async function relist(): Promise<void> {
  console.log(`\n2. relist after 410 Gone, ${PODS} Pods, nothing changed (one process; median of 5)`);
  const server = await policyCluster();
  const t0 = performance.now();
  const source = new KubernetesPolicySource({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: OUR_NODE,
    relistDelayMs: 0,
  });
  source.start();
  await until(() => source.synced(), 'synced');
  const firstMs = performance.now() - t0;
  const applier = new PolicyApplier(new MemoryNftRunner());
  const input = () => {
    const { policies, pods, namespaces, nodeAddresses } = source.objects();
    return { policies, pods, namespaces, nodeAddresses, clusterCidrs: ['10.64.0.0/10'] };
  };
  const a0 = performance.now();
  const full = await applier.apply(input());
  const fullMs = performance.now() - a0;
  const relists: number[] = [];
  const applies: number[] = [];
  let kept = 0;
  let total = 0;
  for (let k = 0; k < 5; k++) {
    const before = source.objects();
    const lists = source.reflectors.pods.stats.lists;
    const derivations = source.stats.derivations;
    server.dropWatches();
    server.put('namespaces', { metadata: { name: `churn-${k}` } }); // the cluster moves on while we are away
    server.remove('namespaces', `churn-${k}`);
    server.compact();
    const r0 = performance.now();
    await until(
      () => source.reflectors.pods.stats.lists > lists && source.stats.derivations > derivations,
      'relisted and derived',
    );
    await until(() => source.stats.derivations >= derivations + 1 && server.watchCount() === 3, 'watching again');
    relists.push(performance.now() - r0);
    const after = source.objects();
    kept = after.pods.filter((p, i) => p === before.pods[i]).length;
    total = after.pods.length;
    const p0 = performance.now();
    const res = await applier.apply(input());
    applies.push(performance.now() - p0);
    if (res.mode !== 'none') throw new Error(`a relist with nothing changed gave an apply of mode ${res.mode}`);
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
  // one pod added: watch event → derived (the builder walks every pod: O(pods) per coalesced change) → applied
  const toDerived: number[] = [];
  const derive: number[] = [];
  const addApply: number[] = [];
  for (let k = 0; k < 20; k++) {
    const emitted = source.stats.emitted;
    const pod = realisticPod(PODS + k) as { spec: { nodeName: string } };
    pod.spec.nodeName = OUR_NODE;
    const t = performance.now();
    server.put('pods', pod);
    await until(() => source.stats.emitted > emitted, 'the new pod');
    toDerived.push(performance.now() - t);
    derive.push(source.stats.lastDeriveMs);
    const p0 = performance.now();
    await applier.apply(input());
    addApply.push(performance.now() - p0);
  }
  const w = [52, 14];
  console.log(row(['first sync (list + watch, 3 resources)', `${firstMs.toFixed(0)} ms`], w));
  console.log(row(['relist after 410 until derived (3 resources)', `${med(relists).toFixed(0)} ms`], w));
  console.log(row(['  pods keeping their identity', `${kept} / ${total}`], w));
  console.log(row(['  agent apply after it (mode none: nothing sent)', `${med(applies).toFixed(1)} ms`], w));
  console.log(
    row([`reference: first full apply (in-memory nft, ${full.scriptLines} lines)`, `${fullMs.toFixed(0)} ms`], w),
  );
  console.log(row(['one local pod added: event → derived (median of 20)', `${med(toDerived).toFixed(1)} ms`], w));
  console.log(row(['  of which deriving (the builder over every pod)', `${med(derive).toFixed(1)} ms`], w));
  console.log(row(['  then the apply (in-memory nft: compile + delta)', `${med(addApply).toFixed(1)} ms`], w));
  source.stop();
  await server.close();
}

const arg = process.argv.find((a) => a.startsWith('--first-sync='));
const urlArg = process.argv.find((a) => a.startsWith('--url='));
if (arg && urlArg) await firstSyncChild(arg.slice('--first-sync='.length), urlArg.slice('--url='.length));
else {
  await firstSync();
  await relist();
}
