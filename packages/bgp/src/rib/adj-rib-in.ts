// Adj-RIB-In bookkeeping of one peer. Accepted paths are not stored twice: they live as the peer's candidates in
// the Loc-RIB (like BIRD's table, one Map entry per prefix), so this class keeps only what the Loc-RIB does not:
// paths rejected by import policy (so that a policy change is re-applied without a route refresh and counters are
// exact), per-family counts, and the session generation. A graceful restart (RFC 4724 helper) starts a new
// generation: every candidate whose source is an older generation is stale, without touching a single prefix.
import {
  createSource,
  type InternedPath,
  PathInterner,
  type PathSource,
  type RibPath,
  releasePath,
  retainPath,
} from './path.js';

export class AdjRibIn {
  /** The current session generation's source; candidates with another source object of this peer are stale. */
  source: PathSource;
  interner: PathInterner;
  private readonly rejected = new Map<number, Map<string, InternedPath>>();
  private rejectedCount = 0;
  /** Families where a rejected path was not kept (over the cap): a policy change there needs a route refresh. */
  private readonly incomplete = new Set<number>();
  private readonly fresh = new Map<number, number>();
  private readonly stale = new Map<number, number>();

  constructor(
    source: PathSource,
    private readonly defaultLocalPref: number,
    /** Most rejected paths kept (all families): a peer cannot grow memory without bound with filtered routes. */
    private readonly keepRejected = Number.POSITIVE_INFINITY,
  ) {
    this.source = source;
    this.interner = new PathInterner(source, defaultLocalPref);
  }

  /** Starts a new session generation: paths announced from now on are distinct from (and replace) older ones. */
  newGeneration(): void {
    const s = this.source;
    this.source = createSource(s.kind, s.address, s.asn, s.localAsn, s.routerId);
    this.interner = new PathInterner(this.source, this.defaultLocalPref);
  }

  /** True for a candidate of this peer from an earlier session (kept as stale). */
  isStale(p: RibPath): boolean {
    return p.source !== this.source;
  }

  /** Accounts for the peer's Loc-RIB candidate for one prefix changing from `prev` to `next`. */
  candidateChanged(afi: number, prev: RibPath | undefined, next: RibPath | undefined): void {
    if (prev === next) return;
    if (next) {
      retainPath(next);
      this.fresh.set(afi, (this.fresh.get(afi) ?? 0) + 1);
    }
    if (prev) {
      const counts = this.isStale(prev) ? this.stale : this.fresh;
      counts.set(afi, (counts.get(afi) ?? 0) - 1);
      releasePath(prev);
    }
  }

  /**
   * Records a path rejected by import policy (replacing an earlier rejected one). Returns false when it was not
   * kept because the cap is reached (the family is then marked incomplete).
   */
  reject(afi: number, prefix: string, path: InternedPath): boolean {
    let m = this.rejected.get(afi);
    if (!m) {
      m = new Map();
      this.rejected.set(afi, m);
    }
    const prev = m.get(prefix);
    if (prev === path) return true;
    if (!prev && this.rejectedCount >= this.keepRejected) {
      this.incomplete.add(afi);
      return false;
    }
    retainPath(path);
    m.set(prefix, path);
    if (prev) releasePath(prev);
    else this.rejectedCount++;
    return true;
  }

  /** Families with rejected paths that were not kept; clears the marks (the caller asks for a route refresh). */
  takeIncomplete(): number[] {
    const out = [...this.incomplete];
    this.incomplete.clear();
    return out;
  }

  /** Forgets a rejected path (the prefix was withdrawn or is now accepted); true if there was one. */
  unreject(afi: number, prefix: string): boolean {
    const m = this.rejected.get(afi);
    if (m === undefined || m.size === 0) return false;
    const p = m.get(prefix);
    if (!p) return false;
    m.delete(prefix);
    this.rejectedCount--;
    releasePath(p);
    return true;
  }

  *rejectedEntries(afi: number): IterableIterator<[string, InternedPath]> {
    const m = this.rejected.get(afi);
    if (m) yield* m;
  }

  /** The session ended: rejected paths are forgotten, fresh ones count as stale (graceful) or are gone. */
  sessionDown(graceful: boolean): void {
    for (const m of this.rejected.values()) for (const p of m.values()) releasePath(p);
    this.rejected.clear();
    this.rejectedCount = 0;
    this.incomplete.clear();
    for (const [afi, n] of this.fresh) this.stale.set(afi, graceful ? n : 0);
    if (!graceful) this.stale.clear();
    this.fresh.clear();
  }

  /** Stale paths of a family (or all) were removed. */
  staleSwept(afi?: number): void {
    if (afi === undefined) this.stale.clear();
    else this.stale.delete(afi);
  }

  families(): number[] {
    return [...new Set([...this.fresh.keys(), ...this.rejected.keys()])];
  }

  counts(afi?: number): { received: number; accepted: number; stale: number } {
    let accepted = 0;
    let rejected = 0;
    let stale = 0;
    for (const [a, n] of this.fresh) if (afi === undefined || a === afi) accepted += n;
    for (const [a, m] of this.rejected) if (afi === undefined || a === afi) rejected += m.size;
    for (const [a, n] of this.stale) if (afi === undefined || a === afi) stale += n;
    return { received: accepted + rejected, accepted, stale };
  }

  accepted(afi: number): number {
    return this.fresh.get(afi) ?? 0;
  }
}
