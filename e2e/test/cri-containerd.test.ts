// The real CRI path: Debian's containerd (1.6, libcni results up to 1.0.0) creating pod sandboxes through libcni with
// the conflist exactly as deploy/configmap.yaml ships it, driven by our own CRI client as a kubelet would. Two nodes,
// each a network namespace with a private mount namespace running a gannet agent and containerd; the agents peer over
// a shared link, so pods on one node reach pods on the other through BGP-learned routes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { CriNode, criPrerequisites, shippedConflist } from '../src/cri-node.js';
import { TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

interface Pod {
  readonly id: string;
  readonly ip: string;
  /** The pause process: its network namespace is the pod's. */
  readonly pid: number;
}

/** Runs a command in a pod's network namespace (through its pause process). */
function inPod(pod: Pod, cmd: string, args: string[], timeoutMs = 10_000) {
  return spawnSync('nsenter', ['-t', String(pod.pid), '-n', cmd, ...args], { encoding: 'utf8', timeout: timeoutMs });
}

function podPing(pod: Pod, addr: string): boolean {
  return inPod(pod, 'ping', ['-n', '-q', '-c', '1', '-W', '1', addr]).status === 0;
}

const NODES = [
  { name: 'a', address: '172.31.0.1', podCIDR: '10.244.1.0/24', asn: 64512 },
  { name: 'b', address: '172.31.0.2', podCIDR: '10.244.2.0/24', asn: 64512 },
] as const;

function agentConfig(i: 0 | 1): string {
  const me = NODES[i];
  const other = NODES[1 - i] as (typeof NODES)[number];
  return `nodeName: ${me.name}
asn: ${me.asn}
routerId: ${me.address}
podCIDRs: [${me.podCIDR}]
clusterCIDRs: [10.244.0.0/16]
listen: { address: 0.0.0.0, port: 179 }
api: { listen: 127.0.0.1:9179 }
peers:
  - { address: ${other.address}, asn: ${other.asn}, holdTime: 9 }
`;
}

describe('e2e cri: containerd runs pod sandboxes through the shipped conflist', function () {
  this.timeout(120_000);
  let net: TestNet;
  const nodes: CriNode[] = [];
  let uid = 0;

  before(async function () {
    requireRoot(this);
    const missing = criPrerequisites();
    if (missing) throw new Error(missing);
    net = new TestNet('cri');
    for (const n of NODES) nodes.push(new CriNode(net, { name: n.name }));
    const [a, b] = nodes as [CriNode, CriNode];
    net.link(a.ns, 'eth1', b.ns, 'eth1', `${NODES[0].address}/24`, `${NODES[1].address}/24`);
    // an uplink MTU that is not the default, and node a's default route over it: the conflist pins no MTU, so
    // gannet-cni must detect 1400 there
    for (const n of [a, b]) n.ns.ip('link', 'set', 'eth1', 'mtu', '1400');
    a.ns.ip('route', 'add', 'default', 'via', NODES[1].address, 'dev', 'eth1');
    await Promise.all(
      nodes.map(async (n) => {
        await n.start();
        await n.startContainerd();
      }),
    );
  });

  after(async () => {
    for (const n of nodes.splice(0)) await n.destroy();
    await net?.cleanup();
  });

  const nodeA = () => nodes[0] as CriNode;
  const nodeB = () => nodes[1] as CriNode;

  async function runPod(
    node: CriNode,
    name: string,
    extra: Parameters<CriNode['cri']['runPodSandbox']>[0] extends infer S ? Partial<S> : never = {},
  ): Promise<Pod> {
    const id = await node.cri.runPodSandbox({ name, namespace: 'e2e', uid: `uid-${++uid}`, ...extra });
    const st = await node.cri.podSandboxStatus(id, true);
    assert.equal(st.state, 'SANDBOX_READY');
    return { id, ip: st.ip, pid: Number(st.info?.pid) };
  }

  async function removePod(node: CriNode, pod: Pod): Promise<void> {
    await node.cri.stopPodSandbox(pod.id);
    await node.cri.removePodSandbox(pod.id);
  }

  /** What gannet-cni and portmap leave for pods on a node: host veths, /32 host routes, IPAM claims, DNAT chains. */
  interface Leftovers {
    veths: string[];
    hostRoutes: string[];
    claims: string[];
    netns: string[];
    dnat: string[];
  }
  function leftovers(node: CriNode): Leftovers {
    const veths = node.ns
      .ip('-o', 'link', 'show', 'type', 'veth')
      .split('\n')
      .map((l) => l.split(':')[1]?.trim().split('@')[0] ?? '')
      .filter((n) => n.startsWith('gnt'));
    const hostRoutes = node.ns
      .ip('route', 'show')
      .split('\n')
      .filter((l) => / dev gnt/.test(l));
    const ipamDir = node.path('/var/lib/cni/gannet/gannet');
    const claims = existsSync(ipamDir) ? readdirSync(ipamDir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
    const netnsDir = node.path('/run/netns');
    const netns = existsSync(netnsDir) ? readdirSync(netnsDir) : [];
    const dnat = node.ns
      .run('iptables-save', ['-t', 'nat'])
      .split('\n')
      .filter((l) => /^-A CNI-DN-/.test(l));
    return { veths, hostRoutes, claims, netns, dnat };
  }

  function assertClean(node: CriNode, what: string): void {
    assert.deepEqual(leftovers(node), { veths: [], hostRoutes: [], claims: [], netns: [], dnat: [] }, what);
  }

  it('before the agent knows its pod CIDR the node has no CNI config: NetworkReady false, pods refused, nothing left', async () => {
    assert.deepEqual(nodeA().cniConfFiles(), []);
    assert.equal((await nodeA().cri.status()).NetworkReady?.status, false);
    // (a kubelet would not even ask while NetworkReady is false; containerd 1.6 refuses, and keeps the sandbox
    // record until its CNI is initialized: removed in the next case)
    await assert.rejects(
      nodeA().cri.runPodSandbox({ name: 'early', namespace: 'e2e', uid: 'uid-early' }),
      /cni plugin not initialized|cni config/i,
    );
    // gannet-cni never ran: no veth, route, claim or DNAT (containerd keeps the sandbox's netns with its record)
    const left = leftovers(nodeA());
    assert.ok(left.netns.length <= 1, `netns: ${left.netns.join(' ')}`);
    assert.deepEqual({ ...left, netns: [] }, { veths: [], hostRoutes: [], claims: [], netns: [], dnat: [] });
  });

  it("agents up: each installs the shipped conflist as 05-gannet.conflist, containerd's network turns ready, BGP routes", async () => {
    const conflist = shippedConflist();
    assert.equal(conflist[0], '05-gannet.conflist');
    nodeA().startAgent(agentConfig(0), conflist);
    nodeB().startAgent(agentConfig(1), conflist);
    await waitFor('both node state files', () => nodes.every((n) => n.nodeState() !== undefined), {
      timeoutMs: 15_000,
    });
    await waitFor('the conflists', () => nodes.every((n) => n.cniConfFiles().includes('05-gannet.conflist')), {
      timeoutMs: 10_000,
    });
    await waitFor(
      "containerd's NetworkReady",
      async () => (await Promise.all(nodes.map((n) => n.cri.status()))).every((st) => st.NetworkReady?.status),
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    await waitFor(
      'BGP routes between the nodes',
      () =>
        nodeA().ns.ip('route', 'show', NODES[1].podCIDR).includes('via 172.31.0.2') &&
        nodeB().ns.ip('route', 'show', NODES[0].podCIDR).includes('via 172.31.0.1'),
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    // the sandbox refused before the network was ready can be removed now, and leaves nothing
    for (const sb of await nodeA().cri.listPodSandbox()) {
      await nodeA().cri.stopPodSandbox(sb.id);
      await nodeA().cri.removePodSandbox(sb.id);
    }
    assert.deepEqual(await nodeA().cri.listPodSandbox(), []);
    assertClean(nodeA(), 'after removing the refused sandbox');
  });

  it("pods start with addresses from their node's CIDR and reach each other, the node, and a pod on the other node", async () => {
    const [a1, a2] = await Promise.all([runPod(nodeA(), 'a1'), runPod(nodeA(), 'a2')]);
    const b1 = await runPod(nodeB(), 'b1');
    for (const p of [a1, a2] as Pod[]) assert.match(p.ip, /^10\.244\.1\.\d+$/);
    assert.match(b1.ip, /^10\.244\.2\.\d+$/);
    // eth0 with the /32 and the default route through the link-local gateway, as gannet-cni's result said
    const addr = inPod(a1, 'ip', ['-o', '-4', 'addr', 'show', 'dev', 'eth0']).stdout;
    assert.match(addr, new RegExp(`inet ${a1.ip.replaceAll('.', '\\.')}/32`));
    assert.match(inPod(a1, 'ip', ['route', 'show', 'default']).stdout, /default via 169\.254\.1\.1 dev eth0/);
    assert.match(inPod(a1, 'ip', ['-o', 'link', 'show', 'eth0']).stdout, / mtu 1400 /, 'the uplink MTU, detected');
    assert.match(inPod(a1, 'ip', ['-o', 'link', 'show', 'lo']).stdout, /UP/, 'loopback, run by containerd itself');
    assert.ok(podPing(a1, a2.ip), 'a1 → a2 (same node)');
    assert.ok(podPing(a1, NODES[0].address), 'a1 → its node');
    assert.ok(podPing(a1, b1.ip), 'a1 → b1 (other node)');
    assert.ok(podPing(b1, a2.ip), 'b1 → a2');
    await Promise.all([removePod(nodeA(), a1 as Pod), removePod(nodeA(), a2 as Pod), removePod(nodeB(), b1)]);
    assertClean(nodeA(), 'node a after stop/remove');
    assertClean(nodeB(), 'node b after stop/remove');
  });

  it('gannet-cni killed in the middle of ADD (veth, route and claim made): the sandbox fails, DEL frees it all, it can be removed', async () => {
    // containerd hands its environment to the plugins: GANNET_CNI_TEST_CRASH_AFTER makes gannet-cni SIGKILL itself
    // once the pod is wired and routed, before it answers (an OOM kill or a power cut would leave the same)
    await nodeA().stopContainerd();
    await nodeA().startContainerd({ ...process.env, GANNET_CNI_TEST_CRASH_AFTER: 'routed' });
    try {
      await assert.rejects(
        nodeA().cri.runPodSandbox({ name: 'crash', namespace: 'e2e', uid: 'uid-crash' }),
        /plugin type="gannet-cni" failed \(add\): .*signal: killed/,
      );
      for (const s of await nodeA().cri.listPodSandbox()) {
        await nodeA().cri.stopPodSandbox(s.id);
        await nodeA().cri.removePodSandbox(s.id);
      }
      assert.deepEqual(await nodeA().cri.listPodSandbox(), []);
      assertClean(nodeA(), 'after the killed ADD');
    } finally {
      await nodeA().stopContainerd();
      await nodeA().startContainerd();
    }
  });

  it('hostPort through portmap: the other node reaches the pod at node:hostPort; removal takes the DNAT away', async () => {
    const pod = await runPod(nodeA(), 'web', { portMappings: [{ containerPort: 80, hostPort: 18080 }] });
    const server = spawnSync(
      'nsenter',
      [
        '-t',
        String(pod.pid),
        '-n',
        'sh',
        '-c',
        `${process.execPath} -e "require('node:http').createServer((q, s) => s.end('from-pod')).listen(80, '0.0.0.0'); setTimeout(() => process.exit(0), 15000)" >/dev/null 2>&1 & echo $!`,
      ],
      { encoding: 'utf8' },
    );
    const serverPid = Number(server.stdout.trim());
    try {
      await waitFor('the pod web server', () => inPod(pod, 'ss', ['-Hltn', 'sport = :80']).stdout.includes(':80'), {
        timeoutMs: 10_000,
      });
      const got = nodeB().ns.tryRun('curl', ['-s', '--max-time', '3', `http://${NODES[0].address}:18080/`]);
      assert.equal(got.stdout, 'from-pod', `curl node-a:18080 from node b: ${got.stderr}`);
      assert.ok(leftovers(nodeA()).dnat.length > 0, 'portmap made its DNAT chain');
    } finally {
      try {
        process.kill(serverPid, 'SIGKILL');
      } catch {
        // exited
      }
    }
    await removePod(nodeA(), pod);
    assertClean(nodeA(), 'after removing the hostPort pod');
  });

  it('20 pods at once: 20 distinct addresses, all reachable; removing them at once frees everything', async () => {
    const pods = await Promise.all(Array.from({ length: 20 }, (_, i) => runPod(nodeA(), `many-${i}`)));
    assert.equal(new Set(pods.map((p) => p.ip)).size, 20);
    assert.equal(leftovers(nodeA()).claims.length, 20);
    const b1 = await runPod(nodeB(), 'b-many');
    const unreachable = pods.filter((p) => !podPing(b1, p.ip)).map((p) => p.ip);
    assert.deepEqual(unreachable, [], "every pod answers the other node's pod");
    await Promise.all([...pods.map((p) => removePod(nodeA(), p)), removePod(nodeB(), b1)]);
    assertClean(nodeA(), 'after removing 20 pods at once');
    assertClean(nodeB(), 'node b');
  });

  it('containerd restarted with pods running: they survive and keep their addresses; their teardown still frees everything', async () => {
    const pods = await Promise.all([runPod(nodeA(), 'r1'), runPod(nodeA(), 'r2')]);
    await nodeA().stopContainerd();
    assert.ok(podPing(pods[0] as Pod, pods[1]?.ip ?? ''), 'pods talk while containerd is down');
    await nodeA().startContainerd();
    for (const p of pods) {
      const st = await nodeA().cri.podSandboxStatus(p.id);
      assert.equal(st.state, 'SANDBOX_READY');
      assert.equal(st.ip, p.ip);
    }
    assert.ok(podPing(pods[1] as Pod, pods[0]?.ip ?? ''), 'and after the restart');
    await Promise.all(pods.map((p) => removePod(nodeA(), p)));
    assertClean(nodeA(), 'after removing the pods that outlived a containerd restart');
  });
});
