// From the API's Pods, Namespaces and NetworkPolicies to @gannet/policy's input. Objects are trimmed on arrival to
// the fields the compiler reads (a Pod keeps ~10 of its ~100 fields), and the conversion keeps the identity of every
// PodInfo, NamespaceInfo and NetworkPolicy whose content did not change: the applier remembers its validation per
// object and takes its fast path (only the changed pods) when the other objects are the same ones as last time.
import {
  type ContainerPort,
  type NamespaceInfo,
  type NetworkPolicy,
  type PodInfo,
  PolicyError,
  parseNetworkPolicy,
} from '@gannet/policy';
import type {
  ContainerPortSpec,
  ContainerSpec,
  NamespaceObject,
  NetworkPolicyObject,
  ObjectMeta,
  PodObject,
} from './resources.js';

/** IANA_SVC_NAME, as the API server validates container port names. */
const PORT_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9]|-(?!-))*$/;
const PROTOCOLS = new Set(['TCP', 'UDP', 'SCTP']);

function meta(m: ObjectMeta | undefined, labels: boolean): ObjectMeta {
  const out: ObjectMeta = { name: m?.name };
  if (m?.namespace) out.namespace = m.namespace;
  if (m?.resourceVersion) out.resourceVersion = m.resourceVersion;
  if (labels && m?.labels && Object.keys(m.labels).length > 0) out.labels = { ...m.labels };
  if (m?.deletionTimestamp) out.deletionTimestamp = String(m.deletionTimestamp);
  return out;
}

/** Only named ports can be named by a policy: the others are dropped. */
function namedPorts(containers: ContainerSpec[] | undefined, sidecarsOnly: boolean): ContainerPortSpec[] {
  const out: ContainerPortSpec[] = [];
  for (const c of containers ?? []) {
    if (sidecarsOnly && c.restartPolicy !== 'Always') continue;
    for (const p of c.ports ?? []) {
      if (p.name) out.push({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' });
    }
  }
  return out;
}

/**
 * The parts of a Pod the policy input needs: namespace, name, labels, node, host network, phase, deletion, IPs and
 * named ports — those of its containers and of its sidecars (init containers with restartPolicy Always, whose ports
 * Kubernetes resolves named ports against too); plain init containers end before the pod runs and do not count.
 * Idempotent (the ports are folded into one container).
 */
export function trimPod(p: PodObject): PodObject {
  const spec: NonNullable<PodObject['spec']> = {};
  if (p.spec?.nodeName) spec.nodeName = p.spec.nodeName;
  if (p.spec?.hostNetwork) spec.hostNetwork = true;
  const ports = [...namedPorts(p.spec?.containers, false), ...namedPorts(p.spec?.initContainers, true)];
  if (ports.length > 0) spec.containers = [{ ports }];
  const status: NonNullable<PodObject['status']> = {};
  if (p.status?.phase) status.phase = p.status.phase;
  const ips = p.status?.podIPs?.length ? p.status.podIPs.map((x) => x.ip) : p.status?.podIP ? [p.status.podIP] : [];
  if (ips.length > 0) status.podIPs = ips.map((ip) => ({ ip }));
  return { metadata: meta(p.metadata, true), spec, status };
}

export function trimNamespace(n: NamespaceObject): NamespaceObject {
  return { metadata: meta(n.metadata, true) };
}

/** Name, namespace and spec: the compiler reads nothing else (managedFields, annotations and status go). */
export function trimNetworkPolicy(np: NetworkPolicyObject): NetworkPolicyObject {
  const out: NetworkPolicyObject = { metadata: meta(np.metadata, false) };
  if (np.spec !== undefined) out.spec = np.spec;
  return out;
}

/**
 * A Pod as the compiler sees it, or undefined when it takes no part: no IP yet (nothing to match), or finished
 * (Succeeded/Failed: its IP may already be another pod's). A terminating pod (deletionTimestamp set) still runs
 * through its grace period with its IP, so it stays until it is gone. A host-network pod is passed with
 * hostNetwork (the compiler neither polices it nor lets it match a selector: its IP is its node's).
 */
export function podInfoOf(p: PodObject, nodeName: string): PodInfo | undefined {
  const namespace = p.metadata?.namespace;
  const name = p.metadata?.name;
  if (!namespace || !name) return undefined;
  const phase = p.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return undefined;
  const ips = p.status?.podIPs?.map((x) => x.ip).filter((ip) => typeof ip === 'string' && ip !== '') ?? [];
  if (ips.length === 0) return undefined;
  const info: PodInfo = { namespace, name, ips, local: p.spec?.nodeName === nodeName };
  if (p.metadata?.labels) info.labels = p.metadata.labels; // shared with the trimmed copy: neither is edited
  if (p.spec?.hostNetwork) {
    info.hostNetwork = true;
    return info;
  }
  const ports: ContainerPort[] = [];
  for (const c of p.spec?.containers ?? []) {
    for (const port of c.ports ?? []) {
      const n = port.containerPort;
      const protocol = port.protocol ?? 'TCP';
      // the API server validated these; a port the compiler would refuse must not stop every other pod's policy
      if (!port.name || !PORT_NAME.test(port.name) || port.name.length > 15) continue;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535 || !PROTOCOLS.has(protocol)) continue;
      ports.push({ name: port.name, containerPort: n, protocol: protocol as ContainerPort['protocol'] });
    }
  }
  if (ports.length > 0) info.ports = ports;
  return info;
}

export function namespaceInfoOf(n: NamespaceObject): NamespaceInfo | undefined {
  const name = n.metadata?.name;
  if (!name) return undefined;
  return n.metadata?.labels ? { name, labels: n.metadata.labels } : { name };
}

/** A NetworkPolicy the compiler refused; the last good version of the object, if any, is enforced instead. */
export interface RejectedPolicy {
  /** namespace/name */
  policy: string;
  /** The compiler's message: the object and the field, e.g. `NetworkPolicy shop/web: spec.ingress[0]…: …`. */
  message: string;
  /** True when an earlier version of the object is still enforced; false when the object is not enforced at all. */
  keptLastGood: boolean;
}

export interface PolicyParts {
  policies: NetworkPolicy[];
  pods: PodInfo[];
  namespaces: NamespaceInfo[];
  rejected: RejectedPolicy[];
}

interface Entry<S, V> {
  src: S;
  value: V | undefined;
}

/** Converts per object, reusing the previous result when the object (or its content) is unchanged. */
class Converter<S extends object, V> {
  private entries = new Map<string, Entry<S, V>>();

  constructor(private readonly convert: (src: S, previous: Entry<S, V> | undefined) => V | undefined) {}

  /** Converts every item; entries of objects no longer there are forgotten. */
  run(items: Map<string, S>): V[] {
    const next = new Map<string, Entry<S, V>>();
    const out: V[] = [];
    for (const [key, src] of items) {
      const old = this.entries.get(key);
      let e: Entry<S, V>;
      if (old && old.src === src) e = old;
      else {
        const value = this.convert(src, old);
        // a relist brings new objects for the same content: keep the old result (no strings kept per object)
        const same = old !== undefined && JSON.stringify(old.value) === JSON.stringify(value);
        e = { src, value: same ? old.value : value };
      }
      next.set(key, e);
      if (e.value !== undefined) out.push(e.value);
    }
    this.entries = next;
    return out;
  }
}

/**
 * Builds the compiler's input from the reflectors' copies. A NetworkPolicy the compiler refuses (the API server let
 * it through, but the compiler knows no field it has, or refuses a value) is reported, and the last version of the
 * same object that was accepted stays enforced — the running ruleset stays as it was for that object, and every
 * other object keeps being enforced. A refused object with no accepted version is not enforced.
 */
export class PolicyInputBuilder {
  private readonly pods: Converter<PodObject, PodInfo>;
  private readonly namespaces = new Converter<NamespaceObject, NamespaceInfo>((n) => namespaceInfoOf(n));
  private readonly policies: Converter<NetworkPolicyObject, { policy?: NetworkPolicy; rejected?: RejectedPolicy }>;

  constructor(nodeName: string) {
    this.pods = new Converter<PodObject, PodInfo>((p) => podInfoOf(p, nodeName));
    this.policies = new Converter((np, previous) => {
      const key = `${np.metadata?.namespace}/${np.metadata?.name}`;
      try {
        return { policy: parseNetworkPolicy({ ...np, apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' }) };
      } catch (err) {
        const message = err instanceof PolicyError ? err.message : `NetworkPolicy ${key}: ${(err as Error).message}`;
        const lastGood = previous?.value?.policy;
        return {
          ...(lastGood ? { policy: lastGood } : {}),
          rejected: { policy: key, message, keptLastGood: lastGood !== undefined },
        };
      }
    });
  }

  build(items: {
    pods: Map<string, PodObject>;
    namespaces: Map<string, NamespaceObject>;
    policies: Map<string, NetworkPolicyObject>;
  }): PolicyParts {
    const policies: NetworkPolicy[] = [];
    const rejected: RejectedPolicy[] = [];
    for (const r of this.policies.run(items.policies)) {
      if (r.policy) policies.push(r.policy);
      if (r.rejected) rejected.push(r.rejected);
    }
    return {
      policies,
      pods: this.pods.run(items.pods),
      namespaces: this.namespaces.run(items.namespaces),
      rejected,
    };
  }
}
