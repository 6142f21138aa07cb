// Services and EndpointSlices as the API server returns them, for the Service advertisement tests.
import type { ResourceDef } from './fake-apiserver.js';
import { RESOURCES } from './helpers.js';

/** Namespaced, served cluster-wide only (/api/v1/services), as the agent reads them. */
export const CORE_SERVICES: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'services',
  kind: 'Service',
  statusSubresource: true,
};
export const ENDPOINT_SLICES: ResourceDef = {
  group: 'discovery.k8s.io',
  version: 'v1',
  plural: 'endpointslices',
  kind: 'EndpointSlice',
};

/** What the fake API server serves for Kubernetes mode with Service advertisement. */
export const SERVICE_RESOURCES = [...RESOURCES, CORE_SERVICES, ENDPOINT_SLICES];

/** A LoadBalancer Service with an ingress IP (and the fields we drop), eTP Local when `local`. */
export function apiService(ns: string, name: string, o: { lb?: string[]; externalIPs?: string[]; local?: boolean }) {
  return {
    metadata: { name, namespace: ns, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
    spec: {
      type: o.lb ? 'LoadBalancer' : 'ClusterIP',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }],
      ...(o.externalIPs ? { externalIPs: o.externalIPs } : {}),
      ...(o.local ? { externalTrafficPolicy: 'Local' } : o.lb ? { externalTrafficPolicy: 'Cluster' } : {}),
    },
    status: { loadBalancer: { ingress: (o.lb ?? []).map((ip) => ({ ip })) } },
  };
}

/** One IPv4 EndpointSlice of `service` with ready endpoints on `nodes`. */
export function apiEndpointSlice(ns: string, service: string, nodes: string[], name = `${service}-abc`) {
  return {
    metadata: { name, namespace: ns, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ port: 8080, protocol: 'TCP' }],
    endpoints: nodes.map((n, i) => ({
      addresses: [`10.244.${i + 1}.5`],
      nodeName: n,
      conditions: { ready: true, serving: true, terminating: false },
      targetRef: { kind: 'Pod', name: `${service}-${i}`, namespace: ns },
    })),
  };
}
