// Adj-RIB-Out of one established peer: what we have advertised to it, and which prefixes changed since the session
// last took its updates. take() computes the diff lazily (many Loc-RIB changes to one prefix cost one UPDATE entry)
// and groups announcements by identical attributes so the session can pack many NLRI per UPDATE.
import type { PrefixFilter } from '../policy/prefix-filter.js';
import type { PathAttributes } from '../wire/types.js';
import type { ExportAttributes } from './export-attributes.js';
import { type ExportTarget, exportPath, type OutRoute } from './export-path.js';
import type { RibPath } from './path.js';
import { keyAddress, keyLength, keyPrefix, type PrefixKey, prefixKey } from './prefix-key.js';

export interface OutboundAnnounce {
  afi: number;
  /** For IPv4 attributes.nextHop is set; for IPv6 the next hop travels in MP_REACH (nextHop, linkLocalNextHop). */
  attributes: Readonly<PathAttributes>;
  nextHop: string;
  linkLocalNextHop: string | undefined;
  prefixes: string[];
}

export interface OutboundWithdraw {
  afi: number;
  prefixes: string[];
}

export interface OutboundUpdate {
  announce: OutboundAnnounce[];
  withdraw: OutboundWithdraw[];
  /** Families whose full re-advertisement (route refresh or session start) completed in this batch. */
  completed: number[];
}

export class AdjRibOut {
  // Keyed like the Loc-RIB (prefixKey): an IPv4 prefix costs an integer here, not a retained string.
  private readonly advertised = new Map<number, Map<PrefixKey, OutRoute>>();
  private readonly dirty = new Map<number, Set<PrefixKey>>();
  /** Families being fully re-advertised: unchanged routes are announced again. */
  private readonly forced = new Set<number>();
  /** Families whose full advertisement is in progress (End-of-RIB / EoRR due when their dirty set drains). */
  private readonly syncing = new Set<number>();
  private cache = new WeakMap<RibPath, OutRoute | null>();
  private lastPath: RibPath | undefined;
  private lastRoute: OutRoute | null | undefined;

  /** The families negotiated with this peer: changes to other families are never queued. */
  private readonly families: ReadonlySet<number>;

  constructor(
    public target: ExportTarget,
    public filter: PrefixFilter,
    families: Iterable<number> = [1, 2],
  ) {
    this.families = new Set(families);
  }

  /** New attributes to attach: every exported form is computed again (call markAll 'policy' to send the changes). */
  setAttach(attach: ExportAttributes | undefined): void {
    this.target = { ...this.target, attach };
    this.cache = new WeakMap();
    this.lastPath = undefined;
    this.lastRoute = undefined;
  }

  /** The advertised form of a best path for this peer, or undefined if it is not advertised. */
  routeFor(prefix: string, best: RibPath | undefined, key?: PrefixKey): OutRoute | undefined {
    if (!best) return undefined;
    const r = this.exported(best);
    return r !== null && this.permitted(prefix, key, best) ? r : undefined;
  }

  /** The exported form of a path ignoring the prefix filter (null: not exported to this peer). */
  private exported(best: RibPath): OutRoute | null {
    // Consecutive prefixes mostly share their path (one UPDATE's NLRI): a one-entry memo before the WeakMap.
    let r = best === this.lastPath ? this.lastRoute : this.cache.get(best);
    if (r === undefined) {
      r = exportPath(best, this.target) ?? null;
      this.cache.set(best, r);
    }
    this.lastPath = best;
    this.lastRoute = r;
    return r;
  }

  private permitted(prefix: string, key: PrefixKey | undefined, path: RibPath): boolean {
    return typeof key === 'number'
      ? this.filter.permitsIPv4(keyAddress(key), keyLength(key), path.attributes)
      : this.filter.permits(prefix, path.attributes);
  }

  /** Notes that a prefix's best path changed. Skips prefixes that are not advertised and would not be. */
  noteChange(afi: number, prefix: string, newBest: RibPath | undefined): void {
    if (!this.families.has(afi)) return;
    const adv = this.advertised.get(afi);
    const exported = newBest !== undefined && this.exported(newBest) !== null;
    if (!exported && (adv === undefined || adv.size === 0)) return;
    const key = prefixKey(afi, prefix);
    if ((exported && this.permitted(prefix, key, newBest)) || adv?.has(key)) this.mark(afi, key);
  }

  private mark(afi: number, key: PrefixKey): void {
    let d = this.dirty.get(afi);
    if (!d) {
      d = new Set();
      this.dirty.set(afi, d);
    }
    d.add(key);
  }

  /**
   * Re-examines every Loc-RIB prefix and everything advertised in a family. 'initial' (session start) and 'refresh'
   * (route refresh: unchanged routes are announced again) report the family in `completed` once drained, so the
   * session can send End-of-RIB / EoRR; 'policy' (export policy changed) only sends the differences.
   */
  markAll(afi: number, locRibKeys: Iterable<PrefixKey>, mode: 'initial' | 'refresh' | 'policy'): void {
    if (!this.families.has(afi)) return;
    for (const k of locRibKeys) this.mark(afi, k);
    const adv = this.advertised.get(afi);
    if (adv) for (const p of adv.keys()) this.mark(afi, p);
    if (mode === 'refresh') this.forced.add(afi);
    if (mode !== 'policy') this.syncing.add(afi);
  }

  hasPending(): boolean {
    for (const d of this.dirty.values()) if (d.size > 0) return true;
    return this.syncing.size > 0;
  }

  /**
   * Computes and records up to `limit` prefixes' worth of changes. `best` looks a prefix (by its prefixKey) up in
   * the Loc-RIB.
   */
  take(best: (afi: number, key: PrefixKey) => RibPath | undefined, limit = Number.POSITIVE_INFINITY): OutboundUpdate {
    const groups = new Map<string, OutboundAnnounce>();
    const withdraw: OutboundWithdraw[] = [];
    const completed: number[] = [];
    let budget = limit;
    for (const [afi, set] of this.dirty) {
      let adv = this.advertised.get(afi);
      if (!adv) {
        adv = new Map();
        this.advertised.set(afi, adv);
      }
      const force = this.forced.has(afi);
      let gone: string[] | undefined;
      for (const key of set) {
        if (budget <= 0) break;
        budget--;
        set.delete(key);
        const prefix = keyPrefix(key);
        const route = this.routeFor(prefix, best(afi, key), key);
        const prev = adv.get(key);
        if (route) {
          if (!force && prev && prev.key === route.key) continue;
          adv.set(key, route);
          let g = groups.get(route.key);
          if (!g) {
            g = {
              afi,
              attributes: route.attributes,
              nextHop: route.nextHop,
              linkLocalNextHop: route.linkLocalNextHop,
              prefixes: [],
            };
            groups.set(route.key, g);
          }
          g.prefixes.push(prefix);
        } else if (prev) {
          adv.delete(key);
          if (!gone) gone = [];
          gone.push(prefix);
        }
      }
      if (gone) withdraw.push({ afi, prefixes: gone });
      if (set.size === 0) {
        this.dirty.delete(afi);
        this.forced.delete(afi);
        if (this.syncing.delete(afi)) completed.push(afi);
      }
    }
    for (const afi of this.syncing) {
      if (!this.dirty.has(afi)) {
        this.syncing.delete(afi);
        this.forced.delete(afi);
        completed.push(afi);
      }
    }
    return { announce: [...groups.values()], withdraw, completed };
  }

  /** What is advertised for a prefix (for tests and status). */
  advertisedRoute(afi: number, prefix: string): OutRoute | undefined {
    return this.advertised.get(afi)?.get(prefixKey(afi, prefix));
  }

  advertisedCount(): number {
    let n = 0;
    for (const m of this.advertised.values()) n += m.size;
    return n;
  }
}
