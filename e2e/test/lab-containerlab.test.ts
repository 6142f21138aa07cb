// examples/containerlab without Docker or containerlab (neither is installable here): network namespaces stand in for
// the containers. The ToR runs FRR from the example's own frr.conf; node1 and node2 run the example's node-start.sh
// with their own gannet.yaml, each in a private mount namespace (its /run/gannet and /var/lib/cni, as a container
// has), started before their eth1 exists, as containerlab does; pods are attached with the example's add-pod.sh.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gannetRoutes, ipIn } from '../src/lab-fixture.js';
import { type Netns, type SpawnedProcess, TEST_NS_PREFIX, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const EXAMPLE = resolve(dirname(fileURLToPath(import.meta.url)), '../../../examples/containerlab');
const BIN = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/bin');

/** What gannet.clab.yml gives each node: its address on eth1, and the ToR port at the other end of its link. */
const NODES = [
  { name: 'node1', address: '172.30.1.1/24', torPort: 'eth1' },
  { name: 'node2', address: '172.30.2.2/24', torPort: 'eth2' },
];

function frrUser(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('frr:'));
  if (!line) throw new Error('the frr user does not exist: install Debian package frr');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** add-pod.sh run inside a node "container" (its network and mount namespaces); exit status and output. */
function addPod(agent: SpawnedProcess, args: string[]): { status: number; stdout: string; stderr: string } {
  const r = spawnSync('nsenter', ['-t', String(agent.pid), '-m', '-n', 'sh', join(EXAMPLE, 'add-pod.sh'), ...args], {
    encoding: 'utf8',
    timeout: 30_000,
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH ?? '/usr/bin:/bin'}` },
  });
  return { status: r.status ?? -1, stdout: r.stdout.trim(), stderr: r.stderr.trim() };
}

describe('lab e2e: examples/containerlab with namespaces for containers', function () {
  this.timeout(90_000);
  let net: TestNet;
  let dir: string;
  let tor: Netns;
  const agents: { name: string; ns: Netns; proc: SpawnedProcess }[] = [];
  const pods: string[] = [];

  before(async function () {
    requireRoot(this);
    for (const bin of ['gannet', 'gannet-cni'])
      if (!existsSync(join(BIN, bin))) throw new Error(`${join(BIN, bin)} is missing: run pnpm build`);
    net = new TestNet('clab');
    dir = mkdtempSync(join(tmpdir(), 'gannet-clab-'));
    chmodSync(dir, 0o755);
    // The ToR: zebra and bgpd from the example's integrated frr.conf, as the FRR image starts them.
    tor = net.ns('tor');
    const frr = join(dir, 'frr');
    execFileSync('mkdir', ['-p', frr]);
    copyFileSync(join(EXAMPLE, 'frr/frr.conf'), join(frr, 'frr.conf'));
    const { uid, gid } = frrUser();
    for (const p of [frr, join(frr, 'frr.conf')]) chownSync(p, uid, gid);
    const common = ['-z', join(frr, 'zserv.api'), '--vty_socket', frr, '-u', 'frr', '-g', 'frr', '-P', '0'];
    tor.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']); // the topology's exec for tor
    net.spawn(tor, '/usr/lib/frr/zebra', ['-f', join(frr, 'frr.conf'), '-i', join(frr, 'zebra.pid'), ...common]);
    await waitFor('zebra', () => existsSync(join(frr, 'zserv.api')), { timeoutMs: 10_000 });
    net.spawn(tor, '/usr/lib/frr/bgpd', ['-f', join(frr, 'frr.conf'), '-i', join(frr, 'bgpd.pid'), ...common]);
    // The nodes: node-start.sh as each container's command, before containerlab has wired eth1.
    for (const n of NODES) {
      const ns = net.ns(n.name);
      const run = join(dir, `${n.name}.sh`);
      writeFileSync(
        run,
        [
          // Private state per node: without its own /run/gannet a node's gannet-cni reads another node's pod CIDR.
          'set -e',
          'mkdir -p /run/gannet /var/lib/cni',
          'mount -t tmpfs gannet /run/gannet',
          'mount -t tmpfs cni /var/lib/cni',
          `exec sh ${join(EXAMPLE, 'node-start.sh')}`,
          '',
        ].join('\n'),
      );
      const proc = net.spawn(ns, 'unshare', ['-m', '--propagation', 'private', 'sh', run], {
        env: {
          ...process.env,
          PATH: `${BIN}:${process.env.PATH ?? '/usr/bin:/bin'}`,
          NODE_ADDRESS: n.address,
          GANNET_CONFIG: join(EXAMPLE, n.name, 'gannet.yaml'),
        },
      });
      agents.push({ name: n.name, ns, proc });
    }
    for (const n of NODES) net.link(tor, n.torPort, agents.find((a) => a.name === n.name)!.ns, 'eth1');
  });

  after(async () => {
    for (const p of pods.splice(0)) {
      const a = agents.find((x) => p.includes(`-${x.name}-`));
      if (a) addPod(a.proc, [p, 'del']);
    }
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("brings the sessions up: each node learns the other's pod CIDR via the ToR, the ToR routes to both", async () => {
    await waitFor(
      'both nodes to learn the other pod CIDR',
      () => agents.every((a) => gannetRoutes(a.ns.name).length === NODES.length),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    assert.deepEqual(gannetRoutes(agents[0]!.ns.name), [
      '10.244.2.0/24 via 172.30.1.254 dev eth1',
      'blackhole 10.244.1.0/24',
    ]);
    assert.deepEqual(gannetRoutes(agents[1]!.ns.name), [
      '10.244.1.0/24 via 172.30.2.254 dev eth1',
      'blackhole 10.244.2.0/24',
    ]);
    const torRoutes = ipIn(tor.name, 'route', 'show', 'proto', 'bgp');
    assert.match(torRoutes, /^10\.244\.1\.0\/24 .*via 172\.30\.1\.1 dev eth1/m);
    assert.match(torRoutes, /^10\.244\.2\.0\/24 .*via 172\.30\.2\.2 dev eth2/m);
  });

  it('add-pod wires a pod per node through gannet-cni; the pods reach each other; del removes them, twice', () => {
    const [a, b] = agents;
    const podA = `${TEST_NS_PREFIX}${net.id}-clab-${a!.name}-pod1`;
    const podB = `${TEST_NS_PREFIX}${net.id}-clab-${b!.name}-pod1`;
    const ra = addPod(a!.proc, [podA]);
    pods.push(podA);
    const rb = addPod(b!.proc, [podB]);
    pods.push(podB);
    assert.equal(ra.status, 0, ra.stderr);
    assert.equal(rb.status, 0, rb.stderr);
    assert.match(ra.stdout, /^10\.244\.1\.\d+$/);
    assert.match(rb.stdout, /^10\.244\.2\.\d+$/);
    const ping = spawnSync(
      'nsenter',
      [
        '-t',
        String(a!.proc.pid),
        '-m',
        '-n',
        'ip',
        'netns',
        'exec',
        podA,
        'ping',
        '-n',
        '-c',
        '5',
        '-i',
        '0.05',
        '-W',
        '1',
        rb.stdout,
      ],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    assert.equal(ping.status, 0, `${podA} → ${rb.stdout}: ${ping.stdout}${ping.stderr}`);
    // A second ADD of an existing pod fails cleanly; DEL is idempotent.
    assert.notEqual(addPod(a!.proc, [podA]).status, 0);
    for (let i = 0; i < 2; i++) {
      const d = addPod(a!.proc, [podA, 'del']);
      assert.equal(d.status, 0, `del #${i + 1}: ${d.stderr}`);
    }
    pods.splice(pods.indexOf(podA), 1);
    assert.equal(existsSync(`/run/netns/${podA}`), false);
    assert.deepEqual(ipIn(a!.ns.name, 'route', 'show', 'exact', `${ra.stdout}/32`).trim(), '', 'host route gone');
  });
});
