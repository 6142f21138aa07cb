// Real routing daemons for interop tests: FRR's bgpd and BIRD 2, started by hand inside a test namespace with their
// own config file, control socket and PID file in a temp dir; stopped by PID. Never through system services.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Netns, SpawnedProcess, TestNet } from './netns.js';
import { sleep, waitFor } from './netns.js';

export const FRR_BGPD = '/usr/lib/frr/bgpd';
export const BIRD = '/usr/sbin/bird';

export interface Daemon {
  readonly pid: number;
  readonly dir: string;
  /** Output so far, for failure messages. */
  output(): string;
  /** SIGTERM by PID, SIGKILL after 3 s, then removes the temp dir. */
  stop(): Promise<void>;
}

async function stopProcess(proc: SpawnedProcess, dir: string): Promise<void> {
  try {
    process.kill(proc.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  const done = await Promise.race([proc.exited.then(() => true), sleep(3_000).then(() => false)]);
  if (!done) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

export interface Frr extends Daemon {
  /** Runs one vtysh command against this bgpd and returns its output. */
  vtysh(command: string): string;
  /** `show bgp <afi> unicast summary json` parsed. */
  summary(afi?: 'ipv4' | 'ipv6'): FrrSummary;
  /** `show bgp <afi> unicast json`: prefix → paths. */
  routes(afi?: 'ipv4' | 'ipv6'): Record<string, FrrPath[]>;
  /** Applies configuration lines in `configure terminal`. */
  configure(lines: string[]): string;
}

export interface FrrSummary {
  peers?: Record<string, { state: string; pfxRcd?: number; pfxSnt?: number; remoteAs: number }>;
}
export interface FrrPath {
  valid?: boolean;
  bestpath?: boolean;
  stale?: boolean;
  nexthops?: { ip: string }[];
  path?: string;
  aspath?: { string: string };
}

/** Starts FRR's bgpd (without zebra) in `ns` with `config` (bgpd.conf text); `port` is its BGP port (default 179). */
export async function startFrr(net: TestNet, ns: Netns, config: string, port = 179): Promise<Frr> {
  const dir = mkdtempSync(join(tmpdir(), 'gnt-frr-'));
  const conf = join(dir, 'bgpd.conf');
  writeFileSync(conf, config);
  const args = ['-f', conf, '-i', join(dir, 'bgpd.pid'), '-z', join(dir, 'zserv.api'), '--vty_socket', dir];
  // -n: no kernel VRF, -Z: no zebra, -S: stay root (no frr user / frrvty group needed)
  const proc = net.spawn(ns, FRR_BGPD, [...args, '-n', '-Z', '-S', '-p', String(port)]);
  const vtysh = (command: string) => ns.run('vtysh', ['--vty_socket', dir, '-c', command], { timeoutMs: 10_000 });
  try {
    await waitFor('bgpd vty socket', () => existsSync(join(dir, 'bgpd.vty')), { timeoutMs: 10_000 });
  } catch (err) {
    await stopProcess(proc, dir);
    throw new Error(`bgpd did not start: ${proc.output()}`, { cause: err });
  }
  return {
    pid: proc.pid,
    dir,
    output: proc.output,
    stop: () => stopProcess(proc, dir),
    vtysh,
    summary(afi = 'ipv4') {
      return JSON.parse(vtysh(`show bgp ${afi} unicast summary json`)) as FrrSummary;
    },
    routes(afi = 'ipv4') {
      const out = JSON.parse(vtysh(`show bgp ${afi} unicast json`)) as { routes?: Record<string, FrrPath[]> };
      return out.routes ?? {};
    },
    configure(lines) {
      return ns.run('vtysh', ['--vty_socket', dir, '-c', 'configure terminal', ...lines.flatMap((l) => ['-c', l])]);
    },
  };
}

export interface Bird extends Daemon {
  /** Runs one birdc command and returns its output (also when birdc exits non-zero). */
  birdc(command: string): string;
  /** The state of protocol `name` as `show protocols` prints it (e.g. 'up', 'start'), and its info column. */
  protocol(name: string): { state: string; info: string };
  /** Number of routes in table `table` (`show route count`). */
  routeCount(table?: string): number;
}

/** Starts BIRD 2 in the foreground in `ns` with `config` (bird.conf text). */
export async function startBird(net: TestNet, ns: Netns, config: string): Promise<Bird> {
  const dir = mkdtempSync(join(tmpdir(), 'gnt-bird-'));
  const conf = join(dir, 'bird.conf');
  const ctl = join(dir, 'bird.ctl');
  writeFileSync(conf, config);
  const proc = net.spawn(ns, BIRD, ['-f', '-c', conf, '-s', ctl, '-P', join(dir, 'bird.pid')]);
  // birdc exits non-zero for answers like "Network not found": keep its output either way.
  const birdc = (command: string) => {
    const r = ns.tryRun('birdc', ['-s', ctl, command], { timeoutMs: 10_000 });
    return r.stdout + r.stderr;
  };
  try {
    await waitFor('bird control socket', () => existsSync(ctl), { timeoutMs: 10_000 });
  } catch (err) {
    await stopProcess(proc, dir);
    throw new Error(`bird did not start: ${proc.output()}`, { cause: err });
  }
  return {
    pid: proc.pid,
    dir,
    output: proc.output,
    stop: () => stopProcess(proc, dir),
    birdc,
    protocol(name) {
      const line = birdc('show protocols')
        .split('\n')
        .find((l) => l.startsWith(`${name} `));
      const cols = (line ?? '').trim().split(/\s+/);
      return { state: cols[3] ?? 'missing', info: cols.slice(5).join(' ') };
    },
    routeCount(table = 'master4') {
      const m = /(\d+) of \d+ routes|(\d+) routes/.exec(birdc(`show route table ${table} count`));
      return Number(m?.[1] ?? m?.[2] ?? 0);
    },
  };
}
