// Kubernetes label selector strings (the `-l` syntax of kubectl), as BGPPeer.spec.nodeSelector uses them:
//   key == value, key = value, key != value, key in (a, b), key notin (a, b), key, !key
// joined by commas (AND). An empty selector and `all()` select every node.
import { KubernetesError } from './kubernetes-error.js';

type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'absent'; key: string };

export interface LabelSelector {
  readonly text: string;
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

// A label key: optional DNS-subdomain prefix and '/', then a name of [A-Za-z0-9._-]. Values: the same without '/'.
const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function fail(text: string, why: string): never {
  throw new KubernetesError('ERR_GANNET_K8S_INVALID_OBJECT', `invalid node selector "${text}": ${why}`);
}

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    if (depth < 0 || depth > 1) fail(text, `unbalanced parentheses at offset ${i}`);
    if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) fail(text, 'unbalanced parentheses');
  terms.push(text.slice(start));
  return terms.map((t) => t.trim());
}

function checkKey(text: string, key: string): string {
  if (key.length > 316 || !KEY.test(key)) fail(text, `bad label key "${key}"`);
  return key;
}

function checkValue(text: string, value: string): string {
  if (value.length > 63 || !VALUE.test(value)) fail(text, `bad label value "${value}"`);
  return value;
}

function parseTerm(text: string, term: string): Requirement {
  if (term === '') fail(text, 'empty term');
  let m = /^!\s*(\S+)$/.exec(term);
  if (m) return { op: 'absent', key: checkKey(text, m[1]!) };
  m = /^(\S+?)\s*(==|!=|=)\s*(\S*)$/.exec(term);
  if (m) {
    const op = m[2] === '!=' ? 'ne' : 'eq';
    return { op, key: checkKey(text, m[1]!), value: checkValue(text, m[3]!) };
  }
  m = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (m) {
    const values = m[3]!
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (values.length === 0) fail(text, `"${m[2]}" needs at least one value`);
    for (const v of values) checkValue(text, v);
    return { op: m[2] as 'in' | 'notin', key: checkKey(text, m[1]!), values };
  }
  if (/^\S+$/.test(term)) return { op: 'exists', key: checkKey(text, term) };
  return fail(text, `cannot parse "${term}"`);
}

function test(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const v = labels[r.key];
  switch (r.op) {
    case 'exists':
      return has;
    case 'absent':
      return !has;
    case 'eq':
      return has && v === r.value;
    case 'ne':
      return !has || v !== r.value;
    case 'in':
      return has && r.values.includes(v!);
    case 'notin':
      return !has || !r.values.includes(v!);
  }
}

/** Parses a selector; throws KubernetesError (ERR_GANNET_K8S_INVALID_OBJECT) naming the bad part. */
export function parseLabelSelector(text: string | undefined): LabelSelector {
  const trimmed = (text ?? '').trim();
  const requirements =
    trimmed === '' || trimmed === 'all()' ? [] : splitTerms(trimmed).map((t) => parseTerm(trimmed, t));
  return {
    text: trimmed,
    matches: (labels) => requirements.every((r) => test(r, labels ?? {})),
  };
}
