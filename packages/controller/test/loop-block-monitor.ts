// How long this process's event loop was held, measured from inside with the agent's own sampler (a timer every 5 ms):
// the longest main-thread CPU time between two of its runs is the longest block. CPU time rather than wall time, so a
// busy machine (other processes preempting this one) does not count as our block; wall lateness is reported beside it.
import { EventLoopLagSampler } from '../src/event-loop-lag.js';

export class LoopBlockMonitor {
  /** Longest main-thread CPU time between two timer runs, ms. */
  maxCpuMs = 0;
  /** Longest lateness of the timer, ms (includes time this process was not scheduled). */
  maxWallMs = 0;
  private readonly sampler = new EventLoopLagSampler((s) => {
    this.maxCpuMs = Math.max(this.maxCpuMs, s.busy * 1000);
    this.maxWallMs = Math.max(this.maxWallMs, s.lag * 1000);
  }, 5);

  start(): void {
    this.sampler.start();
  }

  stop(): void {
    this.sampler.stop();
  }
}
