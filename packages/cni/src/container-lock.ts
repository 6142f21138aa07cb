// One lock per container, so that ADD and DEL for the same container never interleave (a DEL run between an ADD's
// reservation and its wiring would free the claim of a pod that is then wired). Node has no flock(2), so the lock is
// a file, `<store>/.lock-<containerID>`, that exists while a process holds it:
//
// - acquire: the holder's record "PID starttime nonce" is written to a temp file that is then link(2)ed to the lock
//   name; link never replaces a name, so exactly one process gets it, and the lock is never seen half-written;
// - a waiter reads the record: while that process lives (same PID *and* same start time in /proc/PID/stat, so a
//   recycled PID does not keep a dead holder's lock) it sleeps and tries again, for at most `timeoutMs`, then gives
//   up with code 11 (try again later): the plugin never hangs;
// - a holder that died (SIGKILL, OOM, power loss) leaves a stale lock. A waiter breaks it by rename(2)ing it to a
//   private name and reading what it moved: the same record (the dead holder's, the nonce makes it unique) is
//   deleted; another record means a live process took the lock in between, and it is linked back. The rename makes
//   two waiters breaking the same stale lock safe (only one moves it); what remains is a window of microseconds, after
//   a crash, with three processes for one container, in which the link back can find the name taken — DEL then waits
//   for ADD only as long as before this lock existed;
// - release: unlink, after checking that the lock still holds our record.
// The cost on the ADD path is a temp file, a link and two unlinks: a few microseconds.
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backoffDelay } from '@gannet/core';
import { CniCode, CniError } from './errors.js';

export const LOCK_PREFIX = '.lock-';

export interface LockOptions {
  /** Is this (PID, start time) still running? Injected so that tests can play crashed holders. */
  readonly alive?: (pid: number, start: string) => boolean;
  /** Blocks for `ms` milliseconds. */
  readonly sleep?: (ms: number) => void;
  /** Milliseconds on a monotonic scale (default performance.now()). */
  readonly now?: () => number;
  /** How long to wait for a live holder before answering code 11 (default 30 s). */
  readonly timeoutMs?: number;
  /** Creates the store directory when it is missing. */
  readonly mkdir?: () => void;
}

/** A process's start time (field 22 of /proc/PID/stat, clock ticks since boot); '' when it cannot be read. */
export function processStart(pid: number | 'self'): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

/** True unless the process with this PID started at another time than `start` (its PID was recycled). */
export function sameStart(pid: number, start: string): boolean {
  const now = processStart(pid);
  return start === '' || now === '' || now === start;
}

function processAlive(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // a PID can be recycled: the holder is the process that had this PID when it took the lock
  return sameStart(pid, start);
}

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const blockFor = (ms: number) => {
  Atomics.wait(sleepCell, 0, 0, ms);
};

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException).code;
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Waits between looks at a held lock: 1 ms doubling to 20 ms. */
const LOCK_BACKOFF = { initialMs: 1, maxMs: 20 };

let counter = 0;

/**
 * Takes the lock of `containerId` in `dir`; returns its release. Throws CniError 11 when a live holder keeps it
 * beyond the timeout, 5 when the lock file cannot be written (the error's `cause` keeps the errno).
 */
export function lockContainer(dir: string, containerId: string, opts: LockOptions = {}): () => void {
  const alive = opts.alive ?? processAlive;
  const sleep = opts.sleep ?? blockFor;
  const now = opts.now ?? (() => performance.now());
  const deadline = now() + (opts.timeoutMs ?? 30_000);
  const path = join(dir, `${LOCK_PREFIX}${containerId}`);
  const nonce = `${(++counter).toString(36)}${Math.random().toString(36).slice(2, 10)}`;
  const record = `${process.pid} ${processStart('self')} ${nonce}\n`;
  const tmp = join(dir, `.tmp-${process.pid}-lock${nonce}`); // removed by the store as a dead process's temp file
  for (let wrote = false, made = false; !wrote; ) {
    try {
      writeFileSync(tmp, record, { flag: 'wx', mode: 0o600 });
      wrote = true;
    } catch (err) {
      if (errno(err) !== 'ENOENT' || made || !opts.mkdir) throw lockError(path, err);
      opts.mkdir();
      made = true;
    }
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, path);
        return () => {
          if (readText(path) === record) tryUnlink(path);
        };
      } catch (err) {
        if (errno(err) !== 'EEXIST') throw lockError(path, err);
      }
      const held = readText(path);
      if (held === undefined) continue; // released meanwhile
      const [pid = 0, start = ''] = held
        .trim()
        .split(' ')
        .map((x, i) => (i === 0 ? Number(x) : x)) as [number, string];
      if (!(Number.isInteger(pid) && pid > 0 && alive(pid, start))) {
        breakStale(path, held, nonce);
        continue;
      }
      if (now() >= deadline) {
        throw new CniError(
          CniCode.TryAgainLater,
          `another ADD or DEL for container ${containerId} (PID ${pid}) still holds ${path}`,
          `waited ${opts.timeoutMs ?? 30_000} ms`,
        );
      }
      sleep(backoffDelay(attempt, LOCK_BACKOFF));
    }
  } finally {
    tryUnlink(tmp);
  }
}

/** Removes the lock at `path` if it still holds `stale` (a dead holder's record); puts back anything else. */
export function breakStale(path: string, stale: string, nonce: string): void {
  const moved = `${path}.stale-${process.pid}-${nonce}`;
  try {
    renameSync(path, moved);
  } catch {
    return; // someone else broke it, or the holder released it
  }
  if (readText(moved) !== stale) {
    try {
      linkSync(moved, path); // a live holder's lock: give it back
    } catch {
      // the name was taken in the microseconds between: see the header
    }
  }
  tryUnlink(moved);
}

/** Locks of dead holders among a directory listing, broken (for GC: containers that never came back). */
export function removeStaleLocks(
  dir: string,
  names: readonly string[],
  alive: (pid: number, start: string) => boolean = processAlive,
): void {
  for (const name of names) {
    if (!name.startsWith(LOCK_PREFIX)) continue;
    const path = join(dir, name);
    const breaker = /\.stale-(\d+)-/.exec(name);
    if (breaker) {
      if (!alive(Number(breaker[1]), '')) tryUnlink(path); // a breaker that died between its rename and unlink
      continue;
    }
    const held = readText(path);
    if (held === undefined) continue;
    const [pidText = '', start = ''] = held.trim().split(' ');
    const pid = Number(pidText);
    if (!(Number.isInteger(pid) && pid > 0 && alive(pid, start))) breakStale(path, held, `gc${process.pid}`);
  }
}

function lockError(path: string, err: unknown): CniError {
  const why = err instanceof Error ? err.message : String(err);
  return new CniError(CniCode.IoFailure, `cannot take the container lock ${path}: ${why}`, '', { cause: err });
}
