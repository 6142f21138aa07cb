// `gannet lab up --runtime containerd`: one containerd per lab node (Debian's package, run by hand with its own config,
// root, state and socket under the node's lab directory — never the machine's service), pods as real CRI sandboxes
// whose network comes from gannet-cni + portmap through libcni, as on a Kubernetes node. Also what the e2e CRI suite
// and benchmark start their containerd with (containerdConfig, pauseImageTar).
import { execFileSync, spawn } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CriClient, sandboxNetnsPath } from './cri.js';
import { stopPid } from './lab-host.js';

export const PAUSE_IMAGE = 'gannet.test/pause:1';
export const CONTAINERD = '/usr/bin/containerd';
export const CTR = '/usr/bin/ctr';
/** Debian's containernetworking-plugins. */
export const REFERENCE_PLUGINS = '/usr/lib/cni';

/** What containerd mode needs on the machine; a message naming the package, or undefined. */
export function containerdMissing(): string | undefined {
  for (const bin of [CONTAINERD, CTR, '/usr/sbin/runc', '/bin/busybox']) {
    if (!existsSync(bin)) return `${bin} is missing: apt-get install containerd busybox-static (scripts/setup.sh)`;
  }
  for (const p of ['loopback', 'portmap']) {
    if (!existsSync(join(REFERENCE_PLUGINS, p))) {
      return `${REFERENCE_PLUGINS}/${p} is missing: apt-get install containernetworking-plugins`;
    }
  }
  return undefined;
}

/**
 * containerd 1.6's config for a node: everything under `dir` (root, state, socket), the CRI plugin with the given CNI
 * bin and conf dirs, the local pause image, runc. restrict_oom_score_adj: this kernel refuses lowering a process's
 * oom_score_adj below its parent's. Pod network namespaces stay where a node has them (/var/run/netns/cni-…).
 */
export function containerdConfig(dir: string, cni: { binDir: string; confDir: string }): string {
  const cri = 'plugins."io.containerd.grpc.v1.cri"';
  return `version = 2
root = "${dir}/root"
state = "${dir}/state"
# nothing outside the directory: no /opt/containerd, no snapshotters that probe the host
disabled_plugins = ["io.containerd.internal.v1.opt", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs"]
[grpc]
  address = "${dir}/containerd.sock"
[ttrpc]
  address = "${dir}/containerd.sock.ttrpc"
[${cri}]
  sandbox_image = "${PAUSE_IMAGE}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  [${cri}.cni]
    bin_dir = "${cni.binDir}"
    conf_dir = "${cni.confDir}"
    max_conf_num = 1
  [${cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [${cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
`;
}

/**
 * A pause image without a registry: busybox (static) sleeping, as a docker-archive tar that `ctr images import`
 * reads, written to `out` (built in a temp dir, removed after).
 */
export function pauseImageTar(out: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gannet-pause-'));
  try {
    mkdirSync(join(dir, 'rootfs/bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(dir, 'rootfs/bin/busybox'));
    chmodSync(join(dir, 'rootfs/bin/busybox'), 0o755);
    const img = join(dir, 'image');
    mkdirSync(join(img, 'layer'), { recursive: true });
    const layer = join(img, 'layer/layer.tar');
    execFileSync('tar', ['--owner=0', '--group=0', '--numeric-owner', '-C', join(dir, 'rootfs'), '-cf', layer, 'bin']);
    const diffId = execFileSync('sha256sum', [layer], { encoding: 'utf8' }).split(' ')[0];
    const config = {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/busybox', 'sleep', '2147483647'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [`sha256:${diffId}`] },
    };
    writeFileSync(join(img, 'config.json'), JSON.stringify(config));
    writeFileSync(
      join(img, 'manifest.json'),
      JSON.stringify([{ Config: 'config.json', RepoTags: [PAUSE_IMAGE], Layers: ['layer/layer.tar'] }]),
    );
    execFileSync('tar', ['-C', img, '-cf', out, 'manifest.json', 'config.json', 'layer']);
    return out;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The lab's conflist for a node: gannet-cni (the node's own state file and store) chained with portmap. */
export function labConflist(nodeDir: string): string {
  return `${JSON.stringify(
    {
      cniVersion: '1.0.0',
      name: 'gannet',
      plugins: [
        { type: 'gannet-cni', dataDir: `${nodeDir}/ipam`, nodeStateFile: `${nodeDir}/node-state.json` },
        { type: 'portmap', capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  )}\n`;
}

/** One lab node's containerd: its files under <nodeDir>/containerd, its CRI client. */
export class NodeContainerd {
  readonly dir: string;
  readonly cri: CriClient;

  constructor(
    readonly nodeDir: string,
    readonly netns: string,
  ) {
    this.dir = join(nodeDir, 'containerd');
    this.cri = new CriClient(join(this.dir, 'containerd.sock'));
  }

  get socket(): string {
    return join(this.dir, 'containerd.sock');
  }

  /** Writes the config, CNI bin dir and conflist, starts containerd (detached; returns its PID). */
  start(binDir: string): number {
    const cniBin = join(this.dir, 'cni-bin');
    const cniConf = join(this.dir, 'cni-conf');
    mkdirSync(cniBin, { recursive: true });
    mkdirSync(cniConf, { recursive: true });
    symlinkSync(join(binDir, 'gannet-cni'), join(cniBin, 'gannet-cni'));
    for (const p of ['loopback', 'portmap']) symlinkSync(join(REFERENCE_PLUGINS, p), join(cniBin, p));
    writeFileSync(join(cniConf, '05-gannet.conflist'), labConflist(this.nodeDir), { mode: 0o600 });
    const config = join(this.dir, 'containerd.toml');
    writeFileSync(config, containerdConfig(this.dir, { binDir: cniBin, confDir: cniConf }));
    const fd = openSync(join(this.dir, 'containerd.log'), 'a');
    try {
      // nsenter, not `ip netns exec`: that remounts /sys, and runc then finds no cgroup mount
      const child = spawn('nsenter', [`--net=/var/run/netns/${this.netns}`, CONTAINERD, '--config', config], {
        detached: true,
        stdio: ['ignore', fd, fd],
      });
      if (child.pid === undefined) throw new Error(`could not start containerd in ${this.netns}`);
      child.unref();
      return child.pid;
    } finally {
      closeSync(fd);
    }
  }

  /** True once the CRI answers (the socket exists before the CRI plugin has loaded). */
  async answers(): Promise<boolean> {
    if (!existsSync(this.socket)) return false;
    return await this.cri.version(2000).then(
      () => true,
      () => false,
    );
  }

  /** Imports the pause image (a tar made by pauseImageTar) into containerd's k8s.io namespace. */
  importPause(tar: string): void {
    execFileSync(CTR, ['--address', this.socket, '-n', 'k8s.io', 'images', 'import', tar], {
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 60_000,
    });
  }

  /** RunPodSandbox as a kubelet would; the sandbox, its address and its network namespace's name. */
  async runPod(
    name: string,
    uid: string,
    namespace = 'lab',
    labels: Record<string, string> = {},
  ): Promise<{ sandbox: string; ip: string; netns: string }> {
    const sandbox = await this.cri.runPodSandbox({
      name,
      namespace,
      uid,
      labels: { ...labels, 'gannet.dev/lab': 'true' },
    });
    const st = await this.cri.podSandboxStatus(sandbox, true);
    const path = sandboxNetnsPath(st.info);
    if (!st.ip || !path) throw new Error(`sandbox ${name} (${sandbox}) has no IP or network namespace`);
    return { sandbox, ip: st.ip, netns: path.split('/').at(-1) ?? '' };
  }

  /** Stops and removes every sandbox (the CNI DEL frees their network); bounded by the client's deadline. */
  async removeAll(): Promise<void> {
    for (const s of await this.cri.listPodSandbox()) {
      await this.cri.stopPodSandbox(s.id);
      await this.cri.removePodSandbox(s.id);
    }
  }

  /** PIDs of the sandboxes' shims (they name our socket) and pause processes (init.pid in containerd's state dir). */
  sandboxPids(): { pid: number; role: 'shim' | 'pause' }[] {
    const out: { pid: number; role: 'shim' | 'pause' }[] = shimPids(this.socket).map((pid) => ({ pid, role: 'shim' }));
    const tasks = join(this.dir, 'state/io.containerd.runtime.v2.task/k8s.io');
    if (!existsSync(tasks)) return out;
    for (const id of readdirSync(tasks)) {
      try {
        const pid = Number(readFileSync(join(tasks, id, 'init.pid'), 'utf8').trim());
        if (Number.isInteger(pid) && pid > 1) out.push({ pid, role: 'pause' });
      } catch {
        // not written
      }
    }
    return out;
  }
}

/**
 * What a stopped or crashed containerd leaves: its sandboxes' shims and pause processes (by the PID files in its state
 * dir, each checked to be ours before the kill), then the rootfs and shm mounts under the lab directory.
 */
export async function killContainerdLeftovers(labDir: string, nodes: readonly NodeContainerd[]): Promise<void> {
  for (const c of nodes) {
    for (const p of c.sandboxPids()) {
      // a shim names our socket on its command line; a pause process is busybox sleeping
      await stopPid(p.pid, p.role === 'shim' ? labDir : 'busybox', 'SIGKILL', 1000);
    }
  }
  for (const m of mountsUnder(labDir)) {
    try {
      execFileSync('umount', ['-l', m], { stdio: 'pipe' });
    } catch {
      // already gone
    }
  }
}

/** Where libcni (in containerd's CRI) caches attachment results: `<network>-<containerID>-<ifname>`. */
export const CNI_RESULTS_DIR = '/var/lib/cni/results';

/** Removes libcni's cached results of the given sandboxes (a crashed runtime never ran the DEL that removes them). */
export function removeCniCacheEntries(sandboxIds: readonly string[], dir = CNI_RESULTS_DIR): void {
  if (sandboxIds.length === 0 || !existsSync(dir)) return;
  for (const name of readdirSync(dir)) {
    if (sandboxIds.some((id) => name.includes(`-${id}-`))) rmSync(join(dir, name), { force: true });
  }
}

/** The containerd shims serving the containerd at `socket` (their command line names it: `-address SOCKET`). */
export function shimPids(socket: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.includes('containerd-shim') && args[args.indexOf('-address') + 1] === socket)
        pids.push(Number(entry));
    } catch {
      // gone
    }
  }
  return pids;
}

/** Mount points under `dir` (containerd's rootfs and shm mounts left by a crash), deepest first. */
export function mountsUnder(dir: string): string[] {
  const lines = readFileSync('/proc/self/mountinfo', 'utf8').split('\n');
  const points = lines.map((l) => l.split(' ')[4] ?? '').filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}
