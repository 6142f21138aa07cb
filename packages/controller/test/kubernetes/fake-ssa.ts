// Server-side apply for the fake API server: field ownership per manager (metadata.managedFields, FieldsV1), as
// kube-apiserver tracks it, for what Gannet relies on:
// - an apply sets the fields in the applied config and takes ownership of them; fields this manager applied
//   before and no longer applies are removed, unless another manager owns them too;
// - a field owned by another manager with a different value is a conflict (409) unless force=true, which moves
//   the ownership to the applier; the same value is shared ownership;
// - updates (PUT, merge patch) take ownership of the fields they change, as operation Update.
// Simplifications: lists are atomic (owned as a whole: ownerReferences too, which the apiserver keys by uid), and
// empty maps are not owned.
import type { Obj } from './fake-api-objects.js';

/** Paths the server owns, never a manager. */
const SERVER_FIELDS = new Set([
  'apiVersion',
  'kind',
  'metadata.name',
  'metadata.uid',
  'metadata.resourceVersion',
  'metadata.managedFields',
  'metadata.creationTimestamp',
  'metadata.generation',
]);

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion?: string;
  fieldsType: 'FieldsV1';
  fieldsV1: Obj;
  subresource?: string;
}

export class ApplyConflict extends Error {
  constructor(readonly conflicts: { manager: string; path: string }[]) {
    super(
      `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${conflicts
        .map((c) => `conflict with "${c.manager}": .${c.path}`)
        .join(', ')}`,
    );
  }
}

const SEP = '\u0000';

/** The leaf paths of an object (lists and scalars are leaves), server fields left out. */
export function leafPaths(value: unknown, prefix: string[] = []): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown, p: string[]): void => {
    const dotted = p.join('.');
    if (SERVER_FIELDS.has(dotted)) return;
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      for (const [k, sub] of Object.entries(v)) walk(sub, [...p, k]);
    } else if (p.length > 0) out.add(p.join(SEP));
  };
  walk(value, prefix);
  return out;
}

export function encodeFields(paths: Iterable<string>): Obj {
  const root: Obj = {};
  for (const p of paths) {
    let node = root;
    for (const k of p.split(SEP)) node = node[`f:${k}`] ??= {};
  }
  return root;
}

export function decodeFields(f: Obj, prefix: string[] = [], out = new Set<string>()): Set<string> {
  for (const [k, sub] of Object.entries(f)) {
    const p = [...prefix, k.slice(2)];
    if (Object.keys(sub as Obj).length === 0) out.add(p.join(SEP));
    else decodeFields(sub as Obj, p, out);
  }
  return out;
}

function getPath(o: Obj, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split(SEP)) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Obj)[k];
  }
  return v;
}

function deletePath(o: Obj, path: string): void {
  const keys = path.split(SEP);
  const parents: Obj[] = [];
  let v: Obj = o;
  for (const k of keys.slice(0, -1)) {
    if (typeof v[k] !== 'object' || v[k] === null) return;
    parents.push(v);
    v = v[k];
  }
  delete v[keys[keys.length - 1]!];
  // drop maps emptied by the removal (not the top-level ones)
  for (let i = keys.length - 2; i >= 1; i--) {
    const parent = parents[i]!;
    if (Object.keys(parent[keys[i]!]).length === 0) delete parent[keys[i]!];
    else break;
  }
}

function deepMerge(target: Obj, patch: Obj): Obj {
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const t = out[k];
    out[k] =
      typeof v === 'object' &&
      v !== null &&
      !Array.isArray(v) &&
      typeof t === 'object' &&
      t !== null &&
      !Array.isArray(t)
        ? deepMerge(t, v)
        : structuredClone(v);
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function entriesOf(o: Obj | undefined): ManagedFieldsEntry[] {
  return structuredClone((o?.metadata?.managedFields as ManagedFieldsEntry[] | undefined) ?? []);
}

function store(o: Obj, entries: ManagedFieldsEntry[]): Obj {
  const kept = entries.filter((e) => Object.keys(e.fieldsV1).length > 0);
  o.metadata = { ...o.metadata, managedFields: kept };
  if (kept.length === 0) delete o.metadata.managedFields;
  return o;
}

/** The object after `manager` applies `applied` to `current` (undefined: create). Throws ApplyConflict. */
export function apply(current: Obj | undefined, applied: Obj, manager: string, force: boolean): Obj {
  const entries = entriesOf(current);
  const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const before = mine ? decodeFields(mine.fieldsV1) : new Set<string>();
  const want = leafPaths(applied);
  const base: Obj = structuredClone(current ?? {});
  const conflicts: { manager: string; path: string }[] = [];
  const others = entries.filter((e) => e !== mine);
  const otherSets = others.map((e) => decodeFields(e.fieldsV1));
  for (const p of want) {
    for (const [i, set] of otherSets.entries()) {
      if (set.has(p) && !same(getPath(base, p), getPath(applied, p))) {
        if (force) set.delete(p);
        else conflicts.push({ manager: others[i]!.manager, path: p.split(SEP).join('.') });
      }
    }
  }
  if (conflicts.length) throw new ApplyConflict(conflicts);
  for (const p of before) {
    if (!want.has(p) && !otherSets.some((s) => s.has(p))) deletePath(base, p);
  }
  const { metadata: meta, ...rest } = applied;
  const { resourceVersion: _rv, uid: _u, managedFields: _mf, ...metaFields } = (meta ?? {}) as Obj;
  const merged = deepMerge(base, { ...rest, metadata: metaFields });
  const next: ManagedFieldsEntry[] = others.map((e, i) => ({ ...e, fieldsV1: encodeFields(otherSets[i]!) }));
  next.push({
    manager,
    operation: 'Apply',
    apiVersion: applied.apiVersion,
    fieldsType: 'FieldsV1',
    fieldsV1: encodeFields(want),
  });
  return store(merged, next);
}

/** Records an update (PUT, merge patch) by `manager`: it owns what it changed; fields that went are nobody's. */
export function recordUpdate(before: Obj | undefined, after: Obj, manager: string): Obj {
  const entries = entriesOf(before);
  const now = leafPaths(after);
  const changed = [...now].filter((p) => !before || !same(getPath(before, p), getPath(after, p)));
  const next = entries.map((e) => {
    const set = decodeFields(e.fieldsV1);
    for (const p of [...set]) if (!now.has(p) || (changed.includes(p) && e.manager !== manager)) set.delete(p);
    return { ...e, fieldsV1: encodeFields(set) };
  });
  if (changed.length) {
    let mine = next.find((e) => e.manager === manager && e.operation === 'Update');
    if (!mine) {
      mine = { manager, operation: 'Update', apiVersion: after.apiVersion, fieldsType: 'FieldsV1', fieldsV1: {} };
      next.push(mine);
    }
    mine.fieldsV1 = encodeFields(new Set([...decodeFields(mine.fieldsV1), ...changed]));
  }
  return store(after, next);
}
