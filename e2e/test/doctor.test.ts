// `gannet doctor` on a real lab (FRR ToR, 2 nodes, 1 pod each): healthy → exit 0; then one fault per class, made by
// breaking the lab on purpose and healed after: doctor (the real CLI, --json) names the hop and the check, exits 1.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GANNET_BIN } from '../src/cri-node.js';
import { ipIn, runIn, TestLab } from '../src/lab-fixture.js';
import { waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

interface Report {
  ok: boolean;
  broken?: { hop: string; check: string; detail: string; hint?: string };
  hops: { label: string }[];
  elapsedMs: number;
}

describe('doctor: a lab broken on purpose, one fault class at a time', function () {
  this.timeout(120_000);
  let t: TestLab;
  let a: { ip: string; ns: string; id: string };
  let b: { ip: string; ns: string; id: string };
  let hostVeth: string;

  function doctor(extra: string[] = ['--no-ping']): { code: number; report: Report } {
    const r = spawnSync(
      join(GANNET_BIN, 'gannet'),
      ['doctor', a.id, b.id, '--lab', t.plan.options.name, '--state-dir', dirname(t.lab.dir), '--json', ...extra],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.ok(r.stdout, `doctor printed nothing: ${r.stderr}`);
    return { code: r.status ?? -1, report: JSON.parse(r.stdout) as Report };
  }

  function expectBroken(hop: string, check: string, detail?: RegExp): Report {
    const { code, report } = doctor();
    assert.equal(code, 1, JSON.stringify(report, null, 2));
    assert.equal(report.broken?.hop, hop, JSON.stringify(report.broken));
    assert.equal(report.broken?.check, check, JSON.stringify(report.broken));
    if (detail) assert.match(report.broken!.detail, detail);
    return report;
  }

  async function healthy(): Promise<void> {
    await waitFor('doctor to find the path whole again', () => doctor().code === 0, {
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  }

  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 1 });
    await t.up();
    a = t.pods('node1')[0]!;
    b = t.pods('node2')[0]!;
    hostVeth = JSON.parse(ipIn(t.node('node2').ns, '-j', 'route', 'get', b.ip))[0].dev as string;
  });

  after(async () => {
    await t?.destroy();
  });

  it('a healthy lab: exit 0, four hops, the ping answered', () => {
    const { code, report } = doctor([]);
    assert.equal(code, 0, JSON.stringify(report, null, 2));
    // the router is a hop or not, as its next-hop handling decides (third-party next hop on the shared segment)
    const labels = report.hops.map((h) => h.label).filter((l) => !l.startsWith('router '));
    assert.deepEqual(labels, [`pod ${a.id}`, 'node node1', 'node node2', `pod ${b.id}`]);
  });

  it('the source pod’s default route deleted', async () => {
    ipIn(a.ns, 'route', 'del', 'default');
    try {
      expectBroken(`pod ${a.id}`, 'route');
    } finally {
      ipIn(a.ns, 'route', 'add', 'default', 'via', '169.254.1.1', 'dev', 'eth0', 'onlink');
    }
    await healthy();
  });

  it('the destination pod’s host veth down, then its host route missing', async () => {
    const n2 = t.node('node2').ns;
    ipIn(n2, 'link', 'set', hostVeth, 'down');
    try {
      expectBroken('node node2', 'pod veth');
      ipIn(n2, 'link', 'set', hostVeth, 'up');
      expectBroken('node node2', 'pod route');
    } finally {
      ipIn(n2, 'link', 'set', hostVeth, 'up');
      ipIn(n2, 'route', 'replace', b.ip, 'dev', hostVeth, 'scope', 'link');
    }
    await healthy();
  });

  it('forwarding off on the source node', async () => {
    runIn(t.node('node1').ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=0']);
    try {
      const r = expectBroken('node node1', 'forwarding');
      assert.match(r.broken!.hint!, /ip_forward=1/);
    } finally {
      runIn(t.node('node1').ns, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    }
    await healthy();
  });

  it('rp_filter strict on an asymmetric path', async () => {
    const n2 = t.node('node2').ns;
    ipIn(n2, 'link', 'add', 'asym0', 'type', 'veth', 'peer', 'name', 'asym1');
    try {
      ipIn(n2, 'link', 'set', 'asym0', 'up');
      ipIn(n2, 'link', 'set', 'asym1', 'up');
      ipIn(n2, 'route', 'add', `${a.ip}/32`, 'dev', 'asym0');
      runIn(n2, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.rp_filter=1']);
      expectBroken('node node2', 'rp_filter', /leaves by asym0/);
    } finally {
      runIn(n2, 'sysctl', ['-qw', 'net.ipv4.conf.eth0.rp_filter=0']);
      ipIn(n2, 'link', 'del', 'asym0');
    }
    await healthy();
  });

  it('the BGP session of the source node shut down on the router', async () => {
    const router = t.plan.router!;
    const vtysh = (...cmds: string[]) =>
      runIn(router.ns, 'vtysh', [
        '--vty_socket',
        join(t.lab.dir, 'router'),
        '-c',
        'configure terminal',
        '-c',
        `router bgp ${router.asn}`,
        ...cmds.flatMap((c) => ['-c', c]),
      ]);
    vtysh(`neighbor ${t.node('node1').address} shutdown`);
    try {
      await waitFor('node1 to lose the route', () => doctor().report.broken?.check === 'sessions', {
        timeoutMs: 20_000,
        intervalMs: 500,
      });
      expectBroken('node node1', 'sessions', /172\.30\.0\.254 (Active|Connect|Idle)/);
    } finally {
      vtysh(`no neighbor ${t.node('node1').address} shutdown`);
    }
    await healthy();
  });

  it('a foreign route in the place of a learned one: the agent cannot install it', async () => {
    const n1 = t.node('node1').ns;
    const cidr = t.node('node2').podCIDR;
    ipIn(n1, 'route', 'replace', cidr, 'dev', 'lo', 'proto', 'static');
    try {
      await waitFor('the agent to report the route not installed', () => doctor().report.broken?.check === 'bgp', {
        timeoutMs: 20_000,
        intervalMs: 500,
      });
      expectBroken('node node1', 'bgp', /NOT installed: another route for .* \(proto static dev lo\)/);
    } finally {
      ipIn(n1, 'route', 'del', cidr, 'proto', 'static');
    }
    await healthy();
  });

  it('an MTU mismatch between the nodes', async () => {
    const n2 = t.node('node2').ns;
    ipIn(n2, 'link', 'set', 'eth0', 'mtu', '1400');
    try {
      expectBroken('node node2', 'mtu', /accepts 1400 bytes/);
    } finally {
      ipIn(n2, 'link', 'set', 'eth0', 'mtu', '1500');
    }
    await healthy();
  });

  it('a firewall dropping the traffic: every hop fine, the ping unanswered, named at the end', async () => {
    const n2 = t.node('node2').ns;
    const nft = (...args: string[]) => runIn(n2, 'nft', args);
    nft('add', 'table', 'inet', 'doctortest');
    try {
      nft('add', 'chain', 'inet', 'doctortest', 'f', '{ type filter hook forward priority 0; }');
      nft('add', 'rule', 'inet', 'doctortest', 'f', 'ip', 'daddr', b.ip, 'drop');
      const { code, report } = doctor([]);
      assert.equal(code, 1);
      assert.equal(report.broken?.check, 'ping', JSON.stringify(report.broken));
    } finally {
      nft('delete', 'table', 'inet', 'doctortest');
    }
    await healthy();
  });

  it('a NetworkPolicy denying the destination: every hop fine, the policy named at the destination node', async () => {
    const file = join(t.lab.dir, 'doctor-deny.yaml');
    writeFileSync(
      file,
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: doctor-deny, namespace: default}\n' +
        'spec: {podSelector: {}, policyTypes: [Ingress]}\n',
    );
    const lab = (...args: string[]) =>
      execFileSync(
        join(GANNET_BIN, 'gannet'),
        ['lab', 'policy', ...args, '--name', t.plan.options.name, '--state-dir', dirname(t.lab.dir)],
        { encoding: 'utf8', timeout: 60_000 },
      );
    lab('apply', '-f', file);
    try {
      await waitFor('doctor to name the policy', () => doctor([]).report.broken?.check === 'policy', {
        timeoutMs: 20_000,
        intervalMs: 500,
      });
      const { code, report } = doctor([]);
      assert.equal(code, 1);
      assert.equal(report.broken?.hop, 'node node2');
      assert.match(report.broken!.detail, /NetworkPolicy selects 10\.244\.2\.\d+ for ingress/);
    } finally {
      lab('delete', 'doctor-deny', '-n', 'default');
    }
    await waitFor('the path whole again', () => doctor([]).code === 0, { timeoutMs: 30_000, intervalMs: 500 });
  });

  it('takes pod IPs as well as pod names', () => {
    const r = execFileSync(
      join(GANNET_BIN, 'gannet'),
      ['doctor', a.ip, b.ip, '--lab', t.plan.options.name, '--state-dir', dirname(t.lab.dir)],
      { encoding: 'utf8', timeout: 30_000 },
    );
    assert.match(r, /path OK \(\d hops/);
  });
});
