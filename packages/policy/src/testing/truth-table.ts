// The truth table: policy sets from the Kubernetes documentation's NetworkPolicy examples and the upstream
// sig-network netpol e2e suite (test/e2e/network/netpol/network_policy.go), each with probes
// (from, to, protocol, port → allowed?) on the x/y/z × a/b/c model (netpol-world.ts). Sources and destinations are
// pod keys (`x/a`) or plain addresses (outside the cluster). All pods are on this node unless a case says otherwise.
import type { L4 } from '../model.js';
import type { NetworkPolicy } from '../types.js';
import { netpol } from './netpol-world.js';

export type Probe = [from: string, to: string, proto: L4, port: number, allowed: boolean];

export interface TruthCase {
  name: string;
  policies: NetworkPolicy[];
  probes: Probe[];
}

const denyAllIngress = (ns: string) => netpol(ns, 'deny-all-ingress', { podSelector: {}, policyTypes: ['Ingress'] });
const podA = { matchLabels: { pod: 'a' } };
const OUTSIDE = '192.168.100.5';

export const TRUTH_TABLE: TruthCase[] = [
  {
    name: 'no policy selects a pod: everything is allowed',
    policies: [],
    probes: [
      ['x/a', 'x/b', 'tcp', 80, true],
      ['y/c', 'x/a', 'udp', 81, true],
      ['z/b', 'y/a', 'sctp', 80, true],
      [OUTSIDE, 'x/a', 'tcp', 80, true],
    ],
  },
  {
    name: 'docs: default deny all ingress traffic in x',
    policies: [denyAllIngress('x')],
    probes: [
      ['x/b', 'x/a', 'tcp', 80, false],
      ['y/a', 'x/c', 'udp', 80, false],
      [OUTSIDE, 'x/a', 'tcp', 81, false],
      ['x/a', 'y/a', 'tcp', 80, true], // egress of x is not restricted
      ['y/a', 'y/b', 'tcp', 80, true], // other namespaces are not selected
      ['x/a', 'x/a', 'tcp', 80, true], // same-pod hairpin
    ],
  },
  {
    name: 'docs: allow all ingress (ingress: [{}]) is additive with default deny',
    policies: [denyAllIngress('x'), netpol('x', 'allow-all-ingress', { podSelector: {}, ingress: [{}] })],
    probes: [
      ['y/a', 'x/a', 'tcp', 80, true],
      [OUTSIDE, 'x/b', 'udp', 81, true],
    ],
  },
  {
    name: 'netpol: allow from pod b within the server namespace (podSelector peer means the same namespace)',
    policies: [
      netpol('x', 'allow-b', {
        podSelector: podA,
        ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    ],
    probes: [
      ['x/b', 'x/a', 'tcp', 80, true],
      ['x/c', 'x/a', 'tcp', 80, false],
      ['y/b', 'x/a', 'tcp', 80, false],
      ['x/c', 'x/b', 'tcp', 80, true], // x/b is not selected
    ],
  },
  {
    name: 'netpol: allow from namespace y (namespaceSelector matchExpressions In)',
    policies: [
      netpol('x', 'allow-ns-y', {
        podSelector: podA,
        ingress: [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'In', values: ['y'] }] } }] },
        ],
      }),
    ],
    probes: [
      ['y/a', 'x/a', 'tcp', 80, true],
      ['y/c', 'x/a', 'udp', 81, true],
      ['z/a', 'x/a', 'tcp', 80, false],
      ['x/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: namespaceSelector NotIn [x]',
    policies: [
      netpol('x', 'not-x', {
        podSelector: podA,
        ingress: [
          { from: [{ namespaceSelector: { matchExpressions: [{ key: 'ns', operator: 'NotIn', values: ['x'] }] } }] },
        ],
      }),
    ],
    probes: [
      ['z/c', 'x/a', 'tcp', 80, true],
      ['x/c', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'docs: namespaceSelector and podSelector in one peer (AND)',
    policies: [
      netpol('x', 'and', {
        podSelector: podA,
        ingress: [
          { from: [{ namespaceSelector: { matchLabels: { ns: 'y' } }, podSelector: { matchLabels: { pod: 'b' } } }] },
        ],
      }),
    ],
    probes: [
      ['y/b', 'x/a', 'tcp', 80, true],
      ['y/a', 'x/a', 'tcp', 80, false],
      ['z/b', 'x/a', 'tcp', 80, false],
      ['x/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'docs: namespaceSelector and podSelector as separate peers (OR)',
    policies: [
      netpol('x', 'or', {
        podSelector: podA,
        ingress: [
          {
            from: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }, { podSelector: { matchLabels: { pod: 'b' } } }],
          },
        ],
      }),
    ],
    probes: [
      ['y/a', 'x/a', 'tcp', 80, true],
      ['x/b', 'x/a', 'tcp', 80, true],
      ['x/c', 'x/a', 'tcp', 80, false],
      ['z/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: empty namespaceSelector with podSelector: pod b in every namespace',
    policies: [
      netpol('x', 'any-ns-b', {
        podSelector: podA,
        ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'b' } } }] }],
      }),
    ],
    probes: [
      ['z/b', 'x/a', 'tcp', 80, true],
      ['y/b', 'x/a', 'tcp', 80, true],
      ['z/c', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: podSelector matchExpressions Exists / DoesNotExist on the target',
    policies: [
      netpol('y', 'exists', {
        podSelector: { matchExpressions: [{ key: 'pod', operator: 'Exists' }] },
        ingress: [
          { from: [{ podSelector: { matchExpressions: [{ key: 'pod', operator: 'In', values: ['a', 'b'] }] } }] },
        ],
      }),
      netpol('y', 'nobody', { podSelector: { matchExpressions: [{ key: 'pod', operator: 'DoesNotExist' }] } }),
    ],
    probes: [
      ['y/a', 'y/c', 'tcp', 80, true],
      ['y/c', 'y/b', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: allow only port 81',
    policies: [netpol('x', 'port-81', { podSelector: podA, ingress: [{ ports: [{ port: 81 }] }] })],
    probes: [
      ['x/b', 'x/a', 'tcp', 81, true],
      ['y/b', 'x/a', 'tcp', 81, true],
      ['x/b', 'x/a', 'tcp', 80, false],
      ['x/b', 'x/a', 'udp', 81, false], // protocol defaults to TCP
    ],
  },
  {
    name: 'netpol: named port serve-80-tcp, resolved on the destination pod',
    policies: [netpol('x', 'named', { podSelector: {}, ingress: [{ ports: [{ port: 'serve-80-tcp' }] }] })],
    probes: [
      ['y/a', 'x/a', 'tcp', 80, true],
      ['y/a', 'x/b', 'tcp', 80, true],
      ['y/a', 'x/a', 'tcp', 81, false],
      ['y/a', 'x/a', 'udp', 80, false],
    ],
  },
  {
    name: 'netpol: named port serve-81-udp with protocol UDP',
    policies: [
      netpol('x', 'named-udp', {
        podSelector: podA,
        ingress: [{ ports: [{ protocol: 'UDP', port: 'serve-81-udp' }] }],
      }),
    ],
    probes: [
      ['z/a', 'x/a', 'udp', 81, true],
      ['z/a', 'x/a', 'udp', 80, false],
      ['z/a', 'x/a', 'tcp', 81, false],
    ],
  },
  {
    name: 'netpol: endPort range 80-81 (TCP)',
    policies: [
      netpol('x', 'range', { podSelector: podA, ingress: [{ ports: [{ protocol: 'TCP', port: 80, endPort: 81 }] }] }),
    ],
    probes: [
      ['x/b', 'x/a', 'tcp', 80, true],
      ['x/b', 'x/a', 'tcp', 81, true],
      ['x/b', 'x/a', 'tcp', 82, false],
      ['x/b', 'x/a', 'udp', 80, false],
    ],
  },
  {
    name: 'netpol: SCTP port 80 only',
    policies: [netpol('x', 'sctp', { podSelector: podA, ingress: [{ ports: [{ protocol: 'SCTP', port: 80 }] }] })],
    probes: [
      ['x/b', 'x/a', 'sctp', 80, true],
      ['x/b', 'x/a', 'sctp', 81, false],
      ['x/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: protocol without port allows every UDP port',
    policies: [netpol('x', 'udp-any', { podSelector: podA, ingress: [{ ports: [{ protocol: 'UDP' }] }] })],
    probes: [
      ['x/b', 'x/a', 'udp', 80, true],
      ['x/b', 'x/a', 'udp', 81, true],
      ['x/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'docs: ipBlock with except (the cluster range minus namespace y)',
    policies: [
      netpol('x', 'ipblock', {
        podSelector: podA,
        ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/16', except: ['10.244.2.0/24'] } }] }],
      }),
    ],
    probes: [
      ['x/b', 'x/a', 'tcp', 80, true],
      ['z/c', 'x/a', 'tcp', 80, true],
      ['y/a', 'x/a', 'tcp', 80, false],
      [OUTSIDE, 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'docs: peers and ports in one rule (from ns y or ipBlock, TCP 80 only)',
    policies: [
      netpol('x', 'docs-example', {
        podSelector: podA,
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              { ipBlock: { cidr: '192.168.100.0/24', except: ['192.168.100.128/25'] } },
              { namespaceSelector: { matchLabels: { ns: 'y' } } },
            ],
            ports: [{ protocol: 'TCP', port: 80 }],
          },
        ],
      }),
    ],
    probes: [
      [OUTSIDE, 'x/a', 'tcp', 80, true],
      ['192.168.100.200', 'x/a', 'tcp', 80, false],
      ['y/b', 'x/a', 'tcp', 80, true],
      ['y/b', 'x/a', 'tcp', 81, false],
      ['z/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'docs: default deny all egress from x',
    policies: [netpol('x', 'deny-egress', { podSelector: {}, policyTypes: ['Egress'] })],
    probes: [
      ['x/a', 'y/b', 'tcp', 80, false],
      ['x/a', 'x/b', 'udp', 81, false],
      ['x/a', OUTSIDE, 'tcp', 80, false],
      ['y/b', 'x/a', 'tcp', 80, true], // ingress to x is not restricted
      ['x/a', 'x/a', 'tcp', 80, true], // hairpin
    ],
  },
  {
    name: 'netpol: egress to namespace y on port 80 only',
    policies: [
      netpol('x', 'egress-y-80', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { ns: 'y' } } }], ports: [{ port: 80 }] }],
      }),
    ],
    probes: [
      ['x/a', 'y/b', 'tcp', 80, true],
      ['x/a', 'y/b', 'tcp', 81, false],
      ['x/a', 'z/b', 'tcp', 80, false],
      ['x/b', 'z/b', 'tcp', 80, true],
    ],
  },
  {
    name: 'docs: DNS-style egress: UDP 53 anywhere plus nothing else',
    policies: [
      netpol('x', 'dns-only', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [
          {
            ports: [
              { protocol: 'UDP', port: 53 },
              { protocol: 'TCP', port: 53 },
            ],
          },
        ],
      }),
    ],
    probes: [
      ['x/a', '10.96.0.10', 'udp', 53, true],
      ['x/a', '10.96.0.10', 'tcp', 53, true],
      ['x/a', '10.96.0.10', 'udp', 54, false],
      ['x/a', 'y/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: egress ipBlock to an outside range',
    policies: [
      netpol('x', 'egress-outside', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ to: [{ ipBlock: { cidr: '192.168.100.0/24' } }] }],
      }),
    ],
    probes: [
      ['x/a', OUTSIDE, 'tcp', 80, true],
      ['x/a', '192.168.101.5', 'tcp', 80, false],
      ['x/a', 'x/b', 'tcp', 80, false],
    ],
  },
  {
    name: 'netpol: egress to a named port resolves on each destination pod',
    policies: [
      netpol('x', 'egress-named', {
        podSelector: podA,
        policyTypes: ['Egress'],
        egress: [{ ports: [{ protocol: 'UDP', port: 'serve-81-udp' }] }],
      }),
    ],
    probes: [
      ['x/a', 'z/c', 'udp', 81, true],
      ['x/a', 'z/c', 'udp', 80, false],
      ['x/a', OUTSIDE, 'udp', 81, false], // not a pod: the name resolves to nothing
    ],
  },
  {
    name: 'defaults: egress rules without policyTypes mean Ingress and Egress (no ingress rules: deny all ingress)',
    policies: [netpol('x', 'implicit-types', { podSelector: podA, egress: [{ to: [{ podSelector: {} }] }] })],
    probes: [
      ['x/a', 'x/b', 'tcp', 80, true],
      ['x/a', 'y/b', 'tcp', 80, false],
      ['x/b', 'x/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'defaults: policyTypes [Ingress] ignores egress rules',
    policies: [netpol('x', 'ingress-only', { podSelector: podA, policyTypes: ['Ingress'], ingress: [{}], egress: [] })],
    probes: [
      ['x/a', 'z/b', 'tcp', 80, true],
      ['z/b', 'x/a', 'tcp', 80, true],
    ],
  },
  {
    name: 'both ends: egress of the client and ingress of the server must both allow',
    policies: [
      netpol('x', 'x-egress-80', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 80 }] }] }),
      netpol('y', 'y-ingress-from-x', {
        podSelector: {},
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { ns: 'x' } } }] }],
      }),
    ],
    probes: [
      ['x/a', 'y/a', 'tcp', 80, true],
      ['x/a', 'y/a', 'tcp', 81, false],
      ['z/a', 'y/a', 'tcp', 80, false],
    ],
  },
  {
    name: 'a policy in another namespace selects nothing here',
    policies: [denyAllIngress('z')],
    probes: [
      ['y/a', 'x/a', 'tcp', 80, true],
      ['y/a', 'z/a', 'tcp', 80, false],
    ],
  },
];
