// The DaemonSet's init container script, run by /bin/sh against temp directories standing in for the host's
// /opt/cni/bin and /etc/cni/net.d and the image's plugins: what it installs, what it keeps, what it removes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOY, loadYaml } from './manifests.js';

const [ds] = loadYaml(join(DEPLOY, 'daemonset.yaml'));
const SCRIPT: string = ds!.spec.template.spec.initContainers[0].args[0];

/** A stand-in plugin: answers VERSION with the given spec versions (or nothing), and names itself. */
function plugin(path: string, who: string, versions: string[] | undefined): void {
  const answer =
    versions === undefined
      ? 'exit 1'
      : `echo '{"cniVersion":"1.0.0","supportedVersions":[${versions.map((v) => `"${v}"`).join(',')}]}'`;
  writeFileSync(path, `#!/bin/sh\n# ${who}\nif [ "$CNI_COMMAND" = VERSION ]; then ${answer}; fi\n`);
  chmodSync(path, 0o755);
}

describe('deploy: the install-cni init container script', () => {
  let dir: string;
  let bin: string;
  let conf: string;
  let ours: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-install-cni-'));
    bin = join(dir, 'host-bin');
    conf = join(dir, 'host-net.d');
    ours = join(dir, 'image-plugins');
    for (const d of [bin, conf, ours]) mkdirSync(d);
    plugin(join(ours, 'loopback'), 'image loopback', ['0.3.1', '0.4.0', '1.0.0']);
    plugin(join(ours, 'portmap'), 'image portmap', ['0.3.1', '0.4.0', '1.0.0']);
    plugin(join(dir, 'gannet-cni'), 'image gannet-cni', ['0.3.0', '1.1.0']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function run(): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('/bin/sh', ['-c', SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CNI_BIN_DIR: bin,
        CNI_NET_DIR: conf,
        PLUGINS_DIR: ours,
        GANNET_CNI: join(dir, 'gannet-cni'),
      },
      timeout: 10_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  const who = (name: string) => readFileSync(join(bin, name), 'utf8').split('\n')[1];

  it('a bare host: installs gannet-cni, loopback and portmap (0755, no temp file left), and no conflist', () => {
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(bin).sort(), ['gannet-cni', 'loopback', 'portmap']);
    for (const f of readdirSync(bin)) assert.equal(statSync(join(bin, f)).mode & 0o777, 0o755, f);
    assert.equal(who('loopback'), '# image loopback');
    assert.equal(who('portmap'), '# image portmap');
    assert.match(r.stdout, /installed .*\/loopback \(CNI 1\.0\.0\): the host had none/);
    assert.deepEqual(readdirSync(conf), [], 'the agent writes the conflist once it knows the pod CIDR');
  });

  it('never overwrites a host copy as new as ours or newer; updates an older one', () => {
    plugin(join(bin, 'portmap'), 'host portmap', ['0.4.0', '1.0.0', '1.1.0']);
    plugin(join(bin, 'loopback'), 'host loopback', ['0.3.0', '0.3.1', '0.4.0']);
    let r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(who('portmap'), '# host portmap');
    assert.match(r.stdout, /kept .*\/portmap: CNI 1\.1\.0, as new as ours \(1\.0\.0\) or newer/);
    assert.equal(who('loopback'), '# image loopback');
    assert.match(r.stdout, /updated .*\/loopback: CNI 0\.4\.0 -> 1\.0\.0/);
    // equal versions: the host's copy stays (it may be a newer release of the same spec)
    plugin(join(bin, 'loopback'), 'host loopback again', ['1.0.0', '0.4.0']);
    r = run();
    assert.equal(who('loopback'), '# host loopback again');
    assert.deepEqual(readdirSync(bin).sort(), ['gannet-cni', 'loopback', 'portmap']);
  });

  it('keeps a host copy that does not answer VERSION here (it cannot be compared)', () => {
    plugin(join(bin, 'portmap'), 'host portmap, silent', undefined);
    const r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.equal(who('portmap'), '# host portmap, silent');
    assert.match(r.stdout, /kept .*\/portmap: it does not answer VERSION here/);
  });

  it('fails (exit 1, says which) when the image’s own plugin does not answer, before touching that plugin', () => {
    plugin(join(ours, 'portmap'), 'image portmap, broken', undefined);
    const r = run();
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /image's .*\/portmap does not answer VERSION/);
    assert.ok(!existsSync(join(bin, 'portmap')));
  });

  it('removes the 10-gannet.conflist earlier versions installed, and nobody else’s file', () => {
    writeFileSync(join(conf, '10-gannet.conflist'), '{"name":"gannet","plugins":[{"type": "gannet-cni"}]}');
    writeFileSync(join(conf, '10-calico.conflist'), '{"name":"k8s-pod-network","plugins":[{"type":"calico"}]}');
    let r = run();
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(conf), ['10-calico.conflist']);
    assert.match(r.stdout, /removed .*10-gannet\.conflist/);
    writeFileSync(join(conf, '10-gannet.conflist'), '{"name":"other","plugins":[{"type":"bridge"}]}');
    r = run();
    assert.deepEqual(readdirSync(conf).sort(), ['10-calico.conflist', '10-gannet.conflist']);
  });

  it('with the real Debian plugins (when installed): the same spec version on both sides, so the host copy is kept', function () {
    if (!existsSync('/usr/lib/cni/portmap')) this.skip();
    rmSync(ours, { recursive: true });
    const r = spawnSync('/bin/sh', ['-c', SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CNI_BIN_DIR: bin,
        CNI_NET_DIR: conf,
        PLUGINS_DIR: '/usr/lib/cni',
        GANNET_CNI: join(dir, 'gannet-cni'),
      },
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /installed .*\/portmap \(CNI 1\.0\.0\): the host had none/);
    const again = spawnSync('/bin/sh', ['-c', SCRIPT], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        CNI_BIN_DIR: bin,
        CNI_NET_DIR: conf,
        PLUGINS_DIR: '/usr/lib/cni',
        GANNET_CNI: join(dir, 'gannet-cni'),
      },
    });
    assert.match(again.stdout, /kept .*\/portmap: CNI 1\.0\.0, as new as ours \(1\.0\.0\) or newer/);
  });
});
