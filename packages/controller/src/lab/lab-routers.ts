// The fabric's routers as processes: FRR (zebra + bgpd) or BIRD 2 per router namespace, each with its own directory
// (configs, sockets, PID files, logs) under the lab's; started and stopped by the PIDs we spawned.
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { readPidFile, sleep, spawnDetached, stopPid } from './lab-host.js';
import type { PlannedRouter } from './plan-types.js';
import { birdConfig, frrConfig } from './router-config.js';
import type { LabPlan } from './topology.js';

export interface RouterHost {
  /** The lab's directory. */
  readonly dir: string;
  readonly plan: LabPlan;
  track(role: string, pid: number): void;
}

/** The process role of a router's daemon in the lab's state (the flat lab's one router keeps its plain names). */
export function routerRole(r: PlannedRouter, daemon: string): string {
  return r.name === 'router' ? daemon : `${daemon}:${r.name}`;
}

export function routerDir(labDir: string, r: PlannedRouter): string {
  return join(labDir, r.name);
}

export const ROUTER_DAEMONS = { frr: ['zebra', 'bfdd', 'bgpd'], bird: ['bird'] } as const;

export async function startRouter(host: RouterHost, r: PlannedRouter): Promise<void> {
  const dir = routerDir(host.dir, r);
  mkdirSync(dir, { recursive: true });
  if (r.kind === 'frr') {
    // FRR drops privileges to its own user: it must own its directory and be able to reach it.
    for (const d of [dirname(host.dir), host.dir]) chmodSync(d, statSync(d).mode | 0o011);
    chownFrr(dir);
    const conf = frrConfig(host.plan, dir, r);
    writeFileSync(join(dir, 'zebra.conf'), conf.zebra);
    writeFileSync(join(dir, 'bgpd.conf'), conf.bgpd);
    if (conf.bfdd) writeFileSync(join(dir, 'bfdd.conf'), conf.bfdd);
    chownFrr(dir);
    // a restart: the old daemons' sockets would look like the new ones being ready
    for (const f of ['zserv.api', 'bgpd.vty', 'zebra.vty', 'bfdd.vty', 'bfdd.sock'])
      if (existsSync(join(dir, f))) rmQuiet(join(dir, f));
    const common = ['-z', join(dir, 'zserv.api'), '--vty_socket', dir, '-u', 'frr', '-g', 'frr', '-P', '0'];
    const zebra = spawnDetached(
      r.ns,
      '/usr/lib/frr/zebra',
      ['-f', join(dir, 'zebra.conf'), '-i', join(dir, 'zebra.pid'), ...common],
      join(dir, 'zebra.out'),
    );
    host.track(routerRole(r, 'zebra'), zebra);
    await waitFile('zebra to start', join(dir, 'zserv.api'), join(dir, 'zebra.out'));
    if (conf.bfdd) {
      const bfdd = spawnDetached(
        r.ns,
        '/usr/lib/frr/bfdd',
        ['-f', join(dir, 'bfdd.conf'), '-i', join(dir, 'bfdd.pid'), ...common, '--bfdctl', join(dir, 'bfdd.sock')],
        join(dir, 'bfdd.out'),
      );
      host.track(routerRole(r, 'bfdd'), bfdd);
      await waitFile('bfdd to start', join(dir, 'bfdd.vty'), join(dir, 'bfdd.out'));
    }
    const bgpd = spawnDetached(
      r.ns,
      '/usr/lib/frr/bgpd',
      ['-f', join(dir, 'bgpd.conf'), '-i', join(dir, 'bgpd.pid'), ...common],
      join(dir, 'bgpd.out'),
    );
    host.track(routerRole(r, 'bgpd'), bgpd);
    await waitFile('bgpd to start', join(dir, 'bgpd.vty'), join(dir, 'bgpd.out'));
  } else {
    writeFileSync(join(dir, 'bird.conf'), birdConfig(host.plan, dir, r));
    if (existsSync(join(dir, 'bird.ctl'))) rmQuiet(join(dir, 'bird.ctl'));
    const pid = spawnDetached(
      r.ns,
      '/usr/sbin/bird',
      ['-f', '-c', join(dir, 'bird.conf'), '-s', join(dir, 'bird.ctl'), '-P', join(dir, 'bird.pid')],
      join(dir, 'bird.out'),
    );
    host.track(routerRole(r, 'bird'), pid);
    await waitFile('bird to start', join(dir, 'bird.ctl'), join(dir, 'bird.out'));
  }
}

/** Stops a router's daemons (by the PIDs we recorded, and those in its PID files): SIGKILL is a crash. */
export async function stopRouter(
  host: RouterHost,
  processes: { role: string; pid: number }[],
  r: PlannedRouter,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  const roles = new Set(ROUTER_DAEMONS[r.kind].map((d) => routerRole(r, d)));
  const pids = processes.filter((p) => roles.has(p.role)).map((p) => p.pid);
  for (const d of ROUTER_DAEMONS[r.kind]) {
    const pid = readPidFile(join(routerDir(host.dir, r), `${d}.pid`));
    if (pid !== undefined && !pids.includes(pid)) pids.push(pid);
  }
  // bgpd before zebra (as FRR's own scripts stop them)
  for (const pid of pids.reverse()) await stopPid(pid, host.dir, signal, 5000);
}

function rmQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone
  }
}

async function waitFile(what: string, file: string, log: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < 1000 && Date.now() <= deadline; i++) {
    if (existsSync(file)) return;
    await sleep(50);
  }
  const tail = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-5).join(' | ') : '';
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${tail ? `: ${tail}` : ''}`);
}

function chownFrr(dir: string): void {
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('frr:'));
  if (!passwd) throw new Error('the frr user does not exist: install Debian package frr (bash scripts/setup.sh does)');
  const [, , uid, gid] = passwd.split(':');
  chownSync(dir, Number(uid), Number(gid));
  for (const f of ['zebra.conf', 'bgpd.conf', 'bfdd.conf'])
    if (existsSync(join(dir, f))) chownSync(join(dir, f), Number(uid), Number(gid));
}
