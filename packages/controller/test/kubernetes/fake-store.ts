// The fake API server's storage (its etcd and watch cache) and write semantics: resourceVersions, history,
// compaction, lists at a resourceVersion, create/update/patch/apply with the status subresource, CRD admission,
// and owner-reference garbage collection. The HTTP side is fake-apiserver.ts.
import { randomUUID } from 'node:crypto';
import { type ApiCall, apiVersion, mergePatch, type Obj, type ResourceDef } from './fake-api-objects.js';
import { admit } from './fake-crd.js';
import { ApplyConflict, apply, recordUpdate } from './fake-ssa.js';

export interface WriteRequest {
  verb: ApiCall['verb'];
  plural: string;
  name: string | undefined;
  subresource: string | undefined;
  obj: Obj | undefined;
  patchType: string;
  fieldManager: string | undefined;
  force: boolean;
}

export type WriteResult = { code: number; object?: Obj; reason?: string; message?: string };

export type ListAnswer =
  | { items: Obj[]; resourceVersion: number; quorum: boolean }
  | { code: number; reason: string; message: string; details?: Obj };

const APPLY = 'application/apply-patch+yaml';

/** Where an object is stored: its name, or namespace/name for a namespaced one (Pods, NetworkPolicies). */
function keyOf(obj: Obj): string {
  const { name, namespace } = obj.metadata ?? {};
  return namespace ? `${namespace}/${name}` : (name as string);
}
const MERGE = 'application/merge-patch+json';

export class FakeStore {
  protected readonly defs = new Map<string, ResourceDef>();
  private readonly store = new Map<string, Map<string, Obj>>();
  protected readonly history: { rv: number; plural: string; type: string; object: Obj }[] = [];
  /** The state at the last compaction, for Exact lists from before the history. */
  private snapshot = new Map<string, Map<string, Obj>>();
  private rv = 100;
  protected compactedRv = 0;
  private gcPending = false;
  /** Objects the garbage collector deleted (their owners were gone). */
  readonly collected: string[] = [];

  constructor(private readonly gcEnabled: boolean) {}

  /** Serves a resource from now on (a CRD being installed). */
  define(def: ResourceDef): void {
    this.defs.set(def.plural, def);
    if (!this.store.has(def.plural)) this.store.set(def.plural, new Map());
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Creates or replaces an object as an admin would (no checks); watchers see ADDED or MODIFIED. */
  put(plural: string, obj: Obj): Obj {
    const items = this.items(plural);
    const name = keyOf(obj);
    const old = items.get(name);
    const stored = this.stamp(plural, structuredClone(obj), old);
    items.set(name, stored);
    this.publish(plural, old ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  /** `name` is namespace/name for a namespaced object. */
  remove(plural: string, name: string): void {
    const items = this.items(plural);
    const old = items.get(name);
    if (!old) throw new Error(`no ${plural}/${name}`);
    items.delete(name);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.publish(plural, 'DELETED', gone);
  }

  get(plural: string, name: string): Obj | undefined {
    const o = this.items(plural).get(name);
    return o && structuredClone(o);
  }

  /** Forgets history up to now, like an etcd compaction: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
    this.snapshot = new Map([...this.store].map(([p, m]) => [p, new Map(m)]));
  }

  protected items(plural: string): Map<string, Obj> {
    const m = this.store.get(plural);
    if (!m) throw new Error(`resource ${plural} not defined`);
    return m;
  }

  protected def(plural: string): ResourceDef {
    return this.defs.get(plural)!;
  }

  /** Watchers hear of it (fake-apiserver.ts). */
  protected published(_plural: string, _type: string, _object: Obj): void {}

  private stamp(plural: string, obj: Obj, old: Obj | undefined): Obj {
    const def = this.def(plural);
    obj.apiVersion = apiVersion(def);
    obj.kind = def.kind;
    obj.metadata = {
      ...obj.metadata,
      uid: old?.metadata.uid ?? randomUUID(),
      creationTimestamp: old?.metadata.creationTimestamp ?? new Date(0).toISOString(),
      resourceVersion: String(++this.rv),
    };
    return obj;
  }

  private publish(plural: string, type: string, object: Obj): void {
    this.history.push({ rv: Number(object.metadata.resourceVersion), plural, type, object: structuredClone(object) });
    this.published(plural, type, object);
    if (this.gcEnabled && !this.gcPending) {
      this.gcPending = true;
      setImmediate(() => {
        this.gcPending = false;
        this.collectGarbage();
      });
    }
  }

  /**
   * The garbage collector's sweep: an object whose owners are all gone (no object of that kind and name with that
   * uid) is deleted. Like the real one it runs after the fact, so a dependent created with a stale owner uid is
   * deleted soon after it was written.
   */
  collectGarbage(): void {
    for (const [plural, items] of this.store) {
      for (const [name, o] of [...items]) {
        const refs = (o.metadata.ownerReferences ?? []) as { kind: string; name: string; uid: string }[];
        if (refs.length === 0) continue;
        const alive = refs.some((ref) => {
          const def = [...this.defs.values()].find((d) => d.kind === ref.kind);
          return def !== undefined && this.items(def.plural).get(ref.name)?.metadata.uid === ref.uid;
        });
        if (!alive) {
          this.collected.push(`${plural}/${name}`);
          this.remove(plural, name);
        }
      }
    }
  }

  /** A list as kube-apiserver answers it for `resourceVersion` and `resourceVersionMatch`. */
  protected listAt(plural: string, rv: string, match: string): ListAnswer {
    const current = { items: [...this.items(plural).values()], resourceVersion: this.rv };
    if (match && !rv) {
      return {
        code: 400,
        reason: 'BadRequest',
        message: 'resourceVersionMatch is forbidden unless resourceVersion is provided',
      };
    }
    if (match && match !== 'NotOlderThan' && match !== 'Exact') {
      return { code: 400, reason: 'BadRequest', message: `resourceVersionMatch: Unsupported value: "${match}"` };
    }
    if (rv === '') return { ...current, quorum: true };
    if (rv === '0') {
      if (match === 'Exact')
        return {
          code: 400,
          reason: 'BadRequest',
          message: 'resourceVersionMatch "exact" is forbidden for resourceVersion "0"',
        };
      return { ...current, quorum: false };
    }
    const n = Number(rv);
    if (!Number.isInteger(n) || n < 0)
      return { code: 400, reason: 'BadRequest', message: `invalid resourceVersion ${rv}` };
    if (n > this.rv) {
      // the watch cache waits (3 s) for a revision it does not have yet, then gives up
      return {
        code: 504,
        reason: 'Timeout',
        message: `Timeout: Too large resource version: ${n}, current: ${this.rv}`,
        details: {
          causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }],
          retryAfterSeconds: 1,
        },
      };
    }
    if (match !== 'Exact') return { ...current, quorum: false };
    if (n < this.compactedRv) {
      return { code: 410, reason: 'Expired', message: `The resourceVersion for the provided list is too old.` };
    }
    const state = new Map(this.snapshot.get(plural) ?? []);
    for (const h of this.history) {
      if (h.rv > n) break;
      if (h.plural !== plural) continue;
      if (h.type === 'DELETED') state.delete(keyOf(h.object));
      else state.set(keyOf(h.object), h.object);
    }
    return { items: [...state.values()], resourceVersion: n, quorum: false };
  }

  /** get, create, update, patch (merge or apply), delete; on the object or its status subresource. */
  protected perform(w: WriteRequest): WriteResult {
    const items = this.items(w.plural);
    const def = this.def(w.plural);
    const current = w.name ? items.get(w.name) : undefined;
    const notFound = { code: 404, reason: 'NotFound', message: `${w.plural} "${w.name}" not found` };
    if (w.verb === 'get') return current ? { code: 200, object: current } : notFound;
    if (w.verb === 'delete') {
      if (!current) return notFound;
      this.remove(w.plural, w.name!);
      return { code: 200, object: current };
    }
    const status = w.subresource === 'status';
    if (status && !def.statusSubresource) return { code: 404, reason: 'NotFound', message: 'no status subresource' };
    let next: Obj;
    const manager = w.fieldManager ?? 'unknown';
    if (w.verb === 'create') {
      const n = w.obj?.metadata?.name as string | undefined;
      if (!w.obj || !n) return { code: 422, reason: 'Invalid', message: 'metadata.name: Required value' };
      if (items.has(n)) return { code: 409, reason: 'AlreadyExists', message: `${w.plural} "${n}" already exists` };
      next = recordUpdate(undefined, structuredClone(w.obj), manager);
      if (def.statusSubresource) delete next.status;
    } else if (w.verb === 'update') {
      if (!current || !w.obj) return notFound;
      const want = w.obj.metadata?.resourceVersion;
      if (!want) {
        return {
          code: 422,
          reason: 'Invalid',
          message: 'metadata.resourceVersion: Invalid value: 0x0: must be specified',
        };
      }
      if (want !== current.metadata.resourceVersion) {
        return {
          code: 409,
          reason: 'Conflict',
          message: `Operation cannot be fulfilled on ${w.plural} "${w.name}": the object has been modified; please apply your changes to the latest version and try again`,
        };
      }
      next = recordUpdate(current, this.scope(def, status, current, structuredClone(w.obj)), manager);
    } else {
      if (!w.obj) return notFound;
      if (w.patchType === APPLY) {
        if (!w.fieldManager) {
          return { code: 422, reason: 'Invalid', message: 'fieldManager: Required value: is required for apply patch' };
        }
        if (w.obj.metadata?.name !== w.name) {
          return {
            code: 400,
            reason: 'BadRequest',
            message: 'the name of the object does not match the name on the URL',
          };
        }
        try {
          next = this.scope(def, status, current, apply(current, w.obj, w.fieldManager, w.force));
        } catch (e) {
          if (!(e instanceof ApplyConflict)) throw e;
          return { code: 409, reason: 'Conflict', message: e.message };
        }
      } else if (w.patchType === MERGE) {
        if (!current) return notFound;
        next = recordUpdate(
          current,
          this.scope(def, status, current, mergePatch(structuredClone(current), w.obj) as Obj),
          manager,
        );
      } else {
        return { code: 415, reason: 'UnsupportedMediaType', message: 'only merge-patch+json and apply-patch+yaml' };
      }
    }
    const problems = admit(def, next);
    if (problems.length) {
      return {
        code: 422,
        reason: 'Invalid',
        message: `${def.kind} "${next.metadata?.name}" is invalid: ${problems.join(', ')}`,
      };
    }
    const stored = this.stamp(w.plural, next, current);
    items.set(stored.metadata.name, stored);
    this.publish(w.plural, current ? 'MODIFIED' : 'ADDED', stored);
    return { code: current ? 200 : 201, object: stored };
  }

  /** With a status subresource: a write to the object keeps the stored status, a write to /status only changes it. */
  private scope(def: ResourceDef, status: boolean, current: Obj | undefined, next: Obj): Obj {
    if (!def.statusSubresource) return next;
    if (status) return { ...structuredClone(current ?? {}), status: next.status };
    const out = { ...next };
    if (current?.status !== undefined) out.status = structuredClone(current.status);
    else delete out.status;
    return out;
  }
}
