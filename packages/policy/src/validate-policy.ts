// Strict validation of networking.k8s.io/v1 NetworkPolicy objects (the API server's rules, plus unknown fields
// refused): every error names the object (`NetworkPolicy ns/name`) and the field path, and nothing is half-taken.
import { cidrContains, parseCidr } from './cidr.js';
import { invalid } from './policy-error.js';
import type { LabelSelector, NetworkPolicy, NetworkPolicyPeer, NetworkPolicyPort } from './types.js';

const OBJECT_META = new Set([
  'name',
  'generateName',
  'namespace',
  'selfLink',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
]);
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);
const OPERATORS = new Set(['In', 'NotIn', 'Exists', 'DoesNotExist']);

type Obj = Record<string, unknown>;

class Checker {
  constructor(readonly object: string) {}

  fail(field: string, message: string): never {
    throw invalid(this.object, field, message);
  }

  obj(v: unknown, field: string, allowed: readonly string[]): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(field, 'must be an object');
    for (const k of Object.keys(v)) {
      if (!allowed.includes(k)) this.fail(field ? `${field}.${k}` : k, `unknown field "${k}"`);
    }
    return v as Obj;
  }

  list(v: unknown, field: string): unknown[] {
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(field, 'must be a list');
    return v;
  }

  str(v: unknown, field: string): string {
    if (typeof v !== 'string') this.fail(field, 'must be a string');
    return v;
  }

  labelKey(k: string, field: string): void {
    const slash = k.lastIndexOf('/');
    const [prefix, name] = slash < 0 ? [undefined, k] : [k.slice(0, slash), k.slice(slash + 1)];
    if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
      this.fail(field, `"${k}": the key prefix must be a DNS subdomain`);
    }
    if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
      this.fail(field, `"${k}" is not a valid label key (at most 63 characters: letters, digits, '-', '_', '.')`);
    }
  }

  labelValue(v: unknown, field: string): string {
    const s = this.str(v, field);
    if (s.length > 63 || (s !== '' && !LABEL_NAME.test(s))) this.fail(field, `"${s}" is not a valid label value`);
    return s;
  }

  labels(v: unknown, field: string): Record<string, string> {
    if (v === undefined || v === null) return {};
    const o = this.obj(v, field, Object.keys(v as Obj));
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) {
      this.labelKey(k, `${field}.${k}`);
      out[k] = this.labelValue(val, `${field}.${k}`);
    }
    return out;
  }

  selector(v: unknown, field: string): LabelSelector {
    const o = this.obj(v ?? {}, field, ['matchLabels', 'matchExpressions']);
    const sel: LabelSelector = {};
    if (o.matchLabels !== undefined && o.matchLabels !== null) {
      sel.matchLabels = this.labels(o.matchLabels, `${field}.matchLabels`);
    }
    if (o.matchExpressions !== undefined && o.matchExpressions !== null) {
      sel.matchExpressions = this.list(o.matchExpressions, `${field}.matchExpressions`).map((e, i) => {
        const f = `${field}.matchExpressions[${i}]`;
        const r = this.obj(e, f, ['key', 'operator', 'values']);
        const key = this.str(r.key, `${f}.key`);
        this.labelKey(key, `${f}.key`);
        const op = this.str(r.operator, `${f}.operator`);
        if (!OPERATORS.has(op))
          this.fail(`${f}.operator`, `"${op}" is not a valid operator (In, NotIn, Exists, DoesNotExist)`);
        const values = this.list(r.values, `${f}.values`).map((x, j) => this.labelValue(x, `${f}.values[${j}]`));
        if ((op === 'In' || op === 'NotIn') && values.length === 0) {
          this.fail(`${f}.values`, `must be non-empty when operator is ${op}`);
        }
        if ((op === 'Exists' || op === 'DoesNotExist') && values.length > 0) {
          this.fail(`${f}.values`, `must be empty when operator is ${op}`);
        }
        return { key, operator: op as 'In', values };
      });
    }
    return sel;
  }

  port(v: unknown, field: string): NetworkPolicyPort {
    const o = this.obj(v, field, ['protocol', 'port', 'endPort']);
    const out: NetworkPolicyPort = {};
    if (o.protocol !== undefined && o.protocol !== null) {
      const p = this.str(o.protocol, `${field}.protocol`);
      if (!PROTOCOLS.has(p)) this.fail(`${field}.protocol`, `"${p}" is not a supported protocol (TCP, UDP, SCTP)`);
      out.protocol = p as 'TCP';
    }
    if (o.port !== undefined && o.port !== null) {
      if (typeof o.port === 'number') {
        if (!Number.isInteger(o.port) || o.port < 1 || o.port > 65535) {
          this.fail(`${field}.port`, `${o.port} is not a port number in 1..65535`);
        }
      } else if (typeof o.port === 'string') {
        portName(this, o.port, `${field}.port`);
      } else {
        this.fail(`${field}.port`, 'must be a number or a port name');
      }
      out.port = o.port;
    }
    if (o.endPort !== undefined && o.endPort !== null) {
      const e = o.endPort;
      if (typeof e !== 'number' || !Number.isInteger(e) || e < 1 || e > 65535) {
        this.fail(`${field}.endPort`, `${JSON.stringify(e)} is not a port number in 1..65535`);
      }
      if (typeof out.port !== 'number') this.fail(`${field}.endPort`, 'may only be set with a numeric port');
      if (e < out.port) this.fail(`${field}.endPort`, `${e} is smaller than port ${out.port}`);
      out.endPort = e;
    }
    return out;
  }

  peer(v: unknown, field: string): NetworkPolicyPeer {
    const o = this.obj(v, field, ['podSelector', 'namespaceSelector', 'ipBlock']);
    const has = (k: string) => o[k] !== undefined && o[k] !== null;
    if (!has('podSelector') && !has('namespaceSelector') && !has('ipBlock')) {
      this.fail(field, 'must specify podSelector, namespaceSelector or ipBlock');
    }
    if (has('ipBlock')) {
      if (has('podSelector') || has('namespaceSelector')) {
        this.fail(field, 'ipBlock may not be combined with podSelector or namespaceSelector');
      }
      const b = this.obj(o.ipBlock, `${field}.ipBlock`, ['cidr', 'except']);
      const cidrText = this.str(b.cidr, `${field}.ipBlock.cidr`);
      const cidr = parseCidr(cidrText);
      if (typeof cidr === 'string') this.fail(`${field}.ipBlock.cidr`, cidr);
      const except = this.list(b.except, `${field}.ipBlock.except`).map((x, i) => {
        const f = `${field}.ipBlock.except[${i}]`;
        const e = parseCidr(this.str(x, f));
        if (typeof e === 'string') this.fail(f, e);
        if (!cidrContains(cidr, e) || e.length === cidr.length) {
          this.fail(f, `${e.text} must be a strict subset of the block's cidr ${cidr.text}`);
        }
        return x as string;
      });
      return { ipBlock: except.length ? { cidr: cidrText, except } : { cidr: cidrText } };
    }
    const out: NetworkPolicyPeer = {};
    if (has('podSelector')) out.podSelector = this.selector(o.podSelector, `${field}.podSelector`);
    if (has('namespaceSelector'))
      out.namespaceSelector = this.selector(o.namespaceSelector, `${field}.namespaceSelector`);
    return out;
  }
}

/** IANA_SVC_NAME: 1-15 characters, lowercase letters, digits and '-', at least one letter, no '-' at an end or '--'. */
function portName(c: Checker, s: string, field: string): void {
  if (s.length === 0 || s.length > 15) c.fail(field, `port name "${s}" must be 1 to 15 characters long`);
  if (!/^[a-z0-9-]+$/.test(s) || !/[a-z]/.test(s) || s.startsWith('-') || s.endsWith('-') || s.includes('--')) {
    c.fail(field, `"${s}" is not a valid port name (lowercase letters, digits and '-', at least one letter)`);
  }
}

/** True when `s` is a valid port name (IANA_SVC_NAME), as used in container ports. */
export function isPortName(s: string): boolean {
  try {
    portName(new Checker(''), s, '');
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks an object (from the API server or a YAML document) against the networking.k8s.io/v1 NetworkPolicy schema and
 * returns a normalised copy; throws PolicyError ERR_GANNET_POLICY_INVALID naming the object and the field.
 */
export function parseNetworkPolicy(input: unknown): NetworkPolicy {
  const raw = (typeof input === 'object' && input !== null ? input : {}) as Obj;
  const meta = (typeof raw.metadata === 'object' && raw.metadata !== null ? raw.metadata : {}) as Obj;
  const id = `NetworkPolicy ${String(meta.namespace ?? '?')}/${String(meta.name ?? '?')}`;
  const c = new Checker(id);
  const o = c.obj(input, '', ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  if (o.apiVersion !== undefined && o.apiVersion !== 'networking.k8s.io/v1') {
    c.fail('apiVersion', `"${String(o.apiVersion)}" is not networking.k8s.io/v1`);
  }
  if (o.kind !== undefined && o.kind !== 'NetworkPolicy') c.fail('kind', `"${String(o.kind)}" is not NetworkPolicy`);
  const m = c.obj(o.metadata, 'metadata', [...OBJECT_META]);
  const name = c.str(m.name, 'metadata.name');
  if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) c.fail('metadata.name', `"${name}" is not a DNS subdomain`);
  const namespace = c.str(m.namespace, 'metadata.namespace');
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) {
    c.fail('metadata.namespace', `"${namespace}" is not a DNS label`);
  }
  const s = c.obj(o.spec, 'spec', ['podSelector', 'policyTypes', 'ingress', 'egress']);
  if (s.podSelector === undefined) c.fail('spec.podSelector', 'is required (use {} to select every pod)');
  const podSelector = c.selector(s.podSelector, 'spec.podSelector');
  const spec: NetworkPolicy['spec'] = { podSelector };
  if (s.policyTypes !== undefined && s.policyTypes !== null) {
    const types = c.list(s.policyTypes, 'spec.policyTypes').map((t, i) => {
      if (t !== 'Ingress' && t !== 'Egress')
        c.fail(`spec.policyTypes[${i}]`, `"${String(t)}" is not Ingress or Egress`);
      return t;
    });
    if (new Set(types).size !== types.length) c.fail('spec.policyTypes', 'lists a type twice');
    spec.policyTypes = types as ('Ingress' | 'Egress')[];
  }
  if (s.ingress !== undefined && s.ingress !== null) {
    spec.ingress = c.list(s.ingress, 'spec.ingress').map((r, i) => {
      const f = `spec.ingress[${i}]`;
      const rule = c.obj(r ?? {}, f, ['from', 'ports']);
      return {
        from: c.list(rule.from, `${f}.from`).map((p, j) => c.peer(p, `${f}.from[${j}]`)),
        ports: c.list(rule.ports, `${f}.ports`).map((p, j) => c.port(p, `${f}.ports[${j}]`)),
      };
    });
  }
  if (s.egress !== undefined && s.egress !== null) {
    spec.egress = c.list(s.egress, 'spec.egress').map((r, i) => {
      const f = `spec.egress[${i}]`;
      const rule = c.obj(r ?? {}, f, ['to', 'ports']);
      return {
        to: c.list(rule.to, `${f}.to`).map((p, j) => c.peer(p, `${f}.to[${j}]`)),
        ports: c.list(rule.ports, `${f}.ports`).map((p, j) => c.port(p, `${f}.ports[${j}]`)),
      };
    });
  }
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

export { Checker as FieldChecker };
