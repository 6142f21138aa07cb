// gannet-cni in real namespaces, executed as the single executable like a runtime does: for every supported spec
// version ADD → CHECK → DEL → DEL with results validated and pods reaching the node and each other; bad inputs.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, TestNet } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { execPlugin, type PluginCall, requireGannetCni } from './cni-runtime.js';

interface LinkJson {
  ifname: string;
  address: string;
  mtu: number;
  flags: string[];
}

function ipJson<T>(ns: Netns, ...args: string[]): T {
  return JSON.parse(ns.ip('-j', ...args)) as T;
}

/** Checks a result against the spec's shape for its version and against the kernel. */
function validateResult(
  r: Record<string, unknown>,
  version: string,
  node: Netns,
  pod: Netns,
  podNetns: string,
): string {
  assert.equal(r.cniVersion, version);
  const interfaces = r.interfaces as { name: string; mac: string; sandbox?: string; mtu?: number }[];
  const ips = r.ips as { version?: string; address: string; gateway: string; interface: number }[];
  assert.equal(interfaces.length, 2);
  const [host, podIf] = interfaces as [(typeof interfaces)[0], (typeof interfaces)[0]];
  assert.match(host.name, /^gnt[0-9a-f]{11}$/);
  assert.equal(host.sandbox, undefined);
  assert.equal(podIf.name, 'eth0');
  assert.equal(podIf.sandbox, podNetns);
  assert.equal(ips.length, 1);
  const ip = ips[0] as (typeof ips)[0];
  assert.match(ip.address, /^10\.244\.1\.\d+\/32$/);
  assert.equal(ip.gateway, '169.254.1.1');
  assert.equal(ip.interface, 1);
  assert.equal(ip.version, version.startsWith('0.') ? '4' : undefined);
  assert.deepEqual(r.routes, [{ dst: '0.0.0.0/0', gw: '169.254.1.1' }]);
  if (version === '1.1.0') assert.equal(podIf.mtu, 1400);
  else assert.equal(podIf.mtu, undefined);
  // the kernel agrees with the result
  const [hostLink] = ipJson<LinkJson[]>(node, 'link', 'show', 'dev', host.name);
  assert.equal(hostLink?.address, host.mac);
  assert.equal(hostLink?.mtu, 1400);
  assert.ok(hostLink?.flags.includes('UP'));
  const [podLink] = ipJson<LinkJson[]>(pod, 'link', 'show', 'dev', 'eth0');
  assert.equal(podLink?.address, podIf.mac);
  const addr = ip.address.split('/')[0] as string;
  const routes = ipJson<{ dst: string; dev: string; protocol?: string; scope?: string }[]>(node, 'route', 'show', addr);
  assert.deepEqual(
    routes.map((x) => [x.dst, x.dev, x.scope, x.protocol ?? 'boot']),
    [[addr, host.name, 'link', 'boot']],
    'a scope-link host route with the default protocol (never the agent protocol)',
  );
  assert.equal(node.run('cat', [`/proc/sys/net/ipv4/conf/${host.name}/proxy_arp`]).trim(), '1');
  assert.equal(node.run('cat', ['/proc/sys/net/ipv4/ip_forward']).trim(), '1');
  return addr;
}

describe('e2e cni: gannet-cni single executable in network namespaces', function () {
  this.timeout(60_000);
  let net: TestNet;
  let node: Netns;
  let dataDir: string;
  let bin: string;

  before(function () {
    requireRoot(this);
    bin = requireGannetCni();
    net = new TestNet('cni');
    node = net.ns('node');
    node.ip('addr', 'add', '192.0.2.1/32', 'dev', 'lo'); // the node's own address, for pods to reach
    dataDir = mkdtempSync(join(tmpdir(), 'gannet-cni-e2e-'));
  });
  after(async () => {
    await net?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const conf = (version: string, extra: Record<string, unknown> = {}) => ({
    cniVersion: version,
    name: 'gnet',
    type: 'gannet-cni',
    podCIDR: '10.244.1.0/24',
    mtu: 1400,
    dataDir,
    nodeStateFile: join(dataDir, 'absent.json'),
    ...extra,
  });
  const call = (c: Omit<PluginCall, 'bin' | 'nodeNs'>) => execPlugin({ bin, nodeNs: node.name, ...c });

  for (const version of ['0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    it(`${version}: ADD → CHECK → DEL → DEL; pods reach the node and each other`, async () => {
      const pods = [net.ns(`p${version.replaceAll('.', '')}a`), net.ns(`p${version.replaceAll('.', '')}b`)];
      const results: Record<string, unknown>[] = [];
      const addrs: string[] = [];
      for (const [i, pod] of pods.entries()) {
        const c = { containerId: `ctr-${version}-${i}`, netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
        const add = await call({ command: 'ADD', ...c, conf: conf(version) });
        assert.equal(add.status, 0, add.stdout + add.stderr);
        assert.ok(add.json);
        addrs.push(validateResult(add.json, version, node, pod, c.netns));
        results.push(add.json);
        const check = await call({ command: 'CHECK', ...c, conf: conf(version, { prevResult: add.json }) });
        if (version === '0.3.1') {
          assert.equal(check.json?.code, 1, `0.3.1 has no CHECK: ${check.stdout}`);
        } else {
          assert.equal(check.status, 0, check.stdout);
          assert.equal(check.stdout, '');
        }
      }
      const [a, b] = pods as [Netns, Netns];
      assert.ok(a.ping('192.0.2.1'), 'pod a reaches the node');
      assert.ok(a.ping(addrs[1] as string), 'pod a reaches pod b');
      assert.ok(b.ping(addrs[0] as string), 'pod b reaches pod a');
      assert.ok(node.ping(addrs[0] as string), 'the node reaches pod a');
      for (const [i, pod] of pods.entries()) {
        const c = { containerId: `ctr-${version}-${i}`, netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
        const del = await call({ command: 'DEL', ...c, conf: conf(version, { prevResult: results[i] }) });
        assert.equal(del.status, 0, del.stdout);
        assert.equal(del.stdout, '');
        const again = await call({ command: 'DEL', ...c, conf: conf(version) });
        assert.equal(again.status, 0, `second DEL: ${again.stdout}`);
        const check = await call({ command: 'CHECK', ...c, conf: conf(version, { prevResult: results[i] }) });
        assert.notEqual(check.status, 0, 'CHECK after DEL fails');
        assert.equal(pod.tryRun('ip', ['link', 'show', 'eth0']).status === 0, false, 'eth0 gone');
      }
      assert.equal(node.ip('-o', 'link', 'show', 'type', 'veth'), '', 'no veth left on the node');
      assert.deepEqual(readdirSync(join(dataDir, 'gnet')), ['last_reserved_ip.0'], 'no address left reserved');
    });
  }

  it('DEL succeeds when the pod namespace is already gone, and without CNI_NETNS', async () => {
    const pod = net.ns('gone');
    const c = { containerId: 'ctr-gone', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
    const add = await call({ command: 'ADD', ...c, conf: conf('1.1.0') });
    assert.equal(add.status, 0, add.stdout);
    node.run('ip', ['netns', 'del', pod.name]); // the runtime tore the sandbox down first
    const del = await call({ command: 'DEL', ...c, conf: conf('1.1.0', { prevResult: add.json }) });
    assert.equal(del.status, 0, del.stdout);
    const noNetns = await call({ command: 'DEL', containerId: 'ctr-gone', ifname: 'eth0', conf: conf('1.1.0') });
    assert.equal(noNetns.status, 0, noNetns.stdout);
    assert.deepEqual(readdirSync(join(dataDir, 'gnet')), ['last_reserved_ip.0']);
  });

  it('a pod namespace given as /proc/PID/ns/net (not under /run/netns) is wired through nsenter', async () => {
    const pod = net.ns('procns');
    const holder = net.spawn(pod, 'sleep', ['60']); // ip netns exec execs sleep: the same PID, inside the pod
    const c = { containerId: 'ctr-proc', netns: `/proc/${holder.pid}/ns/net`, ifname: 'eth0' };
    const add = await call({ command: 'ADD', ...c, conf: conf('1.1.0') });
    assert.equal(add.status, 0, add.stdout);
    const addr = validateResult(add.json ?? {}, '1.1.0', node, pod, c.netns);
    assert.ok(pod.ping('192.0.2.1'));
    const check = await call({ command: 'CHECK', ...c, conf: conf('1.1.0', { prevResult: add.json }) });
    assert.equal(check.status, 0, check.stdout);
    assert.equal((await call({ command: 'DEL', ...c, conf: conf('1.1.0') })).status, 0);
    assert.ok(!node.ping(addr), 'gone after DEL');
  });

  it('runs without Node.js: a PATH holding only ip and nsenter, no other environment', async () => {
    const binDir = mkdtempSync(join(tmpdir(), 'gannet-cni-path-'));
    try {
      symlinkSync('/usr/sbin/ip', join(binDir, 'ip'));
      symlinkSync('/usr/bin/nsenter', join(binDir, 'nsenter'));
      assert.notEqual(spawnSync('node', ['-v'], { env: { PATH: binDir } }).status, 0, 'no node on this PATH');
      const pod = net.ns('nonode');
      const c = { containerId: 'ctr-nonode', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
      const extraEnv = { PATH: binDir };
      const add = await call({ command: 'ADD', ...c, conf: conf('1.1.0'), extraEnv });
      assert.equal(add.status, 0, add.stdout + add.stderr);
      validateResult(add.json ?? {}, '1.1.0', node, pod, c.netns);
      assert.ok(pod.ping('192.0.2.1'));
      assert.equal((await call({ command: 'DEL', ...c, conf: conf('1.1.0'), extraEnv })).status, 0);
      // and with ip missing from PATH, a clear error instead of a crash
      const noIp = await call({ command: 'ADD', ...c, conf: conf('1.1.0'), extraEnv: { PATH: '/nonexistent' } });
      assert.equal(noIp.status, 1);
      assert.equal(noIp.json?.code, 5);
      assert.match(String(noIp.json?.msg), /ip not found on PATH/);
      assert.deepEqual(
        readdirSync(join(dataDir, 'gnet')),
        ['last_reserved_ip.0'],
        'the failed ADD released its address',
      );
    } finally {
      rmSync(binDir, { recursive: true, force: true });
    }
  });

  it('takes the pod CIDR from the agent node state file and the MTU from the default route interface', async () => {
    const stateFile = join(dataDir, 'node-state.json');
    writeFileSync(
      stateFile,
      JSON.stringify({ nodeName: 'n1', podCIDRs: ['10.244.1.0/24'], updatedAt: new Date().toISOString() }),
    );
    // an "uplink" (a veth whose peer stays in the node; no dummy module here) carrying the default route
    node.ip('link', 'add', 'up0', 'mtu', '1380', 'type', 'veth', 'peer', 'name', 'up0p', 'mtu', '1380');
    try {
      node.ip('link', 'set', 'up0p', 'up');
      node.ip('link', 'set', 'up0', 'up');
      node.ip('route', 'add', 'default', 'dev', 'up0');
      const pod = net.ns('state');
      const c = { containerId: 'ctr-state', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
      const add = await call({
        command: 'ADD',
        ...c,
        conf: conf('1.1.0', { podCIDR: undefined, mtu: undefined, nodeStateFile: stateFile }),
      });
      assert.equal(add.status, 0, add.stdout);
      const interfaces = add.json?.interfaces as { mtu?: number }[];
      assert.deepEqual(
        interfaces.map((i) => i.mtu),
        [1380, 1380],
      );
      const [podLink] = ipJson<LinkJson[]>(pod, 'link', 'show', 'dev', 'eth0');
      assert.equal(podLink?.mtu, 1380);
      assert.equal((await call({ command: 'DEL', ...c, conf: conf('1.1.0') })).status, 0);
    } finally {
      node.ip('link', 'del', 'up0');
      rmSync(stateFile, { force: true });
    }
  });

  it('CHECK finds what broke after ADD (host route gone, pod address gone): code 100 naming each', async () => {
    const pod = net.ns('broken');
    const c = { containerId: 'ctr-broken', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
    const add = await call({ command: 'ADD', ...c, conf: conf('1.1.0') });
    assert.equal(add.status, 0, add.stdout);
    const addr = validateResult(add.json ?? {}, '1.1.0', node, pod, c.netns);
    node.ip('route', 'del', `${addr}/32`);
    pod.ip('addr', 'del', `${addr}/32`, 'dev', 'eth0');
    const check = await call({ command: 'CHECK', ...c, conf: conf('1.1.0', { prevResult: add.json }) });
    assert.equal(check.status, 1);
    assert.equal(check.json?.code, 100);
    assert.match(
      String(check.json?.msg),
      new RegExp(`host route ${addr.replaceAll('.', '\\.')}/32 dev gnt[0-9a-f]{11} is missing`),
    );
    assert.match(String(check.json?.msg), /pod interface eth0 lacks/);
    assert.equal((await call({ command: 'DEL', ...c, conf: conf('1.1.0') })).status, 0);
  });

  it('pool exhaustion in real namespaces: ADD code 11, STATUS code 50, DEL frees the pool', async () => {
    const small = (extra: Record<string, unknown> = {}) =>
      conf('1.1.0', { name: 'tiny', podCIDR: '10.244.9.0/30', ...extra });
    const [a, b] = [net.ns('ex1'), net.ns('ex2')] as [Netns, Netns];
    const first = await call({
      command: 'ADD',
      containerId: 'ex-1',
      netns: `/run/netns/${a.name}`,
      ifname: 'eth0',
      conf: small(),
    });
    assert.equal(first.status, 0, first.stdout);
    const second = await call({
      command: 'ADD',
      containerId: 'ex-2',
      netns: `/run/netns/${b.name}`,
      ifname: 'eth0',
      conf: small(),
    });
    assert.equal(second.json?.code, 11);
    assert.match(String(second.json?.msg), /no free address in pod CIDR 10\.244\.9\.0\/30/);
    assert.notEqual(b.tryRun('ip', ['link', 'show', 'eth0']).status, 0, 'nothing was made for the second pod');
    const status = await call({ command: 'STATUS', conf: small() });
    assert.equal(status.json?.code, 50);
    assert.equal((await call({ command: 'DEL', containerId: 'ex-1', ifname: 'eth0', conf: small() })).status, 0);
    assert.equal((await call({ command: 'STATUS', conf: small() })).status, 0, 'ready again');
  });

  it('VERSION and STATUS', async () => {
    const v = await call({ command: 'VERSION', conf: { cniVersion: '1.0.0' } });
    assert.deepEqual(v.json, { cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] });
    const ok = await call({ command: 'STATUS', conf: conf('1.1.0') });
    assert.equal(ok.status, 0, ok.stdout);
    const notReady = await call({ command: 'STATUS', conf: conf('1.1.0', { podCIDR: undefined }) });
    assert.equal(notReady.status, 1);
    assert.equal(notReady.json?.code, 50);
    assert.match(String(notReady.json?.msg), /agent writes .*absent\.json/);
  });

  const bad: [string, Partial<PluginCall>, number, RegExp][] = [
    ['bad JSON', { conf: '{"cniVersion": "1.1.0",' }, 6, /not valid JSON/],
    ['an unknown version', { conf: { cniVersion: '2.0.0', name: 'gnet', type: 'gannet-cni' } }, 1, /not supported/],
    ['a bad CIDR', { conf: { cniVersion: '1.1.0', name: 'gnet', podCIDR: '10.244.1.0/33' } }, 7, /podCIDR/],
    ['a long ifname', { ifname: 'eth0-far-too-long' }, 4, /longer than 15/],
    ['a missing CNI_CONTAINERID', { containerId: undefined }, 4, /CNI_CONTAINERID is missing/],
    ['a missing CNI_NETNS', { netns: undefined }, 4, /CNI_NETNS is missing/],
    ['a netns that does not exist', { netns: '/run/netns/gnt-nope' }, 4, /does not exist/],
  ];
  for (const [what, over, code, msg] of bad) {
    it(`ADD with ${what}: error JSON (code ${code}) on stdout, exit status 1, nothing created`, async () => {
      const pod = net.ns(`bad${code}${what.length}`);
      const r = await call({
        command: 'ADD',
        containerId: 'ctr-bad',
        netns: `/run/netns/${pod.name}`,
        ifname: 'eth0',
        ...over,
        conf: over.conf ?? conf('1.1.0'),
      } as Omit<PluginCall, 'bin' | 'nodeNs'>);
      assert.equal(r.status, 1);
      assert.equal(r.json?.code, code, r.stdout);
      assert.match(String(r.json?.msg), msg);
      assert.equal(typeof r.json?.cniVersion, 'string');
      assert.equal(node.ip('-o', 'link', 'show', 'type', 'veth'), '');
    });
  }
  it('ADD into a pod that already has the interface: a clear error, the pod untouched, nothing left on the node', async () => {
    const pod = net.ns('busy');
    pod.ip('link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'other0');
    const r = await call({
      command: 'ADD',
      containerId: 'ctr-busy',
      netns: `/run/netns/${pod.name}`,
      ifname: 'eth0',
      conf: conf('1.1.0'),
    });
    assert.equal(r.status, 1);
    assert.equal(r.json?.code, 5);
    assert.match(String(r.json?.msg), /the pod already has an interface named eth0/);
    assert.equal(pod.tryRun('ip', ['link', 'show', 'other0']).status, 0, "the pod's own interfaces stay");
    assert.equal(node.ip('-o', 'link', 'show', 'type', 'veth'), '');
    assert.deepEqual(readdirSync(join(dataDir, 'gnet')), ['last_reserved_ip.0'], 'the address was released');
  });

  it('a missing CNI_COMMAND: code 4', async () => {
    const r = await execPlugin({ bin, nodeNs: node.name, command: '' as 'ADD', conf: conf('1.1.0') });
    assert.equal(r.status, 1);
    assert.equal(r.json?.code, 4);
  });
});
