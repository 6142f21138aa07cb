import assert from 'node:assert/strict';
import { PolicyError, parsePolicyDocuments } from '../src/index.js';

const FILE = `# the documentation's examples
apiVersion: v1
kind: Namespace
metadata:
  name: prod
  labels: { team: blue }
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny-ingress
spec:
  podSelector: {}
  policyTypes: [Ingress]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: prod
spec:
  podSelector:
    matchLabels: { app: web }
  ingress:
    - from:
        - namespaceSelector: { matchLabels: { team: blue } }
      ports:
        - { protocol: TCP, port: http }
---
`;

function fails(text: string, re: RegExp, field?: string): void {
  assert.throws(
    () => parsePolicyDocuments(text, { source: 'p.yaml' }),
    (e: unknown) => {
      assert.ok(e instanceof PolicyError);
      assert.equal(e.code, 'ERR_GANNET_POLICY_INVALID');
      assert.match(e.message, re);
      if (field !== undefined) assert.equal(e.field, field);
      return true;
    },
  );
}

describe('policy documents (Kubernetes YAML)', () => {
  it('reads Namespace and NetworkPolicy documents; a policy without namespace gets the default one', () => {
    const d = parsePolicyDocuments(FILE, { source: 'p.yaml' });
    assert.deepEqual(d.namespaces, [{ name: 'prod', labels: { team: 'blue' } }]);
    assert.deepEqual(
      d.policies.map((p) => `${p.metadata.namespace}/${p.metadata.name}`),
      ['default/default-deny-ingress', 'prod/allow-web'],
    );
    assert.deepEqual(d.policies[1]!.spec.ingress![0]!.ports, [{ protocol: 'TCP', port: 'http' }]);
    assert.equal(parsePolicyDocuments(FILE, { defaultNamespace: 'dev' }).policies[0]!.metadata.namespace, 'dev');
  });

  it('a kind: List of items, and an empty file', () => {
    const list = `apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: Namespace\n    metadata: { name: a }\n`;
    assert.deepEqual(parsePolicyDocuments(list).namespaces, [{ name: 'a', labels: {} }]);
    assert.deepEqual(parsePolicyDocuments(''), { policies: [], namespaces: [] });
  });

  it('a bad policy names file, line, object and field', () => {
    fails(
      FILE.replace('port: http', 'port: a-very-long-port-name'),
      /^p\.yaml:28: NetworkPolicy prod\/allow-web: spec\.ingress\[0\]\.ports\[0\]\.port: /,
      'spec.ingress[0].ports[0].port',
    );
    fails(
      FILE.replace('podSelector: {}', 'podSelecter: {}'),
      /^p\.yaml:13: NetworkPolicy default\/default-deny-ingress: spec\.podSelecter: unknown field/,
    );
  });

  it('other kinds, YAML errors, merge keys, duplicate keys are refused with a line', () => {
    fails(
      'apiVersion: v1\nkind: Pod\nmetadata: { name: x }\n',
      /^p\.yaml:1: document 1: kind: "Pod" is not NetworkPolicy or Namespace/,
    );
    fails('kind: NetworkPolicy\nmetadata: [\n', /^p\.yaml:\d+: YAML: /);
    fails('a: &x { b: 1 }\nc:\n  <<: *x\n', /^p\.yaml:\d+: /);
    fails('kind: Namespace\nkind: Namespace\n', /^p\.yaml:\d+: YAML: .*[Uu]nique|duplicate/i);
    fails('apiVersion: v1\nkind: Namespace\nmetadata: { name: Bad_Name }\n', /Namespace Bad_Name: metadata\.name/);
  });
});
