// Loc-RIB: per address family, prefix → candidates and the selected best/ECMP set. A prefix with one reachable
// candidate (the common case) stores the shared path object itself, so it costs one Map entry and nothing else;
// only prefixes with several candidates (or an unreachable one) get a Dest. Every change returns a diff.
import { type DecisionOptions, type DecisionReason, pathReachable, type Selection, selectBest } from './decision.js';
import type { InternedPath, RibPath } from './path.js';
import { keyPrefix, type PrefixKey, prefixKey } from './prefix-key.js';

export type ChangeReason = DecisionReason | 'withdrawn';

/** One best-path change for one prefix (GoBGP style): never emitted when nothing changed. */
export interface RibChange {
  afi: number;
  prefix: string;
  oldBest: RibPath | undefined;
  newBest: RibPath | undefined;
  /** The ECMP next hops, sorted; [] when the prefix is gone or the best is locally originated. */
  nexthops: readonly string[];
  reason: ChangeReason;
}

/** A prefix with several candidates (or an unreachable one): the candidates and the selected best/next hops. */
class Dest {
  best: RibPath | undefined;
  nexthops: readonly string[];
  constructor(
    readonly paths: RibPath[],
    sel: Selection,
  ) {
    this.best = sel.best;
    this.nexthops = sel.nexthops;
  }
}

type Entry = RibPath | Dest;

const EMPTY: readonly string[] = Object.freeze([]);

export class LocRib {
  private readonly tables = new Map<number, Map<PrefixKey, Entry>>();

  constructor(readonly options: DecisionOptions) {}

  /** After each set(): the candidate from that peer it replaced or removed (undefined if there was none). */
  replaced: RibPath | undefined;

  /**
   * Sets (or with `path` undefined removes) the candidate of the peer at `address` for a prefix: a peer has at most
   * one candidate per prefix (a newer session generation's path replaces a stale one).
   */
  set(afi: number, prefix: string, address: string, path: RibPath | undefined): RibChange | undefined {
    return this.setKey(afi, prefixKey(afi, prefix), prefix, address, path);
  }

  /** set() with the prefix's table key already computed (prefixKey(afi, prefix)). */
  setKey(
    afi: number,
    key: PrefixKey,
    prefix: string,
    address: string,
    path: RibPath | undefined,
  ): RibChange | undefined {
    this.replaced = undefined;
    let table = this.tables.get(afi);
    if (!table) {
      if (!path) return undefined;
      table = new Map();
      this.tables.set(afi, table);
    }
    const entry = table.get(key);
    let oldBest: RibPath | undefined;
    let oldNexthops: readonly string[];
    let paths: RibPath[];
    if (entry === undefined) {
      if (!path) return undefined;
      if (pathReachable(path, this.options)) {
        table.set(key, path);
        return { afi, prefix, oldBest: undefined, newBest: path, nexthops: path.nexthops, reason: 'only-path' };
      }
      oldNexthops = EMPTY;
      paths = [path];
    } else if (entry instanceof Dest) {
      oldBest = entry.best;
      oldNexthops = entry.nexthops;
      paths = entry.paths;
      let i = 0;
      while (i < paths.length && (paths[i] as RibPath).source.address !== address) i++;
      if (i === paths.length) {
        if (!path) return undefined;
        paths.push(path);
      } else {
        this.replaced = paths[i];
        if (paths[i] === path) return undefined;
        if (path) paths[i] = path;
        else paths.splice(i, 1);
      }
    } else {
      oldBest = entry;
      oldNexthops = entry.nexthops;
      if (entry.source.address === address) {
        this.replaced = entry;
        if (entry === path) return undefined;
        paths = path ? [path] : [];
      } else {
        if (!path) return undefined;
        paths = [entry, path];
      }
    }
    return this.store(table, afi, key, prefix, paths, oldBest, oldNexthops);
  }

  /**
   * Removes the candidates of the peer at `address` that `which` selects, in one family or all. Calls `removed`
   * with each path taken out; returns the changes.
   */
  removeFrom(
    address: string,
    which: (p: RibPath) => boolean,
    afi: number | undefined,
    removed: (afi: number, p: RibPath) => void,
  ): RibChange[] {
    const out: RibChange[] = [];
    for (const [f, table] of this.tables) {
      if (afi !== undefined && f !== afi) continue;
      const doomed: PrefixKey[] = [];
      for (const [key, p] of this.keyedPathsIn(table, address)) if (which(p)) doomed.push(key);
      for (const key of doomed) {
        const c = this.setKey(f, key, keyPrefix(key), address, undefined);
        if (this.replaced) removed(f, this.replaced);
        if (c) out.push(c);
      }
    }
    return out;
  }

  /** The candidates of the peer at `address` in one family, as [prefix, path]. */
  *pathsFrom(afi: number, address: string): IterableIterator<[string, RibPath]> {
    const table = this.tables.get(afi);
    if (table) for (const [key, p] of this.keyedPathsIn(table, address)) yield [keyPrefix(key), p];
  }

  private *keyedPathsIn(table: Map<PrefixKey, Entry>, address: string): IterableIterator<[PrefixKey, RibPath]> {
    for (const [key, e] of table) {
      if (!(e instanceof Dest)) {
        if (e.source.address === address) yield [key, e];
      } else {
        for (const p of e.paths) if (p.source.address === address) yield [key, p];
      }
    }
  }

  private store(
    table: Map<PrefixKey, Entry>,
    afi: number,
    key: PrefixKey,
    prefix: string,
    paths: RibPath[],
    oldBest: RibPath | undefined,
    oldNexthops: readonly string[],
  ): RibChange | undefined {
    let sel: Selection | undefined;
    if (paths.length === 0) {
      table.delete(key);
    } else if (paths.length === 1 && pathReachable(paths[0] as RibPath, this.options)) {
      table.set(key, paths[0] as RibPath);
    } else {
      sel = selectBest(paths, this.options);
      const entry = table.get(key);
      if (entry instanceof Dest && entry.paths === paths) {
        entry.best = sel.best;
        entry.nexthops = sel.nexthops;
      } else table.set(key, new Dest(paths, sel));
    }
    const newBest = sel ? sel.best : paths[0];
    const nexthops = sel ? sel.nexthops : newBest ? newBest.nexthops : EMPTY;
    if (sameRoute(newBest, oldBest) && sameList(nexthops, oldNexthops)) return undefined;
    const reason: ChangeReason = sel ? sel.reason : newBest ? 'only-path' : 'withdrawn';
    return { afi, prefix, oldBest, newBest, nexthops, reason };
  }

  /** Runs the decision again for one prefix (e.g. a source's router id changed). */
  recompute(afi: number, prefix: string): RibChange | undefined {
    return this.recomputeKey(afi, prefixKey(afi, prefix), prefix);
  }

  private recomputeKey(afi: number, key: PrefixKey, prefix: string): RibChange | undefined {
    const table = this.tables.get(afi);
    const entry = table?.get(key);
    if (!table || entry === undefined) return undefined;
    return entry instanceof Dest
      ? this.store(table, afi, key, prefix, entry.paths, entry.best, entry.nexthops)
      : this.store(table, afi, key, prefix, [entry], entry, entry.nexthops);
  }

  /** Runs the decision again for every prefix (after the next-hop resolver's answers changed). */
  recomputeAll(): RibChange[] {
    const out: RibChange[] = [];
    for (const [afi, table] of this.tables) {
      for (const key of [...table.keys()]) {
        const c = this.recomputeKey(afi, key, keyPrefix(key));
        if (c) out.push(c);
      }
    }
    return out;
  }

  /** The current selection for a prefix, or undefined when the Loc-RIB has no candidate for it. */
  lookup(afi: number, prefix: string): Selection | undefined {
    const e = this.tables.get(afi)?.get(prefixKey(afi, prefix));
    if (e === undefined) return undefined;
    return e instanceof Dest
      ? selectBest(e.paths, this.options)
      : { best: e, ecmp: [e], nexthops: e.nexthops, reason: 'only-path' };
  }

  /** The best path for a prefix (undefined when none or all unreachable). */
  best(afi: number, prefix: string): RibPath | undefined {
    const e = this.tables.get(afi)?.get(prefixKey(afi, prefix));
    return e instanceof Dest ? e.best : e;
  }

  candidates(afi: number, prefix: string): readonly RibPath[] {
    const e = this.tables.get(afi)?.get(prefixKey(afi, prefix));
    if (e === undefined) return [];
    return e instanceof Dest ? [...e.paths] : [e];
  }

  /** Prefixes with a best path, for one family or all. */
  *routes(afi?: number): IterableIterator<{ afi: number; prefix: string; best: RibPath; nexthops: readonly string[] }> {
    for (const [f, table] of this.tables) {
      if (afi !== undefined && f !== afi) continue;
      for (const [key, e] of table) {
        if (!(e instanceof Dest)) yield { afi: f, prefix: keyPrefix(key), best: e, nexthops: e.nexthops };
        else if (e.best) yield { afi: f, prefix: keyPrefix(key), best: e.best, nexthops: e.nexthops };
      }
    }
  }

  /** best() by table key (prefixKey). */
  bestKey(afi: number, key: PrefixKey): RibPath | undefined {
    const e = this.tables.get(afi)?.get(key);
    return e instanceof Dest ? e.best : e;
  }

  /** The table keys (prefixKey) of every prefix that has at least one candidate. */
  keys(afi: number): IterableIterator<PrefixKey> {
    const t = this.tables.get(afi);
    return t ? t.keys() : [].values();
  }

  /** Every prefix that has at least one candidate (with or without a best). */
  *prefixes(afi: number): IterableIterator<string> {
    const t = this.tables.get(afi);
    if (t) for (const key of t.keys()) yield keyPrefix(key);
  }

  /** Number of prefixes with at least one candidate. */
  size(afi?: number): number {
    if (afi !== undefined) return this.tables.get(afi)?.size ?? 0;
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }
}

/** The same path object, or the same peer re-announcing identical attributes in a new session generation. */
function sameRoute(a: RibPath | undefined, b: RibPath | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.source.address !== b.source.address) return false;
  return (a as InternedPath).key === (b as InternedPath).key && a.source.routerIdValue === b.source.routerIdValue;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
