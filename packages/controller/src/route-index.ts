// The learned routes in prefix order, for the status API: reading them never sorts the whole table. Each route gets
// its sort key once, when it is learned; new routes are sorted among themselves and merged into the ordered snapshot
// (linear), a batch at a time as they arrive and the rest when a read takes the snapshot. Snapshots are never changed afterwards, so a read that
// streams one in slices sees a stable order while routes keep changing: a route withdrawn meanwhile is skipped, a
// changed one shows its current next hops, one learned meanwhile waits for the next read.
import { parseIpv4Prefix } from '@gannet/core';
import { parseCidr } from './net.js';

/**
 * IPv4 prefixes sort before IPv6, each by network address then length. IPv4 keys are numbers (address · 64 +
 * length), IPv6 keys fixed-width hex text; a prefix that parses as neither sorts last, by its text.
 */
export type OrderKey = number | string;

export function compareKeys(a: OrderKey, b: OrderKey): number {
  if (typeof a === 'number') return typeof b === 'number' ? a - b : -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The sort key of a prefix in canonical text form, O(length of the text) for IPv4. */
export function orderKey(prefix: string): OrderKey {
  const v4 = parseIpv4Prefix(prefix); // no allocation: @gannet/core's key of canonical IPv4 CIDR text
  if (v4 >= 0) return v4;
  try {
    const c = parseCidr(prefix);
    if (c.family === 6) return `6${c.value.toString(16).padStart(32, '0')}/${String(c.length).padStart(3, '0')}`;
  } catch {
    // not a prefix: sorts last
  }
  return `~${prefix}`;
}

/** One learned route; the same object for as long as the prefix stays learned (snapshots hold it). */
export interface LearnedRoute {
  readonly prefix: string;
  readonly key: OrderKey;
  nexthops: string[];
  /** Set once the prefix is withdrawn: snapshots still hold the object and skip it. */
  gone: boolean;
}

/** Routes sorted or merged per turn of the event loop when a snapshot is built in the background. */
const SLICE = 4096;
const byKey = (a: LearnedRoute, b: LearnedRoute) => compareKeys(a.key, b.key);
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Merges two ordered lists in order, leaving out withdrawn routes. */
function* merged(a: readonly LearnedRoute[], b: readonly LearnedRoute[]): Generator<LearnedRoute> {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x?.gone) i++;
    else if (y?.gone) j++;
    else if (x && (!y || compareKeys(x.key, y.key) <= 0)) {
      yield x;
      i++;
    } else {
      yield y as LearnedRoute;
      j++;
    }
  }
}

/** merged(), giving the loop back (`pause`) every SLICE routes. */
async function mergeSliced(
  a: readonly LearnedRoute[],
  b: readonly LearnedRoute[],
  pause: () => Promise<void>,
): Promise<LearnedRoute[]> {
  const out: LearnedRoute[] = [];
  for (const r of merged(a, b)) {
    out.push(r);
    if (out.length % SLICE === 0) await pause();
  }
  return out;
}

function mergeNow(a: readonly LearnedRoute[], b: readonly LearnedRoute[]): LearnedRoute[] {
  return [...merged(a, b)];
}

export class RouteIndex {
  private readonly byPrefix = new Map<string, LearnedRoute>();
  private sorted: readonly LearnedRoute[] = [];
  /** Learned since the last snapshot, in arrival order. */
  private added: LearnedRoute[] = [];
  /** Withdrawn since the last snapshot (and present in it). */
  private removed = 0;
  /** Routes a background build is folding in, and the build itself. */
  private folding: LearnedRoute[] = [];
  private building: Promise<readonly LearnedRoute[]> | undefined;
  /** Bumped whenever `sorted` is replaced: a background build that started from an older one is dropped. */
  private generation = 0;

  get size(): number {
    return this.byPrefix.size;
  }

  get(prefix: string): LearnedRoute | undefined {
    return this.byPrefix.get(prefix);
  }

  entries(): IterableIterator<LearnedRoute> {
    return this.byPrefix.values();
  }

  set(prefix: string, nexthops: string[]): void {
    const r = this.byPrefix.get(prefix);
    if (r) {
      r.nexthops = nexthops;
      return;
    }
    const added: LearnedRoute = { prefix, key: orderKey(prefix), nexthops, gone: false };
    this.byPrefix.set(prefix, added);
    this.added.push(added);
    // Churn with nobody reading: fold the additions in, in the background, before they outgrow the table.
    if (this.added.length > 1024 && this.added.length > this.byPrefix.size) void this.snapshotAsync();
  }

  delete(prefix: string): void {
    const r = this.byPrefix.get(prefix);
    if (!r) return;
    this.byPrefix.delete(prefix);
    r.gone = true;
    this.removed++;
  }

  /**
   * Every learned route in order (withdrawn ones may remain, marked `gone`); never changed afterwards. Linear in the
   * table plus k log k for the k routes learned since the previous one, all at once: the status API awaits
   * snapshotAsync() first, which does that work in slices.
   */
  snapshot(): readonly LearnedRoute[] {
    if (this.added.length === 0 && this.removed === 0 && this.folding.length === 0) return this.sorted;
    const fresh = [...this.folding, ...this.added].filter((r) => !r.gone).sort(byKey);
    this.added = [];
    this.removed = 0;
    return this.publish(mergeNow(this.sorted, fresh));
  }

  /** The same as snapshot(), built in slices of SLICE routes, each followed by a turn of the event loop. */
  snapshotAsync(): Promise<readonly LearnedRoute[]> {
    if (this.added.length === 0 && this.removed === 0 && this.folding.length === 0) {
      return Promise.resolve(this.sorted);
    }
    this.building ??= this.build().finally(() => {
      this.building = undefined;
    });
    return this.building;
  }

  private async build(): Promise<readonly LearnedRoute[]> {
    const generation = this.generation;
    const base = this.sorted;
    this.folding = this.added;
    this.added = [];
    this.removed = 0;
    // Sorted runs of SLICE routes, merged pairwise, then merged into the previous snapshot.
    let runs: LearnedRoute[][] = [];
    for (let i = 0; i < this.folding.length; i += SLICE) {
      runs.push(this.folding.slice(i, i + SLICE).sort(byKey));
      await nextTurn();
    }
    while (runs.length > 1) {
      const next: LearnedRoute[][] = [];
      for (let k = 0; k < runs.length; k += 2) {
        const a = runs[k] as LearnedRoute[];
        const b = runs[k + 1];
        next.push(b ? await mergeSliced(a, b, nextTurn) : a);
      }
      runs = next;
    }
    const out = await mergeSliced(base, runs[0] ?? [], nextTurn);
    // A synchronous snapshot() meanwhile already folded these routes in (and perhaps more): keep its result.
    if (this.generation !== generation) return this.sorted;
    return this.publish(out);
  }

  /** Makes `out` the current order; routes learned since the caller took its share stay in `added`. */
  private publish(out: readonly LearnedRoute[]): readonly LearnedRoute[] {
    this.sorted = out;
    this.folding = [];
    this.generation++;
    return out;
  }
}

/** The first index in `sorted` whose key is greater than `after` (binary search). */
export function indexAfter(sorted: readonly { key: OrderKey }[], after: OrderKey): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys((sorted[mid] as { key: OrderKey }).key, after) <= 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
