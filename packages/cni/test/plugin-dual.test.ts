import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpamStore } from '../src/ipam-store.js';
import { CHECK_FAILED, runCni } from '../src/plugin.js';
import { checkPodCidr, type PodCidr } from '../src/pod-cidr.js';
import { hostVethName } from '../src/pod-network.js';
import { FakePodNetwork } from './fake-pod-network.js';

interface Reply {
  exitCode: number;
  out: Record<string, unknown> | undefined;
}
const ips = (r: Reply) => ((r.out?.ips as { address: string }[] | undefined) ?? []).map((i) => i.address);

describe('plugin: dual-stack and IPv6-only pods', () => {
  let dir: string;
  let net: FakePodNetwork;
  let stateFile: string;
  const NETNS = '/run/netns/pod-a';
  const VETH = hostVethName('ctr1', 'eth0');

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-plugin6-'));
    stateFile = join(dir, 'node-state.json');
    net = new FakePodNetwork();
    net.namespaces.add(NETNS);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.0.0',
    name: 'gnet',
    type: 'gannet-cni',
    podCIDRs: ['10.244.1.0/24', 'fd00:10:244:1::/64'],
    dataDir: join(dir, 'ipam'),
    nodeStateFile: stateFile,
    ...extra,
  });
  async function call(command: string, stdin: unknown, env: Record<string, string> = {}): Promise<Reply> {
    const res = await runCni(
      {
        env: { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0', ...env },
        stdin: JSON.stringify(stdin),
      },
      { network: net },
    );
    return { exitCode: res.exitCode, out: res.stdout ? JSON.parse(res.stdout) : undefined };
  }
  const store = () => new IpamStore(join(dir, 'ipam'), 'gnet');

  for (const v of ['0.3.1', '0.4.0', '1.0.0', '1.1.0']) {
    it(`${v}: ADD gives one address per family, CHECK passes, DEL frees both`, async () => {
      const add = await call('ADD', conf({ cniVersion: v }));
      assert.equal(add.exitCode, 0, JSON.stringify(add.out));
      assert.deepEqual(ips(add), ['10.244.1.2/32', 'fd00:10:244:1::2/128']);
      assert.deepEqual(net.calls, [`add ${VETH} 10.244.1.2 fd00:10:244:1::2`]);
      assert.deepEqual(store().find({ containerId: 'ctr1', ifname: 'eth0' }).sort(), [
        '10.244.1.2',
        'fd00:10:244:1::2',
      ]);
      if (v !== '0.3.1') {
        assert.deepEqual(await call('CHECK', conf({ cniVersion: v, prevResult: add.out })), {
          exitCode: 0,
          out: undefined,
        });
      }
      assert.equal((await call('DEL', conf({ cniVersion: v, prevResult: add.out }))).exitCode, 0);
      assert.deepEqual(store().list(), [], 'both addresses freed');
      assert.equal(net.links.size, 0);
    });
  }

  it('IPv6-only: from podCIDR or from the node state, one IPv6 address', async () => {
    const add = await call('ADD', conf({ podCIDRs: undefined, podCIDR: 'fd00:10:244:1::/64' }));
    assert.deepEqual(ips(add), ['fd00:10:244:1::2/128']);
    writeFileSync(stateFile, JSON.stringify({ podCIDRs: ['fd00:10:244:9::/64'], mtu: 1400 }));
    const b = await call('ADD', conf({ podCIDRs: undefined }), { CNI_CONTAINERID: 'ctr2', CNI_IFNAME: 'net1' });
    assert.deepEqual(ips(b), ['fd00:10:244:9::2/128']);
  });

  it('the node state lists both families (IPv6 first): the pod gets both, IPv4 listed first', async () => {
    writeFileSync(stateFile, JSON.stringify({ podCIDRs: ['fd00:10:244:9::/64', '10.9.8.0/24', '10.9.9.0/24'] }));
    const add = await call('ADD', conf({ podCIDRs: undefined }));
    assert.deepEqual(ips(add), ['10.9.8.2/32', 'fd00:10:244:9::2/128'], 'the first entry of each family');
  });

  it('IPv6 exhausted: ADD fails with code 11, the IPv4 address it reserved is freed; STATUS names the CIDR', async () => {
    const small = conf({ podCIDRs: ['10.244.1.0/24', 'fd00::/120'] });
    const full = checkPodCidr('fd00::/120') as PodCidr;
    for (let i = 0; i < 253; i++)
      store()
        .allocate({ containerId: `x${i}`, ifname: 'eth0' }, full)
        .done();
    const add = await call('ADD', small);
    assert.equal(add.out?.code, 11);
    assert.match(String(add.out?.msg), /no free address in pod CIDR fd00::\/120/);
    assert.deepEqual(store().find({ containerId: 'ctr1', ifname: 'eth0' }), [], 'no IPv4 address left behind');
    assert.equal(net.links.size, 0);
    const status = await call('STATUS', { ...small, cniVersion: '1.1.0' });
    assert.equal(status.out?.code, 50);
    assert.match(String(status.out?.msg), /pod CIDR fd00::\/120 exhausted: all 253 addresses/);
  }).timeout(20_000);

  it('a repeated ADD keeps both addresses', async () => {
    const a = await call('ADD', conf());
    const b = await call('ADD', conf());
    assert.deepEqual(ips(a), ips(b));
  });

  it('CHECK names an IPv6 address that differs from the reservation, or is missing from prevResult', async () => {
    const add = await call('ADD', conf());
    const prev = JSON.parse(JSON.stringify(add.out)) as { ips: { address: string }[] };
    prev.ips[1]!.address = 'fd00:10:244:1::99/128';
    const r = await call('CHECK', conf({ prevResult: prev }));
    assert.equal(r.out?.code, CHECK_FAILED);
    assert.match(String(r.out?.msg), /prevResult says fd00:10:244:1::99 but fd00:10:244:1::2 is reserved/);
    prev.ips.pop();
    const r2 = await call('CHECK', conf({ prevResult: prev }));
    assert.match(String(r2.out?.msg), /prevResult has no IPv6 address but fd00:10:244:1::2 is reserved/);
  });

  it('a failure after the veth exists frees both addresses', async () => {
    net.failAddAfterLink = true;
    assert.equal((await call('ADD', conf())).exitCode, 1);
    assert.deepEqual(store().list(), []);
  });

  it('GC frees both addresses of an attachment that is gone, keeps both of a valid one', async () => {
    await call('ADD', conf(), { CNI_CONTAINERID: 'keep' });
    await call('ADD', conf(), { CNI_CONTAINERID: 'drop' });
    const gc = await call('GC', {
      ...conf(),
      cniVersion: '1.1.0',
      'cni.dev/valid-attachments': [{ containerID: 'keep', ifname: 'eth0' }],
    });
    assert.equal(gc.exitCode, 0, JSON.stringify(gc.out));
    assert.deepEqual(
      store()
        .list()
        .map((r) => `${r.containerId} ${r.address}`)
        .sort(),
      ['keep 10.244.1.2', 'keep fd00:10:244:1::2'],
    );
  });
});
