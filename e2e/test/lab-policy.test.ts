// NetworkPolicy and egress NAT end to end, on the real kernel: the upstream netpol model (namespaces x, y, z; pods
// a, c on node1 and b on node2 of a 2-node lab with an FRR router), pods and policies through the lab's own
// commands, every pair probed with real TCP/UDP listeners in the pods. Then an open connection across a policy
// change, agent restarts (SIGKILL and SIGTERM) probed continuously for a denied connection that gets through,
// egress NAT seen from the router's outside address, and `lab down` removing our table and nothing else.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addLabPod,
  agentPolicyStatus,
  applyPolicyFile,
  deleteLabPod,
  deletePolicy,
  OUTSIDE_ADDRESS,
  ProbeHelper,
  type ProbeProtocol,
  policyApplies,
  probeAll,
  removePolicyTables,
  renderMatrix,
  waitEnforced,
} from '@gannet/controller';
import { runIn, TestLab } from '../src/lab-fixture.js';
import { sleep } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const NAMESPACES = ['x', 'y', 'z'] as const;
const PODS = ['a', 'b', 'c'] as const;
type Key = `${(typeof NAMESPACES)[number]}/${(typeof PODS)[number]}`;
/** GET of the agent's status API inside a namespace; '' while it does not answer. */
function curlIn(ns: string, path: string): string {
  try {
    return runIn(ns, 'curl', ['-s', '-m', '2', `http://127.0.0.1:9179${path}`]);
  } catch {
    return '';
  }
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}

const KEYS = NAMESPACES.flatMap((ns) => PODS.map((p) => `${ns}/${p}` as Key));

describe('e2e: NetworkPolicy on a 2-node lab (x/y/z model, real listeners)', function () {
  this.timeout(180_000);
  let t: TestLab;
  const helpers = new Map<string, ProbeHelper>();
  const ips = new Map<Key, string>();
  const t0 = Date.now();

  const pod = (k: Key) => ({
    key: k,
    ns: t.lab.state.pods.find((p) => p.id === k.replace('/', ''))!.ns,
    ip: ips.get(k)!,
  });

  /** The whole matrix for one port and protocol, compared with `expect(from, to)`. */
  async function check(port: number, protocol: ProbeProtocol, expect: (from: Key, to: Key) => boolean, what: string) {
    const m = await probeAll(KEYS.map(pod), helpers, port, protocol, { timeoutMs: 700, limit: 40 });
    // A probe that should pass but timed out may be a loaded machine (2 cores shared by many): asked once more with
    // 3 s, one at a time. One that passed where it should not is never retried: that is a hole in the policy.
    let retried = 0;
    for (const f of KEYS) {
      for (const to of KEYS) {
        if (expect(f, to) && !m.get(f)!.get(to)) {
          retried++;
          m.get(f)!.set(to, (await helpers.get(f)!.probe(ips.get(to)!, port, protocol, 3000)).ok);
        }
      }
    }
    if (retried > 0) console.log(`      (${what}: ${retried} allowed probes timed out at 700 ms and were asked again)`);
    const wrong = KEYS.flatMap((f) =>
      KEYS.filter((to) => m.get(f)!.get(to) !== expect(f, to)).map(
        (to) => `${f}→${to} ${m.get(f)!.get(to) ? 'reached' : 'blocked'}`,
      ),
    );
    assert.deepEqual(wrong, [], `${what} (${protocol}/${port}):\n${renderMatrix(KEYS, m)}`);
  }

  async function apply(yaml: string): Promise<void> {
    await applyPolicyFile(t.lab, 'test.yaml', yaml);
  }
  async function clear(): Promise<void> {
    for (const p of [...(t.lab.state.policy?.policies ?? [])])
      await deletePolicy(t.lab, p.metadata.name, p.metadata.namespace);
  }
  const self = (f: Key, to: Key) => f === to; // a pod reaching itself (hairpin) is always allowed

  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 0 });
    await t.up();
    // through gannet-cni as `lab pod add` does (CNI_ARGS, pods.yaml), then one wait for both agents to apply them all
    const before = await policyApplies(t.lab);
    await Promise.all(
      PODS.map(async (p) => {
        const node = t.node(p === 'b' ? 'node2' : 'node1');
        for (const ns of NAMESPACES) {
          const id = `${ns}${p}`;
          const meta = { namespace: ns, labels: { pod: p }, uid: `uid-${id}` };
          ips.set(`${ns}/${p}` as Key, await t.lab.addPod(node, id, `${t.plan.prefix}${node.name}-${id}`, meta));
        }
      }),
    );
    await waitEnforced(t.lab, before);
    // and one through the lab's command (validation, waiting), removed again
    await addLabPod(t.lab, { name: 'extra', node: 'node2', namespace: 'x', labels: { pod: 'extra' } });
    await deleteLabPod(t.lab, 'extra');
    assert.equal((await agentPolicyStatus(t.node('node1').ns))?.localPods, 6);
    assert.equal((await agentPolicyStatus(t.node('node2').ns))?.localPods, 3);
    for (const k of KEYS) helpers.set(k, new ProbeHelper(pod(k).ns, [80, 81], 300));
    await Promise.all([...helpers.values()].map((h) => h.ready));
    console.log(`      lab with 9 pods and their listeners ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    await Promise.all([...helpers.values()].map((h) => h.stop()));
    await t?.destroy();
    console.log(`      suite wall time ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });

  afterEach(async () => {
    if (t) await clear();
  });

  it('no policy: every pod reaches every pod (TCP and UDP)', async () => {
    await check(80, 'tcp', () => true, 'no policy');
    await check(81, 'udp', () => true, 'no policy');
  });

  it('default deny ingress in x', async () => {
    await apply(
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n',
    );
    await check(80, 'tcp', (f, to) => !to.startsWith('x/') || self(f, to), 'default deny in x');
    await check(81, 'udp', (f, to) => !to.startsWith('x/') || self(f, to), 'default deny in x');
  });

  it('allow by namespace (namespaceSelector on a Namespace label)', async () => {
    await apply(`apiVersion: v1
kind: Namespace
metadata: {name: y, labels: {team: blue}}
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: from-blue, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {team: blue}}}]}]
`);
    await check(80, 'tcp', (f, to) => !to.startsWith('x/') || f.startsWith('y/') || self(f, to), 'from namespace y');
  });

  it('allow by pod label (same namespace), and named ports', async () => {
    await apply(`kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: from-b, namespace: x}
spec:
  podSelector: {}
  ingress: [{from: [{podSelector: {matchLabels: {pod: b}}}]}]
---
kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: a-on-81, namespace: y}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{ports: [{port: serve-81-tcp}]}]
`);
    const toX = (f: Key, to: Key) => !to.startsWith('x/') || f === 'x/b' || self(f, to);
    await check(80, 'tcp', (f, to) => toX(f, to) && (to !== 'y/a' || self(f, to)), 'pod b only into x; y/a only on 81');
    await check(81, 'tcp', toX, 'pod b only into x; y/a open on serve-81-tcp');
  });

  it('ipBlock with except: x/a takes the pod range except node2’s pods', async () => {
    await apply(`kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: block, namespace: x}
spec:
  podSelector: {matchLabels: {pod: a}}
  ingress: [{from: [{ipBlock: {cidr: 10.244.0.0/16, except: [10.244.2.0/24]}}]}]
`);
    await check(80, 'tcp', (f, to) => to !== 'x/a' || !f.endsWith('/b'), 'ipBlock except node2');
  });

  it('egress deny in y, then DNS-style UDP egress allow to z on 81', async () => {
    await apply(
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: no-egress, namespace: y}\nspec: {podSelector: {}, policyTypes: [Egress]}\n',
    );
    await check(80, 'tcp', (f, to) => !f.startsWith('y/') || self(f, to), 'egress deny in y');
    await apply(`kind: NetworkPolicy
apiVersion: networking.k8s.io/v1
metadata: {name: dns, namespace: y}
spec:
  podSelector: {}
  policyTypes: [Egress]
  egress: [{to: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: z}}}], ports: [{protocol: UDP, port: 81}]}]
`);
    await check(81, 'udp', (f, to) => !f.startsWith('y/') || to.startsWith('z/') || self(f, to), 'udp/81 to z only');
    await check(81, 'tcp', (f, to) => !f.startsWith('y/') || self(f, to), 'tcp/81 still denied');
  });

  it('a connection open when a deny policy arrives keeps flowing (conntrack); new ones are refused until it goes', async () => {
    const from = helpers.get('z/b')!;
    const opened = await from.request({ op: 'open', conn: 'c1', host: ips.get('x/a')!, port: 80, timeoutMs: 2000 });
    assert.equal(opened.ok, true, JSON.stringify(opened));
    await apply(
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n',
    );
    assert.equal((await from.probe(ips.get('x/a')!, 80, 'tcp', 700)).ok, false, 'a new connection is refused');
    for (let i = 0; i < 3; i++) {
      assert.equal(
        (await from.request({ op: 'echo', conn: 'c1', timeoutMs: 2000 })).ok,
        true,
        `echo ${i} on the open one`,
      );
    }
    await deletePolicy(t.lab, 'deny', 'x');
    assert.equal((await from.probe(ips.get('x/a')!, 80, 'tcp', 2000)).ok, true, 'allowed again once removed');
    assert.equal((await from.request({ op: 'echo', conn: 'c1', timeoutMs: 2000 })).ok, true);
  });

  for (const signal of ['SIGKILL', 'SIGTERM'] as const) {
    it(`agent ${signal} and restart: no denied connection gets through meanwhile (probed continuously)`, async () => {
      await apply(
        'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n',
      );
      const node1 = t.node('node1');
      const denied = [helpers.get('z/c')!, helpers.get('z/b')!]; // same node, other node → x/a on node1
      const allowed = helpers.get('x/a')!; // x/a → z/a: allowed throughout
      let stop = false;
      const counts = { denied: 0, deniedThrough: 0, allowed: 0, allowedOk: 0 };
      // three probers, staggered: a denied probe waits out its 300 ms timeout, so one prober alone is sparse
      const prober = async (offsetMs: number) => {
        await sleep(offsetMs);
        for (let i = 0; i < 10_000 && !stop; i++) {
          const [d1, d2, a] = await Promise.all([
            denied[0]!.probe(ips.get('x/a')!, 80, 'tcp', 300),
            denied[1]!.probe(ips.get('x/a')!, 80, 'tcp', 300),
            allowed.probe(ips.get('z/a')!, 80, 'tcp', 1000),
          ]);
          counts.denied += 2;
          counts.deniedThrough += Number(d1.ok) + Number(d2.ok);
          counts.allowed++;
          counts.allowedOk += Number(a.ok);
        }
      };
      const loop = Promise.all([prober(0), prober(100), prober(200)]);
      await sleep(500);
      const tStop = Date.now();
      await t.lab.stopAgent(node1, signal);
      const down = Date.now() - tStop;
      await sleep(1000); // the agent away
      const tStart = Date.now();
      t.lab.startAgent(node1);
      let applied = -1;
      for (let i = 0; i < 200 && applied < 0; i++) {
        const s = await agentPolicyStatus(node1.ns);
        if (s?.applied && s.policies === 1) applied = Date.now() - tStart;
        else await sleep(100);
      }
      await sleep(500);
      stop = true;
      await loop;
      console.log(
        `      ${signal}: stopped in ${down} ms, away 1 s, new agent applied ${applied} ms after its start; ` +
          `${counts.denied} denied probes, ${counts.deniedThrough} got through; ${counts.allowedOk}/${counts.allowed} allowed ones answered`,
      );
      assert.ok(applied >= 0, 'the new agent applies the policy');
      assert.equal(counts.deniedThrough, 0, 'no denied connection got through');
      assert.ok(counts.denied >= 10, 'probed throughout');
      assert.equal(counts.allowedOk, counts.allowed, 'allowed traffic kept flowing');
      const before = await policyApplies(t.lab);
      assert.ok((before.get('node1') ?? 0) >= 1);
    });
  }

  it('nft missing: /readyz names it, BGP and routing keep working, the table in the kernel keeps enforcing', async () => {
    await apply(
      'kind: NetworkPolicy\napiVersion: networking.k8s.io/v1\nmetadata: {name: deny, namespace: x}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n',
    );
    const node1 = t.node('node1');
    await t.lab.stopAgent(node1, 'SIGTERM');
    // an agent whose PATH has `ip` (routes) but no `nft`
    const bin = mkdtempSync(join(tmpdir(), 'gannet-no-nft-'));
    const path = process.env.PATH;
    try {
      symlinkSync(execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim(), join(bin, 'ip'));
      process.env.PATH = bin;
      t.lab.startAgent(node1);
    } finally {
      process.env.PATH = path;
    }
    try {
      let readyz = '';
      for (let i = 0; i < 100 && !readyz.includes('nft'); i++) {
        await sleep(200);
        readyz = curlIn(node1.ns, '/readyz');
      }
      const log = join(t.lab.nodeDir(node1), 'agent.log');
      assert.match(
        readyz,
        /"network policy: not applied: cannot run nft: .*is the nftables package installed\?\)"/,
        tail(log),
      );
      const s = await agentPolicyStatus(node1.ns);
      assert.equal(s?.applied, false);
      assert.ok((s?.applyErrors ?? 0) >= 1);
      // BGP and routes: the session comes back and traffic between the nodes flows
      let peers = '';
      for (let i = 0; i < 100 && !peers.includes('Established'); i++) {
        await sleep(200);
        peers = curlIn(node1.ns, '/api/v1/peers');
      }
      assert.match(peers, /"state":"Established"/);
      assert.equal((await helpers.get('x/a')!.probe(ips.get('y/b')!, 80, 'tcp', 2000)).ok, true, 'node1 → node2');
      // the previous agent's table is still in the kernel: the deny holds
      assert.equal((await helpers.get('z/b')!.probe(ips.get('x/a')!, 80, 'tcp', 700)).ok, false, 'still denied');
      assert.equal((await helpers.get('x/b')!.probe(ips.get('x/a')!, 80, 'tcp', 700)).ok, false, 'still denied');
    } finally {
      rmSync(bin, { recursive: true, force: true });
      await t.lab.stopAgent(node1, 'SIGTERM');
      t.lab.startAgent(node1);
      for (let i = 0; i < 100 && !(await agentPolicyStatus(node1.ns))?.applied; i++) await sleep(200);
    }
    assert.equal((await agentPolicyStatus(node1.ns))?.applied, true, 'with nft again, applied again');
  });

  it('egress NAT: the outside address sees the node address; pod to pod keeps the pod address', async () => {
    const router = t.plan.router!;
    const outside = new ProbeHelper(router.ns, [8080], 60, OUTSIDE_ADDRESS);
    try {
      await outside.ready;
      const fromNode1 = await helpers.get('x/a')!.probe(OUTSIDE_ADDRESS, 8080, 'tcp', 2000);
      const fromNode2 = await helpers.get('x/b')!.probe(OUTSIDE_ADDRESS, 8080, 'tcp', 2000);
      assert.deepEqual([fromNode1.seen, fromNode2.seen], [t.node('node1').address, t.node('node2').address]);
      const udp = await helpers.get('y/b')!.probe(OUTSIDE_ADDRESS, 8080, 'udp', 2000);
      assert.equal(udp.seen, t.node('node2').address, 'UDP too');
      const podToPod = await helpers.get('x/a')!.probe(ips.get('y/b')!, 80, 'tcp', 2000);
      assert.equal(podToPod.seen, ips.get('x/a'), 'across nodes, not NATed');
      const sameNode = await helpers.get('x/a')!.probe(ips.get('x/c')!, 80, 'tcp', 2000);
      assert.equal(sameNode.seen, ips.get('x/a'), 'on one node, not NATed');
      // pod to another node's address: not NATed either (the lab lists the nodes' addresses in pods.yaml)
      const node2 = new ProbeHelper(t.node('node2').ns, [8081], 60);
      try {
        await node2.ready;
        const toNode = await helpers.get('x/a')!.probe(t.node('node2').address, 8081, 'tcp', 2000);
        assert.equal(toNode.seen, ips.get('x/a'), 'pod to the other node, not NATed');
      } finally {
        await node2.stop();
      }
    } finally {
      await outside.stop();
    }
  });

  it('lab down removes table inet gannet and nothing else of nftables', async () => {
    const node1 = t.node('node1');
    runIn(node1.ns, 'nft', ['add', 'table', 'inet', 'other-test']);
    runIn(node1.ns, 'iptables-nft', ['-A', 'FORWARD', '-s', '192.0.2.1/32', '-j', 'DROP']);
    const rootBefore = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
    assert.match(runIn(node1.ns, 'nft', ['list', 'tables']), /table inet gannet/);
    for (const n of t.plan.nodes) await t.lab.stopAgent(n, 'SIGTERM');
    assert.match(runIn(node1.ns, 'nft', ['list', 'tables']), /table inet gannet/, 'the agent leaves it on stop');
    await removePolicyTables(t.lab); // what lab down does before it deletes the namespaces
    const tables = runIn(node1.ns, 'nft', ['list', 'tables']);
    assert.doesNotMatch(tables, /gannet/);
    assert.match(tables, /table inet other-test/);
    assert.match(runIn(node1.ns, 'iptables-nft', ['-S', 'FORWARD']), /-A FORWARD -s 192\.0\.2\.1\/32 -j DROP/);
    assert.doesNotMatch(runIn(t.node('node2').ns, 'nft', ['list', 'tables']), /gannet/);
    await Promise.all([...helpers.values()].map((h) => h.stop()));
    helpers.clear();
    const nsBefore = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
    await t.destroy();
    const prefix = t.plan.prefix;
    assert.ok(nsBefore.includes(prefix));
    assert.ok(
      !execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' }).includes(prefix),
      'no namespace of the lab left',
    );
    assert.equal(
      execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' }),
      rootBefore,
      'the machine’s own nftables untouched',
    );
  });
});
