// The fake API server's CustomResourceDefinitions: the CRDs in deploy/crds, served with their schemas as
// kube-apiserver serves them — unknown fields pruned (silently, as for structural schemas without
// x-kubernetes-preserve-unknown-fields), then the rest validated (422 Invalid listing every violation).
import type { Obj, ResourceDef } from './fake-api-objects.js';
import { crds } from './manifests.js';
import { type Schema, validate } from './openapi-validator.js';

/** The resource each CRD in deploy/crds defines, with its schema and whether it has a status subresource. */
export function crdResources(): ResourceDef[] {
  return [...crds.values()].map((crd) => {
    const v = crd.spec.versions.find((x: Obj) => x.storage) ?? crd.spec.versions[0];
    return {
      group: crd.spec.group,
      version: v.name,
      plural: crd.spec.names.plural,
      kind: crd.spec.names.kind,
      schema: v.schema.openAPIV3Schema as Schema,
      statusSubresource: Boolean(v.subresources?.status),
    };
  });
}

/** Removes the fields `schema` does not declare; returns the paths removed. ObjectMeta is the server's, not pruned. */
export function prune(schema: Schema, value: unknown, path = ''): string[] {
  if (typeof value !== 'object' || value === null) return [];
  const out: string[] = [];
  if (Array.isArray(value)) {
    if (schema.items) for (const [i, v] of value.entries()) out.push(...prune(schema.items, v, `${path}[${i}]`));
    return out;
  }
  const obj = value as Obj;
  if (!schema.properties) {
    if (typeof schema.additionalProperties === 'object') {
      for (const [k, v] of Object.entries(obj)) out.push(...prune(schema.additionalProperties, v, `${path}.${k}`));
    }
    return out;
  }
  for (const k of Object.keys(obj)) {
    const sub = schema.properties[k];
    if (path === '' && (k === 'metadata' || k === 'apiVersion' || k === 'kind')) continue;
    if (!sub) {
      delete obj[k];
      out.push(`${path}.${k}`);
    } else out.push(...prune(sub, obj[k], `${path}.${k}`));
  }
  return out;
}

/** Prunes `obj` in place and validates what is left against the resource's schema (none: anything goes). */
export function admit(def: ResourceDef, obj: Obj): string[] {
  if (!def.schema) return [];
  prune(def.schema, obj);
  const { metadata: _m, ...rest } = obj;
  const { metadata: _ms, ...props } = def.schema.properties ?? {};
  return validate({ ...def.schema, properties: props }, rest, '');
}
