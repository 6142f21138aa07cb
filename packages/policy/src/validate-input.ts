// Checks the compiler's whole input up front (policies, pods, namespaces, addresses), so a bad object is refused with
// a message naming it before anything is compiled or applied.
import { type Cidr, ipv4, isIPv6, minimalIPv4, parseCidr } from './cidr.js';
import { invalid } from './policy-error.js';
import type { NamespaceInfo, NetworkPolicy, PodInfo, PolicyInput, Protocol } from './types.js';
import { FieldChecker, isPortName, parseNetworkPolicy } from './validate-policy.js';

export interface CheckedPod {
  key: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** IPv4 addresses, canonical. */
  ips: string[];
  ports: { name: string; port: number; protocol: Protocol }[];
  hostNetwork: boolean;
  local: boolean;
}

export interface CheckedInput {
  policies: NetworkPolicy[];
  pods: CheckedPod[];
  /** Namespace → labels, including the `kubernetes.io/metadata.name` label the API server sets on every namespace. */
  namespaces: Map<string, Record<string, string>>;
  nodeAddresses: string[];
  clusterCidrs: string[];
  natOutgoing: boolean;
  natExclude: string[];
}

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

// Validation results per input object: the compiler runs on every change over the whole input, and most objects are
// the same as last time. Inputs are treated as immutable (a changed pod or policy is a new object).
const checkedPolicies = new WeakMap<object, NetworkPolicy>();
const checkedPods = new WeakMap<object, CheckedPod>();

function cached<T>(cache: WeakMap<object, T>, obj: unknown, check: () => T): T {
  if (typeof obj !== 'object' || obj === null) return check();
  let v = cache.get(obj);
  if (v === undefined) {
    v = check();
    cache.set(obj, v);
  }
  return v;
}

export function checkInput(input: PolicyInput): CheckedInput {
  const opts = new FieldChecker('PolicyInput');
  opts.obj(input, '', ['policies', 'pods', 'namespaces', 'nodeAddresses', 'clusterCidrs', 'natOutgoing', 'natExclude']);
  const seen = new Set<string>();
  const policies = opts.list(input.policies, 'policies').map((p) => {
    const np = cached(checkedPolicies, p, () => parseNetworkPolicy(p));
    const key = `${np.metadata.namespace}/${np.metadata.name}`;
    if (seen.has(key)) throw invalid(`NetworkPolicy ${key}`, 'metadata.name', 'is given twice');
    seen.add(key);
    return np;
  });
  const namespaces = new Map<string, Record<string, string>>();
  for (const n of opts.list(input.namespaces, 'namespaces') as NamespaceInfo[]) {
    const c = new FieldChecker(`Namespace ${String(n?.name)}`);
    c.obj(n, '', ['name', 'labels']);
    const name = c.str(n.name, 'name');
    namespaces.set(name, { ...c.labels(n.labels, 'labels'), [NAMESPACE_NAME_LABEL]: name });
  }
  const pods = (opts.list(input.pods, 'pods') as PodInfo[]).map((p) => cached(checkedPods, p, () => checkPod(p)));
  for (const p of pods) {
    if (!namespaces.has(p.namespace)) namespaces.set(p.namespace, { [NAMESPACE_NAME_LABEL]: p.namespace });
  }
  const nodeAddresses = opts.list(input.nodeAddresses, 'nodeAddresses').map((a, i) => {
    const s = opts.str(a, `nodeAddresses[${i}]`);
    const v4 = ipv4(s);
    if (v4 === undefined && !isIPv6(s)) opts.fail(`nodeAddresses[${i}]`, `"${s}" is not an IP address`);
    return v4;
  });
  const cidrs = (field: 'clusterCidrs' | 'natExclude'): Cidr[] =>
    opts.list(input[field], field).map((x, i) => {
      const c = parseCidr(opts.str(x, `${field}[${i}]`));
      if (typeof c === 'string') return opts.fail(`${field}[${i}]`, c);
      return c;
    });
  const clusterCidrs = minimalIPv4(cidrs('clusterCidrs'));
  const natExclude = minimalIPv4(cidrs('natExclude'));
  if (input.natOutgoing !== undefined && typeof input.natOutgoing !== 'boolean') {
    opts.fail('natOutgoing', 'must be true or false');
  }
  const natOutgoing = input.natOutgoing ?? true;
  if (natOutgoing && clusterCidrs.length === 0) {
    opts.fail('clusterCidrs', 'at least one IPv4 cluster CIDR is needed for natOutgoing (or set natOutgoing: false)');
  }
  return {
    policies,
    pods,
    namespaces,
    nodeAddresses: [...new Set(nodeAddresses.filter((a) => a !== undefined))].sort(),
    clusterCidrs,
    natOutgoing,
    natExclude,
  };
}

function checkPod(p: PodInfo): CheckedPod {
  const c = new FieldChecker(`Pod ${String(p?.namespace)}/${String(p?.name)}`);
  c.obj(p, '', ['namespace', 'name', 'labels', 'ips', 'ports', 'hostNetwork', 'local']);
  const namespace = c.str(p.namespace, 'namespace');
  const name = c.str(p.name, 'name');
  if (!namespace || !name) c.fail(namespace ? 'name' : 'namespace', 'must not be empty');
  const ips: string[] = [];
  c.list(p.ips, 'ips').forEach((a, i) => {
    const s = c.str(a, `ips[${i}]`);
    const v4 = ipv4(s);
    if (v4 !== undefined) ips.push(v4);
    else if (!isIPv6(s)) c.fail(`ips[${i}]`, `"${s}" is not an IP address`);
  });
  const ports = c.list(p.ports, 'ports').flatMap((x, i) => {
    const f = `ports[${i}]`;
    const o = c.obj(x, f, ['name', 'containerPort', 'protocol']);
    const port = o.containerPort as number;
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      c.fail(`${f}.containerPort`, `${JSON.stringify(port)} is not a port number in 1..65535`);
    }
    const protocol = (o.protocol ?? 'TCP') as Protocol;
    if (!['TCP', 'UDP', 'SCTP'].includes(protocol)) c.fail(`${f}.protocol`, `"${protocol}" is not TCP, UDP or SCTP`);
    if (o.name === undefined) return [];
    const n = c.str(o.name, `${f}.name`);
    if (!isPortName(n)) c.fail(`${f}.name`, `"${n}" is not a valid port name`);
    return [{ name: n, port, protocol }];
  });
  if (p.hostNetwork !== undefined && typeof p.hostNetwork !== 'boolean') c.fail('hostNetwork', 'must be true or false');
  if (typeof p.local !== 'boolean') c.fail('local', 'must be true or false');
  return {
    key: `${namespace}/${name}`,
    namespace,
    name,
    labels: c.labels(p.labels, 'labels'),
    ips: [...new Set(ips)],
    ports,
    hostNetwork: p.hostNetwork ?? false,
    local: p.local,
  };
}
