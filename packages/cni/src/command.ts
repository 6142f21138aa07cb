// Running helper programs (iproute2, nsenter) with spawnSync, found on PATH as a runtime's PATH gives them.
// (spawnSync on purpose: Node's async child processes load and set up stream pipes, ~5 ms of CPU per plugin run.)
// node:child_process is loaded on first use (process.getBuiltinModule), not at start-up: loading it costs ~1.5 ms,
// which VERSION, STATUS and a DEL or GC with nothing to delete never need.
import { CniCode, CniError } from './errors.js';

export interface CommandResult {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program with optional stdin and waits for it. */
export type RunCommand = (cmd: string, args: readonly string[], input?: string) => CommandResult;

const TIMEOUT_MS = 20_000;

function cannotRun(cmd: string, err: Error): CniError {
  const code = (err as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? `${cmd} not found on PATH (${process.env.PATH ?? 'PATH unset'})` : err.message;
  return new CniError(CniCode.IoFailure, `cannot run ${cmd}: ${why}`, '', { cause: err });
}

export const runCommand: RunCommand = (cmd, args, input) => {
  const { spawnSync } = process.getBuiltinModule('node:child_process');
  const r = spawnSync(cmd, args, { input: input ?? '', encoding: 'utf8', timeout: TIMEOUT_MS });
  // EPIPE: the program exited before reading all its input; it ran, and its status and stderr say why
  if (r.error && !((r.error as NodeJS.ErrnoException).code === 'EPIPE' && r.status !== null)) {
    throw cannotRun(cmd, r.error);
  }
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};
