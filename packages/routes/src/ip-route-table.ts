// The real KernelRouteTable: writes through a long-running `ip -force -batch -` helper, lists with
// `ip -j -N route show table T proto P` (IPv4 and IPv6), and watches with `ip -o -N monitor route`. Every list and
// every delete names the table AND the protocol, so routes of other programs are never read as ours or removed.
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { backoffDelay } from '@gannet/core';
import { IpBatchHelper, LineSplitter } from './ip-batch-helper.js';
import type { Family } from './ip-prefix.js';
import { formatBatchLine, parseJsonRoute, parseMonitorLine } from './ip-route-text.js';
import type { KernelRouteEvent, KernelRouteTable, RouteOp, RouteOpResult } from './kernel-route-table.js';
import type { NormalRoute } from './route.js';
import { RoutesError } from './routes-error.js';

/** The route monitor's restart delays after it exits: 100 ms doubling to 5 s. */
const MONITOR_BACKOFF = { initialMs: 100, maxMs: 5000 };

export interface IpRouteTableOptions {
  /** Network namespace name (`ip -n NAME`); the current namespace when absent. */
  netns?: string;
  /** Path of the ip binary (default `ip` from PATH). */
  ip?: string;
  /** Base time a batch may take before the helper is declared hung (default 30 s, plus 1 ms per 10 routes). */
  batchTimeoutMs?: number;
  /** Attempts for a dump that was interrupted or hit ENOBUFS (default 5). */
  listAttempts?: number;
  /**
   * Batches of at least this many operations pause the route monitor while they run (default 1,000): the kernel
   * echoing every write of ours to a listener halves its write rate. A `lost` event after the pause makes the
   * reconciler resync, so a change by someone else during the pause is still seen at once.
   */
  quietBatchOps?: number;
}

/** Dump errors worth another try: the table changed during the dump, or the socket buffer overflowed. */
const TRANSIENT = /Dump was interrupted|No buffer space|ENOBUFS|Interrupted system call|Resource temporarily/i;
const NETNS = /^[A-Za-z0-9_.-]{1,200}$/;
/** Listed routes parsed per turn of the event loop (≈ 3 ms each). */
const PARSE_SLICE = 2000;
/** One shared success result: a 100,000-route batch need not allocate 100,000 of them. */
const OK: RouteOpResult = Object.freeze({ ok: true });

interface IpRun {
  stdout: string;
  stderr: string;
  status: number | null;
}

export class IpRouteTable implements KernelRouteTable {
  private readonly ip: string;
  private readonly globalArgs: string[];
  private readonly listAttempts: number;
  private readonly helper: IpBatchHelper;
  private readonly listeners = new Set<(event: KernelRouteEvent) => void>();
  private monitor: ChildProcessByStdio<null, Readable, Readable> | undefined;
  private monitorRestart: NodeJS.Timeout | undefined;
  private monitorFailures = 0;
  private readonly quietBatchOps: number;
  /** Large batches in flight; the monitor is paused while this is above zero. */
  private quietBatches = 0;
  private closed = false;

  constructor(opts: IpRouteTableOptions = {}) {
    if (opts.netns !== undefined && !NETNS.test(opts.netns)) {
      throw new RoutesError('ERR_GANNET_ROUTES_INVALID_OPTION', `bad network namespace name ${opts.netns}`);
    }
    this.ip = opts.ip ?? 'ip';
    this.globalArgs = opts.netns ? ['-n', opts.netns] : [];
    this.listAttempts = Math.max(1, opts.listAttempts ?? 5);
    this.quietBatchOps = opts.quietBatchOps ?? 1000;
    this.helper = new IpBatchHelper({
      ip: this.ip,
      globalArgs: this.globalArgs,
      timeoutMs: opts.batchTimeoutMs ?? 30_000,
    });
  }

  /** PID of the batch helper process while it runs. */
  get helperPid(): number | undefined {
    return this.helper.pid;
  }

  /** PID of the route monitor process while it runs. */
  get monitorPid(): number | undefined {
    return this.monitor?.pid;
  }

  async list(table: number, protocol: number): Promise<NormalRoute[]> {
    // Both listings run at once, but are spawned in separate turns of the event loop: spawning forks this process,
    // which takes longer the larger it is (≈ 15 ms at 300 MB), and two in a row would hold the loop twice as long.
    const v4 = this.listFamily(4, table, protocol);
    v4.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    await new Promise<void>((resolve) => setImmediate(resolve));
    const v6 = await this.listFamily(6, table, protocol);
    return [...(await v4), ...v6];
  }

  async batch(ops: readonly RouteOp[], protocol: number): Promise<RouteOpResult[]> {
    if (ops.length === 0) return [];
    const quiet = ops.length >= this.quietBatchOps;
    if (quiet && this.quietBatches++ === 0) this.stopMonitor();
    let errors: (string | undefined)[];
    try {
      errors = await this.helper.run(ops.map((op) => formatBatchLine(op, protocol)));
    } finally {
      if (quiet && --this.quietBatches === 0 && this.listeners.size > 0 && !this.closed) {
        // Restarted off the batch's path (spawning from a large heap takes a few ms); the resync follows.
        setImmediate(() => {
          this.startMonitor();
          this.emit({ kind: 'lost', reason: `route monitor paused during a batch of ${ops.length} routes` });
        });
      }
    }
    return ops.map((op, i): RouteOpResult => {
      const err = errors[i];
      if (err === undefined) return OK;
      // Deleting what is already gone (or what belongs to another protocol, which the kernel will not match) is done.
      if (op.op === 'delete' && /No such process/.test(err)) return OK;
      if (op.op === 'add' && /File exists/.test(err)) {
        return { ok: false, reason: `${err} (another route holds ${op.route.dst} metric ${op.route.metric})` };
      }
      return { ok: false, reason: err };
    });
  }

  async replace(route: NormalRoute, protocol: number): Promise<RouteOpResult> {
    const [r] = await this.batch([{ op: 'replace', route }], protocol);
    return r as RouteOpResult;
  }

  async remove(route: NormalRoute, protocol: number): Promise<RouteOpResult> {
    const [r] = await this.batch([{ op: 'delete', route }], protocol);
    return r as RouteOpResult;
  }

  watch(listener: (event: KernelRouteEvent) => void): () => void {
    this.listeners.add(listener);
    if (!this.monitor && !this.monitorRestart && this.quietBatches === 0) this.startMonitor();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.stopMonitor();
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
    this.stopMonitor();
    await this.helper.close();
  }

  private async listFamily(family: Family, table: number, protocol: number): Promise<NormalRoute[]> {
    const args = [
      '-j',
      '-N',
      ...(family === 6 ? ['-6'] : []),
      'route',
      'show',
      'table',
      `${table}`,
      'proto',
      `${protocol}`,
    ];
    let last = '';
    for (let attempt = 1; attempt <= this.listAttempts; attempt++) {
      if (this.closed) throw new RoutesError('ERR_GANNET_ROUTES_CLOSED', 'the route table is closed');
      const r = await this.runIp(args);
      last = r.stderr.trim() || `status ${r.status}`;
      // A table the kernel has not created yet (no route ever went into it) holds no route of ours.
      if (r.status !== 0 && /FIB table does not exist/.test(r.stderr)) return [];
      if (r.status === 0 && !TRANSIENT.test(r.stderr)) {
        let parsed: unknown;
        try {
          parsed = r.stdout.trim() === '' ? [] : JSON.parse(r.stdout);
        } catch (err) {
          last = `unreadable JSON from ip (${(err as Error).message})`;
          continue;
        }
        if (!Array.isArray(parsed))
          throw new RoutesError('ERR_GANNET_ROUTES_LIST_FAILED', 'ip -j did not print a list');
        const out: NormalRoute[] = [];
        // In slices, with a turn of the event loop between them: reading 100,000 routes takes ≈ 150 ms of parsing.
        for (let i = 0; i < parsed.length; i++) {
          if (i > 0 && i % PARSE_SLICE === 0) await new Promise<void>((resolve) => setImmediate(resolve));
          const j = parsed[i];
          if (j.protocol !== undefined && j.protocol !== `${protocol}`) continue;
          const route = parseJsonRoute(j, family, table);
          if (route) out.push(route);
        }
        return out;
      }
      if (!TRANSIENT.test(r.stderr)) break;
    }
    throw new RoutesError('ERR_GANNET_ROUTES_LIST_FAILED', `ip ${args.join(' ')}: ${last}`);
  }

  private runIp(args: readonly string[]): Promise<IpRun> {
    return new Promise((resolve) => {
      const child = spawn(this.ip, [...this.globalArgs, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
      });
      child.on('error', (e) => resolve({ stdout: '', stderr: `could not run ${this.ip}: ${e.message}`, status: null }));
      child.on('close', (status) => resolve({ stdout: Buffer.concat(out).toString('utf8'), stderr: err, status }));
    });
  }

  private emit(event: KernelRouteEvent): void {
    for (const l of [...this.listeners]) l(event);
  }

  private startMonitor(): void {
    this.monitorRestart = undefined;
    if (this.closed || this.listeners.size === 0 || this.quietBatches > 0 || this.monitor) return;
    const proc = spawn(this.ip, [...this.globalArgs, '-o', '-N', 'monitor', 'route'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.monitor = proc;
    const out = new LineSplitter();
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (chunk: string) => {
      this.monitorFailures = 0;
      for (const line of out.push(chunk)) {
        const ev = parseMonitorLine(line);
        if (ev) this.emit({ kind: 'route', ...ev });
      }
    });
    const errs = new LineSplitter();
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => {
      for (const line of errs.push(chunk)) if (line.trim()) this.emit({ kind: 'lost', reason: line.trim() });
    });
    const gone = (why: string) => {
      if (this.monitor !== proc) return;
      this.monitor = undefined;
      if (this.closed || this.listeners.size === 0) return;
      this.emit({ kind: 'lost', reason: `route monitor ${why}` });
      const delay = backoffDelay(this.monitorFailures++, MONITOR_BACKOFF);
      this.monitorRestart = setTimeout(() => this.startMonitor(), delay);
      this.monitorRestart.unref();
    };
    proc.on('error', (e) => gone(`could not run (${e.message})`));
    proc.on('exit', (code, signal) => gone(`exited (${signal ?? `status ${code}`})`));
  }

  private stopMonitor(): void {
    if (this.monitorRestart) clearTimeout(this.monitorRestart);
    this.monitorRestart = undefined;
    const proc = this.monitor;
    this.monitor = undefined;
    proc?.kill('SIGTERM');
  }
}
