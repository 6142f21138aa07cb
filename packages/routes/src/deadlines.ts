// Named deadlines behind ONE timer: the timer is set for the earliest of them, and when it fires every deadline up to
// the one it was set for is due (timers may fire a hair before the clock reads their deadline: the deadline, not
// now(), decides). The reconciler's resync, monitor, backoff and retry deadlines all live here.
import type { Clock, TimerHandle } from '@gannet/core';

export class Deadlines<K extends string> {
  private readonly at = new Map<K, number>();
  private timer: { handle: TimerHandle; at: number } | undefined;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    /** Called with the deadlines that came (already cleared) and the deadline the timer was set for. */
    private readonly onDue: (due: K[], at: number) => void,
  ) {}

  get(k: K): number | undefined {
    return this.at.get(k);
  }

  /** Sets (or moves) deadline `k` to clock time `at`; undefined clears it. */
  set(k: K, at: number | undefined): void {
    if (this.stopped) return;
    if (at === undefined) this.at.delete(k);
    else this.at.set(k, at);
    this.arm();
  }

  /** Sets deadline `k` to `ms` from now unless it is already set (a debounce). */
  setUnlessSet(k: K, ms: number): void {
    if (!this.at.has(k)) this.set(k, this.clock.now() + ms);
  }

  /** Clears every deadline and the timer; later sets are ignored. */
  stop(): void {
    this.stopped = true;
    this.at.clear();
    this.arm();
  }

  private arm(): void {
    let at: number | undefined;
    for (const d of this.at.values()) if (at === undefined || d < at) at = d;
    if (this.timer && this.timer.at === at) return;
    if (this.timer) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (at === undefined) return;
    const handle = this.clock.setTimeout(() => this.fire(at), at - this.clock.now());
    this.timer = { handle, at };
  }

  private fire(at: number): void {
    this.timer = undefined;
    const due: K[] = [];
    for (const [k, d] of this.at) if (d <= at) due.push(k);
    for (const k of due) this.at.delete(k);
    this.arm();
    if (due.length > 0) this.onDue(due, at);
  }
}
