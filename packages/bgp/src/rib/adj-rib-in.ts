// Adj-RIB-In of one peer: what it announced, per family, split into accepted (passed import policy, candidates in
// the Loc-RIB), rejected (kept so that a policy change can be re-applied without a route refresh, and so counters
// are exact) and stale (kept from the previous session while the peer restarts gracefully, RFC 4724 helper mode).
// Pure bookkeeping: the Rib decides acceptance and mirrors accepted/stale paths into the Loc-RIB.
import { type InternedPath, PathInterner, type PathSource } from './path.js';

class FamilyIn {
  accepted = new Map<string, InternedPath>();
  rejected = new Map<string, InternedPath>();
  stale: Map<string, InternedPath> | undefined;
}

export class AdjRibIn {
  readonly interner: PathInterner;
  private readonly families = new Map<number, FamilyIn>();

  constructor(
    readonly source: PathSource,
    defaultLocalPref: number,
  ) {
    this.interner = new PathInterner(source, defaultLocalPref);
  }

  private family(afi: number): FamilyIn {
    let f = this.families.get(afi);
    if (!f) {
      f = new FamilyIn();
      this.families.set(afi, f);
    }
    return f;
  }

  /** Stores an announcement: replaces (implicitly withdraws) the previous one, fresh or stale. */
  put(afi: number, prefix: string, path: InternedPath, accepted: boolean): void {
    const f = this.family(afi);
    const into = accepted ? f.accepted : f.rejected;
    const other = accepted ? f.rejected : f.accepted;
    const prev = into.get(prefix);
    if (prev !== path) {
      this.interner.retain(path);
      into.set(prefix, path);
      if (prev) this.interner.release(prev);
    }
    if (other.size > 0) this.take(other, prefix);
    if (f.stale !== undefined) this.take(f.stale, prefix);
  }

  private take(m: Map<string, InternedPath>, prefix: string): boolean {
    const p = m.get(prefix);
    if (!p) return false;
    m.delete(prefix);
    this.interner.release(p);
    return true;
  }

  /** Removes a prefix (withdraw); returns true if the peer had announced it (in this or the previous session). */
  remove(afi: number, prefix: string): boolean {
    const f = this.families.get(afi);
    if (!f) return false;
    // A prefix is in at most one of the three maps.
    return (
      this.take(f.accepted, prefix) ||
      this.take(f.rejected, prefix) ||
      (f.stale !== undefined && this.take(f.stale, prefix))
    );
  }

  /** The path that this peer contributes to the Loc-RIB for a prefix (accepted, else stale). */
  candidate(afi: number, prefix: string): InternedPath | undefined {
    const f = this.families.get(afi);
    return f?.accepted.get(prefix) ?? f?.stale?.get(prefix);
  }

  /**
   * The session went down gracefully: every accepted path becomes stale, rejected ones are dropped. If stale paths of
   * an earlier restart are still held (a second restart before End-of-RIB), those are returned to be flushed.
   */
  markStale(): { afi: number; prefix: string }[] {
    const flushed: { afi: number; prefix: string }[] = [];
    for (const [afi, f] of this.families) {
      if (f.stale) {
        // Disjoint from `accepted`: put() takes a re-announced prefix out of `stale`.
        for (const [prefix, p] of f.stale) {
          flushed.push({ afi, prefix });
          this.interner.release(p);
        }
      }
      for (const p of f.rejected.values()) this.interner.release(p);
      f.stale = f.accepted.size > 0 ? f.accepted : undefined;
      f.accepted = new Map();
      f.rejected = new Map();
    }
    return flushed;
  }

  /** Drops the stale paths of one family (or all): End-of-RIB, restart timer, or no F bit. Returns their prefixes. */
  sweepStale(afi?: number): { afi: number; prefix: string }[] {
    const out: { afi: number; prefix: string }[] = [];
    for (const [a, f] of this.families) {
      if ((afi !== undefined && a !== afi) || !f.stale) continue;
      for (const [prefix, p] of f.stale) {
        out.push({ afi: a, prefix });
        this.interner.release(p);
      }
      f.stale = undefined;
    }
    return out;
  }

  /** Drops everything; returns the prefixes that were Loc-RIB candidates (accepted or stale). */
  flush(): { afi: number; prefix: string }[] {
    const out: { afi: number; prefix: string }[] = [];
    for (const [afi, f] of this.families) {
      for (const m of [f.accepted, f.stale]) if (m) for (const prefix of m.keys()) out.push({ afi, prefix });
      for (const m of [f.accepted, f.rejected, f.stale]) if (m) for (const p of m.values()) this.interner.release(p);
    }
    this.families.clear();
    return out;
  }

  /** Every received path of one family with its prefix (for re-applying import policy). */
  *receivedEntries(afi: number): IterableIterator<[string, InternedPath]> {
    const f = this.families.get(afi);
    if (!f) return;
    yield* [...f.accepted, ...f.rejected];
  }

  familyList(): number[] {
    return [...this.families.keys()];
  }

  counts(afi?: number): { received: number; accepted: number; stale: number } {
    let received = 0;
    let accepted = 0;
    let stale = 0;
    for (const [a, f] of this.families) {
      if (afi !== undefined && a !== afi) continue;
      accepted += f.accepted.size;
      received += f.accepted.size + f.rejected.size;
      stale += f.stale?.size ?? 0;
    }
    return { received, accepted, stale };
  }
}
