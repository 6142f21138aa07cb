// Kubernetes mode's glue against the in-process fake API server: the first config, pushed updates, status written
// back; what it says is missing while the API cannot give a config; the saved config and starting from it.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentConfig } from '../src/config/types.js';
import { readSavedConfig, writeSavedConfig } from '../src/kubernetes/saved-config.js';
import { type KubernetesMode, type KubernetesModeOptions, startKubernetesMode } from '../src/kubernetes-mode.js';
import { silentLogger } from '../src/log.js';
import { peerStatus } from './fakes.js';
import { CORE_NODES, FakeApiServer } from './kubernetes/fake-apiserver.js';
import { CountingBackoff, eventually, kubeConfigFor, node, RESOURCES } from './kubernetes/helpers.js';

function seed(server: FakeApiServer): void {
  server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
  server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
  server.put('bgpconfigurations', {
    metadata: { name: 'default' },
    spec: { asn: 64512, clusterCIDRs: ['10.244.0.0/16'] },
  });
}

/** Resolves with the first config, or 'pending' when none came within `ms`. */
async function firstWithin(k8s: KubernetesMode, ms: number) {
  return Promise.race([k8s.firstConfig, new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);
}

describe('controller: Kubernetes mode', function () {
  this.timeout(10_000);
  let server: FakeApiServer;
  let dir: string;
  let k8s: KubernetesMode | undefined;
  const start = async (over: Partial<KubernetesModeOptions> = {}) => {
    k8s = await startKubernetesMode({
      kubeConfig: kubeConfigFor(server.url),
      nodeName: 'node1',
      logger: silentLogger(),
      statusIntervalMs: 50,
      savedConfigFile: join(dir, 'saved.json'),
      backoff: () => new CountingBackoff(20),
      ...over,
    });
    return k8s;
  };
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-k8s-mode-'));
    server = await FakeApiServer.start(RESOURCES);
    seed(server);
  });
  afterEach(async () => {
    k8s?.stop();
    k8s = undefined;
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts from the API, follows changes, and writes the session status back owned by the Node', async () => {
    await start();
    const { config, from } = await k8s!.firstConfig;
    assert.equal(from, 'api');
    assert.deepEqual(k8s!.notReady(), []);
    assert.equal(config.nodeName, 'node1');
    assert.equal(config.routerId, '172.30.0.1');
    assert.deepEqual(config.podCIDRs, ['10.244.1.0/24']);
    assert.deepEqual(
      config.peers.map((p) => [p.address, p.asn]),
      [['172.30.0.2', 64512]],
    );
    const seen: AgentConfig[] = [];
    k8s!.subscribe((c) => seen.push(c));
    assert.equal(seen.length, 0, 'nothing new yet');
    server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24']));
    const grown = await eventually(() => {
      assert.ok(seen.length > 0);
      return seen.at(-1)!;
    }, 'the mesh to grow');
    assert.deepEqual(
      grown.peers.map((p) => p.address),
      ['172.30.0.2', '172.30.0.3'],
    );

    k8s!.reportStatus(() => [peerStatus({ address: '172.30.0.2', asn: 64512 })]);
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
  });

  it('saves each derived config atomically, mode 0600, for this node only', async () => {
    await start();
    await k8s!.firstConfig;
    const file = join(dir, 'saved.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readSavedConfig(file, 'node1')?.config.podCIDRs, ['10.244.1.0/24']);
    server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24']));
    await eventually(() => assert.equal(readSavedConfig(file, 'node1')?.config.peers.length, 2), 'the new save');
    assert.deepEqual(readdirSync(dir), ['saved.json'], 'no temp file left behind');
    assert.throws(() => readSavedConfig(file, 'node2'), /saved for node node1, not node2/);
    writeFileSync(file, '{"format":"gannet.dev/saved-config/v1","config":{"nodeName":"node1"}}');
    assert.throws(() => readSavedConfig(file, 'node1'), /an incomplete config/);
    writeFileSync(file, 'garbage');
    assert.throws(() => readSavedConfig(file, 'node1'), /not JSON/);
    assert.equal(readSavedConfig(join(dir, 'none.json'), 'node1'), undefined);
  });

  it('API unreachable, nothing saved: no config, /readyz says "no API server"; the API returning starts it', async () => {
    await server.outage();
    await start();
    await eventually(() => assert.match(k8s!.notReady().join('\n'), /^no API server: .*unreachable/));
    assert.equal(await firstWithin(k8s!, 100), 'pending', 'keeps waiting, retrying with backoff');
    await server.restore();
    const first = await firstWithin(k8s!, 5000);
    assert.notEqual(first, 'pending');
    assert.equal(first !== 'pending' && first.from, 'api');
    assert.deepEqual(k8s!.notReady(), []);
  });

  it('API unreachable with a saved config: starts from it at once, then applies the API’s when it answers', async () => {
    const file = join(dir, 'saved.json');
    const saved: AgentConfig = {
      nodeName: 'node1',
      asn: 64512,
      routerId: '172.30.0.1',
      podCIDRs: ['10.244.1.0/24'],
      clusterCIDRs: ['10.244.0.0/16'],
      listen: { address: '0.0.0.0', port: 179 },
      api: { listen: '127.0.0.1:9179' },
      peers: [{ address: '172.30.0.9', asn: 64512 }],
    };
    writeSavedConfig(file, saved);
    await server.outage();
    await start({ savedConfigGraceMs: 60_000 });
    const first = await firstWithin(k8s!, 5000);
    assert.notEqual(first, 'pending', 'the unreachable answer starts from the saved config without the grace time');
    assert.equal(first !== 'pending' && first.from, 'saved');
    assert.deepEqual(first !== 'pending' && first.config, saved);
    assert.match(k8s!.notReady().join('\n'), /running from the configuration saved at .* until the API answers/);
    const seen: AgentConfig[] = [];
    k8s!.subscribe((c) => seen.push(c));
    await server.restore();
    await eventually(() => assert.equal(seen.length, 1), 'the API’s config', 5000);
    assert.deepEqual(
      seen[0]!.peers.map((p) => p.address),
      ['172.30.0.2'],
    );
    assert.deepEqual(k8s!.notReady(), []);
    assert.deepEqual(readSavedConfig(file, 'node1')?.config, seen[0], 'the API’s config replaced the saved one');
  });

  it('a saved config is used after the grace time when the API answers nothing at all', async () => {
    const file = join(dir, 'saved.json');
    writeSavedConfig(file, {
      nodeName: 'node1',
      asn: 64512,
      routerId: '172.30.0.1',
      podCIDRs: ['10.244.1.0/24'],
      clusterCIDRs: [],
      listen: { address: '0.0.0.0', port: 179 },
      api: { listen: '127.0.0.1:9179' },
      peers: [],
    });
    // Our Node is gone from the API (a reachable API that gives no config): the grace time decides.
    server.remove('nodes', 'node1');
    await start({ savedConfigGraceMs: 150 });
    const first = await firstWithin(k8s!, 3000);
    assert.equal(first !== 'pending' && first.from, 'saved');
    assert.match(k8s!.notReady().join('\n'), /no usable Node .*Node\/node1: not found in the API/);
  });

  it('a node without a pod CIDR yet, and CRDs not applied, are named by notReady()', async () => {
    server.put('nodes', { ...node('node1', '172.30.0.1', []), spec: {} });
    await start();
    await eventually(() => assert.match(k8s!.notReady().join('\n'), /no usable Node .*has no spec.podCIDRs yet/));
    k8s!.stop();

    await server.close();
    server = await FakeApiServer.start([CORE_NODES]);
    server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    await start();
    await eventually(() => assert.match(k8s!.notReady().join('\n'), /CRDs not applied: .*CustomResourceDefinition/));
    for (const def of RESOURCES.slice(1)) server.define(def);
    server.put('bgpconfigurations', { metadata: { name: 'default' }, spec: { asn: 64512 } });
    const first = await firstWithin(k8s!, 5000);
    assert.equal(first !== 'pending' && first.from, 'api', 'the CRDs applied, the config comes');
    assert.deepEqual(k8s!.notReady(), []);
    assert.ok(readFileSync(join(dir, 'saved.json'), 'utf8').includes('"node1"'));
  });

  it('stop() before any config rejects firstConfig', async () => {
    await server.outage();
    await start({ savedConfigFile: false });
    k8s!.stop();
    await assert.rejects(k8s!.firstConfig, /stopped before a configuration came/);
  });
});
