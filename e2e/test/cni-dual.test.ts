// gannet-cni with dual-stack and IPv6-only pod CIDRs in real namespaces, executed as the single executable: one
// address per family, usable at once (no DAD: the first ping6 right after ADD answers), pods reaching the node and
// each other over both families, CHECK against the kernel, DEL freeing both addresses.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, TestNet } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { execPlugin, type PluginCall, requireGannetCni } from './cni-runtime.js';

interface AddrJson {
  addr_info: { family: string; local: string; prefixlen: number; nodad?: boolean; tentative?: boolean }[];
}

describe('e2e cni: dual-stack and IPv6-only pods', function () {
  this.timeout(60_000);
  let net: TestNet;
  let node: Netns;
  let dataDir: string;
  let bin: string;

  before(function () {
    requireRoot(this);
    bin = requireGannetCni();
    net = new TestNet('cni6');
    node = net.ns('node');
    node.ip('addr', 'add', '192.0.2.1/32', 'dev', 'lo');
    node.ip('addr', 'add', '2001:db8::1/128', 'dev', 'lo'); // the node's own addresses, for pods to reach
    dataDir = mkdtempSync(join(tmpdir(), 'gannet-cni6-e2e-'));
  });
  after(async () => {
    await net?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const conf = (podCIDRs: string[], extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.0.0',
    name: 'gnet',
    type: 'gannet-cni',
    podCIDRs,
    mtu: 1400,
    dataDir,
    nodeStateFile: join(dataDir, 'absent.json'),
    ...extra,
  });
  const call = (c: Omit<PluginCall, 'bin' | 'nodeNs'>) => execPlugin({ bin, nodeNs: node.name, ...c });
  const claims = () => readdirSync(join(dataDir, 'gnet')).filter((n) => !n.startsWith('last_reserved_ip'));

  for (const [label, cidrs] of [
    ['dual-stack', ['10.244.1.0/24', 'fd00:10:244:1::/64']],
    ['IPv6-only', ['fd00:10:244:2::/64']],
  ] as const) {
    it(`${label}: ADD → the first ping6 answers → CHECK → DEL frees every address`, async () => {
      const pods = [net.ns(`${label.slice(0, 4)}a`), net.ns(`${label.slice(0, 4)}b`)];
      const results: Record<string, unknown>[] = [];
      const addrs: { v4?: string; v6: string }[] = [];
      for (const [i, pod] of pods.entries()) {
        const c = { containerId: `ctr-${label}-${i}`, netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
        const add = await call({ command: 'ADD', ...c, conf: conf([...cidrs]) });
        assert.equal(add.status, 0, add.stdout + add.stderr);
        const ips = ((add.json?.ips ?? []) as { address: string; gateway: string }[]).map((x) => x.address);
        const v6 = ips.find((a) => a.includes(':'))?.split('/')[0] as string;
        const v4 = ips.find((a) => !a.includes(':'))?.split('/')[0];
        assert.equal(ips.length, cidrs.length, JSON.stringify(add.json));
        assert.match(v6, /^fd00:10:244:[12]::\d+$/);
        // usable at once: right after ADD, before any DAD could have finished
        assert.ok(pod.ping('2001:db8::1'), `${pod.name} reaches the node over IPv6 right after ADD`);
        const [eth0] = JSON.parse(pod.ip('-j', '-6', 'addr', 'show', 'dev', 'eth0')) as AddrJson[];
        const global = eth0?.addr_info.find((a) => a.local === v6);
        assert.equal(global?.prefixlen, 128);
        assert.equal(global?.nodad, true);
        assert.equal(global?.tentative, undefined, 'never tentative');
        assert.deepEqual(add.json?.routes, [
          ...(v4 ? [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }] : []),
          { dst: '::/0', gw: 'fe80::1' },
        ]);
        results.push(add.json ?? {});
        addrs.push({ ...(v4 && { v4 }), v6 });
        const check = await call({ command: 'CHECK', ...c, conf: conf([...cidrs], { prevResult: add.json }) });
        assert.equal(check.status, 0, check.stdout);
      }
      const [a, b] = pods as [Netns, Netns];
      const [pa, pb] = addrs as [(typeof addrs)[0], (typeof addrs)[0]];
      assert.ok(a.ping(pb.v6) && b.ping(pa.v6), 'pods reach each other over IPv6');
      assert.ok(node.ping(pa.v6), 'the node reaches a pod over IPv6');
      if (pa.v4 && pb.v4) assert.ok(a.ping(pb.v4) && b.ping('192.0.2.1'), 'and over IPv4');
      else assert.equal(a.tryRun('ip', ['-4', 'route', 'show', 'default']).stdout.trim(), '', 'no IPv4 default');
      assert.equal(claims().length, 2 * cidrs.length);

      // CHECK sees a lost IPv6 host route
      const hostIf = ((results[0]?.interfaces ?? []) as { name: string }[])[0]?.name as string;
      node.ip('-6', 'route', 'del', `${pa.v6}/128`, 'dev', hostIf);
      const c0 = { containerId: `ctr-${label}-0`, netns: `/run/netns/${a.name}`, ifname: 'eth0' };
      const broken = await call({ command: 'CHECK', ...c0, conf: conf([...cidrs], { prevResult: results[0] }) });
      assert.equal(broken.json?.code, 100, broken.stdout);
      assert.match(String(broken.json?.msg), new RegExp(`host route ${pa.v6}/128 dev ${hostIf} is missing`));

      for (const [i, pod] of pods.entries()) {
        const c = { containerId: `ctr-${label}-${i}`, netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
        const del = await call({ command: 'DEL', ...c, conf: conf([...cidrs], { prevResult: results[i] }) });
        assert.equal(del.status, 0, del.stdout);
      }
      assert.deepEqual(claims(), [], 'DEL freed both families');
      assert.equal(node.ip('-6', 'route', 'show', 'proto', 'boot'), '', 'no IPv6 host route left');
    });
  }

  it('an IPv6 pod CIDR too long for the IPAM is a code 7 naming the key, nothing wired', async () => {
    const pod = net.ns('bad6');
    const c = { containerId: 'ctr-bad6', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
    const add = await call({ command: 'ADD', ...c, conf: conf(['10.244.1.0/24', 'fd00::/124']) });
    assert.equal(add.json?.code, 7, add.stdout);
    assert.match(String(add.json?.msg), /podCIDRs\[1\] fd00::\/124 must be between \/16 and \/120/);
    assert.equal(pod.tryRun('ip', ['link', 'show', 'eth0']).status === 0, false);
  });
});
