// Which Service addresses this node advertises (pure): the ClusterIP range(s) as configured, and each ExternalIP and
// LoadBalancer ingress IP as a /32 (/128) — only inside the BGPConfiguration's lists (the list guard: a typo in a
// Service must not leak an address into the fabric), and only while the Service has a ready endpoint: anywhere for
// externalTrafficPolicy Cluster, on this node for Local (per address family: an IPv6 address needs IPv6 endpoints).
import { type Cidr, cidrContains, parseCidr } from '../net.js';
import { KubernetesError } from './kubernetes-error.js';
import type { KubeObject } from './resources.js';

/** The label an EndpointSlice carries naming its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export interface ServiceObject extends KubeObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    clusterIPs?: string[];
    externalIPs?: string[];
    externalTrafficPolicy?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } };
}

export interface EndpointConditions {
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface EndpointSliceObject extends KubeObject {
  addressType?: string;
  endpoints?: { addresses?: string[]; nodeName?: string; conditions?: EndpointConditions }[];
}

/** BGPConfiguration spec.serviceClusterIPs / serviceExternalIPs / serviceLoadBalancerIPs (canonical CIDR text). */
export interface ServiceRanges {
  clusterIPs: string[];
  externalIPs: string[];
  loadBalancerIPs: string[];
}

export interface RefusedAddress {
  /** namespace/name */
  service: string;
  address: string;
  kind: 'externalIP' | 'loadBalancerIP';
}

export interface ServiceSelection {
  /** Sorted, canonical, no duplicates. */
  prefixes: string[];
  /** Addresses outside the configured lists: never advertised (reported once each by the caller). */
  refused: RefusedAddress[];
}

/** BGPConfiguration spec.service* → ServiceRanges (undefined when none is set); bad entries reported and skipped. */
export function serviceRangesFrom(
  spec: { serviceClusterIPs?: unknown; serviceExternalIPs?: unknown; serviceLoadBalancerIPs?: unknown } | undefined,
  where: string,
  problems: { push(e: KubernetesError): void },
): ServiceRanges | undefined {
  if (!spec) return undefined;
  const fields = [
    ['serviceClusterIPs', 'clusterIPs'],
    ['serviceExternalIPs', 'externalIPs'],
    ['serviceLoadBalancerIPs', 'loadBalancerIPs'],
  ] as const;
  if (fields.every(([f]) => spec[f] === undefined)) return undefined;
  const out: ServiceRanges = { clusterIPs: [], externalIPs: [], loadBalancerIPs: [] };
  for (const [f, k] of fields) {
    const list = spec[f];
    if (list === undefined) continue;
    if (!Array.isArray(list)) {
      problems.push(invalid(`${where}: spec.${f} must be a list of CIDRs; ignored`));
      continue;
    }
    for (const [i, c] of list.entries()) {
      try {
        out[k].push(parseCidr(String(c)).text);
      } catch (e) {
        problems.push(invalid(`${where}: spec.${f}[${i}]: ${(e as Error).message}; entry ignored`));
      }
    }
  }
  return out;
}

function invalid(message: string): KubernetesError {
  return new KubernetesError('ERR_GANNET_K8S_INVALID_OBJECT', message);
}

export function emptyRanges(r: ServiceRanges | undefined): boolean {
  return !r || (r.clusterIPs.length === 0 && r.externalIPs.length === 0 && r.loadBalancerIPs.length === 0);
}

function keyOf(o: KubeObject): string {
  return `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
}

/** An endpoint that takes new connections: ready (absent means ready, as the API says) and not terminating. */
export function endpointReady(c: EndpointConditions | undefined): boolean {
  return c?.ready !== false && c?.terminating !== true;
}

interface Readiness {
  anywhere: Set<4 | 6>;
  here: Set<4 | 6>;
}

/** Per Service (namespace/name): the families with a ready endpoint anywhere, and on `nodeName`. */
export function readiness(slices: Iterable<EndpointSliceObject>, nodeName: string): Map<string, Readiness> {
  const out = new Map<string, Readiness>();
  for (const s of slices) {
    const family = s.addressType === 'IPv4' ? 4 : s.addressType === 'IPv6' ? 6 : undefined;
    const service = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!family || !service) continue;
    const key = `${s.metadata?.namespace ?? ''}/${service}`;
    let r = out.get(key);
    for (const e of s.endpoints ?? []) {
      if (!endpointReady(e.conditions) || (e.addresses?.length ?? 0) === 0) continue;
      if (!r) {
        r = { anywhere: new Set(), here: new Set() };
        out.set(key, r);
      }
      r.anywhere.add(family);
      if (e.nodeName === nodeName) r.here.add(family);
    }
  }
  return out;
}

function parseAll(list: readonly string[]): Cidr[] {
  return list.map((c) => parseCidr(c));
}

function hostPrefix(address: string): Cidr | undefined {
  try {
    return parseCidr(address.includes(':') ? `${address}/128` : `${address}/32`);
  } catch {
    return undefined;
  }
}

export function selectServicePrefixes(
  ranges: ServiceRanges,
  services: Iterable<ServiceObject>,
  slices: Iterable<EndpointSliceObject>,
  nodeName: string,
): ServiceSelection {
  const prefixes = new Set<string>(parseAll(ranges.clusterIPs).map((c) => c.text));
  const refused: RefusedAddress[] = [];
  const externalRanges = parseAll(ranges.externalIPs);
  const lbRanges = parseAll(ranges.loadBalancerIPs);
  if (externalRanges.length + lbRanges.length > 0) {
    const ready = readiness(slices, nodeName);
    for (const svc of services) {
      const key = keyOf(svc);
      const local = svc.spec?.externalTrafficPolicy === 'Local';
      const r = ready.get(key);
      const candidates: { address: string; kind: RefusedAddress['kind']; within: Cidr[] }[] = [];
      for (const a of svc.spec?.externalIPs ?? [])
        candidates.push({ address: a, kind: 'externalIP', within: externalRanges });
      if (svc.spec?.type === 'LoadBalancer') {
        for (const i of svc.status?.loadBalancer?.ingress ?? []) {
          if (i.ip) candidates.push({ address: i.ip, kind: 'loadBalancerIP', within: lbRanges });
        }
      }
      for (const c of candidates) {
        const host = hostPrefix(c.address);
        if (!host) continue; // not an address (a hostname ingress, a typo): nothing to advertise
        if (!c.within.some((range) => cidrContains(range, host))) {
          refused.push({ service: key, address: host.text.split('/')[0] as string, kind: c.kind });
          continue;
        }
        const families = local ? r?.here : r?.anywhere;
        if (families?.has(host.family)) prefixes.add(host.text);
      }
    }
  }
  return { prefixes: [...prefixes].sort(), refused };
}

/** The parts of a Service the selection reads; the rest (annotations, ports, managedFields) is dropped on arrival. */
export function trimService(s: ServiceObject): ServiceObject {
  const m = s.metadata ?? {};
  const out: ServiceObject = { metadata: { name: m.name, namespace: m.namespace } };
  if (m.resourceVersion) out.metadata!.resourceVersion = m.resourceVersion;
  const spec: NonNullable<ServiceObject['spec']> = {};
  if (s.spec?.type) spec.type = s.spec.type;
  if (s.spec?.externalIPs?.length) spec.externalIPs = [...s.spec.externalIPs];
  if (s.spec?.externalTrafficPolicy) spec.externalTrafficPolicy = s.spec.externalTrafficPolicy;
  out.spec = spec;
  const ingress = (s.status?.loadBalancer?.ingress ?? []).filter((i) => i.ip).map((i) => ({ ip: i.ip }));
  if (ingress.length) out.status = { loadBalancer: { ingress } };
  return out;
}

export function trimEndpointSlice(s: EndpointSliceObject): EndpointSliceObject {
  const m = s.metadata ?? {};
  const service = m.labels?.[SERVICE_NAME_LABEL];
  const out: EndpointSliceObject = {
    metadata: {
      name: m.name,
      namespace: m.namespace,
      ...(service ? { labels: { [SERVICE_NAME_LABEL]: service } } : {}),
    },
  };
  if (m.resourceVersion) out.metadata!.resourceVersion = m.resourceVersion;
  if (s.addressType) out.addressType = s.addressType;
  out.endpoints = (s.endpoints ?? []).map((e) => ({
    addresses: e.addresses?.length ? [e.addresses[0] as string] : [],
    ...(e.nodeName ? { nodeName: e.nodeName } : {}),
    ...(e.conditions ? { conditions: { ...e.conditions } } : {}),
  }));
  return out;
}
