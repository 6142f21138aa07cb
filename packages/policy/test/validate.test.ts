import assert from 'node:assert/strict';
import { compilePolicies, type NetworkPolicy, PolicyError, parseNetworkPolicy } from '../src/index.js';
import { worldInput, worldPods } from '../src/testing/index.js';

const base = () => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'web', namespace: 'shop' },
  spec: {
    podSelector: { matchLabels: { app: 'web' } },
    ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }],
  },
});

// biome-ignore lint/suspicious/noExplicitAny: the tests break the shape on purpose
type Loose = any;

function rejects(mutate: (p: Loose) => void, field: string, msg: RegExp): void {
  const p = base() as Loose;
  mutate(p);
  assert.throws(
    () => parseNetworkPolicy(p),
    (err: unknown) => {
      assert.ok(err instanceof PolicyError);
      assert.equal(err.code, 'ERR_GANNET_POLICY_INVALID');
      assert.equal(err.object, 'NetworkPolicy shop/web');
      assert.equal(err.field, field);
      assert.match(err.message, /^NetworkPolicy shop\/web: /);
      assert.match(err.message, msg);
      return true;
    },
  );
}

describe('NetworkPolicy validation', () => {
  it('accepts a good policy and normalises it', () => {
    const p = parseNetworkPolicy({
      ...base(),
      metadata: { ...base().metadata, uid: 'u', resourceVersion: '7' },
      status: {},
    });
    assert.deepEqual(p.metadata, { name: 'web', namespace: 'shop' });
    assert.deepEqual(p.spec.ingress, [{ from: [{ podSelector: {} }], ports: [{ port: 80 }] }]);
  });

  it('unknown fields, at any depth', () => {
    rejects((p) => (p.spec.ingres = []), 'spec.ingres', /unknown field "ingres"/);
    rejects((p) => (p.spec.ingress[0].from[0].podSelectr = {}), 'spec.ingress[0].from[0].podSelectr', /unknown field/);
    rejects((p) => (p.spec.ingress[0].ports[0].prot = 'TCP'), 'spec.ingress[0].ports[0].prot', /unknown field/);
    rejects((p) => (p.metadata.labelz = {}), 'metadata.labelz', /unknown field/);
  });

  it('invalid CIDRs in ipBlock and except', () => {
    rejects(
      (p) => (p.spec.ingress[0].from = [{ ipBlock: { cidr: '10.0.0.300/8' } }]),
      'spec.ingress[0].from[0].ipBlock.cidr',
      /not an IPv4 or IPv6 address/,
    );
    rejects(
      (p) => (p.spec.ingress[0].from = [{ ipBlock: { cidr: '10.0.0.0' } }]),
      'spec.ingress[0].from[0].ipBlock.cidr',
      /not a CIDR/,
    );
    rejects(
      (p) => (p.spec.ingress[0].from = [{ ipBlock: { cidr: '10.0.0.0/33' } }]),
      'spec.ingress[0].from[0].ipBlock.cidr',
      /0\.\.32/,
    );
    rejects(
      (p) => (p.spec.ingress[0].from = [{ ipBlock: { cidr: '10.0.0.0/8', except: ['11.0.0.0/16'] } }]),
      'spec.ingress[0].from[0].ipBlock.except[0]',
      /strict subset/,
    );
    rejects(
      (p) => (p.spec.ingress[0].from = [{ ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }]),
      'spec.ingress[0].from[0]',
      /may not be combined/,
    );
    rejects((p) => (p.spec.ingress[0].from = [{}]), 'spec.ingress[0].from[0]', /must specify/);
  });

  it('port names: too long, bad characters, no letter', () => {
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ port: 'a-very-long-port-name' }]),
      'spec.ingress[0].ports[0].port',
      /1 to 15 characters/,
    );
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ port: 'HTTP' }]),
      'spec.ingress[0].ports[0].port',
      /not a valid port name/,
    );
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ port: 'web--1' }]),
      'spec.ingress[0].ports[0].port',
      /not a valid port name/,
    );
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ port: '8080' }]),
      'spec.ingress[0].ports[0].port',
      /at least one letter/,
    );
    rejects((p) => (p.spec.ingress[0].ports = [{ port: 0 }]), 'spec.ingress[0].ports[0].port', /1\.\.65535/);
  });

  it('protocols, endPort', () => {
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ protocol: 'ICMP', port: 1 }]),
      'spec.ingress[0].ports[0].protocol',
      /"ICMP" is not a supported protocol/,
    );
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ protocol: 'tcp', port: 1 }]),
      'spec.ingress[0].ports[0].protocol',
      /not a supported/,
    );
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ port: 90, endPort: 80 }]),
      'spec.ingress[0].ports[0].endPort',
      /smaller than port 90/,
    );
    rejects(
      (p) => (p.spec.ingress[0].ports = [{ port: 'http', endPort: 90 }]),
      'spec.ingress[0].ports[0].endPort',
      /numeric port/,
    );
  });

  it('selectors: bad operator, values where none belong, bad label keys', () => {
    const expr = (e: object) => (p: Loose) => (p.spec.podSelector = { matchExpressions: [e] });
    rejects(
      expr({ key: 'app', operator: 'Equals', values: ['x'] }),
      'spec.podSelector.matchExpressions[0].operator',
      /"Equals" is not a valid operator/,
    );
    rejects(
      expr({ key: 'app', operator: 'In', values: [] }),
      'spec.podSelector.matchExpressions[0].values',
      /non-empty/,
    );
    rejects(
      expr({ key: 'app', operator: 'Exists', values: ['x'] }),
      'spec.podSelector.matchExpressions[0].values',
      /must be empty/,
    );
    rejects(
      (p) => (p.spec.podSelector = { matchLabels: { 'bad key!': 'x' } }),
      'spec.podSelector.matchLabels.bad key!',
      /not a valid label key/,
    );
    rejects((p) => delete p.spec.podSelector, 'spec.podSelector', /is required/);
  });

  it('policyTypes, apiVersion and names', () => {
    rejects((p) => (p.spec.policyTypes = ['Ingres']), 'spec.policyTypes[0]', /not Ingress or Egress/);
    rejects((p) => (p.spec.policyTypes = ['Egress', 'Egress']), 'spec.policyTypes', /twice/);
    rejects((p) => (p.apiVersion = 'extensions/v1beta1'), 'apiVersion', /not networking.k8s.io\/v1/);
    assert.throws(
      () => parseNetworkPolicy({ ...base(), metadata: { name: 'Web', namespace: 'shop' } }),
      /NetworkPolicy shop\/Web: metadata.name/,
    );
  });

  it('the compiler validates its whole input: pods, duplicates, addresses, NAT without cluster CIDRs', () => {
    const good = parseNetworkPolicy(base()) as NetworkPolicy;
    assert.throws(
      () => compilePolicies(worldInput([good, good])),
      /NetworkPolicy shop\/web: metadata.name: is given twice/,
    );
    const pods = [...worldPods(), { namespace: 'x', name: 'bad', ips: ['10.244.9.300'], local: true }];
    assert.throws(
      () => compilePolicies(worldInput([], { pods })),
      /Pod x\/bad: ips\[0\]: "10.244.9.300" is not an IP address/,
    );
    const pods2 = [
      ...worldPods(),
      {
        namespace: 'x',
        name: 'np',
        ips: ['10.244.9.1'],
        ports: [{ name: 'x'.repeat(16), containerPort: 80 }],
        local: true,
      },
    ];
    assert.throws(() => compilePolicies(worldInput([], { pods: pods2 })), /Pod x\/np: ports\[0\].name/);
    assert.throws(
      () => compilePolicies(worldInput([], { clusterCidrs: [] })),
      /PolicyInput: clusterCidrs: at least one/,
    );
    assert.throws(() => compilePolicies(worldInput([], { natExclude: ['nope'] })), /PolicyInput: natExclude\[0\]/);
    assert.doesNotThrow(() => compilePolicies(worldInput([], { clusterCidrs: [], natOutgoing: false })));
  });
});
