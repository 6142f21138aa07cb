// The Gannet image, built with podman from the unchanged Dockerfile and no registry (./image-build.ts), run as the
// DaemonSet runs it: the CLI, the CNI plugin under its other name, the init container's copy step into a host
// directory, and the agent in a lab node's network namespace with an Established session to BIRD and the other
// node's pod routes installed. Skips loudly where podman cannot run (CI installs it: scripts/setup.sh).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, planLab } from '@gannet/controller';
import { waitFor } from '../src/netns.js';
import {
  type Built,
  baseImage,
  buildGannet,
  imageSize,
  NO_NETWORK,
  nodeImage,
  podmanProblem,
  REPO,
  removeBuilt,
  removeContainer,
  sh,
} from './image-build.js';

/** The init container's script, from deploy/daemonset.yaml, as the kubelet runs it. */
function installCniScript(): string {
  const yaml = readFileSync(join(REPO, 'deploy/daemonset.yaml'), 'utf8');
  const m = /- name: install-cni[\s\S]*?args:\n\s*- \|\n([\s\S]*?)\n\s*securityContext:/.exec(yaml);
  if (!m) throw new Error('deploy/daemonset.yaml: the install-cni script was not found');
  const lines = m[1]!.split('\n');
  const indent = /^\s*/.exec(lines[0]!)![0].length;
  return lines.map((l) => l.slice(indent)).join('\n');
}

function kernelRoutes(ns: string): { dst: string; gateway?: string; type?: string }[] {
  return JSON.parse(sh('ip', ['-n', ns, '-j', 'route', 'show', 'proto', '71']));
}

describe('e2e image: podman builds the Dockerfile and runs the image', function () {
  this.timeout(900_000);
  let image = '';
  let built: Built | undefined;
  const containers: string[] = [];
  const say = (line: string) => console.log(`      ${line}`);

  before(function () {
    const problem = podmanProblem();
    if (problem) {
      console.warn(
        '\n  ***************************************************************************\n' +
          `  *  SKIPPING the image tests: podman cannot run here (${problem}).\n` +
          '  *  CI installs podman, runc and debootstrap (scripts/setup.sh).           *\n' +
          '  ***************************************************************************\n',
      );
      this.skip();
    }
    let t = performance.now();
    const base = baseImage(say);
    const node = nodeImage(base, say);
    say(`base images ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    t = performance.now();
    built = buildGannet(node, base);
    image = built.id;
    say(
      `podman build: ${(built.ms / 1000).toFixed(1)} s, image ${image.slice(0, 12)} ${(imageSize(image) / 1e6).toFixed(1)} MB`,
    );
  });

  after(() => {
    for (const c of containers) removeContainer(c);
    if (built) removeBuilt(built);
  });

  it('is small: ≤ 250 MB uncompressed, one executable, no Node.js or node_modules', () => {
    const size = imageSize(image);
    assert.ok(size <= 250e6, `image ${(size / 1e6).toFixed(1)} MB > 250 MB`);
    const listing = sh('podman', [
      'run',
      '--rm',
      ...NO_NETWORK,
      image,
      'sh',
      '-c',
      'ls -l /opt/gannet/dist/bin; command -v node || true; find / -xdev -name node_modules | head -1; ls /usr/lib/cni',
    ]);
    assert.match(listing, /gannet-cni -> gannet/);
    assert.doesNotMatch(listing, /\/node\n|node_modules/);
    assert.deepEqual(listing.trim().split('\n').slice(-2), ['loopback', 'portmap']);
  });

  it('prints gannet --help (its default command) and answers CNI_COMMAND=VERSION as gannet-cni', () => {
    const help = sh('podman', ['run', '--rm', ...NO_NETWORK, image]);
    assert.match(help, /^gannet — native-routing Kubernetes CNI/);
    const version = sh('podman', ['run', '--rm', ...NO_NETWORK, '-e', 'CNI_COMMAND=VERSION', image, 'gannet-cni']);
    assert.deepEqual(JSON.parse(version).cniVersion, '1.1.0');
    const tools = sh('podman', ['run', '--rm', ...NO_NETWORK, image, 'sh', '-c', 'ip -V && nft --version']);
    assert.match(tools, /iproute2/);
    assert.match(tools, /nftables/);
  });

  it("the init container's copy step puts a working gannet-cni (and loopback, portmap) into a host directory", () => {
    const host = mkdtempSync(join(tmpdir(), 'gannet-image-host-'));
    try {
      for (const d of ['bin', 'net.d']) mkdirSync(join(host, d));
      const run = sh('podman', [
        'run',
        '--rm',
        ...NO_NETWORK,
        '--read-only',
        '--cap-drop',
        'all',
        '-v',
        `${host}/bin:/host/opt/cni/bin`,
        '-v',
        `${host}/net.d:/host/etc/cni/net.d`,
        image,
        '/bin/sh',
        '-c',
        installCniScript(),
      ]);
      assert.match(run, /installed \/host\/opt\/cni\/bin\/gannet-cni/);
      const cni = join(host, 'bin/gannet-cni');
      assert.ok(statSync(cni).isFile() && (statSync(cni).mode & 0o111) !== 0, 'an executable file, not a link');
      // runs on the host, without Node.js, as the runtime execs it
      const r = spawnSync(cni, [], { env: { CNI_COMMAND: 'VERSION', PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout).cniVersion, '1.1.0');
      for (const p of ['loopback', 'portmap']) {
        const v = spawnSync(join(host, 'bin', p), [], { env: { CNI_COMMAND: 'VERSION' }, encoding: 'utf8' });
        assert.match(v.stdout, /supportedVersions/, p);
      }
    } finally {
      rmSync(host, { recursive: true, force: true });
    }
  });

  it("runs the agent in a lab node's network namespace: Established with BIRD, the other node's pod routes installed", async () => {
    const stateRoot = mkdtempSync(join(tmpdir(), 'gannet-image-lab-'));
    const lab = new Lab(
      planLab({ name: `i${randomBytes(3).toString('hex').slice(0, 5)}`, nodes: 2, router: 'bird', podsPerNode: 0 }),
      { stateRoot },
    );
    try {
      await lab.build();
      const n1 = lab.plan.nodes[0]!;
      // node1's agent becomes the image's: the lab's stops, and its routes go, so the container must install them
      await lab.stopAgent(n1);
      sh('ip', ['-n', n1.ns, 'route', 'flush', 'proto', '71']);
      const nodeDir = lab.nodeDir(n1);
      const config = join(nodeDir, 'gannet.yaml');
      // as the DaemonSet's agent container: all capabilities dropped but these, a read-only root file system
      const ctr = sh('podman', [
        'run',
        '-d',
        '--network',
        `ns:/var/run/netns/${n1.ns}`,
        '--cap-drop',
        'all',
        '--cap-add',
        'NET_ADMIN,NET_RAW,NET_BIND_SERVICE',
        '--read-only',
        '-v',
        `${nodeDir}:${nodeDir}`,
        image,
        'gannet',
        'agent',
        '--config',
        config,
        '--log-format',
        'json',
      ]).trim();
      containers.push(ctr);
      let last = '';
      await waitFor(
        'the session with BIRD Established (gannet status inside the container)',
        () => {
          const r = spawnSync('podman', ['exec', ctr, 'gannet', 'status', '--json'], { encoding: 'utf8' });
          last = r.stdout || r.stderr;
          if (r.status !== 0) return false;
          const s = JSON.parse(r.stdout) as { peers: { state: string }[] };
          return s.peers.length === 1 && s.peers[0]!.state === 'Established';
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      ).catch((err: Error) => {
        throw new Error(`${err.message}; last status: ${last}; logs: ${sh('podman', ['logs', ctr]).slice(-1500)}`);
      });
      const other = lab.plan.nodes[1]!.podCIDR;
      await waitFor(`${other} in node1's kernel`, () => kernelRoutes(n1.ns).some((r) => r.dst === other), {
        timeoutMs: 20_000,
      });
      assert.ok(
        kernelRoutes(n1.ns).some((r) => r.dst === n1.podCIDR && r.type === 'blackhole'),
        'the blackhole of its own pod CIDR',
      );
      // SIGTERM (podman stop) ends the agent gracefully: exit 0
      sh('podman', ['stop', '-t', '20', ctr]);
      const exit = sh('podman', ['inspect', '--format', '{{.State.ExitCode}}', ctr]).trim();
      assert.equal(exit, '0', sh('podman', ['logs', ctr]).slice(-1500));
    } finally {
      await lab.destroy();
      rmSync(stateRoot, { recursive: true, force: true });
    }
  });
});
