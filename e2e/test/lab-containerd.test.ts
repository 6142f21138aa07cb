// `gannet lab up --runtime containerd`: a containerd per node, pods as CRI sandboxes wired by gannet-cni through
// libcni; they converge like the netns lab, appear in `gannet lab status`, and `lab down` leaves nothing.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addLabPod, agentPolicyStatus, applyPolicyFile, CNI_RESULTS_DIR, ProbeHelper } from '@gannet/controller';
import { TestLab } from '../src/lab-fixture.js';
import { requireRoot } from '../src/root.js';

const GANNET = fileURLToPath(new URL('../../../dist/bin/gannet', import.meta.url));

function containerdPids(labDir: string): number[] {
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(labDir) && /containerd/.test(l))
    .map((l) => Number(l.trim().split(' ')[0]));
}

describe('lab e2e: --runtime containerd (pods are CRI sandboxes)', function () {
  this.timeout(120_000);
  let lab: TestLab;

  before(async function () {
    requireRoot(this);
    for (const bin of ['/usr/bin/containerd', '/bin/busybox']) {
      if (!existsSync(bin)) throw new Error(`${bin} is missing: apt-get install containerd busybox-static`);
    }
    lab = new TestLab({ nodes: 2, router: 'none', podsPerNode: 2, runtime: 'containerd' });
    await lab.up(60_000); // every session Established, every pod pings every other pod
  });

  after(async () => {
    await lab?.destroy();
  });

  it('each pod is a sandbox of its node’s containerd, with an address from the node’s pod CIDR', () => {
    const pods = lab.lab.state.pods;
    assert.equal(pods.length, 4);
    for (const p of pods) {
      const node = lab.node(p.node);
      assert.match(p.sandbox ?? '', /^[0-9a-f]{64}$/, `${p.id} has a sandbox ID`);
      assert.match(p.ns, /^cni-/, `${p.id} lives in containerd's namespace`);
      assert.equal(p.ip.split('.').slice(0, 3).join('.'), node.podCIDR.split('.').slice(0, 3).join('.'));
      assert.ok(lab.lab.state.namespaces.includes(p.ns), 'recorded for lab down');
    }
    assert.equal(containerdPids(lab.lab.dir).filter((pid) => pid > 0).length >= 2, true, 'a containerd per node');
  });

  it('gannet lab status lists the sandboxes', () => {
    const out = execFileSync(
      GANNET,
      ['lab', 'status', '--name', lab.plan.options.name, '--state-dir', dirname(lab.lab.dir), '--json'],
      { encoding: 'utf8', timeout: 30_000 },
    );
    const status = JSON.parse(out) as { state: { pods: { id: string; sandbox?: string; ip: string }[] } };
    assert.deepEqual(
      status.state.pods.map((p) => [p.id, p.ip, p.sandbox]).sort(),
      lab.lab.state.pods.map((p) => [p.id, p.ip, p.sandbox]).sort(),
    );
    const text = execFileSync(
      GANNET,
      ['lab', 'status', '--name', lab.plan.options.name, '--state-dir', dirname(lab.lab.dir)],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.match(text, /2 nodes \(containerd\)/);
    for (const p of lab.lab.state.pods) assert.ok(text.includes(p.ip), `${p.ip} in the table`);
  });

  it('NetworkPolicy selects CRI pods by the namespace and name containerd passed in CNI_ARGS (K8S_POD_*)', async () => {
    // gannet-cni recorded namespace "lab" and the sandbox's name with each claim; the agents police them
    for (const n of lab.plan.nodes) {
      const s = await agentPolicyStatus(n.ns);
      assert.equal(s?.localPods, 2, `${n.name} knows its two sandboxes`);
    }
    const pod = (id: string) => lab.lab.state.pods.find((p) => p.id === id)!;
    const target = pod('node1-pod1');
    // only node2-pod1 may reach node1-pod1: the policy is in namespace "lab" (from K8S_POD_NAMESPACE) and selects
    // by the label the lab gives each sandbox by name (pods.yaml: gannet.dev/pod=<K8S_POD_NAME>)
    await applyPolicyFile(
      lab.lab,
      'cri-policy.yaml',
      `kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: only-node2-pod1, namespace: lab}
spec:
  podSelector: {matchLabels: {gannet.dev/pod: node1-pod1}}
  ingress: [{from: [{podSelector: {matchLabels: {gannet.dev/pod: node2-pod1}}}]}]
`,
    );
    const ids = ['node1-pod1', 'node1-pod2', 'node2-pod1', 'node2-pod2'];
    const helpers = new Map(ids.map((id) => [id, new ProbeHelper(pod(id).ns, [80], 60)]));
    try {
      await Promise.all([...helpers.values()].map((h) => h.ready));
      const reach = async (from: string, to: string) =>
        (await helpers.get(from)!.probe(pod(to).ip, 80, 'tcp', 1000)).ok;
      assert.deepEqual(
        await Promise.all([
          reach('node2-pod1', target.id),
          reach('node1-pod2', target.id),
          reach('node2-pod2', target.id),
        ]),
        [true, false, false],
        'node1-pod1 takes node2-pod1 only',
      );
      assert.equal(await reach('node1-pod2', 'node2-pod2'), true, 'the other pods are not selected');
      const s = await agentPolicyStatus(lab.node('node1').ns);
      assert.equal(s?.selectedPods, 1);
    } finally {
      await Promise.all([...helpers.values()].map((h) => h.stop()));
    }
  });

  it('lab pod add with --runtime containerd: a sandbox in its own namespace, with labels a policy selects', async () => {
    const ip = await addLabPod(lab.lab, { name: 'web', node: 'node2', namespace: 'shop', labels: { app: 'web' } });
    const web = lab.lab.state.pods.find((p) => p.id === 'web')!;
    assert.match(web.sandbox ?? '', /^[0-9a-f]{64}$/);
    assert.equal(web.ip, ip);
    await applyPolicyFile(
      lab.lab,
      'shop.yaml',
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: web, namespace: shop}\n' +
        'spec: {podSelector: {matchLabels: {app: web}}, ingress: [{ports: [{port: serve-81-tcp}]}]}\n',
    );
    const client = new ProbeHelper(lab.lab.state.pods.find((p) => p.id === 'node1-pod2')!.ns, [], 60);
    const server = new ProbeHelper(web.ns, [80, 81], 60);
    try {
      await Promise.all([client.ready, server.ready]);
      assert.equal((await client.probe(ip, 81, 'tcp', 1000)).ok, true, 'the named port serve-81-tcp is open');
      assert.equal((await client.probe(ip, 80, 'tcp', 1000)).ok, false, '80 is not');
    } finally {
      await Promise.all([client.stop(), server.stop()]);
    }
  });

  it('deleting a pod removes its sandbox: its namespace, veth and address go', async () => {
    const pod = lab.lab.state.pods[0]!;
    const node = lab.node(pod.node);
    await lab.lab.deletePod(pod.id);
    assert.ok(!existsSync(`/run/netns/${pod.ns}`), 'namespace gone');
    assert.doesNotMatch(
      execFileSync('ip', ['-n', node.ns, 'route'], { encoding: 'utf8' }),
      new RegExp(`^${pod.ip} `, 'm'),
    );
    assert.ok(!existsSync(join(lab.lab.nodeDir(node), 'ipam', 'gannet', pod.ip)), 'address released');
  });

  it('lab down removes everything: sandboxes, containerd and its shims, namespaces, mounts, the directory', async () => {
    const dir = lab.lab.dir;
    const netns = lab.lab.state.pods.map((p) => p.ns);
    await lab.destroy();
    for (const ns of netns) assert.ok(!existsSync(`/run/netns/${ns}`), `${ns} gone`);
    assert.deepEqual(containerdPids(dir), []);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount left under the lab directory');
    assert.ok(!existsSync(dir));
    const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    assert.ok(!left.includes(lab.plan.prefix), 'no lab namespace left');
  });
});

describe('lab e2e: --runtime containerd, down after containerd crashed', function () {
  this.timeout(120_000);
  let lab: TestLab;

  before(async function () {
    requireRoot(this);
    lab = new TestLab({ nodes: 1, router: 'none', podsPerNode: 2, runtime: 'containerd' });
    await lab.up(60_000);
  });

  after(async () => {
    await lab?.destroy();
  });

  it('kills the orphaned shims and pause processes, unmounts what they held, deletes their namespaces', async () => {
    const dir = lab.lab.dir;
    const netns = lab.lab.state.pods.map((p) => p.ns);
    const sandboxes = lab.lab.state.pods.map((p) => p.sandbox ?? '');
    const cached = () =>
      (existsSync(CNI_RESULTS_DIR) ? readdirSync(CNI_RESULTS_DIR) : []).filter((f) =>
        sandboxes.some((id) => f.includes(`-${id}-`)),
      );
    assert.ok(cached().length >= 2, "libcni cached our sandboxes' results");
    for (const p of lab.lab.state.processes.filter((x) => x.role.startsWith('containerd:')))
      process.kill(p.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(containerdPids(dir).length >= 2, 'the shims outlive containerd');
    await lab.destroy();
    assert.deepEqual(containerdPids(dir), []);
    for (const ns of netns) assert.ok(!existsSync(`/run/netns/${ns}`), `${ns} gone`);
    assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(dir), 'no mount left');
    assert.deepEqual(cached(), [], "no libcni cache entry of ours left in the host's /var/lib/cni/results");
    assert.ok(!existsSync(dir));
  });
});
