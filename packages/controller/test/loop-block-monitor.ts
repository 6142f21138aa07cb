// How long this process's event loop was held, measured from inside: a timer asks to run every 5 ms, and at each run
// the main thread's CPU time since the previous run is the work that kept it waiting (a block). CPU time rather than
// wall time, so that a busy machine (other processes, preempting this one) does not count as our block; wall time is
// reported beside it.
export class LoopBlockMonitor {
  private timer: NodeJS.Timeout | undefined;
  private lastWall = 0;
  private lastCpu = 0;
  /** Longest main-thread CPU time between two timer runs, ms. */
  maxCpuMs = 0;
  /** Longest wall time between two timer runs, ms (includes time this process was not scheduled). */
  maxWallMs = 0;
  samples = 0;

  start(intervalMs = 5): void {
    this.lastWall = performance.now();
    this.lastCpu = cpuMs();
    this.timer = setInterval(() => {
      const wall = performance.now();
      const cpu = cpuMs();
      this.maxWallMs = Math.max(this.maxWallMs, wall - this.lastWall - intervalMs);
      this.maxCpuMs = Math.max(this.maxCpuMs, cpu - this.lastCpu);
      this.lastWall = wall;
      this.lastCpu = cpu;
      this.samples++;
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function cpuMs(): number {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
}
