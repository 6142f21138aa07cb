// Continuous pings for fault measurement: one fping per source pod towards its targets, every `intervalMs` per
// target, started and stopped (SIGINT: fping prints its summary) by the PID we spawned. The parsing is pure.
import { spawn } from 'node:child_process';
import type { PairSample } from './fault-report.js';

/** fping -l's reply lines ("[ts] 10.244.2.2 : [17], 64 bytes, …") and final summary (xmt/rcv per target). */
type Parsed = { sent: number; answered: Set<number>; at?: Map<number, number> };

export function parseFpingLoop(output: string, timeoutPackets: number): Map<string, Parsed> {
  const out = new Map<string, Parsed>();
  const get = (ip: string) => {
    let e = out.get(ip);
    if (!e) {
      e = { sent: 0, answered: new Set(), at: new Map() };
      out.set(ip, e);
    }
    return e;
  };
  for (const m of output.matchAll(/^(?:\[([\d.]+)\] )?(\S+) : \[(\d+)\], \d+ bytes/gm)) {
    const e = get(m[2]!);
    e.answered.add(Number(m[3]));
    if (m[1]) e.at!.set(Number(m[3]), Number(m[1]) * 1000);
  }
  for (const m of output.matchAll(/^(\S+)\s+: xmt\/rcv\/%loss = (\d+)\/(\d+)/gm)) {
    // the last packets may still have been within their timeout when fping stopped: not counted
    get(m[1]!).sent = Math.max(0, Number(m[2]) - timeoutPackets);
  }
  return out;
}

export function samplesFrom(
  from: string,
  targets: { id: string; ip: string }[],
  parsed: Map<string, Parsed>,
): PairSample[] {
  return targets.map((t) => {
    const e = parsed.get(t.ip) ?? { sent: 0, answered: new Set<number>() };
    const lost: number[] = [];
    for (let s = 0; s < e.sent; s++) if (!e.answered.has(s)) lost.push(s);
    return { from, to: t.id, sent: e.sent, lost, ...(e.at && e.at.size > 0 ? { answeredAt: e.at } : {}) };
  });
}

export interface FpingRun {
  readonly startedAt: number;
  stop(): Promise<PairSample[]>;
}

/** Starts fping in `ns` towards `targets`; bounded by `maxSeconds` (fping's own count) and stop()'s 5 s. */
export function startFping(
  ns: string,
  from: string,
  targets: { id: string; ip: string }[],
  { intervalMs = 10, timeoutMs = 500, maxSeconds = 300 } = {},
): FpingRun {
  const count = Math.ceil((maxSeconds * 1000) / intervalMs);
  // -i: the gap between any two packets, small enough for every target to get its own interval
  const gap = Math.max(0.1, Math.min(1, intervalMs / Math.max(1, targets.length) / 2));
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      'fping',
      '-D',
      '-c',
      String(count),
      '-p',
      String(intervalMs),
      '-i',
      gap.toFixed(2),
      '-t',
      String(timeoutMs),
      ...targets.map((t) => t.ip),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const startedAt = Date.now();
  let text = '';
  child.stdout.on('data', (d: Buffer) => {
    text += d.toString();
  });
  child.stderr.on('data', (d: Buffer) => {
    text += d.toString();
  });
  const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
  return {
    startedAt,
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(child.pid, 'SIGINT');
        } catch {
          // gone
        }
      }
      const timer = new Promise<boolean>((r) => setTimeout(() => r(false), 5000).unref());
      if (!(await Promise.race([closed.then(() => true), timer]))) {
        if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
        throw new Error(`fping in ${ns} did not stop on SIGINT`);
      }
      return samplesFrom(from, targets, parseFpingLoop(text, Math.ceil(timeoutMs / intervalMs)));
    },
  };
}
