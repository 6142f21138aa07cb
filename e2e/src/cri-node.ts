// A Kubernetes node without a kubelet, for the e2e tests and the CRI benchmark: a network namespace plus a private
// mount namespace (its own tmpfs /run/gannet, /var/lib/cni, /run/containerd and /run/netns, as a real node has them),
// in which a gannet agent and Debian's containerd run with their own config, root, state and socket under a temp dir
// (never the machine's service). Processes enter the node with `nsenter --net=… unshare -m` and `nsenter -t HOLDER -m
// -n` — not `ip netns exec`, which remounts /sys so that runc finds no cgroup mount. Everything the node starts is
// killed by PID at cleanup; the mount namespace (and every mount containerd made in it) goes with its last process.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { containerdConfig, PAUSE_IMAGE, pauseImageTar, shimPids } from '@gannet/controller';
import { CriClient } from './cri-client.js';
import { type Netns, sleep, type TestNet, waitFor } from './netns.js';

export const GANNET_BIN = fileURLToPath(new URL('../../../dist/bin', import.meta.url));
export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
/** Debian's containernetworking-plugins. */
export const REFERENCE_PLUGINS = '/usr/lib/cni';

/** Skips with a clear message unless containerd, ctr, runc and busybox (static) are installed. */
export function criPrerequisites(): string | undefined {
  for (const bin of ['/usr/bin/containerd', '/usr/bin/ctr', '/usr/sbin/runc', '/bin/busybox']) {
    if (!existsSync(bin)) return `${bin} is missing: apt-get install containerd busybox-static (scripts/setup.sh)`;
  }
  for (const p of ['loopback', 'portmap']) {
    if (!existsSync(join(REFERENCE_PLUGINS, p)))
      return `${REFERENCE_PLUGINS}/${p} is missing: apt-get install containernetworking-plugins`;
  }
  if (!existsSync(join(GANNET_BIN, 'gannet-cni'))) return `${GANNET_BIN}/gannet-cni is missing: run pnpm build`;
  return undefined;
}

/** The conflist deploy/configmap.yaml ships, exactly as the init container installs it: [file name, JSON text]. */
export function shippedConflist(): [string, string] {
  const yaml = readFileSync(join(REPO, 'deploy/configmap.yaml'), 'utf8');
  const m = /^ {2}(\S+\.conflist): \|\n((?: {4}.*\n?)+)/m.exec(yaml);
  if (!m) throw new Error('deploy/configmap.yaml: no `<name>.conflist: |` block under data');
  const text = (m[2] ?? '')
    .split('\n')
    .map((l) => l.slice(4))
    .join('\n');
  JSON.parse(text); // it must be JSON as shipped
  return [m[1] ?? '', text];
}

let pauseTar: string | undefined;

/** The pause image (controller's pauseImageTar: busybox sleeping, no registry), built once per process. */
function pauseImage(): string {
  if (pauseTar) return pauseTar;
  const dir = mkdtempSync(join(tmpdir(), 'gannet-pause-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  pauseTar = pauseImageTar(join(dir, 'pause.tar'));
  return pauseTar;
}

export interface CriNodeOptions {
  /** The node's name (also the agent's nodeName) and namespace label. */
  readonly name: string;
  /** CNI plugins to put in the bin dir besides gannet-cni (from /usr/lib/cni); default loopback and portmap. */
  readonly plugins?: readonly string[];
}

interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly exited: Promise<void>;
}

const live = new Set<CriNode>();
process.on('exit', () => {
  for (const n of live) n.destroySync();
});

/** One node: namespaces, optionally an agent, optionally containerd with a CRI client. */
export class CriNode {
  readonly ns: Netns;
  readonly dir: string;
  private holder: Started | undefined;
  private agent: Started | undefined;
  private containerd: Started | undefined;
  private criClient: CriClient | undefined;

  constructor(
    net: TestNet,
    readonly options: CriNodeOptions,
  ) {
    this.ns = net.ns(options.name);
    this.dir = mkdtempSync(join(tmpdir(), `gannet-cri-${options.name}-`));
    chmodSync(this.dir, 0o755);
    for (const d of ['cni-bin', 'cni-conf', 'root', 'state']) mkdirSync(join(this.dir, d));
    copyFileSync(join(GANNET_BIN, 'gannet-cni'), join(this.dir, 'cni-bin/gannet-cni'));
    chmodSync(join(this.dir, 'cni-bin/gannet-cni'), 0o755);
    for (const p of options.plugins ?? ['loopback', 'portmap']) {
      symlinkSync(join(REFERENCE_PLUGINS, p), join(this.dir, 'cni-bin', p));
    }
    live.add(this);
  }

  /** Makes the private mount namespace (tmpfs over /run/gannet, /var/lib/cni, /run/containerd). */
  async start(): Promise<void> {
    this.ns.run('sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const script = [
      'set -e',
      'mkdir -p /run/gannet /var/lib/cni /run/containerd /run/netns',
      'mount -t tmpfs -o mode=0755 gannet /run/gannet',
      'mount -t tmpfs -o mode=0755 cni /var/lib/cni',
      'mount -t tmpfs -o mode=0711 containerd /run/containerd',
      // containerd's pod namespaces where a real node has them (/var/run/netns/cni-…, so gannet-cni takes its
      // `ip -n` path), in this node only
      'mount -t tmpfs -o mode=0755 netns /run/netns',
      'echo ready',
      'exec sleep 86400',
    ].join('\n');
    const holder = this.spawnRaw(
      'nsenter',
      [`--net=/var/run/netns/${this.ns.name}`, 'unshare', '-m', '--propagation', 'private', 'sh', '-c', script],
      join(this.dir, 'holder.log'),
    );
    this.holder = holder;
    await waitFor('the node holder', () => readFileSync(join(this.dir, 'holder.log'), 'utf8').includes('ready'), {
      timeoutMs: 10_000,
      intervalMs: 20,
    });
  }

  private get holderPid(): number {
    if (!this.holder) throw new Error(`node ${this.options.name} is not started`);
    return this.holder.pid;
  }

  /** A path inside the node's mount namespace, as the test process can read it. */
  path(p: string): string {
    return `/proc/${this.holderPid}/root${p}`;
  }

  /** Runs a command in the node (its network and mount namespaces); stdout, or throws with stderr. */
  exec(
    cmd: string,
    args: readonly string[],
    opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
  ): string {
    const r = spawnSync('nsenter', ['-t', String(this.holderPid), '-m', '-n', cmd, ...args], {
      encoding: 'utf8',
      input: opts.input ?? '',
      env: opts.env ?? process.env,
      timeout: opts.timeoutMs ?? 30_000,
    });
    if (r.status !== 0)
      throw new Error(
        `${cmd} ${args.join(' ')} in ${this.options.name}: exit ${r.status}: ${r.stderr}${r.error ?? ''}`,
      );
    return r.stdout;
  }

  private spawnRaw(cmd: string, args: readonly string[], log: string, env?: NodeJS.ProcessEnv): Started {
    writeFileSync(log, '', { flag: 'a' });
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
    if (child.pid === undefined) throw new Error(`could not start ${cmd}`);
    const append = (d: Buffer) => writeFileSync(log, d, { flag: 'a' });
    child.stdout?.on('data', append);
    child.stderr?.on('data', append);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    return { child, pid: child.pid, exited };
  }

  private spawnIn(cmd: string, args: readonly string[], log: string, env?: NodeJS.ProcessEnv): Started {
    return this.spawnRaw('nsenter', ['-t', String(this.holderPid), '-m', '-n', cmd, ...args], log, env);
  }

  /**
   * Starts `gannet agent` with a standalone config (its node state file at the default /run/gannet). With a conflist
   * ([file name, text], as the ConfigMap holds it) the agent installs it into containerd's conf dir once it knows its
   * pod CIDR, as the DaemonSet has it do (GANNET_CNI_CONFLIST, GANNET_CNI_NET_DIR).
   */
  startAgent(configYaml: string, conflist?: [string, string]): void {
    const cfg = join(this.dir, 'gannet.yaml');
    writeFileSync(cfg, configYaml);
    const env = { ...process.env };
    if (conflist) {
      mkdirSync(join(this.dir, 'configmap'), { recursive: true });
      writeFileSync(join(this.dir, 'configmap', conflist[0]), conflist[1]);
      env.GANNET_CNI_CONFLIST = join(this.dir, 'configmap', conflist[0]);
      env.GANNET_CNI_NET_DIR = join(this.dir, 'cni-conf');
    }
    this.agent = this.spawnIn(join(GANNET_BIN, 'gannet'), ['agent', '--config', cfg], join(this.dir, 'agent.log'), env);
  }

  /** The files in containerd's CNI conf dir. */
  cniConfFiles(): string[] {
    return readdirSync(join(this.dir, 'cni-conf')).filter((f) => !f.startsWith('.'));
  }

  /** The node state file the agent wrote (undefined while there is none). */
  nodeState(): { podCIDRs: string[]; mtu?: number } | undefined {
    try {
      return JSON.parse(readFileSync(this.path('/run/gannet/node-state.json'), 'utf8'));
    } catch {
      return undefined;
    }
  }

  /** Installs a CNI config file in containerd's conf dir (written aside and renamed). */
  installConflist(name: string, text: string): void {
    const tmp = join(this.dir, 'cni-conf', `.${name}.tmp`);
    writeFileSync(tmp, text, { mode: 0o600 });
    renameSync(tmp, join(this.dir, 'cni-conf', name));
  }

  get socket(): string {
    return join(this.dir, 'containerd.sock');
  }

  get cri(): CriClient {
    if (!this.criClient) throw new Error(`containerd is not running in ${this.options.name}`);
    return this.criClient;
  }

  /** Starts containerd (config under the temp dir), waits for its CRI, imports the pause image once. */
  async startContainerd(env?: NodeJS.ProcessEnv): Promise<void> {
    const config = join(this.dir, 'containerd.toml');
    rmSync(this.socket, { force: true }); // a previous run's: wait for this one's
    if (!existsSync(config))
      writeFileSync(
        config,
        containerdConfig(this.dir, { binDir: join(this.dir, 'cni-bin'), confDir: join(this.dir, 'cni-conf') }),
      );
    this.containerd = this.spawnIn('/usr/bin/containerd', ['--config', config], join(this.dir, 'containerd.log'), env);
    const exited = this.containerd.exited;
    let dead = false;
    void exited.then(() => {
      dead = true;
    });
    await waitFor(
      `containerd's socket in ${this.options.name}`,
      () => {
        if (dead) throw new Error(`containerd exited: ${this.log('containerd').slice(-2000)}`);
        return existsSync(this.socket);
      },
      { timeoutMs: 20_000, intervalMs: 20 },
    );
    this.criClient = new CriClient(this.socket);
    const cri = this.criClient;
    // the socket answers before the CRI plugin has recovered its sandboxes ("server is not initialized yet")
    await waitFor(
      `containerd's CRI in ${this.options.name}`,
      () =>
        cri.version(2000).then(
          () => true,
          () => false,
        ),
      {
        timeoutMs: 20_000,
        intervalMs: 50,
      },
    );
    if (
      !this.exec('/usr/bin/ctr', ['--address', this.socket, '-n', 'k8s.io', 'images', 'ls', '-q']).includes(PAUSE_IMAGE)
    ) {
      this.exec('/usr/bin/ctr', ['--address', this.socket, '-n', 'k8s.io', 'images', 'import', pauseImage()]);
    }
  }

  /** Stops containerd (SIGTERM by PID, SIGKILL after 5 s); its shims and sandboxes keep running. */
  async stopContainerd(): Promise<void> {
    this.criClient?.close();
    this.criClient = undefined;
    const c = this.containerd;
    this.containerd = undefined;
    if (c) await stop(c, 5000);
  }

  log(what: 'containerd' | 'agent' | 'holder'): string {
    try {
      return readFileSync(join(this.dir, `${what}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  /** The sandboxes' processes: shims (they name our socket), pause (init.pid in containerd's state dir). */
  private sandboxPids(): number[] {
    const pids = shimPids(this.socket);
    const tasks = join(this.dir, 'state/io.containerd.runtime.v2.task/k8s.io');
    let ids: string[] = [];
    try {
      ids = readdirSync(tasks);
    } catch {
      return pids;
    }
    for (const id of ids) {
      try {
        const pid = Number(readFileSync(join(tasks, id, 'init.pid'), 'utf8').trim());
        if (Number.isInteger(pid) && pid > 1) pids.push(pid);
      } catch {
        // not written (yet)
      }
    }
    return pids;
  }

  /**
   * Removes every sandbox still known to containerd (stop, remove: the CNI DEL frees its network), then kills the
   * node's processes by PID and removes the temp dir. Bounded; safe to call twice.
   */
  async destroy(): Promise<void> {
    if (this.criClient) {
      try {
        for (const s of await this.cri.listPodSandbox()) {
          await this.cri.stopPodSandbox(s.id).catch(() => {});
          await this.cri.removePodSandbox(s.id).catch(() => {});
        }
      } catch {
        // containerd is not answering: the PIDs below
      }
    }
    await this.stopContainerd();
    for (const pid of this.sandboxPids()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    if (this.agent) await stop(this.agent, 3000);
    this.agent = undefined;
    if (this.holder) await stop(this.holder, 2000);
    this.holder = undefined;
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }

  /** Last resort when the process exits early: SIGKILL by PID (containerd, sandboxes, agent, holder), temp dir. */
  destroySync(): void {
    const pids = [this.containerd?.pid, ...this.sandboxPids(), this.agent?.pid, this.holder?.pid];
    for (const pid of pids) {
      if (pid === undefined) continue;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    live.delete(this);
  }
}

async function stop(p: Started, graceMs: number): Promise<void> {
  try {
    process.kill(p.pid, 'SIGTERM');
  } catch {
    return;
  }
  const done = await Promise.race([p.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      // gone
    }
    await Promise.race([p.exited, sleep(1000)]);
  }
}
