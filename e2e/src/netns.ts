// Throwaway network namespaces for e2e tests and benchmarks. A TestNet owns everything it makes (namespaces and the
// processes it started) and removes exactly that, also when a test fails or the process exits early.
import { type ChildProcess, execFileSync, type SpawnOptions, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';

/** Every namespace a test makes is named `gnt-t<hex>-<label>`; the lab uses `gnt-<lab>-…`. */
export const TEST_NS_PREFIX = 'gnt-t';

const live = new Set<TestNet>();
process.on('exit', () => {
  for (const net of live) net.cleanupSync();
});

export interface RunResult {
  stdout: string;
  stderr: string;
  status: number;
}

/** A named network namespace; commands run in it through `ip netns exec`. */
export class Netns {
  constructor(readonly name: string) {}

  /** Runs a command in the namespace and returns its stdout; throws with stderr on a non-zero exit. */
  run(cmd: string, args: readonly string[] = [], opts: { input?: string; timeoutMs?: number } = {}): string {
    return execFileSync('ip', ['netns', 'exec', this.name, cmd, ...args], {
      encoding: 'utf8',
      input: opts.input,
      timeout: opts.timeoutMs ?? 30_000,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  }

  /** Like run(), but returns the exit status instead of throwing. */
  tryRun(cmd: string, args: readonly string[] = [], opts: { timeoutMs?: number } = {}): RunResult {
    try {
      return { stdout: this.run(cmd, args, opts), stderr: '', status: 0 };
    } catch (err) {
      const e = err as { stdout?: string; stderr?: string; status?: number | null };
      return { stdout: e.stdout ?? '', stderr: e.stderr ?? String(err), status: e.status ?? -1 };
    }
  }

  /** `ip …` inside the namespace. */
  ip(...args: string[]): string {
    return this.run('ip', args);
  }

  /** True when `count` pings to `addr` from this namespace all come back (bounded: 1 s wait each). */
  ping(addr: string, count = 1): boolean {
    return this.tryRun('ping', ['-n', '-q', '-c', String(count), '-i', '0.2', '-W', '1', addr]).status === 0;
  }
}

export interface SpawnedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Output collected so far (stdout and stderr interleaved), for failure messages. */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has ended. */
  readonly exited: Promise<number | string>;
}

/** Owns namespaces and processes made for one test or benchmark; cleanup() removes exactly those. */
export class TestNet {
  readonly id: string;
  private readonly namespaces: Netns[] = [];
  private readonly procs: SpawnedProcess[] = [];

  /** @param tag a short label for the namespace names (letters and digits). */
  constructor(readonly tag = 'x') {
    this.id = randomBytes(3).toString('hex');
    live.add(this);
  }

  /** Creates namespace `gnt-t<id>-<label>` with loopback up. */
  ns(label: string): Netns {
    const name = `${TEST_NS_PREFIX}${this.id}-${this.tag}-${label}`;
    execFileSync('ip', ['netns', 'add', name], { stdio: 'pipe' });
    const ns = new Netns(name);
    this.namespaces.push(ns);
    ns.ip('link', 'set', 'lo', 'up');
    return ns;
  }

  /** A veth pair between two namespaces, both ends up, with optional addresses (CIDR notation). */
  link(a: Netns, ifA: string, b: Netns, ifB: string, addrA?: string, addrB?: string): void {
    execFileSync('ip', ['link', 'add', ifA, 'netns', a.name, 'type', 'veth', 'peer', 'name', ifB, 'netns', b.name], {
      stdio: 'pipe',
    });
    if (addrA) a.ip('addr', 'add', addrA, 'dev', ifA);
    if (addrB) b.ip('addr', 'add', addrB, 'dev', ifB);
    a.ip('link', 'set', ifA, 'up');
    b.ip('link', 'set', ifB, 'up');
  }

  /** Starts a long-running process inside a namespace; it is killed by PID at cleanup. */
  spawn(ns: Netns, cmd: string, args: readonly string[], opts: SpawnOptions = {}): SpawnedProcess {
    const child = spawn('ip', ['netns', 'exec', ns.name, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    if (child.pid === undefined) throw new Error(`could not start ${cmd} in ${ns.name}`);
    let out = '';
    const keep = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.length > 256 * 1024) out = out.slice(-128 * 1024);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const exited = new Promise<number | string>((resolve) => {
      child.once('exit', (code, signal) => resolve(code ?? signal ?? -1));
    });
    const proc: SpawnedProcess = { child, pid: child.pid, output: () => out, exited };
    this.procs.push(proc);
    return proc;
  }

  /** Records a process started some other way (for example a daemon that writes its own PID file). */
  adopt(pid: number): void {
    const exited = new Promise<number | string>(() => {});
    this.procs.push({ child: undefined as unknown as ChildProcess, pid, output: () => '', exited });
  }

  /** Kills the processes it started (by PID), then deletes the namespaces it made. Safe to call twice. */
  async cleanup(): Promise<void> {
    for (const p of this.procs.splice(0)) {
      killPid(p.pid, 'SIGTERM');
      const done = await Promise.race([p.exited.then(() => true), sleep(2000).then(() => false)]);
      if (!done) killPid(p.pid, 'SIGKILL');
    }
    this.cleanupSync();
  }

  /** Synchronous last resort (process exit): SIGKILL by PID, delete the namespaces. */
  cleanupSync(): void {
    for (const p of this.procs.splice(0)) killPid(p.pid, 'SIGKILL');
    for (const ns of this.namespaces.splice(0).reverse()) {
      try {
        execFileSync('ip', ['netns', 'del', ns.name], { stdio: 'pipe' });
      } catch {
        // already gone
      }
    }
    live.delete(this);
  }
}

function killPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `intervalMs` until it returns true or `timeoutMs` passes; bounded in count and time. */
export async function waitFor(
  what: string,
  check: () => boolean | Promise<boolean>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const maxTries = Math.ceil(timeoutMs / intervalMs) + 1;
  for (let i = 0; i < maxTries && Date.now() <= deadline; i++) {
    if (await check()) return;
    await sleep(intervalMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
