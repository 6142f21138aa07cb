// The agent's start as a real process in a test namespace: liveness before any configuration (Kubernetes mode with no
// API server), all-or-nothing when a part cannot start (one line, exit 1, no process left in its group), and SIGTERM
// ending every child it started.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Netns, type SpawnedProcess, sleep, TestNet, waitFor } from '../src/netns.js';
import { childrenOf, processGroup } from '../src/processes.js';
import { requireRoot } from '../src/root.js';

const GANNET = resolve(dirname(fileURLToPath(import.meta.url)), '../../../dist/bin/gannet');

/** GET inside the namespace: [HTTP status, body], or [0, error] when nothing answers. */
function getInNs(ns: Netns, url: string): [number, string] {
  const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(2000) })
    .then(async (r) => process.stdout.write(JSON.stringify([r.status, await r.text()])))
    .catch((e) => process.stdout.write(JSON.stringify([0, String(e.cause?.code ?? e.message)])))`;
  return JSON.parse(ns.run(process.execPath, ['-e', script], { timeoutMs: 10_000 }));
}

/** Exit status within `ms`, or throws with the output. */
async function exitWithin(p: SpawnedProcess, ms: number): Promise<number | string> {
  const code = await Promise.race([p.exited, sleep(ms).then(() => 'timeout' as const)]);
  if (code === 'timeout') throw new Error(`the agent did not exit within ${ms} ms; output:\n${p.output()}`);
  return code;
}

/** The lines the CLI itself printed (log lines are JSON). */
const cliLines = (out: string) => out.split('\n').filter((l) => l.startsWith('gannet '));

describe('e2e: agent start-up and shutdown as a process', function () {
  this.timeout(60_000);
  let net: TestNet;
  let ns: Netns;
  let dir: string;

  before(function () {
    requireRoot(this);
  });
  beforeEach(() => {
    net = new TestNet('start');
    ns = net.ns('n1');
    dir = mkdtempSync(join(tmpdir(), 'gannet-e2e-start-'));
  });
  afterEach(async () => {
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const agent = (args: string[], env: Record<string, string> = {}) =>
    // detached: the agent leads a process group of its own, which its children (ip monitor, ip -batch) join.
    net.spawn(ns, GANNET, ['agent', '--log-format', 'json', ...args], {
      detached: true,
      env: { ...process.env, ...env },
    });

  const standalone = (extra: string) => {
    const file = join(dir, 'gannet.yaml');
    writeFileSync(
      file,
      `nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.1.0/24]\nclusterCIDRs: [10.244.0.0/16]\n` +
        `nodeStateFile: ${join(dir, 'node-state.json')}\n${extra}`,
    );
    return file;
  };

  it('Kubernetes mode without an API server: /healthz answers at once, /readyz says why not; SIGTERM exits 0', async () => {
    const kubeconfig = join(dir, 'kubeconfig');
    // Port 1 on the namespace's loopback: connection refused, as an API server that is down.
    writeFileSync(
      kubeconfig,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "http://127.0.0.1:1"}}]\n' +
        'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n' +
        'current-context: x\n',
    );
    const started = Date.now();
    const p = agent(
      [
        '--kubernetes',
        '--kubeconfig',
        kubeconfig,
        '--api-listen',
        '127.0.0.1:9179',
        '--saved-config',
        join(dir, 'saved.json'),
      ],
      { NODE_NAME: 'n1' },
    );
    await waitFor('/healthz', () => getInNs(ns, 'http://127.0.0.1:9179/healthz')[0] === 200, {
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const healthyAfterMs = Date.now() - started;
    await waitFor(
      '/readyz to name the API server',
      () => getInNs(ns, 'http://127.0.0.1:9179/readyz')[1].includes('no API server'),
      {
        timeoutMs: 15_000,
        intervalMs: 200,
      },
    );
    const [status, body] = getInNs(ns, 'http://127.0.0.1:9179/readyz');
    assert.equal(status, 503);
    const ready = JSON.parse(body) as { status: string; missing: string[] };
    assert.equal(ready.status, 'not ready');
    assert.ok(
      ready.missing.some((m) => /^no API server: .*unreachable/.test(m)),
      body,
    );
    assert.ok(ready.missing.includes('agent not started: waiting for a configuration'), body);
    // Still alive and still answering after several retries of the API.
    await sleep(1500);
    assert.equal(getInNs(ns, 'http://127.0.0.1:9179/healthz')[0], 200);
    console.log(`      /healthz answered ${healthyAfterMs} ms after the spawn, with no API server`);
    process.kill(p.pid, 'SIGTERM');
    assert.equal(await exitWithin(p, 10_000), 0);
    assert.deepEqual(processGroup(p.pid), []);
  });

  it('a busy status API port: exit 1, one line, nothing left running', async () => {
    const blocker = net.spawn(ns, process.execPath, [
      '-e',
      "require('net').createServer().listen(9179, '127.0.0.1', () => console.log('listening'))",
    ]);
    await waitFor('the blocker', () => blocker.output().includes('listening'), { timeoutMs: 10_000 });
    const p = agent(['--config', standalone('listen: { address: 127.0.0.1, port: 1790 }\n')]);
    assert.equal(await exitWithin(p, 15_000), 1);
    assert.deepEqual(cliLines(p.output()), [
      'gannet agent: status API cannot listen on 127.0.0.1:9179: the port is in use (another agent running?) (EADDRINUSE)',
    ]);
    assert.deepEqual(processGroup(p.pid), []);
    assert.equal(
      execFileSync('ip', ['-n', ns.name, 'route', 'show', 'proto', '71'], { encoding: 'utf8' }),
      '',
      'no route',
    );
  });

  it('a status API address that is not local: exit 1, one line', async () => {
    const p = agent(['--config', standalone('api: { listen: 192.0.2.1:9179 }\n')]);
    assert.equal(await exitWithin(p, 15_000), 1);
    assert.deepEqual(cliLines(p.output()), [
      'gannet agent: status API cannot listen on 192.0.2.1:9179: the address is not one of this host (EADDRNOTAVAIL)',
    ]);
    assert.deepEqual(processGroup(p.pid), []);
  });

  it('BGP cannot listen after the kernel routes started: they are stopped again, exit 1, one line, no child left', async () => {
    // The BGP port is the status API's own: the API binds first, then the speaker fails after the routes started.
    const p = agent(['--config', standalone('listen: { address: 127.0.0.1, port: 9179 }\n')]);
    assert.equal(await exitWithin(p, 15_000), 1);
    const lines = cliLines(p.output());
    assert.equal(lines.length, 1, p.output());
    assert.match(lines[0]!, /^gannet agent: BGP cannot listen on 127\.0\.0\.1:9179: listen EADDRINUSE/);
    assert.deepEqual(processGroup(p.pid), []);
  });

  it('SIGTERM after a good start ends every child it started (ip monitor, ip -batch) and exits 0', async () => {
    const p = agent(['--config', standalone('listen: { address: 127.0.0.1, port: 1790 }\n')]);
    await waitFor('/healthz', () => getInNs(ns, 'http://127.0.0.1:9179/healthz')[0] === 200, { timeoutMs: 15_000 });
    await waitFor('the blackhole of its pod CIDR', () => ns.ip('route', 'show', 'proto', '71').includes('blackhole'), {
      timeoutMs: 15_000,
    });
    const children = childrenOf(p.pid);
    assert.ok(
      children.some((c) => c.comm === 'ip'),
      `the agent runs ip helpers: ${JSON.stringify(children)}`,
    );
    process.kill(p.pid, 'SIGTERM');
    assert.equal(await exitWithin(p, 15_000), 0);
    assert.deepEqual(processGroup(p.pid), [], 'no child survives');
    for (const c of children) assert.throws(() => process.kill(c.pid, 0), `child ${c.pid} (${c.cmdline}) is gone`);
    assert.match(ns.ip('route', 'show', 'proto', '71'), /blackhole 10\.244\.1\.0\/24/, 'kernel routes kept');
  });

  it('SIGHUP with a new ASN: stops gracefully with exit 3 (restart to apply), kernel routes kept; peers first applied', async () => {
    const file = standalone('listen: { address: 127.0.0.1, port: 1790 }\n');
    const p = agent(['--config', file]);
    await waitFor('the blackhole of its pod CIDR', () => ns.ip('route', 'show', 'proto', '71').includes('blackhole'), {
      timeoutMs: 15_000,
    });
    // A peer added: applied in place, the agent keeps running.
    writeFileSync(file, `${readFileSync(file, 'utf8')}peers: [{ address: 127.0.0.2, asn: 64512 }]\n`);
    process.kill(p.pid, 'SIGHUP');
    await waitFor('the new peer', () => getInNs(ns, 'http://127.0.0.1:9179/api/v1/peers')[1].includes('127.0.0.2'), {
      timeoutMs: 10_000,
    });
    writeFileSync(file, readFileSync(file, 'utf8').replace('asn: 64512\nrouterId', 'asn: 64513\nrouterId'));
    process.kill(p.pid, 'SIGHUP');
    assert.equal(await exitWithin(p, 15_000), 3);
    const log = p.output();
    assert.match(log, /changes this node’s identity: stopping gracefully to restart with it/);
    assert.match(log, /asn 64512 → 64513/);
    assert.deepEqual(processGroup(p.pid), []);
    assert.match(ns.ip('route', 'show', 'proto', '71'), /blackhole 10\.244\.1\.0\/24/, 'kernel routes kept');
  });
});
