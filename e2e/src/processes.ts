// What a process left behind: its children now, and every process still in its process group (a child spawned by
// it keeps the group unless it made its own), read from /proc. For "no child process survives" checks.
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcInfo {
  pid: number;
  /** The executable's name (comm). */
  comm: string;
  cmdline: string;
}

function stat(pid: number): { comm: string; state: string; ppid: number; pgrp: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses, so split after the last ')'.
    const close = text.lastIndexOf(')');
    const rest = text.slice(close + 2).split(' ');
    return {
      comm: text.slice(text.indexOf('(') + 1, close),
      state: rest[0] ?? '',
      ppid: Number(rest[1]),
      pgrp: Number(rest[2]),
    };
  } catch {
    return undefined; // gone meanwhile
  }
}

function info(pid: number, comm: string): ProcInfo {
  let cmdline = '';
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    // gone meanwhile
  }
  return { pid, comm, cmdline };
}

/** The direct children of `pid` (every thread's), or [] when it is gone. */
export function childrenOf(pid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const c of text.trim().split(/\s+/).filter(Boolean)) {
      const s = stat(Number(c));
      if (s) out.push(info(Number(c), s.comm));
    }
  }
  return out;
}

/** Every live process whose process group is `pgid` (spawn with `detached: true` makes the child a group leader). */
export function processGroup(pgid: number): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const s = stat(Number(e));
    // A zombie (state Z) is already dead; only its parent's wait is missing.
    if (s && s.pgrp === pgid && s.state !== 'Z') out.push(info(Number(e), s.comm));
  }
  return out;
}
