// `gannet explain` on a real lab (FRR ToR, 2 nodes): a pod CIDR learned and installed (the import rule that let it
// in, where it is advertised), a prefix the router sends that the node's import rules refuse (named), and a learned
// route the kernel cannot take because a foreign route holds its place (the kernel's side shown).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { GANNET_BIN } from '../src/cri-node.js';
import { ipIn, runIn, TestLab } from '../src/lab-fixture.js';
import { waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

interface Report {
  prefix: string;
  kernel: { desired: boolean; installed?: boolean; error?: string };
  bgp?: { paths: { peer: string; status: string; why?: string; imported?: string }[]; decision?: string };
}

describe('explain: why a prefix is or is not in the kernel, on a real lab', function () {
  this.timeout(90_000);
  let t: TestLab;

  const explain = (prefix: string, json = true) => {
    const r = spawnSync(
      'ip',
      ['netns', 'exec', t.node('node1').ns, join(GANNET_BIN, 'gannet'), 'explain', prefix, ...(json ? ['--json'] : [])],
      { encoding: 'utf8', timeout: 20_000 },
    );
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  before(async function () {
    requireRoot(this);
    t = new TestLab({ nodes: 2, router: 'frr', podsPerNode: 1 });
    await t.up();
    const r = t.plan.router!;
    runIn(r.ns, 'vtysh', [
      '--vty_socket',
      join(t.lab.dir, 'router'),
      '-c',
      'configure terminal',
      '-c',
      `router bgp ${r.asn}`,
      '-c',
      'address-family ipv4 unicast',
      '-c',
      'network 10.99.0.0/24',
    ]);
  });

  after(async () => {
    await t?.destroy();
  });

  it('a learned pod CIDR: accepted by the cluster rule, best, installed, not sent back', async () => {
    const cidr = t.node('node2').podCIDR;
    await waitFor('the agent to explain an installed route', () => explain(cidr).code === 0, {
      timeoutMs: 20_000,
      intervalMs: 500,
    });
    const { code, out, err } = explain(cidr);
    assert.equal(code, 0, `${out}${err}`);
    const r = JSON.parse(out) as Report;
    assert.deepEqual(r.kernel, { desired: true, installed: true });
    const best = r.bgp!.paths.find((p) => p.status === 'best')!;
    assert.equal(best.peer, t.plan.router!.address);
    assert.match(best.imported!, /import rule \d+ \(10\.244\.0\.0\/16 ge 16 le 24\) says permit/);
    const text = explain(cidr, false).out;
    assert.match(text, /in the kernel via 172\.30\.0\.2/);
    assert.match(text, /not sent — learned from this peer/);
  });

  it('an outside prefix from the router: rejected by the import rules, named, exit 1', async () => {
    await waitFor(
      'the router’s 10.99.0.0/24 to reach node1',
      () => (JSON.parse(explain('10.99.0.0/24').out) as Report).bgp!.paths.length > 0,
      {
        timeoutMs: 20_000,
        intervalMs: 500,
      },
    );
    const { code, out } = explain('10.99.0.0/24');
    assert.equal(code, 1);
    const r = JSON.parse(out) as Report;
    assert.equal(r.kernel.desired, false);
    assert.equal(r.bgp!.paths[0]!.status, 'rejected');
    assert.equal(r.bgp!.paths[0]!.why, 'no import rule matches: default deny');
    assert.match(explain('10.99.0.0/24', false).out, /not in the kernel: no peer sent an accepted path/);
  });

  it('a learned route displaced by a foreign one: the kernel side says so', async () => {
    const n1 = t.node('node1').ns;
    const cidr = t.node('node2').podCIDR;
    ipIn(n1, 'route', 'replace', cidr, 'dev', 'lo', 'proto', 'static');
    try {
      await waitFor(
        'the agent to report it not installed',
        () => (JSON.parse(explain(cidr).out) as Report).kernel.installed === false,
        {
          timeoutMs: 20_000,
          intervalMs: 500,
        },
      );
      const { code, out } = explain(cidr, false);
      assert.equal(code, 1);
      assert.match(out, /NOT in the kernel: the kernel refuses it/);
    } finally {
      ipIn(n1, 'route', 'del', cidr, 'proto', 'static');
    }
  });
});
