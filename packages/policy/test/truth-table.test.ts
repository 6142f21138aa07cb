import assert from 'node:assert/strict';
import { compilePolicies, type PolicyModel } from '../src/index.js';
import type { L4 } from '../src/model.js';
import {
  evaluateForward,
  evaluateMasquerade,
  netpol,
  TRUTH_TABLE,
  WORLD_NODE_ADDRESS,
  worldInput,
  worldIp,
  worldPods,
} from '../src/testing/index.js';

const addr = (x: string) => (x.includes('/') ? worldIp(x) : x);

function allowed(model: PolicyModel, from: string, to: string, proto: L4, port: number, established = false): boolean {
  return evaluateForward(model, { saddr: addr(from), daddr: addr(to), proto, dport: port, established });
}

describe('compiler truth table (Kubernetes docs + upstream netpol model, evaluated on the IR)', () => {
  it('has at least 40 probes', () => {
    const n = TRUTH_TABLE.reduce((s, c) => s + c.probes.length, 0);
    assert.ok(n >= 40, `${n} probes`);
  });

  for (const c of TRUTH_TABLE) {
    it(c.name, () => {
      const model = compilePolicies(worldInput(c.policies));
      const wrong = c.probes.filter(([f, t, p, port, want]) => allowed(model, f, t, p, port) !== want);
      assert.deepEqual(
        wrong.map(([f, t, p, port, want]) => `${f} -> ${t} ${p}/${port}: expected ${want ? 'allowed' : 'blocked'}`),
        [],
      );
    });
  }
});

describe('compiler semantics beyond the table', () => {
  const denyAll = netpol('x', 'deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });

  it('replies of allowed connections pass (conntrack established) even under deny-all', () => {
    const model = compilePolicies(worldInput([denyAll]));
    assert.equal(allowed(model, 'y/a', 'x/a', 'tcp', 80), false);
    assert.equal(allowed(model, 'y/a', 'x/a', 'tcp', 80, true), true);
    assert.equal(allowed(model, 'x/a', 'y/a', 'tcp', 34567, true), true);
  });

  it('pods of other nodes are not policed here (their node does it), but feed the selector sets', () => {
    const pods = worldPods().map((p) => (p.namespace === 'x' ? { ...p, local: false } : p));
    const allowFromXb = netpol('y', 'from-xb', {
      podSelector: {},
      ingress: [
        { from: [{ namespaceSelector: { matchLabels: { ns: 'x' } }, podSelector: { matchLabels: { pod: 'b' } } }] },
      ],
    });
    const model = compilePolicies(worldInput([denyAll, allowFromXb], { pods }));
    assert.equal(allowed(model, 'y/a', 'x/a', 'tcp', 80), true);
    assert.equal(allowed(model, 'x/b', 'y/a', 'tcp', 80), true);
    assert.equal(allowed(model, 'x/c', 'y/a', 'tcp', 80), false);
  });

  it('host-network pods are not policed and are not selector peers', () => {
    const pods = [
      ...worldPods(),
      { namespace: 'x', name: 'h', labels: { pod: 'b' }, ips: [WORLD_NODE_ADDRESS], hostNetwork: true, local: true },
    ];
    const fromB = netpol('y', 'from-b', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { pod: 'b' } } }] }],
    });
    const model = compilePolicies(worldInput([denyAll, fromB], { pods }));
    assert.equal(allowed(model, WORLD_NODE_ADDRESS, 'y/a', 'tcp', 80), false);
    assert.equal(allowed(model, 'y/a', WORLD_NODE_ADDRESS, 'tcp', 80), true);
    assert.equal(model.sets.get('ingress-pods')!.elements.has(WORLD_NODE_ADDRESS), false);
  });

  it('a relabelled pod or namespace moves in and out of peer sets', () => {
    const fromB = netpol('x', 'from-b', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }] }],
    });
    const pods = worldPods().map((p) => (p.namespace === 'x' && p.name === 'c' ? { ...p, labels: { pod: 'b' } } : p));
    assert.equal(allowed(compilePolicies(worldInput([fromB])), 'x/c', 'x/a', 'tcp', 80), false);
    assert.equal(allowed(compilePolicies(worldInput([fromB], { pods })), 'x/c', 'x/a', 'tcp', 80), true);
    const fromTeam = netpol('x', 'from-team', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'blue' } } }] }],
    });
    const namespaces = [{ name: 'x' }, { name: 'y', labels: { team: 'blue' } }, { name: 'z' }];
    const model = compilePolicies(worldInput([fromTeam], { namespaces }));
    assert.equal(allowed(model, 'y/c', 'x/a', 'tcp', 80), true);
    assert.equal(allowed(model, 'z/c', 'x/a', 'tcp', 80), false);
  });

  it('namespaces carry kubernetes.io/metadata.name as the API server sets it', () => {
    const fromY = netpol('x', 'from-y', {
      podSelector: {},
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'y' } } }] }],
    });
    const model = compilePolicies(worldInput([fromY]));
    assert.equal(allowed(model, 'y/c', 'x/a', 'tcp', 80), true);
    assert.equal(allowed(model, 'z/c', 'x/a', 'tcp', 80), false);
  });

  it('ipBlock except entries nested in each other are merged (nft refuses overlapping intervals)', () => {
    const p = netpol('x', 'nested', {
      podSelector: {},
      ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16', '10.1.2.0/24'] } }] }],
    });
    const model = compilePolicies(worldInput([p]));
    assert.deepEqual([...model.sets.get('pol.x.nested.in0.0.except')!.elements.keys()], ['10.1.0.0/16']);
  });

  it('egress NAT: pod traffic leaving the cluster is masqueraded; pod-to-pod, pod-to-node and natExclude are not', () => {
    const nat = (m: PolicyModel, from: string, to: string) =>
      evaluateMasquerade(m, { saddr: addr(from), daddr: addr(to), proto: 'tcp', dport: 80 });
    const m = compilePolicies(
      worldInput([], { nodeAddresses: [WORLD_NODE_ADDRESS, '192.168.50.2'], natExclude: ['172.16.0.0/12'] }),
    );
    assert.equal(nat(m, 'x/a', '192.168.100.5'), true);
    assert.equal(nat(m, 'x/a', 'y/b'), false);
    assert.equal(nat(m, 'x/a', '192.168.50.2'), false);
    assert.equal(nat(m, 'x/a', '172.20.0.1'), false);
    assert.equal(nat(m, WORLD_NODE_ADDRESS, '192.168.100.5'), false);
    const off = compilePolicies(worldInput([], { natOutgoing: false }));
    assert.equal(off.chains.has('postrouting'), false);
    assert.equal(nat(off, 'x/a', '192.168.100.5'), false);
  });

  it('names: chains and sets are keyed by the objects they come from (long names are hashed)', () => {
    const long = 'p'.repeat(120);
    const m = compilePolicies(
      worldInput([netpol('x', long, { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] })]),
    );
    const names = [...m.chains.keys()].filter((n) => n.startsWith('pol.'));
    assert.equal(names.length, 1);
    assert.match(names[0]!, /^pol\.h[0-9a-f]{16}\.in$/);
    // The three pods of x are selected by the same policy: they share one chain.
    const grp = m.sets.get('ingress-pods')!.elements.get(worldIp('x/a'))!;
    assert.match(grp, /^jump grp\.[0-9a-f]{16}\.in$/);
    assert.equal(m.sets.get('ingress-pods')!.elements.get(worldIp('x/c')), grp);
    assert.deepEqual(
      m.chains.get(grp.slice(5))!.rules.map((r) => r.verdict),
      [{ kind: 'jump', chain: names[0] }, { kind: 'drop' }],
    );
    assert.deepEqual(m.stats, { policies: 1, selectedPods: 3, rules: m.stats.rules });
  });
});
