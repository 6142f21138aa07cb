// dist/bin/gannet, the single executable (scripts/build-bins.mjs, src/bin/multi-call.ts), run as operators and the
// container runtime run it: the CLI, the CNI plugin under its other name, Kubernetes mode against an API server.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invokedAs, isCniName } from '../../src/bin/invoked-as.js';
import { FakeApiServer } from '../kubernetes/fake-apiserver.js';
import { node, RESOURCES } from '../kubernetes/helpers.js';

const BIN = resolve(fileURLToPath(import.meta.url), '../../../../../../dist/bin');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `file` (asynchronously: the fake API server answers from this process) in a clean environment. */
function run(file: string, args: string[], env: Record<string, string> = {}, argv0?: string): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(file, args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: 30_000,
      ...(argv0 ? { argv0 } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('controller: the single executable dist/bin/gannet', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-sea-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('knows its names from argv[0]', () => {
    assert.equal(invokedAs('/opt/cni/bin/gannet-cni'), 'gannet-cni');
    assert.equal(invokedAs('gannet'), 'gannet');
    for (const n of ['gannet-cni', 'gannet-cni.new', 'gannet-cni-0.1.0']) assert.equal(isCniName(n), true, n);
    for (const n of ['gannet', 'gannet-cnix', 'node', '', 'cni']) assert.equal(isCniName(n), false, n);
  });

  it('dist/bin/gannet-cni is the same executable as dist/bin/gannet', () => {
    const a = statSync(join(BIN, 'gannet'));
    const b = statSync(join(BIN, 'gannet-cni'));
    assert.equal(a.ino, b.ino, 'a hard link');
  });

  it('as gannet: the CLI, from the bundled asset with its code cache and the agent flags', async () => {
    const r = await run(join(BIN, 'gannet'), ['--help'], { GANNET_SEA_DEBUG: '1' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^gannet — native-routing Kubernetes CNI/);
    assert.match(r.stderr, /code cache of gannet\.cjs accepted; execArgv --max-semi-space-size=8/);
    const u = await run(join(BIN, 'gannet'), ['frobnicate']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown command "frobnicate"/);
  });

  it('as gannet-cni (the hard link, a symbolic link, a copy, argv[0] alone): the CNI plugin', async () => {
    symlinkSync(join(BIN, 'gannet'), join(dir, 'gannet-cni'));
    copyFileSync(join(BIN, 'gannet'), join(dir, 'gannet-cni.new'));
    const cases: [string, string | undefined][] = [
      [join(BIN, 'gannet-cni'), undefined],
      [join(dir, 'gannet-cni'), undefined],
      [join(dir, 'gannet-cni.new'), undefined],
      [join(BIN, 'gannet'), 'gannet-cni'],
    ];
    for (const [file, argv0] of cases) {
      const r = await run(file, [], { CNI_COMMAND: 'VERSION' }, argv0);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      assert.deepEqual(JSON.parse(r.stdout).cniVersion, '1.1.0', file);
    }
    // a CNI error is the plugin's JSON, not the CLI's usage line
    const bad = await run(join(BIN, 'gannet-cni'), [], { CNI_COMMAND: 'BOGUS' });
    assert.equal(bad.code, 1);
    assert.equal(typeof JSON.parse(bad.stdout).code, 'number');
  });

  it('agent --kubernetes --check: @kubernetes/client-node works bundled', async () => {
    const server = await FakeApiServer.start(RESOURCES);
    try {
      server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "${server.url}", insecure-skip-tls-verify: true}}]\n` +
          'users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
      );
      const args = ['agent', '--kubernetes', '--kubeconfig', kubeconfig, '--saved-config', join(dir, 'saved.json')];
      const r = await run(join(BIN, 'gannet'), [...args, '--check', '--log-level', 'error'], { NODE_NAME: 'node1' });
      assert.equal(r.stderr, '');
      assert.equal(r.code, 0);
      assert.equal(r.stdout, 'kubernetes: ok (node node1, 0 peers)\n');
    } finally {
      await server.close();
    }
  });
});
