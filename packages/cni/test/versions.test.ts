// Every CNI spec version the plugin speaks, end to end through runCni: the exact bytes of each version's result, the
// commands each version has (CHECK from 0.4.0, GC and STATUS from 1.1.0) and the spec's error for the others.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpamStore } from '../src/ipam-store.js';
import { SUPPORTED_VERSIONS } from '../src/netconf.js';
import { runCni } from '../src/plugin.js';
import { FakePodNetwork } from './fake-pod-network.js';

const NETNS = '/run/netns/pod-v';
// hostVethName('ctr1', 'eth0') and vethMacs('ctr1', 'eth0'): derived from the attachment, so stable
const HOST = '"name":"gntf28a3a4de36","mac":"ee:37:35:06:bd:77"';
const POD = '"name":"eth0","mac":"0e:b6:9d:1c:fc:d0","sandbox":"/run/netns/pod-v"';
const TAIL = '"routes":[{"dst":"0.0.0.0/0","gw":"169.254.1.1"}],"dns":{}}\n';
const IP_0X = '"ips":[{"version":"4","address":"10.244.1.2/32","gateway":"169.254.1.1","interface":1}]';
const IP_1X = '"ips":[{"address":"10.244.1.2/32","gateway":"169.254.1.1","interface":1}]';

/** The exact stdout of an ADD, per version. */
const EXPECTED_ADD: Record<string, string> = {
  '0.3.0': `{"cniVersion":"0.3.0","interfaces":[{${HOST}},{${POD}}],${IP_0X},${TAIL}`,
  '0.3.1': `{"cniVersion":"0.3.1","interfaces":[{${HOST}},{${POD}}],${IP_0X},${TAIL}`,
  '0.4.0': `{"cniVersion":"0.4.0","interfaces":[{${HOST}},{${POD}}],${IP_0X},${TAIL}`,
  '1.0.0': `{"cniVersion":"1.0.0","interfaces":[{${HOST}},{${POD}}],${IP_1X},${TAIL}`,
  '1.1.0': `{"cniVersion":"1.1.0","interfaces":[{${HOST},"mtu":9000},{${POD},"mtu":9000}],${IP_1X},${TAIL}`,
};

describe('plugin: every supported CNI version', () => {
  let dir: string;
  let net: FakePodNetwork;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-versions-'));
    net = new FakePodNetwork();
    net.namespaces.add(NETNS);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const conf = (cniVersion: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      cniVersion,
      name: 'gnet',
      type: 'gannet-cni',
      podCIDR: '10.244.1.0/24',
      dataDir: join(dir, 'ipam'),
      nodeStateFile: join(dir, 'none.json'),
      ...extra,
    });
  const run = (command: string, stdin: string, env: Record<string, string> = {}) =>
    runCni(
      { env: { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0', ...env }, stdin },
      { network: net },
    );
  const claims = () => new IpamStore(join(dir, 'ipam'), 'gnet').list().length;

  it('the table of expected results covers exactly the supported versions', () => {
    assert.deepEqual(Object.keys(EXPECTED_ADD), [...SUPPORTED_VERSIONS]);
  });

  for (const v of SUPPORTED_VERSIONS) {
    const hasCheck = v !== '0.3.0' && v !== '0.3.1';
    const hasGcStatus = v === '1.1.0';

    it(`${v}: ADD prints the result in ${v}'s shape, byte for byte`, async () => {
      const add = await run('ADD', conf(v));
      assert.equal(add.exitCode, 0, add.stdout);
      assert.equal(add.stdout, EXPECTED_ADD[v]);
      assert.equal(claims(), 1);
    });

    it(`${v}: CHECK ${hasCheck ? 'passes' : 'is refused with code 1'}, DEL frees the attachment`, async () => {
      const add = await run('ADD', conf(v));
      const prevResult = JSON.parse(add.stdout) as unknown;
      const check = await run('CHECK', conf(v, { prevResult }));
      if (hasCheck) {
        assert.deepEqual(check, { exitCode: 0, stdout: '' });
      } else {
        assert.equal(check.exitCode, 1);
        assert.equal(
          check.stdout,
          `{"cniVersion":"${v}","code":1,"msg":"config version ${v} does not allow CHECK (it needs cniVersion 0.4.0 or later)"}\n`,
        );
      }
      assert.deepEqual(await run('DEL', conf(v, { prevResult })), { exitCode: 0, stdout: '' });
      assert.equal(net.links.size, 0);
      assert.equal(claims(), 0);
      // containerd's second DEL: no netns, no prevResult
      assert.deepEqual(await run('DEL', conf(v), { CNI_NETNS: '' }), { exitCode: 0, stdout: '' });
    });

    it(`${v}: GC and STATUS ${hasGcStatus ? 'run' : 'are refused with code 1 and touch nothing'}`, async () => {
      await run('ADD', conf(v));
      for (const cmd of ['GC', 'STATUS']) {
        const r = await run(cmd, conf(v, { 'cni.dev/valid-attachments': [] }), {});
        if (hasGcStatus) {
          assert.deepEqual(r, { exitCode: 0, stdout: '' }, `${cmd}: ${r.stdout}`);
        } else {
          assert.equal(r.exitCode, 1);
          assert.equal(
            r.stdout,
            `{"cniVersion":"${v}","code":1,"msg":"config version ${v} does not allow ${cmd} (it needs cniVersion 1.1.0 or later)"}\n`,
          );
        }
      }
      // a 1.1.0 GC with no valid attachments collects the claim; the others leave it
      assert.equal(claims(), hasGcStatus ? 0 : 1);
      assert.equal(net.links.size, hasGcStatus ? 0 : 1);
    });

    it(`${v}: VERSION answers in ${v} and lists every supported version`, async () => {
      const r = await run('VERSION', `{"cniVersion":"${v}"}`);
      assert.equal(r.stdout, `{"cniVersion":"${v}","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}\n`);
    });
  }
});
