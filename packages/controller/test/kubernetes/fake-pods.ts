// Builders of Pods, Namespaces and NetworkPolicies as the API server returns them, for the NetworkPolicy tests.
import type { PodObject } from '../../src/kubernetes/resources.js';
import { CORE_NAMESPACES, CORE_PODS, NETWORK_POLICIES } from './fake-apiserver.js';
import { RESOURCES } from './helpers.js';

/** What the fake API server serves for Kubernetes mode with NetworkPolicy enforcement. */
export const POLICY_RESOURCES = [...RESOURCES, CORE_PODS, CORE_NAMESPACES, NETWORK_POLICIES];

export const namespace = (name: string, labels: Record<string, string> = {}) => ({
  metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } },
});

export const networkPolicy = (ns: string, name: string, spec: Record<string, unknown>) => ({
  metadata: { name, namespace: ns },
  spec,
});

/** A Pod as the API server returns it, with the fields we drop (managedFields, conditions, images…). */
export function apiPod(
  ns: string,
  name: string,
  o: {
    node?: string;
    ips?: string[];
    labels?: Record<string, string>;
    phase?: string;
    hostNetwork?: boolean;
    deleting?: boolean;
    containers?: { name: string; ports?: { name?: string; containerPort: number; protocol?: string }[] }[];
    initContainers?: {
      name: string;
      restartPolicy?: string;
      ports?: { name?: string; containerPort: number; protocol?: string }[];
    }[];
  } = {},
): PodObject & Record<string, unknown> {
  const ips = o.ips ?? [];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: ns,
      uid: `uid-${ns}-${name}`,
      resourceVersion: '7',
      labels: o.labels ?? { app: name },
      annotations: { 'kubectl.kubernetes.io/restartedAt': '2026-12-04T00:00:00Z' },
      managedFields: [{ manager: 'kubelet', operation: 'Update', fieldsV1: { 'f:status': {} } }],
      ...(o.deleting ? { deletionTimestamp: '2026-12-04T23:00:00Z' } : {}),
    } as PodObject['metadata'],
    spec: {
      nodeName: o.node ?? 'node1',
      ...(o.hostNetwork ? { hostNetwork: true } : {}),
      containers: (o.containers ?? [{ name: 'main' }]).map((c) => ({ image: 'registry.k8s.io/pause:3.10', ...c })),
      ...(o.initContainers ? { initContainers: o.initContainers } : {}),
      volumes: [{ name: 'kube-api-access', projected: { sources: [] } }],
    } as PodObject['spec'],
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: 'True' }],
      ...(ips.length ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
      hostIP: '172.30.0.1',
    } as PodObject['status'],
  };
}
