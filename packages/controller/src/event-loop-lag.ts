// Event-loop lag, sampled with a timer: every `intervalMs` a timer asks to run, and how late it ran is the time the
// loop was held by other work (a callback, a request handler, a garbage collection) that did not yield. A stall of S
// seconds shows up as one sample of about S; an idle loop gives samples of about 1 ms (timer granularity). BGP
// keepalives and hold timers run on the same loop, so a stall longer than a hold time drops sessions.
// Lateness counts the time the process was not scheduled too (a busy machine), as the peers see it. Beside it each
// sample carries the main thread's CPU time since the previous one: the agent's own work that held the loop, whatever
// else the machine does.
import { type Clock, systemClock } from '@gannet/core';

export const LAG_SAMPLE_INTERVAL_MS = 10;

export interface LagSample {
  /** How late the timer ran, seconds. */
  lag: number;
  /** Main-thread CPU time since the previous run, seconds. */
  busy: number;
}

/** The main thread's CPU time (user + system), ms. */
export function threadCpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}

export class EventLoopLagSampler {
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private due = 0;
  private cpuAt = 0;

  constructor(
    private readonly onSample: (sample: LagSample) => void,
    private readonly intervalMs = LAG_SAMPLE_INTERVAL_MS,
    private readonly clock: Clock = systemClock,
    private readonly cpuMs: () => number = threadCpuMs,
  ) {}

  start(): void {
    if (this.timer) return;
    this.cpuAt = this.cpuMs();
    this.arm();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.due = this.clock.now() + this.intervalMs;
    this.timer = this.clock.setTimeout(() => {
      const cpu = this.cpuMs();
      const busy = Math.max(0, cpu - this.cpuAt) / 1000;
      this.cpuAt = cpu;
      this.onSample({ lag: Math.max(0, this.clock.now() - this.due) / 1000, busy });
      this.arm();
    }, this.intervalMs);
  }
}
