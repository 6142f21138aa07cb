// The agent in standalone mode on real kernels: two nodes and an FRR router; then a three-node iBGP mesh for SIGHUP.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, labReport, planLab } from '@gannet/controller';
import { waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const labName = () => `a${randomBytes(3).toString('hex').slice(0, 5)}`;

function kernelRoutes(ns: string): { dst: string; gateway?: string; type?: string; protocol?: string }[] {
  return JSON.parse(execFileSync('ip', ['-n', ns, '-j', 'route', 'show', 'proto', '71'], { encoding: 'utf8' }));
}

async function fetchInNs(ns: string, path: string): Promise<string> {
  const script = `fetch('http://127.0.0.1:9179${path}').then(r=>r.text()).then(t=>process.stdout.write(t))`;
  return execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', script], {
    encoding: 'utf8',
    timeout: 10_000,
  });
}

describe('e2e: agent with an FRR router (standalone config)', function () {
  this.timeout(120_000);
  let lab: Lab;
  let stateRoot: string;

  before(async function () {
    requireRoot(this);
    stateRoot = mkdtempSync(join(tmpdir(), 'gannet-e2e-agent-'));
    lab = new Lab(planLab({ name: labName(), nodes: 2, router: 'frr', podsPerNode: 1 }), { stateRoot });
    await lab.build();
    await waitFor(
      'both sessions Established',
      async () => {
        const r = await labReport(lab);
        return r.every((n) => n.peers.length === 1 && n.peers[0]!.state === 'Established');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  after(async () => {
    await lab?.destroy();
    if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
  });

  it('installs the other node’s prefix and a blackhole for its own, with Gannet’s protocol only', async () => {
    const [n1, n2] = lab.plan.nodes;
    await waitFor(
      '10.244.2.0/24 in node1’s kernel',
      () => kernelRoutes(n1!.ns).some((r) => r.dst === '10.244.2.0/24'),
      {
        timeoutMs: 20_000,
      },
    );
    const routes = kernelRoutes(n1!.ns);
    const learned = routes.find((r) => r.dst === '10.244.2.0/24')!;
    assert.ok(['172.30.0.2', '172.30.0.254'].includes(learned.gateway ?? ''), `next hop ${learned.gateway}`);
    assert.ok(
      routes.some((r) => r.dst === '10.244.1.0/24' && r.type === 'blackhole'),
      'blackhole for own CIDR',
    );
    assert.ok(!routes.some((r) => r.dst.startsWith('172.30.')), 'no node address imported');
    // The CNI's pod host route is not ours and stays another protocol's.
    const pod = lab.state.pods.find((p) => p.node === 'node1')!;
    const all = JSON.parse(execFileSync('ip', ['-n', n1!.ns, '-j', 'route'], { encoding: 'utf8' })) as {
      dst: string;
      protocol?: string;
    }[];
    const hostRoute = all.find((r) => r.dst === pod.ip);
    assert.ok(hostRoute, 'the pod host route exists');
    assert.ok(!['gannet', '71'].includes(hostRoute.protocol ?? 'boot'), `host route protocol ${hostRoute.protocol}`);
    assert.ok(
      kernelRoutes(n2!.ns).some((r) => r.dst === '10.244.1.0/24'),
      'node2 learned node1’s prefix',
    );
  });

  it('pods on different nodes reach each other without NAT', () => {
    const [a, b] = lab.state.pods;
    const out = execFileSync('ip', ['netns', 'exec', a!.ns, 'ping', '-n', '-c', '3', '-i', '0.2', '-W', '1', b!.ip], {
      encoding: 'utf8',
    });
    assert.match(out, /3 packets transmitted, 3 received/);
  });

  it('serves the status API and metrics inside the node', async () => {
    const n1 = lab.plan.nodes[0]!;
    const peers = JSON.parse(await fetchInNs(n1.ns, '/api/v1/peers'));
    assert.equal(peers.length, 1);
    assert.equal(peers[0].address, '172.30.0.254');
    assert.equal(peers[0].asn, 65000);
    assert.equal(peers[0].state, 'Established');
    assert.ok(peers[0].prefixesAccepted >= 1 && peers[0].prefixesAdvertised === 1, JSON.stringify(peers[0]));
    const routes = JSON.parse(await fetchInNs(n1.ns, '/api/v1/routes')) as { prefix: string; installed: boolean }[];
    assert.ok(routes.find((r) => r.prefix === '10.244.2.0/24')?.installed);
    const metrics = await fetchInNs(n1.ns, '/metrics');
    assert.match(metrics, /gannet_bgp_peer_state\{peer="172\.30\.0\.254",asn="65000",state="Established"\} 1/);
    assert.match(metrics, /gannet_ipam_addresses_used 1/);
    assert.equal((await fetchInNs(n1.ns, '/readyz')).includes('ready'), true);
  });

  it('writes the node state file that gannet-cni reads', () => {
    const n1 = lab.plan.nodes[0]!;
    const state = JSON.parse(readFileSync(join(lab.nodeDir(n1), 'node-state.json'), 'utf8'));
    assert.equal(state.nodeName, 'node1');
    assert.deepEqual(state.podCIDRs, ['10.244.1.0/24']);
  });
});

describe('e2e: agent SIGHUP re-reads the config and resets only the changed peer', function () {
  this.timeout(120_000);
  let lab: Lab;
  let stateRoot: string;

  before(async function () {
    requireRoot(this);
    stateRoot = mkdtempSync(join(tmpdir(), 'gannet-e2e-hup-'));
    lab = new Lab(planLab({ name: labName(), nodes: 3, router: 'none', podsPerNode: 0 }), { stateRoot });
    await lab.build();
    await waitFor(
      'the mesh Established',
      async () => {
        const r = await labReport(lab);
        return r.every((n) => n.peers.length === 2 && n.peers.every((p) => p.state === 'Established'));
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  });

  after(async () => {
    await lab?.destroy();
    if (stateRoot) rmSync(stateRoot, { recursive: true, force: true });
  });

  const node1Peers = async () => (await labReport(lab))[0]!.peers;

  it('a changed hold time resets that session only; a broken file changes nothing', async () => {
    const n1 = lab.plan.nodes[0]!;
    const file = join(lab.nodeDir(n1), 'gannet.yaml');
    const original = readFileSync(file, 'utf8');
    // Let the sessions age so a reset is visible in the uptime.
    await waitFor('uptimes of 3 s', async () => (await node1Peers()).every((p) => p.uptimeSeconds >= 3), {
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    const changed = original.replace(
      '{ address: 172.30.0.3, asn: 64512, holdTime: 9 }',
      '{ address: 172.30.0.3, asn: 64512, holdTime: 15 }',
    );
    assert.notEqual(changed, original);
    writeFileSync(file, changed);
    process.kill(lab.agentPid(n1)!, 'SIGHUP');
    await waitFor(
      'the node3 session to reset and come back',
      async () => {
        const p = (await node1Peers()).find((x) => x.address === '172.30.0.3')!;
        return p.state === 'Established' && p.uptimeSeconds < 3;
      },
      { timeoutMs: 30_000, intervalMs: 200 },
    );
    const node2 = (await node1Peers()).find((x) => x.address === '172.30.0.2')!;
    assert.equal(node2.state, 'Established');
    assert.ok(node2.uptimeSeconds >= 3, `the unchanged node2 session kept running (uptime ${node2.uptimeSeconds})`);

    writeFileSync(file, `${changed}bogus: key\n`);
    process.kill(lab.agentPid(n1)!, 'SIGHUP');
    await waitFor(
      'the rejection in the log',
      () =>
        /configuration rejected; keeping the running one/.test(
          readFileSync(join(lab.nodeDir(n1), 'agent.log'), 'utf8'),
        ),
      { timeoutMs: 10_000 },
    );
    const after = await node1Peers();
    assert.ok(
      after.every((p) => p.state === 'Established'),
      'all sessions still up',
    );
    assert.match(readFileSync(join(lab.nodeDir(n1), 'agent.log'), 'utf8'), /gannet\.yaml:\d+: bogus: unknown key/);
  });
});
