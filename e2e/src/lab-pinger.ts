// A continuous pinger for the lab's e2e tests: `ping -i 0.01` from one pod namespace to an address, started by PID
// and stopped by PID with SIGINT, its per-packet output parsed into which sequence numbers went unanswered.
import { spawn, spawnSync } from 'node:child_process';

export interface PingStats {
  /** From ping's own summary line. */
  transmitted: number;
  received: number;
  /** Sequence numbers (1-based) sent but never answered, except the one in flight when the pinger was stopped. */
  lost: number[];
  /** Answers whose sequence number had been answered already. */
  duplicates: number;
}

/**
 * Parses the output of `ping -n -D -O -i … ADDR` (IPv4 or IPv6: the address has colons of its own): one
 * "bytes from …: icmp_seq=N" line per answer and the summary
 * "T packets transmitted, R received". When the pinger was stopped by a signal, packet T may still have been in
 * flight: it is not counted as lost (`stoppedEarly`).
 */
export function parsePing(output: string, stoppedEarly: boolean): PingStats {
  const summary = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  if (!summary) throw new Error(`no ping summary in:\n${output.slice(-2000)}`);
  const transmitted = Number(summary[1]);
  const received = Number(summary[2]);
  const answered = new Set<number>();
  let duplicates = 0;
  for (const m of output.matchAll(/bytes from \S+: icmp_seq=(\d+)/g)) {
    const seq = Number(m[1]);
    if (answered.has(seq)) duplicates++;
    answered.add(seq);
  }
  const lost: number[] = [];
  const last = stoppedEarly ? transmitted - 1 : transmitted;
  for (let seq = 1; seq <= last; seq++) if (!answered.has(seq)) lost.push(seq);
  return { transmitted, received, lost, duplicates };
}

export interface Pinger {
  readonly pid: number;
  /** Stops the pinger (SIGINT: ping prints its summary) and resolves with what it saw. Bounded: 5 s. */
  stop(): Promise<PingStats>;
  /** Output so far, for failure messages. */
  output(): string;
}

/** Starts `ping -i intervalS` inside namespace `ns` towards `addr`, for at most `maxSeconds`. */
export function startPinger(ns: string, addr: string, { intervalS = 0.01, maxSeconds = 120 } = {}): Pinger {
  const count = Math.ceil(maxSeconds / intervalS);
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, 'ping', '-n', '-D', '-O', '-W', '1', '-i', String(intervalS), '-c', String(count), addr],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  if (child.pid === undefined) throw new Error(`could not start ping in ${ns}`);
  const pid = child.pid;
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  let exited = false;
  const done = new Promise<void>((resolve) => {
    // 'close', not 'exit': the summary may still sit in the pipe when the process has exited
    child.once('close', () => {
      exited = true;
      resolve();
    });
  });
  return {
    pid,
    output: () => out,
    async stop() {
      const early = !exited;
      if (early) {
        try {
          process.kill(pid, 'SIGINT');
        } catch {
          // already gone
        }
      }
      const timer = new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref());
      if (!(await Promise.race([done.then(() => true), timer]))) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone
        }
        throw new Error(`ping ${addr} in ${ns} did not stop on SIGINT:\n${out.slice(-2000)}`);
      }
      return parsePing(out, early);
    },
  };
}

/** `count` pings at `intervalS` from namespace `ns` to `addr`, waited for (bounded: 1 s per answer, 30 s in all). */
export function pingBurst(ns: string, addr: string, count = 10, intervalS = 0.01): PingStats {
  const r = spawnSync(
    'ip',
    ['netns', 'exec', ns, 'ping', '-n', '-W', '1', '-i', String(intervalS), '-c', String(count), addr],
    { encoding: 'utf8', timeout: 30_000 },
  );
  return parsePing(`${r.stdout ?? ''}${r.stderr ?? ''}`, false);
}

/** "seq 120-180 (61)": lost sequence numbers as ranges, for assertion messages. */
export function describeLost(lost: number[], intervalS = 0.01): string {
  if (lost.length === 0) return 'none';
  const ranges: string[] = [];
  let start = lost[0]!;
  let prev = start;
  for (const seq of [...lost.slice(1), Number.NaN]) {
    if (seq === prev + 1) {
      prev = seq;
      continue;
    }
    ranges.push(start === prev ? `${start}` : `${start}-${prev}`);
    start = seq;
    prev = seq;
  }
  return `${lost.length} lost (≈${(lost.length * intervalS).toFixed(2)} s of traffic): seq ${ranges.join(', ')}`;
}
