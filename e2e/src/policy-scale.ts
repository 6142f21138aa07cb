// A synthetic cluster for @gannet/policy benchmarks: N pods over namespaces with app/tier labels and named ports,
// and M NetworkPolicies mixing the shapes seen in practice (default deny, allow by app label, by namespace label,
// ipBlock with except, DNS egress, matchExpressions, named ports).
import type { NetworkPolicy, PodInfo, PolicyInput } from '@gannet/policy';

const TIERS = ['frontend', 'backend', 'db'];

export function scalePod(i: number, namespaces: number): PodInfo {
  const ns = `ns${i % namespaces}`;
  return {
    namespace: ns,
    name: `pod-${i}`,
    labels: { app: `app${i % 25}`, tier: TIERS[i % 3]!, version: `v${i % 2}` },
    ips: [scalePodIp(i)],
    ports: [
      { name: 'http', containerPort: 8080 + (i % 3), protocol: 'TCP' },
      { name: 'metrics', containerPort: 9090, protocol: 'TCP' },
      { name: 'dns', containerPort: 53, protocol: 'UDP' },
    ],
    local: true,
  };
}

/** Pod i's address: 10.244.0.0/16 counted from 10.244.0.1, skipping .0 and .255 of each /24. */
export function scalePodIp(i: number): string {
  const n = Math.floor(i / 254);
  return `10.244.${n}.${(i % 254) + 1}`;
}

export function scalePolicy(j: number, namespaces: number): NetworkPolicy {
  const namespace = `ns${j % namespaces}`;
  const name = `pol-${j}`;
  const meta = { namespace, name };
  const app = { matchLabels: { app: `app${j % 25}` } };
  switch (j % 8) {
    case 0:
      return {
        metadata: meta,
        spec: {
          podSelector: {},
          policyTypes: ['Ingress', 'Egress'],
          egress: [{ ports: [{ protocol: 'UDP', port: 53 }] }],
        },
      };
    case 1:
      return {
        metadata: meta,
        spec: {
          podSelector: app,
          ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'frontend' } } }], ports: [{ port: 'http' }] }],
        },
      };
    case 2:
      return {
        metadata: meta,
        spec: {
          podSelector: { matchLabels: { tier: 'db' } },
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { team: `t${j % 4}` } },
                  podSelector: { matchLabels: { tier: 'backend' } },
                },
              ],
              ports: [{ protocol: 'TCP', port: 5432 }],
            },
          ],
        },
      };
    case 3:
      return {
        metadata: meta,
        spec: {
          podSelector: app,
          ingress: [{ from: [{ ipBlock: { cidr: '172.16.0.0/12', except: ['172.16.1.0/24', '172.17.0.0/16'] } }] }],
        },
      };
    case 4:
      return {
        metadata: meta,
        spec: {
          podSelector: app,
          policyTypes: ['Egress'],
          egress: [
            {
              to: [
                { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['t1', 't2'] }] } },
              ],
              ports: [{ port: 'http' }, { port: 'metrics' }],
            },
          ],
        },
      };
    case 5:
      return {
        metadata: meta,
        spec: {
          podSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['db'] }] },
          ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 8000, endPort: 8100 }] }],
        },
      };
    case 6:
      return {
        metadata: meta,
        spec: {
          podSelector: app,
          ingress: [
            {
              from: [
                { podSelector: { matchLabels: { version: 'v1' } } },
                { namespaceSelector: { matchLabels: { monitoring: 'true' } } },
              ],
              ports: [{ port: 'metrics' }],
            },
          ],
        },
      };
    default:
      return {
        metadata: meta,
        spec: {
          podSelector: { matchLabels: { tier: 'backend' } },
          policyTypes: ['Egress'],
          egress: [
            { to: [{ podSelector: { matchLabels: { tier: 'db' } } }] },
            {
              to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }],
              ports: [{ protocol: 'TCP', port: 443 }],
            },
          ],
        },
      };
  }
}

export function scaleInput(pods: number, policies: number, namespaces = 20): PolicyInput {
  return {
    policies: Array.from({ length: policies }, (_, j) => scalePolicy(j, namespaces)),
    pods: Array.from({ length: pods }, (_, i) => scalePod(i, namespaces)),
    namespaces: Array.from({ length: namespaces }, (_, k) => ({
      name: `ns${k}`,
      labels: { team: `t${k % 4}`, ...(k === 0 ? { monitoring: 'true' } : {}) },
    })),
    nodeAddresses: ['192.168.50.1'],
    clusterCidrs: ['10.244.0.0/16'],
  };
}
