import assert from 'node:assert/strict';
import { linkSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpamStore } from '../src/ipam-store.js';
import { CHECK_FAILED, runCni } from '../src/plugin.js';
import { hostVethName } from '../src/pod-network.js';
import { FakePodNetwork } from './fake-pod-network.js';

interface Reply {
  exitCode: number;
  out: Record<string, unknown> | undefined;
}

const firstIp = (r: Reply) => (r.out?.ips as { address: string }[] | undefined)?.[0]?.address;
const firstMtu = (r: Reply) => (r.out?.interfaces as { mtu: number }[] | undefined)?.[0]?.mtu;

describe('plugin: runCni with an in-memory network', () => {
  let dir: string;
  let net: FakePodNetwork;
  let stateFile: string;
  const NETNS = '/run/netns/pod-a';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-plugin-'));
    stateFile = join(dir, 'node-state.json');
    net = new FakePodNetwork();
    net.namespaces.add(NETNS);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  function conf(extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      cniVersion: '1.1.0',
      name: 'gnet',
      type: 'gannet-cni',
      podCIDR: '10.244.1.0/24',
      dataDir: join(dir, 'ipam'),
      nodeStateFile: stateFile,
      ...extra,
    };
  }
  async function call(command: string, stdin: unknown, env: Record<string, string | undefined> = {}): Promise<Reply> {
    const res = await runCni(
      {
        env: { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0', ...env },
        stdin: typeof stdin === 'string' ? stdin : JSON.stringify(stdin),
      },
      { network: net },
    );
    return {
      exitCode: res.exitCode,
      out: res.stdout ? (JSON.parse(res.stdout) as Record<string, unknown>) : undefined,
    };
  }
  function assertError(r: Reply, code: number, msg: RegExp, version = '1.1.0'): void {
    assert.equal(r.exitCode, 1);
    assert.equal(r.out?.cniVersion, version);
    assert.equal(r.out?.code, code, String(r.out?.msg));
    assert.match(String(r.out?.msg), msg);
  }
  const store = () => new IpamStore(join(dir, 'ipam'), 'gnet');

  for (const v of ['0.4.0', '1.0.0', '1.1.0']) {
    it(`${v}: ADD → CHECK → DEL → DEL`, async () => {
      const add = await call('ADD', conf({ cniVersion: v }));
      assert.equal(add.exitCode, 0, JSON.stringify(add.out));
      assert.equal(add.out?.cniVersion, v);
      assert.equal(firstIp(add), '10.244.1.2/32');
      assert.deepEqual(net.calls, [`add ${hostVethName('ctr1', 'eth0')} 10.244.1.2`]);
      assert.equal(net.links.get(hostVethName('ctr1', 'eth0'))?.mtu, 9000, 'MTU from the uplink');

      const check = await call('CHECK', conf({ cniVersion: v, prevResult: add.out }));
      assert.deepEqual(check, { exitCode: 0, out: undefined });

      assert.deepEqual(await call('DEL', conf({ cniVersion: v, prevResult: add.out })), {
        exitCode: 0,
        out: undefined,
      });
      assert.equal(net.links.size, 0);
      assert.deepEqual(store().list(), []);
      assert.deepEqual(await call('DEL', conf({ cniVersion: v })), { exitCode: 0, out: undefined }, 'second DEL');
      assert.deepEqual(await call('DEL', conf({ cniVersion: v }), { CNI_NETNS: undefined }), {
        exitCode: 0,
        out: undefined,
      });
    });
  }

  it('a repeated ADD returns the same address', async () => {
    const a = await call('ADD', conf());
    const b = await call('ADD', conf());
    assert.deepEqual(a.out?.ips, b.out?.ips);
    const other = await call('ADD', conf(), { CNI_CONTAINERID: 'ctr2', CNI_NETNS: NETNS, CNI_IFNAME: 'net1' });
    assert.equal(firstIp(other), '10.244.1.3/32');
  });

  it('records the pod of CNI_ARGS (K8S_POD_*) with its address claim; none when absent or not a name', async () => {
    const args =
      'IgnoreUnknown=1;K8S_POD_NAMESPACE=shop;K8S_POD_NAME=web-0;K8S_POD_INFRA_CONTAINER_ID=ctr1;K8S_POD_UID=4f1c-9a';
    assert.equal((await call('ADD', conf(), { CNI_ARGS: args })).exitCode, 0);
    assert.equal(
      (
        await call('ADD', conf(), {
          CNI_CONTAINERID: 'ctr2',
          CNI_IFNAME: 'net1',
          CNI_ARGS: 'K8S_POD_NAMESPACE=shop;K8S_POD_NAME=a\nb',
        })
      ).exitCode,
      0,
      'odd metadata never fails an ADD',
    );
    assert.equal((await call('ADD', conf(), { CNI_CONTAINERID: 'ctr3', CNI_IFNAME: 'net2' })).exitCode, 0);
    const byId = new Map(
      store()
        .list()
        .map((r) => [r.containerId, r.pod]),
    );
    assert.deepEqual(byId.get('ctr1'), { namespace: 'shop', name: 'web-0', uid: '4f1c-9a' });
    assert.equal(byId.get('ctr2'), undefined);
    assert.equal(byId.get('ctr3'), undefined);
    assert.equal((await call('DEL', conf())).exitCode, 0);
    assert.equal(store().list().length, 2, 'DEL releases the claim with its metadata');
  });

  it('takes the pod CIDR and MTU from the node state file when the netconf has none', async () => {
    writeFileSync(stateFile, JSON.stringify({ nodeName: 'n1', podCIDRs: ['fd00::/64', '10.9.8.0/24'], mtu: 1380 }));
    const add = await call('ADD', conf({ podCIDR: undefined }));
    assert.equal(firstIp(add), '10.9.8.2/32');
    assert.equal(firstMtu(add), 1380);
  });

  it('MTU: the netconf wins over the node state; 1500 when nothing says otherwise', async () => {
    writeFileSync(stateFile, JSON.stringify({ podCIDRs: ['10.9.8.0/24'], mtu: 1380 }));
    assert.equal(firstMtu(await call('ADD', conf({ mtu: 1400 }))), 1400);
    rmSync(stateFile);
    net.mtu = undefined;
    net.namespaces.add('/run/netns/pod-b');
    const r = await call('ADD', conf(), { CNI_CONTAINERID: 'ctr2', CNI_NETNS: '/run/netns/pod-b' });
    assert.equal(firstMtu(r), 1500);
  });

  it('no pod CIDR anywhere: code 11 telling to start the agent; STATUS says not available (50)', async () => {
    assertError(
      await call('ADD', conf({ podCIDR: undefined })),
      11,
      /no pod CIDR for this node yet.*does not exist.*agent/,
    );
    assertError(await call('STATUS', conf({ podCIDR: undefined })), 50, /no pod CIDR/);
    writeFileSync(stateFile, '{"podCIDRs": [');
    assertError(await call('ADD', conf({ podCIDR: undefined })), 11, /not valid JSON/);
    writeFileSync(stateFile, '{"podCIDRs": []}');
    assertError(await call('ADD', conf({ podCIDR: undefined })), 11, /lists no entry in podCIDRs/);
    writeFileSync(stateFile, '{"podCIDRs": ["10.1.0.0/33"]}');
    assertError(
      await call('ADD', conf({ podCIDR: undefined })),
      7,
      /podCIDRs\[0\] in .* must be an IPv4 or IPv6 prefix/,
    );
    writeFileSync(stateFile, '{"podCIDRs": ["fd00::/124"]}');
    assertError(await call('ADD', conf({ podCIDR: undefined })), 7, /podCIDRs\[0\] in .* fd00::\/124 must be between/);
    writeFileSync(stateFile, '{"podCIDRs": ["10.1.0.0/24"]}');
    assert.equal((await call('STATUS', conf({ podCIDR: undefined }))).exitCode, 0);
    assert.equal(net.links.size, 0);
  });

  it('pool exhaustion: ADD fails with code 11 and STATUS reports it', async () => {
    const small = conf({ podCIDR: '10.7.0.0/30' });
    assert.equal((await call('STATUS', small)).exitCode, 0);
    assert.equal((await call('ADD', small)).exitCode, 0);
    assertError(
      await call('ADD', small, { CNI_CONTAINERID: 'ctr2' }),
      11,
      /no free address in pod CIDR 10\.7\.0\.0\/30/,
    );
    assertError(await call('STATUS', small), 50, /exhausted: all 1 addresses are in use/);
    assert.equal(net.links.size, 1, 'the failed ADD created nothing');
  });

  it('a failure after the veth exists rolls back the veth and the address', async () => {
    net.failAddAfterLink = true;
    assertError(await call('ADD', conf()), 5, /injected failure/);
    assert.equal(net.links.size, 0);
    assert.deepEqual(store().list(), []);
  });

  it('crash after the address claim (nothing wired): DEL and GC release it', async () => {
    // the state such a crash leaves: a claim whose second name is the temp file of a process that is gone
    const crashedClaim = (id: string, addr: string) => {
      const d = join(dir, 'ipam', 'gnet');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, '.tmp-2147483646-crashed'), `${id}\neth0\n`);
      linkSync(join(d, '.tmp-2147483646-crashed'), join(d, addr));
    };
    const s = store();
    crashedClaim('ctr1', '10.244.1.9');
    assert.equal((await call('DEL', conf())).exitCode, 0);
    assert.deepEqual(s.list(), []);
    crashedClaim('ctr9', '10.244.1.10');
    assert.equal((await call('GC', conf({ 'cni.dev/valid-attachments': [] }))).exitCode, 0);
    assert.deepEqual(s.list(), []);
    assert.deepEqual(readdirSync(join(dir, 'ipam', 'gnet')), [], 'temp files of the dead process removed');
  });

  it('ADD into a namespace that does not exist: code 4, nothing reserved', async () => {
    assertError(
      await call('ADD', conf(), { CNI_NETNS: '/run/netns/nope' }),
      4,
      /CNI_NETNS \/run\/netns\/nope does not exist/,
    );
    assert.deepEqual(store().list(), []);
  });

  it('GC keeps valid attachments and removes the veths of the others', async () => {
    await call('ADD', conf(), { CNI_CONTAINERID: 'keep' });
    await call('ADD', conf(), { CNI_CONTAINERID: 'drop' });
    const r = await call('GC', conf({ 'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }] }));
    assert.deepEqual(r, { exitCode: 0, out: undefined });
    assert.deepEqual([...net.links.keys()], [hostVethName('keep', 'eth0')]);
    assert.deepEqual(
      store()
        .list()
        .map((x) => x.containerId),
      ['keep'],
    );
  });

  it('GC goes on past a veth it cannot delete, keeps that address and reports it', async () => {
    net.namespaces.add('/run/netns/pod-b');
    await call('ADD', conf(), { CNI_CONTAINERID: 'x1' });
    await call('ADD', conf(), { CNI_CONTAINERID: 'x2', CNI_NETNS: '/run/netns/pod-b' });
    net.failRemove = true;
    assertError(
      await call('GC', conf()),
      5,
      /GC kept 2 stale address\(es\) .*: 10\.244\.1\.2: injected remove failure; 10\.244\.1\.3: injected remove failure/,
    );
    assert.equal(store().list().length, 2, 'kept for the next GC: no address is reused while its veth exists');
    assert.equal(net.calls.filter((c) => c.startsWith('remove')).length, 2, 'both veths were tried');
    net.failRemove = false;
    assert.equal((await call('GC', conf())).exitCode, 0);
    assert.deepEqual(store().list(), []);
    assert.equal(net.links.size, 0);
  });

  it('CHECK: code 7 without a prevResult, 3 when the netns is gone, 100 when something differs', async () => {
    const add = await call('ADD', conf());
    assertError(await call('CHECK', conf()), 7, /CHECK needs prevResult/);
    assertError(await call('CHECK', conf({ prevResult: { interfaces: [], ips: [] } })), 7, /no interface eth0/);
    assertError(await call('CHECK', conf({ prevResult: add.out }), { CNI_NETNS: '/run/netns/x' }), 3, /does not exist/);
    const lying = structuredClone(add.out) as { ips: { address: string }[] };
    (lying.ips[0] as { address: string }).address = '10.244.1.99/32';
    assertError(await call('CHECK', conf({ prevResult: lying })), CHECK_FAILED, /prevResult says 10\.244\.1\.99/);
    net.links.clear();
    assertError(
      await call('CHECK', conf({ prevResult: add.out })),
      CHECK_FAILED,
      /host interface gnt[0-9a-f]{11} is missing/,
    );
  });

  it('reports bad input with the spec codes, in the request version when known', async () => {
    assertError(await call('ADD', '{not json'), 6, /not valid JSON/);
    assertError(await call('ADD', conf({ cniVersion: '0.2.0' })), 1, /not supported/);
    assertError(await call('ADD', conf({ podCIDR: '10.244.1.0/99' })), 7, /podCIDR/, '1.1.0');
    assertError(await call('ADD', conf({ cniVersion: '1.0.0', podCIDR: 'x' })), 7, /podCIDR/, '1.0.0');
    assertError(await call('ADD', conf(), { CNI_IFNAME: 'an-interface-name-too-long' }), 4, /longer than 15/);
    assertError(await call('ADD', conf(), { CNI_CONTAINERID: undefined }), 4, /CNI_CONTAINERID is missing/);
    assertError(await call('ADD', conf(), { CNI_COMMAND: undefined }), 4, /CNI_COMMAND is missing/);
    assertError(await call('ADD', conf({ ipam: { type: 'host-local' } })), 2, /ipam/);
    assert.equal(net.calls.length, 0, 'nothing touched');
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
  });

  it('a failing remove during DEL is reported (code 5) and keeps the address for a retry', async () => {
    await call('ADD', conf());
    net.failRemove = true;
    assertError(await call('DEL', conf()), 5, /injected remove failure/);
    assert.equal(store().list().length, 1);
    net.failRemove = false;
    assert.equal((await call('DEL', conf())).exitCode, 0);
    assert.deepEqual(store().list(), []);
  });

  it('VERSION lists the supported versions, with or without stdin', async () => {
    assert.deepEqual(await call('VERSION', '{"cniVersion":"1.0.0"}'), {
      exitCode: 0,
      out: { cniVersion: '1.0.0', supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] },
    });
    assert.equal((await call('VERSION', '')).out?.cniVersion, '1.1.0');
  });
});
