// Standard Kubernetes YAML for standalone mode and the lab (`policy: { files: [...] }`, `lab policy apply -f`):
// NetworkPolicy and Namespace documents, `---`-separated, or a `kind: List` of them. Each error names the source,
// the line, the object and the field; a file with any bad document yields nothing.
import { LineCounter, parseAllDocuments } from 'yaml';
import { invalid, PolicyError } from './policy-error.js';
import type { NamespaceInfo, NetworkPolicy } from './types.js';
import { FieldChecker, parseNetworkPolicy } from './validate-policy.js';

export interface PolicyDocuments {
  policies: NetworkPolicy[];
  namespaces: NamespaceInfo[];
}

export interface ParseDocumentsOptions {
  /** Where the text came from, for messages (a file name). */
  source?: string;
  /** The namespace of a NetworkPolicy that gives none (kubectl's current namespace; default `default`). */
  defaultNamespace?: string;
}

/** Documents larger than this are not policy files. */
export const MAX_POLICY_DOCUMENT_BYTES = 4 * 1024 * 1024;

/** Parses NetworkPolicy and Namespace documents; throws PolicyError ERR_GANNET_POLICY_INVALID naming source and line. */
export function parsePolicyDocuments(text: string, opts: ParseDocumentsOptions = {}): PolicyDocuments {
  const source = opts.source ?? '<input>';
  if (text.length > MAX_POLICY_DOCUMENT_BYTES) {
    throw invalid(source, '', `is larger than ${MAX_POLICY_DOCUMENT_BYTES} bytes`);
  }
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, merge: false, prettyErrors: false });
  if (!Array.isArray(docs)) return { policies: [], namespaces: [] }; // an empty stream
  const out: PolicyDocuments = { policies: [], namespaces: [] };
  docs.forEach((doc, i) => {
    const at = (offset: number | undefined) => `${source}:${offset === undefined ? '?' : lines.linePos(offset).line}`;
    const first = doc.errors[0];
    if (first) throw invalid(`${at(first.pos[0])}`, '', `YAML: ${first.message.split('\n')[0]}`);
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      throw invalid(at(doc.range[0]), '', `YAML: ${(err as Error).message}`);
    }
    if (value === null || value === undefined) return; // an empty document (a trailing ---)
    const where = at(doc.contents?.range[0] ?? doc.range[0]);
    const isList = (value as { kind?: unknown }).kind === 'List';
    const items = isList ? ((value as { items?: unknown[] }).items ?? []) : value;
    if (isList && !Array.isArray(items)) throw invalid(where, 'items', 'must be a list');
    (isList ? (items as unknown[]) : [items]).forEach((item, j) => {
      // The line of the offending field when the error names one (the document's first line otherwise).
      const lineOf = (field: string | undefined): string => {
        if (!field) return where;
        const path: (string | number)[] = [];
        for (const m of field.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) path.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
        const node = doc.getIn(isList ? ['items', j, ...path] : path, true) as { range?: [number] } | undefined;
        return node?.range ? at(node.range[0]) : where;
      };
      take(item, where, lineOf, i, opts.defaultNamespace ?? 'default', out);
    });
  });
  return out;
}

function take(
  v: unknown,
  where: string,
  lineOf: (field: string | undefined) => string,
  index: number,
  defaultNamespace: string,
  out: PolicyDocuments,
): void {
  const o = (typeof v === 'object' && v !== null ? v : {}) as Record<string, unknown>;
  const kind = o.kind;
  if (kind === 'NetworkPolicy') {
    const meta = (typeof o.metadata === 'object' && o.metadata !== null ? o.metadata : {}) as Record<string, unknown>;
    const withNs = meta.namespace === undefined ? { ...o, metadata: { ...meta, namespace: defaultNamespace } } : o;
    try {
      out.policies.push(parseNetworkPolicy(withNs));
    } catch (err) {
      if (!(err instanceof PolicyError)) throw err;
      throw new PolicyError(err.code, `${lineOf(err.field)}: ${err.message}`, {
        cause: err,
        ...(err.object !== undefined ? { object: err.object } : {}),
        ...(err.field !== undefined ? { field: err.field } : {}),
      });
    }
    return;
  }
  if (kind === 'Namespace') {
    const c = new FieldChecker(`${where}: Namespace ${String((o.metadata as { name?: unknown })?.name ?? '?')}`);
    c.obj(o, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
    if (o.apiVersion !== 'v1') c.fail('apiVersion', `"${String(o.apiVersion)}" is not v1`);
    const m = c.obj(o.metadata, 'metadata', [
      'name',
      'labels',
      'annotations',
      'uid',
      'resourceVersion',
      'creationTimestamp',
    ]);
    const name = c.str(m.name, 'metadata.name');
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
      c.fail('metadata.name', `"${name}" is not a DNS label`);
    }
    out.namespaces.push({ name, labels: c.labels(m.labels, 'metadata.labels') });
    return;
  }
  throw invalid(
    `${where}: document ${index + 1}`,
    'kind',
    `${JSON.stringify(kind)} is not NetworkPolicy or Namespace (only those are read here)`,
  );
}
