// Loc-RIB: per address family, prefix → candidates and the selected best/ECMP set. A prefix with one reachable
// candidate (the common case) stores the shared path object itself, so it costs one Map entry and nothing else;
// only prefixes with several candidates (or an unreachable one) get a Dest. Every change returns a diff.
import { type DecisionOptions, type DecisionReason, pathReachable, type Selection, selectBest } from './decision.js';
import type { PathSource, RibPath } from './path.js';

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
  private readonly tables = new Map<number, Map<string, Entry>>();

  constructor(readonly options: DecisionOptions) {}

  /** Sets (or with `path` undefined removes) the candidate from `source` for a prefix. */
  set(afi: number, prefix: string, source: PathSource, path: RibPath | undefined): RibChange | undefined {
    let table = this.tables.get(afi);
    if (!table) {
      if (!path) return undefined;
      table = new Map();
      this.tables.set(afi, table);
    }
    const entry = table.get(prefix);
    let oldBest: RibPath | undefined;
    let oldNexthops: readonly string[];
    let paths: RibPath[];
    if (entry === undefined) {
      if (!path) return undefined;
      if (pathReachable(path, this.options)) {
        table.set(prefix, path);
        return { afi, prefix, oldBest: undefined, newBest: path, nexthops: path.nexthops, reason: 'only-path' };
      }
      oldNexthops = EMPTY;
      paths = [path];
    } else if (entry instanceof Dest) {
      oldBest = entry.best;
      oldNexthops = entry.nexthops;
      paths = entry.paths;
      const i = paths.findIndex((p) => p.source === source);
      if (i < 0) {
        if (!path) return undefined;
        paths.push(path);
      } else if (!path) {
        paths.splice(i, 1);
      } else {
        if (paths[i] === path) return undefined;
        paths[i] = path;
      }
    } else {
      oldBest = entry;
      oldNexthops = entry.nexthops;
      if (entry.source === source) {
        if (entry === path) return undefined;
        paths = path ? [path] : [];
      } else {
        if (!path) return undefined;
        paths = [entry, path];
      }
    }
    return this.store(table, afi, prefix, paths, oldBest, oldNexthops);
  }

  private store(
    table: Map<string, Entry>,
    afi: number,
    prefix: string,
    paths: RibPath[],
    oldBest: RibPath | undefined,
    oldNexthops: readonly string[],
  ): RibChange | undefined {
    let sel: Selection | undefined;
    if (paths.length === 0) {
      table.delete(prefix);
    } else if (paths.length === 1 && pathReachable(paths[0] as RibPath, this.options)) {
      table.set(prefix, paths[0] as RibPath);
    } else {
      sel = selectBest(paths, this.options);
      const entry = table.get(prefix);
      if (entry instanceof Dest && entry.paths === paths) {
        entry.best = sel.best;
        entry.nexthops = sel.nexthops;
      } else table.set(prefix, new Dest(paths, sel));
    }
    const newBest = sel ? sel.best : paths[0];
    const nexthops = sel ? sel.nexthops : newBest ? newBest.nexthops : EMPTY;
    if (newBest === oldBest && sameList(nexthops, oldNexthops)) return undefined;
    const reason: ChangeReason = sel ? sel.reason : newBest ? 'only-path' : 'withdrawn';
    return { afi, prefix, oldBest, newBest, nexthops, reason };
  }

  /** Runs the decision again for one prefix (e.g. a source's router id changed). */
  recompute(afi: number, prefix: string): RibChange | undefined {
    const table = this.tables.get(afi);
    const entry = table?.get(prefix);
    if (!table || entry === undefined) return undefined;
    return entry instanceof Dest
      ? this.store(table, afi, prefix, entry.paths, entry.best, entry.nexthops)
      : this.store(table, afi, prefix, [entry], entry, entry.nexthops);
  }

  /** Runs the decision again for every prefix (after the next-hop resolver's answers changed). */
  recomputeAll(): RibChange[] {
    const out: RibChange[] = [];
    for (const [afi, table] of this.tables) {
      for (const prefix of [...table.keys()]) {
        const c = this.recompute(afi, prefix);
        if (c) out.push(c);
      }
    }
    return out;
  }

  /** The current selection for a prefix, or undefined when the Loc-RIB has no candidate for it. */
  lookup(afi: number, prefix: string): Selection | undefined {
    const e = this.tables.get(afi)?.get(prefix);
    if (e === undefined) return undefined;
    return e instanceof Dest
      ? selectBest(e.paths, this.options)
      : { best: e, ecmp: [e], nexthops: e.nexthops, reason: 'only-path' };
  }

  /** The best path for a prefix (undefined when none or all unreachable). */
  best(afi: number, prefix: string): RibPath | undefined {
    const e = this.tables.get(afi)?.get(prefix);
    return e instanceof Dest ? e.best : e;
  }

  candidates(afi: number, prefix: string): readonly RibPath[] {
    const e = this.tables.get(afi)?.get(prefix);
    if (e === undefined) return [];
    return e instanceof Dest ? [...e.paths] : [e];
  }

  /** Prefixes with a best path, for one family or all. */
  *routes(afi?: number): IterableIterator<{ afi: number; prefix: string; best: RibPath; nexthops: readonly string[] }> {
    for (const [f, table] of this.tables) {
      if (afi !== undefined && f !== afi) continue;
      for (const [prefix, e] of table) {
        if (!(e instanceof Dest)) yield { afi: f, prefix, best: e, nexthops: e.nexthops };
        else if (e.best) yield { afi: f, prefix, best: e.best, nexthops: e.nexthops };
      }
    }
  }

  /** Every prefix that has at least one candidate (with or without a best). */
  *prefixes(afi: number): IterableIterator<string> {
    const t = this.tables.get(afi);
    if (t) yield* t.keys();
  }

  /** Number of prefixes with at least one candidate. */
  size(afi?: number): number {
    if (afi !== undefined) return this.tables.get(afi)?.size ?? 0;
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
