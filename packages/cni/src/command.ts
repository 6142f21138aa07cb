// Running helper programs (iproute2, nsenter). Two shapes: run() waits for a program with its whole stdin (spawnSync);
// start() launches it at once and feeds its stdin later, so that its start-up (exec, dynamic linking) overlaps
// whatever the plugin does meanwhile. Both find the program on PATH, as a runtime's PATH gives it.
import { spawn, spawnSync } from 'node:child_process';
import { CniCode, CniError } from './errors.js';

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with optional stdin and waits for it. */
export type RunCommand = (cmd: string, args: readonly string[], input?: string) => CommandResult;

/** A program already started, waiting for its stdin. */
export interface StartedCommand {
  /** Writes `input`, closes stdin, resolves when the program exits (once; later calls return the same result). */
  finish(input: string): Promise<CommandResult>;
  /** Closes stdin unwritten so the program exits doing nothing (no-op once finished). */
  cancel(): void;
}

/** Starts a program whose stdin is fed later. */
export type StartCommand = (cmd: string, args: readonly string[]) => StartedCommand;

const TIMEOUT_MS = 20_000;

function cannotRun(cmd: string, err: Error): CniError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? `${cmd} not found on PATH (${process.env.PATH ?? 'PATH unset'})` : err.message;
  return new CniError(CniCode.IoFailure, `cannot run ${cmd}: ${why}`, '', { cause: err });
}

export const runCommand: RunCommand = (cmd, args, input) => {
  const r = spawnSync(cmd, args, { input: input ?? '', encoding: 'utf8', timeout: TIMEOUT_MS });
  if (r.error) throw cannotRun(cmd, r.error);
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

export const startCommand: StartCommand = (cmd, args) => {
  // no `timeout` option: Node keeps that timer running when the program cannot start (no 'exit' follows the
  // 'error'), which held every failed plugin run for the whole timeout; an unref'd timer of our own instead
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
  timer.unref();
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr += d;
  });
  child.stdin.on('error', () => {}); // EPIPE when the program is gone: its exit status tells why
  const exited = new Promise<CommandResult>((resolve, reject) => {
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(cannotRun(cmd, err));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ status: code ?? (signal ? 128 : -1), stdout, stderr });
    });
  });
  exited.catch(() => {}); // observed by finish(); a cancelled command's failure to start is nobody's concern
  let ended = false;
  return {
    finish(input) {
      if (!ended) {
        ended = true;
        child.stdin.end(input);
      }
      return exited;
    },
    cancel() {
      if (ended) return;
      ended = true;
      child.stdin.end();
    },
  };
};

/** A StartCommand over a RunCommand, for doubles: the program "runs" when finish() gives it its stdin. */
export function startOverRun(run: RunCommand): StartCommand {
  return (cmd, args) => {
    let result: Promise<CommandResult> | undefined;
    return {
      finish(input) {
        result ??= new Promise((resolve) => resolve(run(cmd, args, input)));
        return result;
      },
      cancel() {},
    };
  };
}
