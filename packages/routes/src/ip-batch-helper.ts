// A long-running `ip -force -batch -` process fed over stdin. Each batch is followed by a sentinel line (an unknown
// ip object, which fails without touching the kernel); iproute2 in -force mode prints `Command failed -:N` on stderr
// for every failed line N after that line's own error text, so when the sentinel's line number shows up, every line
// before it has been executed and each failure is attributed to its line. Batches are pipelined: a new batch is
// written at once, behind those still running, so ip never waits for us between batches.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { RoutesError } from './routes-error.js';

const FAILED = /^Command failed -:(\d+)$/;

interface PendingBatch {
  start: number;
  count: number;
  sentinelLine: number;
  errors: (string | undefined)[];
  resolve: (errors: (string | undefined)[]) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

export interface IpBatchHelperOptions {
  /** The ip binary. */
  ip: string;
  /** Global options before `-force -batch -`, e.g. `-n NAME`. */
  globalArgs: readonly string[];
  /** A batch still unfinished after this long (plus 1 ms per 10 lines) kills the helper. */
  timeoutMs: number;
}

/** Splits a byte stream into lines, keeping the unfinished tail for the next chunk. */
export class LineSplitter {
  private rest = '';

  push(chunk: string): string[] {
    const text = this.rest + chunk;
    const lines = text.split('\n');
    this.rest = lines.pop() ?? '';
    return lines;
  }
}

export class IpBatchHelper {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private lineNo = 0;
  /** Batches written and not yet finished, in line order. */
  private pending: PendingBatch[] = [];
  private errorText: string[] = [];
  private stderrTail = '';
  private closed = false;

  constructor(private readonly opts: IpBatchHelperOptions) {}

  /** PID of the running helper, if any (tests kill it to check recovery). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /**
   * Runs the lines after those of earlier calls; resolves with one entry per line: undefined when it succeeded, else
   * the error text. Rejects (HELPER_EXITED) when the helper dies or hangs before the batch finished.
   */
  run(lines: readonly string[]): Promise<(string | undefined)[]> {
    return this.runNow(lines);
  }

  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    if (!proc) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.stdin.end();
    const timer = setTimeout(() => proc.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(timer);
  }

  private runNow(lines: readonly string[]): Promise<(string | undefined)[]> {
    if (this.closed) return Promise.reject(new RoutesError('ERR_GANNET_ROUTES_CLOSED', 'the route table is closed'));
    const proc = this.ensureProcess();
    const start = this.lineNo + 1;
    this.lineNo += lines.length + 1;
    const sentinelLine = this.lineNo;
    return new Promise((resolve, reject) => {
      // Lines still queued ahead of this batch count towards its deadline too.
      const queued = this.pending.reduce((n, b) => n + b.count, 0) + lines.length;
      const timeoutMs = this.opts.timeoutMs + Math.ceil(queued / 10);
      const timer = setTimeout(() => {
        this.failAll(`ip -batch gave no answer within ${timeoutMs} ms`);
        proc.kill('SIGKILL');
      }, timeoutMs);
      timer.unref();
      this.pending.push({
        start,
        count: lines.length,
        sentinelLine,
        errors: new Array(lines.length),
        resolve,
        reject,
        timer,
      });
      const body = lines.length > 0 ? `${lines.join('\n')}\n` : '';
      proc.stdin.write(`${body}gannet-sentinel-${sentinelLine}\n`);
    });
  }

  private ensureProcess(): ChildProcessWithoutNullStreams {
    if (this.proc) return this.proc;
    const proc = spawn(this.opts.ip, [...this.opts.globalArgs, '-force', '-batch', '-'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.proc = proc;
    this.lineNo = 0;
    this.stderrTail = '';
    const splitter = new LineSplitter();
    proc.stderr.setEncoding('utf8');
    proc.stderr.on('data', (chunk: string) => {
      for (const line of splitter.push(chunk)) this.onStderrLine(line);
    });
    proc.stdout.resume();
    proc.stdin.on('error', () => {
      // EPIPE when the helper died: the exit handler reports it.
    });
    const gone = (why: string) => {
      if (this.proc !== proc) return;
      this.proc = undefined;
      const tail = this.stderrTail.trim();
      this.failAll(`ip -batch helper ${why}${tail ? `: ${tail}` : ''}`);
    };
    proc.on('error', (err) => gone(`could not run (${err.message})`));
    proc.on('exit', (code, signal) => gone(`exited (${signal ?? `status ${code}`})`));
    return proc;
  }

  private onStderrLine(line: string): void {
    this.stderrTail = (this.stderrTail + line + '\n').slice(-400);
    const m = FAILED.exec(line);
    if (!m) {
      if (this.errorText.length < 8) this.errorText.push(line.trim());
      return;
    }
    const n = Number(m[1]);
    const text = this.errorText.filter(Boolean).join('; ') || 'command failed';
    this.errorText = [];
    const cur = this.pending.find((b) => n <= b.sentinelLine);
    if (!cur) return;
    if (n === cur.sentinelLine) {
      // Batches finish in order: everything before this sentinel is done.
      clearTimeout(cur.timer);
      this.pending.splice(this.pending.indexOf(cur), 1);
      cur.resolve(cur.errors);
    } else if (n >= cur.start && n < cur.start + cur.count) {
      cur.errors[n - cur.start] = text;
    }
  }

  private failAll(message: string): void {
    const batches = this.pending;
    this.pending = [];
    for (const b of batches) {
      clearTimeout(b.timer);
      b.reject(new RoutesError('ERR_GANNET_ROUTES_HELPER_EXITED', message));
    }
  }
}
