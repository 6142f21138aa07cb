// gannet-cni against hostile inputs and races, in real namespaces: ADD and DEL of the same container racing (the
// container lock keeps claim and wiring together), DEL on a read-only address store (a read-only bind mount inside
// a private mount namespace of the plugin's own: nothing of the host is remounted), CNI_NETNS that is a regular
// file, another kind of namespace or the plugin's own network namespace, and a dataDir under /proc.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostVethName } from '@gannet/cni';
import { type Netns, TestNet } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { execPlugin, type PluginCall, type PluginReply, pluginEnv, requireGannetCni } from './cni-runtime.js';

const RACES = 200;
const PAIRS_AT_ONCE = 10;

describe('e2e cni: hostile inputs and ADD/DEL races', function () {
  this.timeout(240_000);
  let net: TestNet;
  let node: Netns;
  let dataDir: string;
  let bin: string;

  before(function () {
    requireRoot(this);
    bin = requireGannetCni();
    net = new TestNet('cnih');
    node = net.ns('node');
    dataDir = mkdtempSync(join(tmpdir(), 'gannet-cni-hostile-'));
  });
  after(async () => {
    await net?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'gnet',
    type: 'gannet-cni',
    podCIDR: '10.244.0.0/22',
    dataDir,
    ...extra,
  });
  const call = (c: Omit<PluginCall, 'bin' | 'nodeNs'>) => execPlugin({ bin, nodeNs: node.name, ...c });
  const store = () => join(dataDir, 'gnet');
  /** Container ID of every claim in the store. */
  const claimed = () => {
    let names: string[] = [];
    try {
      names = readdirSync(store());
    } catch {
      return [];
    }
    return names
      .filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n))
      .map((n) => readFileSync(join(store(), n), 'utf8').split('\n')[0] as string)
      .sort();
  };
  const vethNames = () => new Set(node.ip('-o', 'link', 'show', 'type', 'veth').match(/gnt[0-9a-f]{11}/g) ?? []);
  const failures = (rs: PluginReply[]) =>
    rs.filter((r) => r.status !== 0).map((r) => `${r.status ?? r.signal} ${r.stdout}`);

  it(`${RACES} ADD/DEL races for the same container end with claims == wired pods, every time`, async () => {
    const pods = Array.from({ length: PAIRS_AT_ONCE }, (_, i) => net.ns(`race${i}`));
    let wiredAfterRace = 0;
    let cleanAfterRace = 0;
    for (let batch = 0; batch < RACES / PAIRS_AT_ONCE; batch++) {
      const ids = pods.map((_, j) => `race-${batch * PAIRS_AT_ONCE + j}`);
      const attach = (j: number) => ({
        containerId: ids[j] as string,
        netns: `/run/netns/${(pods[j] as Netns).name}`,
        ifname: 'eth0',
      });
      // ADD and DEL of each container at once: one starts 0-40 ms after the other (ADD first for even pairs, DEL
      // first for odd ones), so that DEL lands before, during and after the ADD's reservation and wiring
      const replies = await Promise.all(
        pods.map(async (_, j) => {
          const pause = () => new Promise((r) => setTimeout(r, (batch * 7 + j * 13) % 41));
          const first = j % 2 === 0 ? 'ADD' : 'DEL';
          const a = call({ command: first, ...attach(j), conf: conf() });
          await pause();
          const b = call({ command: first === 'ADD' ? 'DEL' : 'ADD', ...attach(j), conf: conf() });
          return Promise.all([a, b]);
        }),
      );
      assert.deepEqual(failures(replies.flat()), [], `batch ${batch}`);
      // the invariant: a container has a claim exactly when its pod is wired
      const veths = vethNames();
      const wired = ids.filter((id) => veths.has(hostVethName(id, 'eth0'))).sort();
      assert.deepEqual(claimed(), wired, `batch ${batch}: claims and wired pods differ`);
      wiredAfterRace += wired.length;
      cleanAfterRace += ids.length - wired.length;
      // the runtime's next DEL cleans up the pods whose DEL ran first
      const dels = await Promise.all(
        wired.map((id) => call({ command: 'DEL', ...attach(ids.indexOf(id)), conf: conf() })),
      );
      assert.deepEqual(failures(dels), []);
      assert.deepEqual(claimed(), []);
      assert.equal(vethNames().size, 0);
    }
    console.log(`      ${RACES} races: DEL after ADD ${cleanAfterRace}, DEL before ADD ${wiredAfterRace}`);
    assert.equal(wiredAfterRace + cleanAfterRace, RACES);
    assert.deepEqual(
      readdirSync(store()).filter((n) => n.startsWith('.')),
      [],
      'no lock or temp file left',
    );
    for (const p of pods) node.run('ip', ['netns', 'del', p.name]);
  });

  /** Runs the plugin with the address store bind-mounted read-only in a private mount namespace of its own. */
  function callReadOnly(c: Omit<PluginCall, 'bin' | 'nodeNs'>): Promise<PluginReply> {
    const full: PluginCall = { bin, nodeNs: node.name, ...c };
    const script = 'mount --bind -o ro "$1" "$1" && exec nsenter --net=/run/netns/"$2" "$3"';
    return new Promise((resolve, reject) => {
      const child = spawn(
        '/usr/bin/unshare',
        ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'sh', dataDir, node.name, bin],
        { env: pluginEnv(full), stdio: ['pipe', 'pipe', 'pipe'] },
      );
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (b: Buffer) => {
        stdout += b.toString();
      });
      child.stderr.on('data', (b: Buffer) => {
        stderr += b.toString();
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      child.once('error', reject);
      child.once('close', (status, signal) => {
        clearTimeout(timer);
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(stdout) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status, signal, stdout, stderr, json, ms: 0 });
      });
      child.stdin.on('error', () => {});
      child.stdin.end(JSON.stringify(full.conf));
    });
  }

  it('DEL on a read-only store: code 5 and the claim kept when there is one to free, success when there is none', async () => {
    const pod = net.ns('ro');
    const a = { containerId: 'ro-1', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
    assert.equal((await call({ command: 'ADD', ...a, conf: conf() })).status, 0);
    const del = await callReadOnly({ command: 'DEL', ...a, conf: conf() });
    assert.equal(del.status, 1, `${del.stdout} ${del.stderr}`);
    assert.equal(del.json?.code, 5, del.stdout);
    assert.match(String(del.json?.msg), /cannot release 10\.244\.\d+\.\d+ of ro-1\/eth0 .*read-only file system/i);
    assert.deepEqual(claimed(), ['ro-1'], 'the address stays reserved for the retry');
    // nothing to free: success, read-only or not
    const none = await callReadOnly({ command: 'DEL', ...a, containerId: 'never-added', conf: conf() });
    assert.equal(none.status, 0, `${none.stdout} ${none.stderr}`);
    // the mount was the plugin's own: the store is writable again here, and the retried DEL frees the claim
    const retry = await call({ command: 'DEL', ...a, conf: conf() });
    assert.equal(retry.status, 0, retry.stdout);
    assert.deepEqual(claimed(), []);
    assert.equal(vethNames().size, 0);
  });

  it("CNI_NETNS that is a regular file, another kind of namespace or the plugin's own: code 4, and the node untouched", async () => {
    const file = join(dataDir, 'not-a-netns');
    writeFileSync(file, '');
    const before = { addrs: node.ip('-o', 'addr'), routes: node.ip('route'), links: node.ip('-o', 'link') };
    for (const [netns, msg] of [
      [file, /is not a network namespace \(not a file of nsfs\)/],
      ['/proc/self/ns/uts', /is not a network namespace/],
      [`/run/netns/${node.name}`, /is the plugin's own network namespace/],
      ['/proc/self/ns/net', /is the plugin's own network namespace/],
      [join(dataDir, 'missing'), /does not exist/],
    ] as const) {
      const r = await call({ command: 'ADD', containerId: 'bad-netns', netns, ifname: 'eth0', conf: conf() });
      assert.equal(r.status, 1, `${netns}: ${r.stdout}`);
      assert.equal(r.json?.code, 4, `${netns}: ${r.stdout}`);
      assert.match(String(r.json?.msg), msg, netns);
    }
    assert.deepEqual({ addrs: node.ip('-o', 'addr'), routes: node.ip('route'), links: node.ip('-o', 'link') }, before);
    assert.deepEqual(claimed(), [], 'nothing reserved');
  });

  it('a dataDir under /proc or /sys is code 7 at once', async () => {
    const pod = net.ns('proc');
    for (const dir of ['/proc/gannet-cni-test/store', '/sys/gannet-cni-test']) {
      const r = await call({
        command: 'ADD',
        containerId: 'proc-1',
        netns: `/run/netns/${pod.name}`,
        ifname: 'eth0',
        conf: conf({ dataDir: dir }),
      });
      assert.equal(r.json?.code, 7, r.stdout);
      assert.ok(r.ms < 10_000, `answered in ${r.ms} ms`);
    }
  });
});
