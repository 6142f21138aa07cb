// gannet-cni under concurrency and faults, in real namespaces: parallel ADDs, the plugin killed after each step
// (then DEL or GC must leave nothing), and a node reboot (namespaces gone, the address store kept, GC with the
// runtime's live list).
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Netns, TestNet } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { execPlugin, type PluginCall, podAddress, requireGannetCni } from './cni-runtime.js';

const PARALLEL = 200;

describe('e2e cni: concurrency, crashes and reboots', function () {
  this.timeout(120_000);
  let net: TestNet;
  let node: Netns;
  let dataDir: string;
  let bin: string;

  before(function () {
    requireRoot(this);
    bin = requireGannetCni();
    net = new TestNet('cnif');
    node = net.ns('node');
    node.ip('addr', 'add', '192.0.2.1/32', 'dev', 'lo'); // a source address for the node's pings
    dataDir = mkdtempSync(join(tmpdir(), 'gannet-cni-faults-'));
  });
  after(async () => {
    await net?.cleanup();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'gnet',
    type: 'gannet-cni',
    podCIDR: '10.244.0.0/23',
    dataDir,
    ...extra,
  });
  const call = (c: Omit<PluginCall, 'bin' | 'nodeNs'>) => execPlugin({ bin, nodeNs: node.name, ...c });
  const reserved = () => readdirSync(join(dataDir, 'gnet')).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n));
  const veths = () => node.ip('-o', 'link', 'show', 'type', 'veth').trim();
  const hostRoutes = () => node.ip('route', 'show').trim();

  it(`${PARALLEL} ADDs in parallel get distinct addresses and all work; then ${PARALLEL} parallel DELs clean up`, async () => {
    const pods = Array.from({ length: PARALLEL }, (_, i) => net.ns(`c${i}`));
    const attach = (i: number) => ({
      containerId: `par-${i}`,
      netns: `/run/netns/${(pods[i] as Netns).name}`,
      ifname: 'eth0',
    });
    const adds = await Promise.all(pods.map((_, i) => call({ command: 'ADD', ...attach(i), conf: conf() })));
    const failures = adds
      .filter((r) => r.status !== 0)
      .map((r) => `${r.status ?? r.signal} ${r.ms.toFixed(0)} ms ${r.stdout}${r.stderr}`);
    assert.deepEqual(failures, []);
    const addrs = adds.map(podAddress);
    assert.equal(new Set(addrs).size, PARALLEL, 'no address handed out twice');
    assert.equal(reserved().length, PARALLEL);
    assert.equal(hostRoutes().split('\n').length, PARALLEL, 'one host route per pod');
    // every pod is wired: first and last reach each other through the node
    const first = addrs[0] as string;
    const last = addrs[PARALLEL - 1] as string;
    assert.ok((pods[0] as Netns).ping(last));
    assert.ok((pods[PARALLEL - 1] as Netns).ping(first));
    const dels = await Promise.all(pods.map((_, i) => call({ command: 'DEL', ...attach(i), conf: conf() })));
    assert.deepEqual(
      dels
        .filter((r) => r.status !== 0)
        .map((r) => `${r.status ?? r.signal} ${r.ms.toFixed(0)} ms ${r.stdout}${r.stderr}`),
      [],
    );
    assert.deepEqual(reserved(), []);
    assert.equal(veths(), '');
    assert.equal(hostRoutes(), '');
    for (const p of pods) node.run('ip', ['netns', 'del', p.name]);
  });

  for (const step of ['reserved', 'veth', 'sysctls', 'routed']) {
    for (const cleanup of ['DEL', 'GC'] as const) {
      it(`killed after ADD step "${step}": ${cleanup} leaves nothing, and a retried ADD works`, async () => {
        const pod = net.ns(`k${step.slice(0, 4)}${cleanup}`);
        const a = { containerId: `crash-${step}-${cleanup}`, netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
        const crash = await call({
          command: 'ADD',
          ...a,
          conf: conf(),
          extraEnv: { GANNET_CNI_TEST_CRASH_AFTER: step },
        });
        assert.equal(crash.signal, 'SIGKILL', `killed at ${step}: ${crash.stdout}`);
        assert.equal(reserved().length, 1, 'the claim survived the crash');
        // the runtime retries ADD after a failure: the leftover must not stop it
        const retry = await call({ command: 'ADD', ...a, conf: conf() });
        assert.equal(retry.status, 0, retry.stdout);
        assert.equal(reserved().length, 1, 'the retry reused the claim');
        assert.ok(node.ping(podAddress(retry)));
        // crash again at the same step, then clean up with DEL or GC
        await call({ command: 'DEL', ...a, conf: conf() });
        const again = await call({
          command: 'ADD',
          ...a,
          conf: conf(),
          extraEnv: { GANNET_CNI_TEST_CRASH_AFTER: step },
        });
        assert.equal(again.signal, 'SIGKILL');
        const r =
          cleanup === 'DEL'
            ? await call({ command: 'DEL', ...a, conf: conf() })
            : await call({ command: 'GC', conf: conf({ 'cni.dev/valid-attachments': [] }) });
        assert.equal(r.status, 0, r.stdout);
        assert.deepEqual(reserved(), []);
        assert.equal(veths(), '');
        assert.equal(hostRoutes(), '');
        assert.notEqual(pod.tryRun('ip', ['link', 'show', 'eth0']).status, 0, 'no eth0 left in the pod');
        assert.deepEqual(
          readdirSync(join(dataDir, 'gnet')).filter((n) => n.startsWith('.tmp')),
          [],
          'no temp file left',
        );
      });
    }
  }

  it('killed during DEL after the veth is gone: a second DEL releases the address', async () => {
    const pod = net.ns('kdel');
    const a = { containerId: 'crash-del', netns: `/run/netns/${pod.name}`, ifname: 'eth0' };
    assert.equal((await call({ command: 'ADD', ...a, conf: conf() })).status, 0);
    const crash = await call({
      command: 'DEL',
      ...a,
      conf: conf(),
      extraEnv: { GANNET_CNI_TEST_CRASH_AFTER: 'veth-removed' },
    });
    assert.equal(crash.signal, 'SIGKILL');
    assert.equal(veths(), '');
    assert.equal(reserved().length, 1);
    assert.equal((await call({ command: 'DEL', ...a, conf: conf() })).status, 0);
    assert.deepEqual(reserved(), []);
  });

  it('reboot: namespaces gone, store kept; GC with the live list keeps exactly the live pods', async () => {
    const before = [net.ns('r0'), net.ns('r1'), net.ns('r2')];
    for (const [i, p] of before.entries()) {
      const r = await call({
        command: 'ADD',
        containerId: `boot1-${i}`,
        netns: `/run/netns/${p.name}`,
        ifname: 'eth0',
        conf: conf(),
      });
      assert.equal(r.status, 0, r.stdout);
    }
    assert.equal(reserved().length, 3);
    // power loss: every namespace (pods and the node itself) is gone; /var/lib survives
    for (const p of before) node.run('ip', ['netns', 'del', p.name]);
    const oldNode = node.name;
    node = net.ns('node2');
    node.run('ip', ['netns', 'del', oldNode]);
    // the runtime starts one pod again, then collects garbage with the list of live attachments
    const p = net.ns('r3');
    const live = { containerId: 'boot2-0', netns: `/run/netns/${p.name}`, ifname: 'eth0' };
    const add = await call({ command: 'ADD', ...live, conf: conf() });
    assert.equal(add.status, 0, add.stdout);
    assert.equal(reserved().length, 4);
    const gc = await call({
      command: 'GC',
      conf: conf({ 'cni.dev/valid-attachments': [{ containerID: 'boot2-0', ifname: 'eth0' }] }),
    });
    assert.equal(gc.status, 0, gc.stdout);
    const left = reserved();
    assert.equal(left.length, 1);
    assert.equal(readFileSync(join(dataDir, 'gnet', left[0] as string), 'utf8'), 'boot2-0\neth0\n');
    assert.equal(veths().split('\n').length, 1, 'the live pod keeps its veth');
    assert.equal((await call({ command: 'DEL', ...live, conf: conf() })).status, 0);
    assert.deepEqual(reserved(), []);
  });
});
