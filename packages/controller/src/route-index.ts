// The learned routes in prefix order, for the status API: reading them never sorts the whole table again. Each route
// gets its sort key once, when it is learned; a read takes an ordered snapshot, made by merging the previous snapshot
// with the few prefixes added since (linear, no full sort). Snapshots are never changed afterwards, so a read that
// streams one in slices sees a stable order while routes keep changing: a route withdrawn meanwhile is skipped, a
// changed one shows its current next hops, one learned meanwhile waits for the next read.
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
  const v4 = ipv4Key(prefix);
  if (v4 !== undefined) return v4;
  try {
    const c = parseCidr(prefix);
    if (c.family === 6) return `6${c.value.toString(16).padStart(32, '0')}/${String(c.length).padStart(3, '0')}`;
  } catch {
    // not a prefix: sorts last
  }
  return `~${prefix}`;
}

function ipv4Key(p: string): number | undefined {
  let addr = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < p.length; i++) {
    const c = p.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      octet = octet * 10 + (c - 48);
      if (++digits > 3 || octet > 255) return undefined;
    } else if (c === 46 && digits > 0 && dots < 3) {
      addr = addr * 256 + octet;
      octet = digits = 0;
      dots++;
    } else if (c === 47 && digits > 0 && dots === 3) {
      const len = Number(p.slice(i + 1));
      if (!/^\d{1,2}$/.test(p.slice(i + 1)) || len > 32) return undefined;
      return (addr * 256 + octet) * 64 + len;
    } else return undefined;
  }
  return undefined;
}

/** One learned route; the same object for as long as the prefix stays learned (snapshots hold it). */
export interface LearnedRoute {
  readonly prefix: string;
  readonly key: OrderKey;
  nexthops: string[];
  /** Set once the prefix is withdrawn: snapshots still hold the object and skip it. */
  gone: boolean;
}

export class RouteIndex {
  private readonly byPrefix = new Map<string, LearnedRoute>();
  private sorted: readonly LearnedRoute[] = [];
  /** Learned since the last snapshot, in arrival order. */
  private added: LearnedRoute[] = [];
  /** Withdrawn since the last snapshot (and present in it). */
  private removed = 0;

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
    // Churn with nobody reading: fold the additions in now and then, so they never outgrow the table (amortised O(1)).
    if (this.added.length > 1024 && this.added.length > this.byPrefix.size) this.snapshot();
  }

  delete(prefix: string): void {
    const r = this.byPrefix.get(prefix);
    if (!r) return;
    this.byPrefix.delete(prefix);
    r.gone = true;
    this.removed++;
  }

  /** Every learned route in order; never changed afterwards. Linear in the table, plus k log k for k new ones. */
  snapshot(): readonly LearnedRoute[] {
    if (this.added.length === 0 && this.removed === 0) return this.sorted;
    const fresh = this.added.filter((r) => !r.gone).sort((a, b) => compareKeys(a.key, b.key));
    const old = this.sorted;
    const out: LearnedRoute[] = new Array(this.byPrefix.size);
    let i = 0;
    let j = 0;
    let n = 0;
    while (i < old.length || j < fresh.length) {
      const a = old[i];
      if (a?.gone) {
        i++;
        continue;
      }
      const b = fresh[j];
      if (a && (!b || compareKeys(a.key, b.key) <= 0)) {
        out[n++] = a;
        i++;
      } else {
        out[n++] = b as LearnedRoute;
        j++;
      }
    }
    out.length = n;
    this.sorted = out;
    this.added = [];
    this.removed = 0;
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
