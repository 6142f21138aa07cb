// Types and pure helpers of the fake API server (fake-apiserver.ts).
import type { Schema } from './openapi-validator.js';

export interface ResourceDef {
  group: string; // '' for the core group
  version: string;
  plural: string;
  kind: string;
  /** A CRD's openAPIV3Schema: writes are pruned and validated against it (fake-crd.ts). */
  schema?: Schema;
  /** Writes to the object ignore .status; writes to /status change only .status (Nodes, CRDs that ask for it). */
  statusSubresource?: boolean;
}

export interface ApiCall {
  verb: 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete';
  group: string;
  resource: string;
  status: number;
  /** The resourceVersion query parameter of a list or watch, when given. */
  resourceVersion?: string;
  /** resourceVersionMatch of a list, when given. */
  resourceVersionMatch?: string;
  /** timeoutSeconds of a watch, when given. */
  timeoutSeconds?: number;
  /** `status` for a call on the status subresource. */
  subresource?: string;
  /** The Content-Type of a patch. */
  patchType?: string;
  /** fieldManager of a write, when given. */
  fieldManager?: string;
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

/** A Status object, as kube-apiserver answers failures. */
export function statusOf(code: number, reason: string, message: string, details?: Obj): Obj {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}
