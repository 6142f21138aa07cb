// Event-loop lag, sampled with a timer: every `intervalMs` a timer asks to run, and how late it ran is the time the
// loop was held by other work (a callback, a request handler, a garbage collection) that did not yield. A stall of S
// seconds shows up as one sample of about S; an idle loop gives samples of about 1 ms (timer granularity). BGP
// keepalives and hold timers run on the same loop, so a stall longer than a hold time drops sessions.
import { type Clock, systemClock } from '@gannet/routes';

export const LAG_SAMPLE_INTERVAL_MS = 10;

export class EventLoopLagSampler {
  private timer: ReturnType<Clock['setTimeout']> | undefined;
  private due = 0;

  constructor(
    /** Receives each sample, in seconds. */
    private readonly onSample: (seconds: number) => void,
    private readonly intervalMs = LAG_SAMPLE_INTERVAL_MS,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (this.timer) return;
    this.arm();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.due = this.clock.now() + this.intervalMs;
    this.timer = this.clock.setTimeout(() => {
      this.onSample(Math.max(0, this.clock.now() - this.due) / 1000);
      this.arm();
    }, this.intervalMs);
  }
}
