// The upstream sig-network netpol e2e model as data: namespaces x, y, z (label ns=<name>), pods a, b, c in each
// (label pod=<name>), serving ports 80 and 81 over TCP, UDP and SCTP with container ports named serve-<port>-<proto>.
// Unit tests, the e2e tests and benchmarks build their inputs from it.
import type { L4 } from '../model.js';
import type { NetworkPolicy, PodInfo, PolicyInput } from '../types.js';

export const WORLD_NAMESPACES = ['x', 'y', 'z'] as const;
export const WORLD_PODS = ['a', 'b', 'c'] as const;
export const WORLD_PORTS = [80, 81] as const;
export const WORLD_NODE_ADDRESS = '192.168.50.1';
export const WORLD_CLUSTER_CIDR = '10.244.0.0/16';

/** `x/a` → 10.244.1.1, `y/b` → 10.244.2.2, … (namespace index + 1, pod index + 1). */
export function worldIp(podKey: string): string {
  const [ns, pod] = podKey.split('/') as [string, string];
  const i = WORLD_NAMESPACES.indexOf(ns as 'x');
  const j = WORLD_PODS.indexOf(pod as 'a');
  if (i < 0 || j < 0) throw new Error(`${podKey} is not a pod of the model`);
  return `10.244.${i + 1}.${j + 1}`;
}

export function worldPods(local = true): PodInfo[] {
  return WORLD_NAMESPACES.flatMap((ns) =>
    WORLD_PODS.map((pod) => ({
      namespace: ns,
      name: pod,
      labels: { pod },
      ips: [worldIp(`${ns}/${pod}`)],
      ports: WORLD_PORTS.flatMap((port) =>
        (['TCP', 'UDP', 'SCTP'] as const).map((protocol) => ({
          name: `serve-${port}-${protocol.toLowerCase()}`,
          containerPort: port,
          protocol,
        })),
      ),
      local,
    })),
  );
}

export function worldInput(policies: NetworkPolicy[], extra: Partial<PolicyInput> = {}): PolicyInput {
  return {
    policies,
    pods: worldPods(),
    namespaces: WORLD_NAMESPACES.map((name) => ({ name, labels: { ns: name } })),
    nodeAddresses: [WORLD_NODE_ADDRESS],
    clusterCidrs: [WORLD_CLUSTER_CIDR],
    ...extra,
  };
}

/** A NetworkPolicy object from its namespace, name and spec. */
export function netpol(namespace: string, name: string, spec: NetworkPolicy['spec']): NetworkPolicy {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec };
}

export type { L4 };
