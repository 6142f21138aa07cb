// The agent in Kubernetes mode enforcing a NetworkPolicy on the real kernel: `gannet agent --kubernetes` in a node
// namespace (e2e/src/policy-lab.ts: pods wired as Gannet wires them), its API server the controller tests' fake one
// running in the same namespace (e2e/src/fake-apiserver-child.ts). A NetworkPolicy put into the API is enforced by
// nft (one deny, one allow), its deletion lifts it; the time from the API write to enforcement is printed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { type SpawnedProcess, sleep, waitFor } from '../src/netns.js';
import { NODE_UPLINK, PolicyLab } from '../src/policy-lab.js';
import { requireRoot } from '../src/root.js';

const GANNET = fileURLToPath(new URL('../../../packages/controller/dist/src/bin/gannet.js', import.meta.url));
const FAKE_API = fileURLToPath(new URL('../src/fake-apiserver-child.js', import.meta.url));

const PODS = [
  { key: 'x/a', ip: '10.244.1.2', labels: { app: 'a' } },
  { key: 'x/b', ip: '10.244.1.3', labels: { app: 'b' } },
  { key: 'y/c', ip: '10.244.1.4', labels: { app: 'c' } },
];

/** The fake API server child: put/remove objects, one answer line per command. */
class FakeApi {
  private readonly answers: ((line: string) => void)[] = [];
  readonly url: Promise<string>;

  constructor(readonly proc: SpawnedProcess) {
    let gotUrl!: (u: string) => void;
    this.url = new Promise((r) => (gotUrl = r));
    createInterface({ input: proc.child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { url?: string };
      if (m.url) gotUrl(m.url);
      else this.answers.shift()?.(line);
    });
  }

  private send(cmd: object): Promise<void> {
    return new Promise((resolve, reject) => {
      this.answers.push((line) => {
        const m = JSON.parse(line) as { ok: boolean; error?: string };
        if (m.ok) resolve();
        else reject(new Error(m.error));
      });
      this.proc.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
    });
  }

  put(plural: string, object: object): Promise<void> {
    return this.send({ op: 'put', plural, object });
  }

  remove(plural: string, name: string): Promise<void> {
    return this.send({ op: 'remove', plural, name });
  }
}

describe('policy e2e: Kubernetes mode enforces NetworkPolicies from the API with nft', function () {
  this.timeout(90_000);
  let lab: PolicyLab | undefined;
  let dir: string;
  let api: FakeApi;
  let agent: SpawnedProcess | undefined;

  before(async function () {
    requireRoot(this);
    if (spawnSync('nft', ['--version']).status !== 0) throw new Error('nft is missing: install Debian nftables');
    dir = mkdtempSync(join(tmpdir(), 'gannet-pol-k8s-'));
    lab = new PolicyLab(
      PODS.map(({ key, ip }) => ({ key, ip })),
      [80],
    );
    await lab.start();
    api = new FakeApi(lab.net.spawn(lab.node, process.execPath, [FAKE_API], { stdio: ['pipe', 'pipe', 'pipe'] }));
    const url = await Promise.race([api.url, sleep(20_000).then(() => 'timeout')]);
    assert.notEqual(url, 'timeout', 'the fake API server did not start');
    await api.put('nodes', {
      metadata: { name: 'node1', labels: { 'kubernetes.io/hostname': 'node1' } },
      spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] },
      status: { addresses: [{ type: 'InternalIP', address: NODE_UPLINK }] },
    });
    await api.put('bgpconfigurations', {
      metadata: { name: 'default' },
      spec: { clusterCIDRs: ['10.244.0.0/16'], nodeToNodeMesh: false },
    });
    for (const ns of ['x', 'y']) {
      await api.put('namespaces', { metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } } });
    }
    for (const p of PODS) {
      const [namespace, name] = p.key.split('/');
      await api.put('pods', {
        metadata: { name, namespace, labels: p.labels },
        spec: { nodeName: 'node1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: 80 }] }] },
        status: { phase: 'Running', podIP: p.ip, podIPs: [{ ip: p.ip }] },
      });
    }
    const kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]\n` +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n' +
        'current-context: x\n',
    );
    // `ip netns exec` gives the agent a private mount namespace: a tmpfs over /run there keeps its node state and
    // saved config (/run/gannet/…) off the host's /run.
    agent = lab.net.spawn(
      lab.node,
      'sh',
      [
        '-c',
        'mount -t tmpfs gannet-e2e /run && exec "$@"',
        'sh',
        process.execPath,
        GANNET,
        'agent',
        '--kubernetes',
        '--kubeconfig',
        kubeconfig,
        '--api-listen',
        '127.0.0.1:9179',
        '--log-format',
        'json',
      ],
      { env: { ...process.env, NODE_NAME: 'node1' } },
    );
    await waitFor(
      'the agent to write table inet gannet',
      () => spawnSync('ip', ['netns', 'exec', lab!.node.name, 'nft', 'list', 'table', 'inet', 'gannet']).status === 0,
      { timeoutMs: 30_000, intervalMs: 100 },
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${agent?.output().slice(-4000)}`);
    });
  });

  after(async () => {
    await lab?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const tcp = (from: string, to: string, timeoutMs: number) =>
    lab!.agents.get(from)!.request({ op: 'tcp', host: PODS.find((p) => p.key === to)!.ip, port: 80, timeoutMs });

  it('a NetworkPolicy from the API: the allowed client passes, the other is dropped; deleting it lifts it', async () => {
    assert.equal((await tcp('y/c', 'x/a', 3000)).ok, true, 'no policy: allowed');
    const t0 = Date.now();
    await api.put('networkpolicies', {
      metadata: { name: 'allow-b', namespace: 'x' },
      spec: {
        podSelector: { matchLabels: { app: 'a' } },
        ingress: [{ from: [{ podSelector: { matchLabels: { app: 'b' } } }], ports: [{ port: 'http' }] }],
      },
    });
    let enforcedMs = 0;
    await waitFor(
      'y/c → x/a dropped',
      async () => {
        const r = await tcp('y/c', 'x/a', 300);
        if (!r.ok) enforcedMs = Date.now() - t0;
        return !r.ok;
      },
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    assert.equal((await tcp('x/b', 'x/a', 3000)).ok, true, 'x/b is allowed (named port http)');
    assert.equal((await tcp('y/c', 'x/b', 3000)).ok, true, 'x/b is not selected');
    assert.equal((await tcp('y/c', 'x/a', 300)).ok, false);
    console.log(`      API write → enforced (a probe dropped) in ${enforcedMs} ms`);

    await api.remove('networkpolicies', 'x/allow-b');
    await waitFor('y/c → x/a allowed again', async () => (await tcp('y/c', 'x/a', 300)).ok, {
      timeoutMs: 20_000,
      intervalMs: 20,
    });
    process.kill(agent!.pid, 'SIGTERM');
    const code = await Promise.race([agent!.exited, sleep(10_000).then(() => 'timeout')]);
    assert.equal(code, 0, agent!.output().slice(-2000));
  });
});
