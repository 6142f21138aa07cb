// Hostile inputs and races against runCni with the in-memory network: each gets the CNI spec's code and loses
// nothing (no claim without a wired pod, no wired pod without a claim).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type PluginDeps, runCni } from '../src/plugin.js';
import { hostVethName } from '../src/pod-network.js';
import { FakePodNetwork } from './fake-pod-network.js';

interface Reply {
  exitCode: number;
  code: number | undefined;
  msg: string;
}

describe('plugin: hostile inputs and races', () => {
  let dir: string;
  let net: FakePodNetwork;
  const NETNS = '/run/netns/pod-a';

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-plugin-faults-'));
    net = new FakePodNetwork();
    net.namespaces.add(NETNS);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const conf = (extra: Record<string, unknown> = {}) => ({
    cniVersion: '1.1.0',
    name: 'gnet',
    type: 'gannet-cni',
    podCIDR: '10.244.1.0/24',
    dataDir: join(dir, 'ipam'),
    nodeStateFile: join(dir, 'node-state.json'),
    ...extra,
  });
  function call(
    command: string,
    stdin: unknown,
    env: Record<string, string> = {},
    deps: Partial<PluginDeps> = {},
  ): Reply {
    const res = runCni(
      {
        env: { CNI_COMMAND: command, CNI_CONTAINERID: 'ctr1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0', ...env },
        stdin: JSON.stringify(stdin),
      },
      { network: net, ...deps },
    );
    const out = res.stdout ? (JSON.parse(res.stdout) as { code?: number; msg?: string }) : {};
    return { exitCode: res.exitCode, code: out.code, msg: out.msg ?? '' };
  }
  const claims = () => {
    try {
      return readdirSync(join(dir, 'ipam', 'gnet')).filter((n) => /^\d+\.\d+\.\d+\.\d+$/.test(n));
    } catch {
      return [];
    }
  };
  const storeFiles = () => {
    try {
      return readdirSync(join(dir, 'ipam', 'gnet')).filter((n) => n !== 'last_reserved_ip.0');
    } catch {
      return [];
    }
  };

  for (const dataDir of ['/proc/gannet', '/sys/fs/gannet', '//proc/x', '/var/../proc/x', '/proc']) {
    it(`refuses dataDir ${dataDir} with code 7 at once (a recursive mkdir there never returns)`, () => {
      const r = call('ADD', conf({ dataDir }));
      assert.equal(r.code, 7, r.msg);
      assert.match(r.msg, /dataDir .* is under \/proc or \/sys/);
      assert.deepEqual(net.calls, []);
    });
  }

  it("refuses a CNI_NETNS that is no network namespace, or the plugin's own, with code 4 and reserves nothing", () => {
    const file = join(dir, 'regular-file');
    net.notNetns.add(file);
    let r = call('ADD', conf(), { CNI_NETNS: file });
    assert.equal(r.code, 4, r.msg);
    assert.match(r.msg, /is not a network namespace/);
    r = call('ADD', conf(), { CNI_NETNS: net.ownNetns });
    assert.equal(r.code, 4, r.msg);
    assert.match(r.msg, /is the plugin's own network namespace/);
    r = call('ADD', conf(), { CNI_NETNS: '/run/netns/gone' });
    assert.equal(r.code, 4, r.msg);
    assert.match(r.msg, /does not exist/);
    assert.deepEqual(claims(), []);
    assert.deepEqual(net.calls, []);
    // CHECK: a missing namespace is an unknown container (3), a wrong one an invalid environment (4)
    const add = runCni(
      {
        env: { CNI_COMMAND: 'ADD', CNI_CONTAINERID: 'ctr1', CNI_NETNS: NETNS, CNI_IFNAME: 'eth0' },
        stdin: JSON.stringify(conf()),
      },
      { network: net },
    );
    const prevResult = JSON.parse(add.stdout) as Record<string, unknown>;
    assert.equal(call('CHECK', conf({ prevResult }), { CNI_NETNS: file }).code, 4);
    assert.equal(call('CHECK', conf({ prevResult }), { CNI_NETNS: net.ownNetns }).code, 4);
    assert.equal(call('CHECK', conf({ prevResult }), { CNI_NETNS: '/run/netns/gone' }).code, 3);
  });

  it('a pod CIDR in a special-use range from the node state file is code 7', () => {
    writeFileSync(join(dir, 'node-state.json'), JSON.stringify({ nodeName: 'n', podCIDRs: ['169.254.0.0/24'] }));
    const r = call('ADD', { ...conf(), podCIDR: undefined });
    assert.equal(r.code, 7, r.msg);
    assert.match(r.msg, /overlaps the special-use range link-local/);
    assert.deepEqual(claims(), []);
  });

  it('a nodeStateFile that is a FIFO or a device is code 7 at once, not a hang', () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    for (const nodeStateFile of [fifo, '/dev/zero']) {
      const r = call('ADD', { ...conf({ nodeStateFile }), podCIDR: undefined });
      assert.equal(r.code, 7, r.msg);
      assert.match(r.msg, /is not a regular file/);
    }
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(65 * 1024));
    assert.match(call('ADD', { ...conf({ nodeStateFile: big }), podCIDR: undefined }).msg, /over 64 KiB/);
  });

  it('a DEL racing an ADD of the same container waits for it (code 11 at its timeout), never splitting claim and wiring', () => {
    let del: Reply | undefined;
    const add = call(
      'ADD',
      conf(),
      {},
      {
        onStep: (step) => {
          // the ADD holds the lock from before its reservation to after its wiring: a DEL now must not get in
          if (step === 'reserved') del = call('DEL', conf(), {}, { lock: { timeoutMs: 30 } });
        },
      },
    );
    assert.equal(add.exitCode, 0, add.msg);
    assert.equal(del?.code, 11, del?.msg);
    assert.match(del?.msg ?? '', /another ADD or DEL for container ctr1/);
    assert.equal(claims().length, 1, 'the ADD keeps its claim');
    assert.ok(net.links.has(hostVethName('ctr1', 'eth0')), 'and its wiring');
    // the runtime retries the DEL: now it runs, and frees both
    assert.equal(call('DEL', conf()).exitCode, 0);
    assert.deepEqual(claims(), []);
    assert.equal(net.links.size, 0);
    assert.deepEqual(storeFiles(), [], 'no lock or temp file left');
  });

  it('an ADD whose lock holder died takes the lock over', () => {
    call('DEL', conf()); // creates the store
    writeFileSync(join(dir, 'ipam', 'gnet', '.lock-ctr1'), '2147483646 1 dead\n');
    const r = call('ADD', conf(), {}, { lock: { timeoutMs: 0 } });
    assert.equal(r.exitCode, 0, r.msg);
    assert.deepEqual(storeFiles().sort(), [claims()[0]]);
  });

  it('DEL where no lock can be written: success when there is nothing to free; ADD is code 5', () => {
    const blocked = join(dir, 'file');
    writeFileSync(blocked, '');
    const c = conf({ dataDir: join(blocked, 'ipam') }); // ENOTDIR: no store can exist there
    const del = call('DEL', c);
    assert.equal(del.exitCode, 0, del.msg);
    const add = call('ADD', c);
    assert.equal(add.code, 5, add.msg);
    assert.match(add.msg, /cannot take the container lock/);
  });
});
