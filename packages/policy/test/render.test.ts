import assert from 'node:assert/strict';
import { compilePolicies, type PolicyModel, renderDelta, renderFull, renderRemove } from '../src/index.js';
import { netpol, worldInput, worldPods } from '../src/testing/index.js';

const fromB = netpol('x', 'from-b', {
  podSelector: {},
  ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }],
});
const egress = netpol('y', 'egress', {
  podSelector: { matchLabels: { pod: 'a' } },
  policyTypes: ['Egress'],
  egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }],
});

/** The group chain a local pod address jumps to. */
const group = (m: PolicyModel, ip: string, dir: 'in' | 'eg') =>
  m.sets
    .get(dir === 'in' ? 'ingress-pods' : 'egress-pods')!
    .elements.get(ip)!
    .replace(/^jump /, '');
const lines = (s: string) => s.trim().split('\n').filter(Boolean);

describe('nft rendering', () => {
  it('the full table replaces table inet gannet in one transaction and names no other table', () => {
    const text = renderFull(compilePolicies(worldInput([fromB, egress])));
    assert.deepEqual(lines(text).slice(0, 3), [
      'add table inet gannet',
      'delete table inet gannet',
      'table inet gannet {',
    ]);
    assert.doesNotMatch(text, /flush ruleset|table (ip|ip6|inet|arp|bridge|netdev) (?!gannet)/);
    assert.match(
      text,
      /ip saddr @pol\.x\.from-b\.in0\.0\.pods meta l4proto tcp ip daddr \. th dport @port\.serve-80-tcp\.tcp accept/,
    );
    assert.match(text, /ip daddr @pol\.y\.egress\.eg0\.0\.cidr ip daddr != @pol\.y\.egress\.eg0\.0\.except accept/);
    assert.match(text, /chain grp\.[0-9a-f]{16}\.in \{\n {4}jump pol\.x\.from-b\.in\n {4}drop/);
    assert.match(
      text,
      /chain ingress \{\n.*\n {4}ct state established,related accept\n {4}ip saddr \. ip daddr @hairpin accept\n/,
    );
    // Regular chains are declared before any rule can jump to them.
    assert.ok(text.indexOf('chain pol.x.from-b.in {') < text.indexOf('jump pol.x.from-b.in'));
    assert.equal(renderRemove(), 'add table inet gannet\ndelete table inet gannet\n');
  });

  it('no change: empty delta', () => {
    const a = compilePolicies(worldInput([fromB, egress]));
    assert.equal(renderDelta(a, compilePolicies(worldInput([fromB, egress]))), '');
  });

  it('a pod added touches only the sets and maps it belongs to (its chain is shared with pods of the same policies)', () => {
    const a = compilePolicies(worldInput([fromB, egress]));
    const pod = {
      namespace: 'x',
      name: 'd',
      labels: { pod: 'b' },
      ips: ['10.244.1.4'],
      ports: [{ name: 'serve-80-tcp', containerPort: 8080 }],
      local: true,
    };
    const b = compilePolicies(worldInput([fromB, egress], { pods: [...worldPods(), pod] }));
    const grp = group(a, '10.244.1.1', 'in');
    assert.deepEqual(lines(renderDelta(a, b)), [
      `add element inet gannet ingress-pods { 10.244.1.4 : jump ${grp} }`,
      'add element inet gannet pol.x.from-b.in0.0.pods { 10.244.1.4 }',
      'add element inet gannet hairpin { 10.244.1.4 . 10.244.1.4 }',
      'add element inet gannet port.serve-80-tcp.tcp { 10.244.1.4 . 8080 }',
    ]);
    // … and removing it again undoes exactly that.
    assert.deepEqual(lines(renderDelta(b, a)), [
      'delete element inet gannet ingress-pods { 10.244.1.4 }',
      'delete element inet gannet pol.x.from-b.in0.0.pods { 10.244.1.4 }',
      'delete element inet gannet hairpin { 10.244.1.4 . 10.244.1.4 }',
      'delete element inet gannet port.serve-80-tcp.tcp { 10.244.1.4 . 8080 }',
    ]);
  });

  it('a relabelled pod moves between peer sets without touching any chain', () => {
    const a = compilePolicies(worldInput([fromB]));
    const pods = worldPods().map((p) => (p.namespace === 'x' && p.name === 'c' ? { ...p, labels: { pod: 'b' } } : p));
    const b = compilePolicies(worldInput([fromB], { pods }));
    assert.deepEqual(lines(renderDelta(a, b)), ['add element inet gannet pol.x.from-b.in0.0.pods { 10.244.1.3 }']);
  });

  it('one policy changed: its chain is flushed and refilled, others untouched', () => {
    const a = compilePolicies(worldInput([fromB, egress]));
    const changed = netpol('x', 'from-b', {
      podSelector: {},
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 81 }] }],
    });
    const d = lines(renderDelta(a, compilePolicies(worldInput([changed, egress]))));
    assert.deepEqual(d, [
      'flush chain inet gannet pol.x.from-b.in',
      'add rule inet gannet pol.x.from-b.in ip saddr @pol.x.from-b.in0.0.pods meta l4proto tcp th dport 81 accept',
      'delete set inet gannet port.serve-80-tcp.tcp',
    ]);
  });

  it('a policy removed: pod chains lose the jump, its chain and sets are deleted after', () => {
    const a = compilePolicies(worldInput([fromB, egress]));
    const d = lines(renderDelta(a, compilePolicies(worldInput([fromB]))));
    const grp = group(a, '10.244.2.1', 'eg');
    assert.ok(d.includes(`flush chain inet gannet ${grp}`));
    assert.ok(d.includes('delete element inet gannet egress-pods { 10.244.2.1 }'));
    const last = d.slice(-4);
    assert.deepEqual(last, [
      'delete chain inet gannet pol.y.egress.eg',
      `delete chain inet gannet ${grp}`,
      'delete set inet gannet pol.y.egress.eg0.0.cidr',
      'delete set inet gannet pol.y.egress.eg0.0.except',
    ]);
    assert.ok(
      d.indexOf('flush chain inet gannet pol.y.egress.eg') < d.indexOf('delete chain inet gannet pol.y.egress.eg'),
    );
  });

  it('natOutgoing toggled: a base chain appears or goes, so the whole table is rewritten', () => {
    const a = compilePolicies(worldInput([fromB]));
    const b = compilePolicies(worldInput([fromB], { natOutgoing: false }));
    assert.match(renderDelta(a, b), /^add table inet gannet\ndelete table inet gannet\ntable inet gannet \{/);
  });
});
