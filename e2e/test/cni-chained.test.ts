// gannet-cni as the first plugin of a conflist with Debian's reference portmap, bandwidth and tuning plugins,
// executed in sequence exactly as a runtime does (prevResult injected, runtimeConfig per capability).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { type ConfList, chainAdd, chainCheck, chainDel, REFERENCE_PLUGINS, requireGannetCni } from './cni-runtime.js';

describe('e2e cni: chained conflist with portmap, bandwidth and tuning', function () {
  this.timeout(60_000);
  let net: TestNet;
  let node: Netns;
  let dataDir: string;

  before(function () {
    requireRoot(this);
    requireGannetCni();
    for (const p of ['portmap', 'bandwidth', 'tuning']) {
      if (!existsSync(join(REFERENCE_PLUGINS, p)))
        throw new Error(`${REFERENCE_PLUGINS}/${p} missing: apt-get install containernetworking-plugins`);
    }
    net = new TestNet('cnic');
    node = net.ns('node');
    node.ip('addr', 'add', '192.0.2.1/32', 'dev', 'lo');
    dataDir = mkdtempSync(join(tmpdir(), 'gannet-cni-chain-'));
  });
  after(async () => {
    await net?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  // 0.3.1: what many existing chained configurations still say (no CHECK in that version)
  for (const version of ['0.3.1', '0.4.0', '1.0.0']) {
    it(`${version}: ADD through the chain, CHECK, DEL in reverse; each plugin's work is visible, then gone`, async () => {
      const list: ConfList = {
        cniVersion: version,
        name: 'gnet',
        plugins: [
          { type: 'gannet-cni', podCIDR: '10.244.3.0/24', mtu: 1400, dataDir },
          { type: 'portmap', capabilities: { portMappings: true }, snat: true },
          { type: 'bandwidth', capabilities: { bandwidth: true } },
          { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.accept_redirects': '0' } },
        ],
      };
      const pod = net.ns(`chain${version.replaceAll('.', '')}`);
      const a = {
        nodeNs: node.name,
        containerId: `chain-${version}`,
        netns: `/run/netns/${pod.name}`,
        ifname: 'eth0',
        runtimeConfig: {
          portMappings: [{ hostPort: 18080, containerPort: 80, protocol: 'tcp' }],
          bandwidth: { ingressRate: 8_000_000, ingressBurst: 80_000, egressRate: 8_000_000, egressBurst: 80_000 },
        },
      };
      const result = await chainAdd(list, a);
      assert.equal(result.cniVersion, version);
      const interfaces = result.interfaces as { name: string; sandbox?: string }[];
      const hostIf = interfaces[0]?.name ?? '';
      assert.match(hostIf, /^gnt[0-9a-f]{11}$/);
      assert.ok(
        interfaces.some((i) => i.name.startsWith('bwp')),
        'bandwidth added its ifb device to the result',
      );
      const addr = ((result.ips as { address: string }[])[0]?.address ?? '').split('/')[0] ?? '';
      // portmap: DNAT rules for hostPort → pod:80 in the node's own netfilter tables
      const rules = node.run('iptables-save', []);
      assert.match(rules, new RegExp(`--dport 18080 .*--to-destination ${addr.replaceAll('.', '\\.')}:80`));
      // bandwidth: a tbf qdisc on the host veth
      assert.match(node.ip('-d', 'link', 'show'), /bwp/);
      assert.match(node.run('tc', ['qdisc', 'show', 'dev', hostIf]), /tbf|ingress/);
      // tuning: the sysctl inside the pod
      assert.equal(pod.run('cat', ['/proc/sys/net/ipv4/conf/eth0/accept_redirects']).trim(), '0');
      assert.ok(pod.ping('192.0.2.1'), 'the pod still reaches the node');
      // and the port mapping carries traffic: node:18080 → DNAT → pod:80, through gannet's route and veth
      const server = net.spawn(pod, process.execPath, [
        '-e',
        "require('node:http').createServer((q, s) => s.end('from-pod')).listen(80, '0.0.0.0')",
      ]);
      await waitFor('the pod web server', () => pod.tryRun('ss', ['-Hltn', 'sport = :80']).stdout.includes(':80'), {
        timeoutMs: 10_000,
      });
      const got = node.tryRun('curl', ['-s', '--max-time', '3', 'http://192.0.2.1:18080/']);
      assert.equal(got.stdout, 'from-pod', `curl through the port mapping: ${got.stderr}`);
      server.child.kill('SIGTERM');
      await server.exited;

      for (const { type, reply } of await chainCheck(list, a, result)) {
        if (version === '0.3.1') {
          // every plugin of the chain answers CHECK of a 0.3.1 config with the spec's code 1
          assert.equal(reply.json?.code, 1, `${type} CHECK of 0.3.1: ${reply.stdout}`);
          continue;
        }
        if (type === 'portmap' && reply.status !== 0) {
          // Debian's portmap (1.1.x) checks IPv6 DNAT chains even for an IPv4-only pod and fails CHECK:
          // containernetworking/plugins#819. Accept exactly that failure.
          assert.match(String(reply.json?.msg), /could not check ipv6 dnat/);
          continue;
        }
        assert.equal(reply.status, 0, `${type} CHECK: ${reply.stdout}`);
      }
      await chainDel(list, a, result);
      await chainDel(list, a); // a second DEL through the whole chain, without prevResult
      assert.equal(node.ip('-o', 'link', 'show', 'type', 'veth'), '');
      assert.doesNotMatch(node.ip('-d', 'link', 'show'), /bwp/);
      assert.doesNotMatch(node.run('iptables-save', []), /18080/);
      assert.deepEqual(readdirSync(join(dataDir, 'gnet')), ['last_reserved_ip.0']);
    });
  }
});
