// A validator for the OpenAPI v3 subset our CRD schemas use, with kube-apiserver's semantics where they differ from
// JSON Schema: unknown fields are errors (as with `kubectl apply --validate=strict`), `nullable` admits null,
// integers must be whole, formats are Kubernetes' (ipv4, ipv6, date-time, int64). Returns every violation found.
import { isIP } from 'node:net';

export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  format?: string;
  anyOf?: Schema[];
  not?: Schema;
  nullable?: boolean;
  default?: unknown;
  description?: string;
}

const KNOWN = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'pattern',
  'format',
  'anyOf',
  'not',
  'nullable',
  'default',
  'description',
]);

/** Throws if the schema uses a keyword this validator does not implement (so a schema cannot silently pass). */
export function assertSupported(schema: Schema, path = '$'): void {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) throw new Error(`${path}: unsupported keyword ${k}`);
  for (const [k, s] of Object.entries(schema.properties ?? {})) assertSupported(s, `${path}.${k}`);
  if (schema.items) assertSupported(schema.items, `${path}[]`);
  if (typeof schema.additionalProperties === 'object') assertSupported(schema.additionalProperties, `${path}{}`);
  for (const s of schema.anyOf ?? []) assertSupported(s, `${path}|`);
  if (schema.not) assertSupported(schema.not, `${path}!`);
}

const JUNCTOR_FORBIDDEN = ['type', 'description', 'default', 'additionalProperties', 'nullable'] as const;

/**
 * The rules kube-apiserver applies to a CRD schema before accepting it (structural schemas, apiextensions v1), for
 * the features we use: every field has a type, arrays have items, `properties` and `additionalProperties` exclude
 * each other (unknown fields are pruned, not refused: `additionalProperties: false` is rejected), and the subschemas
 * of anyOf/not carry value validations only. Returns the violations, worded like the apiserver's.
 */
export function structuralProblems(schema: Schema, path = 'openAPIV3Schema', inJunctor = false): string[] {
  const out: string[] = [];
  if (inJunctor) {
    for (const k of JUNCTOR_FORBIDDEN)
      if (k in schema) out.push(`${path}.${k}: Forbidden: must not be set inside anyOf/not`);
  } else if (!schema.type) {
    out.push(`${path}.type: Required value: must not be empty for specified object fields`);
  }
  if (schema.additionalProperties !== undefined && schema.properties) {
    out.push(`${path}.additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`);
  }
  if (schema.type === 'array' && !schema.items) out.push(`${path}.items: Required value: must be specified`);
  if (schema.properties && schema.type !== 'object' && !inJunctor) out.push(`${path}.type: must be object`);
  for (const [k, sub] of Object.entries(schema.properties ?? {})) {
    out.push(...structuralProblems(sub, `${path}.properties[${k}]`, inJunctor));
  }
  if (schema.items) out.push(...structuralProblems(schema.items, `${path}.items`, inJunctor));
  for (const [i, sub] of (schema.anyOf ?? []).entries())
    out.push(...structuralProblems(sub, `${path}.anyOf[${i}]`, true));
  if (schema.not) out.push(...structuralProblems(schema.not, `${path}.not`, true));
  return out;
}

function checkFormat(format: string, v: string): boolean {
  switch (format) {
    case 'ipv4':
      return isIP(v) === 4;
    case 'ipv6':
      return isIP(v) === 6;
    case 'date-time':
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v) && !Number.isNaN(Date.parse(v));
    default:
      return true; // int64 and friends constrain numbers, not strings
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  if (value === null) {
    if (!schema.nullable) errors.push(`${path}: must not be null`);
    return errors;
  }
  const t = typeOf(value);
  if (schema.type && !(t === schema.type || (schema.type === 'number' && t === 'integer'))) {
    return [`${path}: must be ${schema.type}, not ${t}`];
  }
  if (schema.enum && !schema.enum.some((e) => e === value))
    errors.push(`${path}: must be one of ${schema.enum.join(', ')}`);
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && value < schema.minimum) errors.push(`${path}: must be >= ${schema.minimum}`);
    if (schema.maximum !== undefined && value > schema.maximum) errors.push(`${path}: must be <= ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) errors.push(`${path}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) errors.push(`${path}: too long`);
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) errors.push(`${path}: must match ${schema.pattern}`);
    if (schema.format && !checkFormat(schema.format, value)) errors.push(`${path}: must be a valid ${schema.format}`);
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) errors.push(`${path}: too few items`);
    if (schema.maxItems !== undefined && value.length > schema.maxItems) errors.push(`${path}: too many items`);
    if (schema.items) for (const [i, v] of value.entries()) errors.push(...validate(schema.items, v, `${path}[${i}]`));
  }
  if (t === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${path}.${r}: required`);
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k];
      if (sub) errors.push(...validate(sub, v, `${path}.${k}`));
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...validate(schema.additionalProperties, v, `${path}.${k}`));
      else if (schema.properties && schema.additionalProperties !== true) errors.push(`${path}.${k}: unknown field`);
    }
  }
  if (schema.anyOf && !schema.anyOf.some((s) => validate(s, value, path).length === 0)) {
    errors.push(`${path}: must match one of ${schema.anyOf.length} alternatives`);
  }
  if (schema.not && validate(schema.not, value, path).length === 0)
    errors.push(`${path}: must not match ${JSON.stringify(schema.not)}`);
  return errors;
}
