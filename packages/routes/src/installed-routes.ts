// Which desired routes the kernel has as asked, kept up to date key by key as the desired set and the kernel view
// change, so that counting them (status, metrics) is O(1) instead of a scan of every route.
import { type NormalRoute, routeMatches } from './route.js';

export class InstalledRoutes {
  private readonly keys = new Set<string>();

  get size(): number {
    return this.keys.size;
  }

  has(k: string): boolean {
    return this.keys.has(k);
  }

  /** Re-evaluates one key after its desired route or its kernel route changed. */
  update(k: string, want: NormalRoute | undefined, have: NormalRoute | undefined): void {
    this.mark(k, want !== undefined && have !== undefined && routeMatches(want, have));
  }

  /** Records the outcome of a comparison the caller made. */
  mark(k: string, installed: boolean): void {
    if (installed) this.keys.add(k);
    else this.keys.delete(k);
  }

  /** Re-evaluates every key: after a whole new desired set (which already cost O(n) to make). */
  rebuild(desired: ReadonlyMap<string, NormalRoute>, kernel: ReadonlyMap<string, NormalRoute>): void {
    this.keys.clear();
    for (const [k, want] of desired) {
      const have = kernel.get(k);
      if (have && routeMatches(want, have)) this.keys.add(k);
    }
  }
}
