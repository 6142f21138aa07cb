// Types and pure helpers of the fake API server (fake-apiserver.ts).

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
}

export interface ApiCall {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  group: string;
  resource: string;
  status: number;
  /** The resourceVersion query parameter of a list or watch, when given. */
  resourceVersion?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: API objects are free-form JSON
export type Obj = Record<string, any>;

export function apiVersion(def: ResourceDef): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) return patch;
  const out: Obj = typeof target === 'object' && target !== null && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
