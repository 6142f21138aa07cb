// The few host operations the lab needs: iproute2 in namespaces, detached daemons started by PID, process checks.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 20_000 });
}

/** Runs a command in a namespace; resolves with stdout, rejects with stderr in the message. */
export async function inNs(
  ns: string,
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {},
): Promise<string> {
  if (opts.input !== undefined) {
    return await new Promise((resolve, reject) => {
      const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
        env: opts.env ?? process.env,
        stdio: ['pipe', 'pipe', 'pipe'],
        timeout: opts.timeoutMs ?? 20_000,
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d;
      });
      child.stderr.on('data', (d: Buffer) => {
        err += d;
      });
      child.on('error', reject);
      child.on('close', (code) =>
        code === 0
          ? resolve(out)
          : reject(
              Object.assign(new Error(`${cmd} in ${ns}: ${err.trim() || out.trim() || `exit ${code}`}`), {
                stdout: out,
                code,
              }),
            ),
      );
      child.stdin.end(opts.input);
    });
  }
  const { stdout } = await execFileP('ip', ['netns', 'exec', ns, cmd, ...args], {
    env: opts.env ?? process.env,
    timeout: opts.timeoutMs ?? 20_000,
    encoding: 'utf8',
  });
  return stdout;
}

export { isLabNamespace as isLabNs } from './topology.js';

export function listNetns(): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

/** Starts a long-running process in a namespace, detached from us, output appended to `logFile`; returns its PID. */
export function spawnDetached(
  ns: string,
  cmd: string,
  args: string[],
  logFile: string,
  env?: NodeJS.ProcessEnv,
): number {
  const fd = openSync(logFile, 'a');
  try {
    // `ip netns exec` enters the namespace and execs the command: the PID we get is the daemon's own.
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: env ?? process.env,
    });
    if (child.pid === undefined) throw new Error(`could not start ${cmd} in ${ns}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** True when PID is alive and its command line mentions `marker` (guards against a reused PID). */
export function pidIsOurs(pid: number, marker: string): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return cmdline.includes(marker) && !/\) Z /.test(stat);
  } catch {
    return false;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** State letter and start time (clock ticks after boot) of a process, from /proc/PID/stat; undefined when none. */
function procStat(pid: number): { state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // after "pid (comm) ": state is field 3, starttime field 22 (comm may hold spaces and parentheses)
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '', start: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** True once the process `pid` that started at `start` has exited: gone, a zombie, or its PID reused. */
function exited(pid: number, start: string): boolean {
  const s = procStat(pid);
  return s === undefined || s.state === 'Z' || s.state === 'X' || s.start !== start;
}

/**
 * Sends `signal`, waits up to `graceMs` for the process to exit, then SIGKILL. Only for PIDs we started (checked by
 * `marker` before signalling). Returns once the process has exited: an exiting process loses its command line before
 * it has closed its sockets, so "no longer ours" is not "gone" (a restarted agent would find port 179 still taken).
 */
export async function stopPid(
  pid: number,
  marker: string,
  signal: NodeJS.Signals = 'SIGTERM',
  graceMs = 5000,
): Promise<void> {
  const start = procStat(pid)?.start;
  if (start === undefined || !pidIsOurs(pid, marker)) return;
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && !exited(pid, start)) await sleep(50);
  if (!exited(pid, start)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
    for (let i = 0; i < 100 && !exited(pid, start); i++) await sleep(50);
  }
}

export function readPidFile(path: string): number | undefined {
  if (!existsSync(path)) return undefined;
  const pid = Number(readFileSync(path, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Runs `fn` over items with at most `limit` in flight. */
export async function pool<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
