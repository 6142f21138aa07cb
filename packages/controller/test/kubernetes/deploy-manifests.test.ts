// deploy/ and docs/kubernetes.md: the manifests parse, the CRDs match the code, their schemas accept the examples of
// the docs and reject bad objects, and the DaemonSet has the shape issue 7 asks for.
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { deriveAgentConfig, peerFromBgpPeer } from '../../src/kubernetes/derive-config.js';
import { parseLabelSelector } from '../../src/kubernetes/label-selector.js';
import type { BgpConfigurationObject, BgpPeerObject, NodeObject } from '../../src/kubernetes/resources.js';
import {
  BGP_CONFIGURATIONS,
  BGP_PEERS,
  GANNET_GROUP,
  GANNET_VERSION,
  NODE_STATUSES,
} from '../../src/kubernetes/resources.js';
import { crds, DEPLOY, type Doc, docsExamples, loadYaml, REPO, schemaOf, yamlFiles } from './manifests.js';
import { assertSupported, type Schema, structuralProblems, validate } from './openapi-validator.js';

function check(obj: Doc): string[] {
  assert.equal(obj.apiVersion, `${GANNET_GROUP}/${GANNET_VERSION}`);
  assert.ok(obj.metadata?.name, 'metadata.name');
  return validate(schemaOf(obj.kind), obj);
}

describe('deploy/ manifests', () => {
  const all = yamlFiles(DEPLOY).filter((f) => !f.endsWith('kustomization.yaml'));

  it('every document parses and has apiVersion, kind and metadata.name', () => {
    assert.ok(all.length >= 8, `found ${all.length} manifests`);
    for (const f of all) {
      for (const d of loadYaml(f)) {
        const where = relative(REPO, f);
        assert.equal(typeof d.apiVersion, 'string', `${where}: apiVersion`);
        assert.equal(typeof d.kind, 'string', `${where}: kind`);
        assert.equal(typeof d.metadata?.name, 'string', `${where}: metadata.name`);
      }
    }
  });

  it('kustomization.yaml lists every manifest but the sample BGPConfiguration (its CRD must be established first)', () => {
    const [k] = loadYaml(join(DEPLOY, 'kustomization.yaml'));
    const listed = (k!.resources as string[]).map((r) => join(DEPLOY, r)).sort();
    assert.deepEqual(listed, all.filter((f) => !f.endsWith('bgpconfiguration-default.yaml')).sort());
  });

  it('the CRDs match the names and versions the code uses, with printer columns', () => {
    const want: [string, string][] = [
      ['BGPConfiguration', BGP_CONFIGURATIONS],
      ['BGPPeer', BGP_PEERS],
      ['GannetNodeStatus', NODE_STATUSES],
    ];
    assert.deepEqual([...crds.keys()].sort(), want.map(([k]) => k).sort());
    for (const [kind, plural] of want) {
      const crd = crds.get(kind)!;
      assert.equal(crd.metadata.name, `${plural}.${GANNET_GROUP}`);
      assert.equal(crd.spec.group, GANNET_GROUP);
      assert.equal(crd.spec.scope, 'Cluster');
      assert.equal(crd.spec.names.plural, plural);
      assert.equal(crd.spec.versions.length, 1);
      const v = crd.spec.versions[0];
      assert.deepEqual([v.name, v.served, v.storage], [GANNET_VERSION, true, true]);
      assert.ok(v.additionalPrinterColumns.length >= 4, `${kind} printer columns`);
      for (const c of v.additionalPrinterColumns) assert.match(c.jsonPath, /^\.(spec|status|metadata)\.[A-Za-z.]+$/);
      assertSupported(v.schema.openAPIV3Schema);
    }
  });

  it('the CRD schemas are structural, as kube-apiserver requires before accepting them', () => {
    for (const [kind, crd] of crds) {
      assert.deepEqual(structuralProblems(crd.spec.versions[0].schema.openAPIV3Schema), [], kind);
    }
  });

  it('the structural check catches what the apiserver refuses', () => {
    const bad: Schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          additionalProperties: false,
          properties: {
            untyped: {},
            list: { type: 'array' },
            ip: { type: 'string', anyOf: [{ type: 'string', format: 'ipv4' }] },
          },
        },
      },
    };
    assert.deepEqual(structuralProblems(bad), [
      'openAPIV3Schema.properties[spec].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive',
      'openAPIV3Schema.properties[spec].properties[untyped].type: Required value: must not be empty for specified object fields',
      'openAPIV3Schema.properties[spec].properties[list].items: Required value: must be specified',
      'openAPIV3Schema.properties[spec].properties[ip].anyOf[0].type: Forbidden: must not be set inside anyOf/not',
    ]);
  });

  it('schema patterns are plain regular expressions (no lookaround or backreferences: Go RE2 rejects them)', () => {
    const patterns: string[] = [];
    const walk = (s: Schema) => {
      if (s.pattern) patterns.push(s.pattern);
      for (const sub of [...Object.values(s.properties ?? {}), ...(s.anyOf ?? []), s.items, s.not]) if (sub) walk(sub);
    };
    for (const crd of crds.values()) walk(crd.spec.versions[0].schema.openAPIV3Schema);
    assert.ok(patterns.length >= 3);
    for (const p of patterns) {
      assert.doesNotMatch(p, /\(\?[=!<]|\\[1-9]/);
      new RegExp(p);
    }
  });

  it('the DaemonSet: host network, NODE_NAME, probes on 127.0.0.1:9179, narrow capabilities, every taint tolerated', () => {
    const [ds] = loadYaml(join(DEPLOY, 'daemonset.yaml'));
    const pod = ds!.spec.template.spec;
    assert.equal(ds!.metadata.namespace, 'gannet-system');
    assert.equal(pod.hostNetwork, true);
    assert.equal(pod.serviceAccountName, 'gannet');
    assert.deepEqual(pod.tolerations, [{ operator: 'Exists' }]);
    const agent = pod.containers.find((c: Doc) => c.name === 'agent');
    assert.deepEqual(agent.args, ['agent', '--kubernetes']);
    assert.match(agent.command.at(-1), /\/gannet$/);
    assert.deepEqual(agent.env, [
      { name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
      { name: 'GANNET_CNI_CONFLIST', value: '/etc/gannet/cni/05-gannet.conflist' },
      { name: 'GANNET_CNI_NET_DIR', value: '/host/etc/cni/net.d' },
    ]);
    assert.deepEqual(pod.nodeSelector, { 'kubernetes.io/os': 'linux' });
    assert.deepEqual(agent.livenessProbe.httpGet, { host: '127.0.0.1', port: 9179, path: '/healthz' });
    assert.deepEqual(agent.readinessProbe.httpGet, { host: '127.0.0.1', port: 9179, path: '/readyz' });
    assert.deepEqual(agent.securityContext.capabilities.drop, ['ALL']);
    assert.deepEqual(agent.securityContext.capabilities.add.sort(), ['NET_ADMIN', 'NET_BIND_SERVICE', 'NET_RAW']);
    assert.notEqual(agent.securityContext.privileged, true);
    const init = pod.initContainers[0];
    assert.deepEqual(init.securityContext.capabilities, { drop: ['ALL'] });
    const script: string = init.args[0];
    // atomic installs: write a temporary name in the same directory, then rename over the real one
    assert.match(script, /install "\$gannet" gannet-cni/);
    assert.match(script, /cp "\$1" "\$bin\/\.\$2\.tmp"[\s\S]*mv -f "\$bin\/\.\$2\.tmp" "\$bin\/\$2"/);
    assert.match(script, /for p in loopback portmap; do/);
    assert.doesNotMatch(script, /\.conflist\.tmp/, 'the init container installs no conflist (the agent does)');
    assert.match(script, /^set -eu/);
    const agentMounts = Object.fromEntries(agent.volumeMounts.map((m: Doc) => [m.mountPath, m.readOnly === true]));
    assert.deepEqual(
      agentMounts,
      {
        '/run/gannet': false,
        '/var/lib/cni/gannet': true,
        '/host/etc/cni/net.d': false,
        '/etc/gannet/cni': true,
      },
      'the agent writes its state file and the conflist, nothing else',
    );
    const hostPaths = pod.volumes
      .filter((v: Doc) => v.hostPath)
      .map((v: Doc) => v.hostPath.path)
      .sort();
    assert.deepEqual(hostPaths, ['/etc/cni/net.d', '/opt/cni/bin', '/run/gannet', '/var/lib/cni/gannet']);
  });

  it('the ConfigMap holds 05-gannet.conflist: gannet-cni (MTU detected, not pinned) chained with portmap, 1.0.0', () => {
    const [cm] = loadYaml(join(DEPLOY, 'configmap.yaml'));
    assert.deepEqual(Object.keys(cm!.data), ['05-gannet.conflist']);
    // runtimes take the first file by name: before 10-containerd-net, 10-calico, 10-flannel (not 05-cilium:
    // 'c' < 'g', see docs/kubernetes.md)
    for (const other of [
      '10-containerd-net.conflist',
      '10-calico.conflist',
      '10-flannel.conflist',
      '10-gannet.conflist',
    ]) {
      assert.ok('05-gannet.conflist' < other, other);
    }
    const conf = JSON.parse(cm!.data['05-gannet.conflist']);
    assert.equal(conf.cniVersion, '1.0.0');
    assert.equal(conf.name, 'gannet');
    assert.deepEqual(conf.plugins[0], { type: 'gannet-cni' });
    assert.deepEqual(conf.plugins[1], { type: 'portmap', capabilities: { portMappings: true } });
  });
});

describe('CRD schemas against docs/kubernetes.md and bad objects', () => {
  const examples = [
    ...docsExamples(join(REPO, 'docs', 'kubernetes.md')),
    ...loadYaml(join(DEPLOY, 'bgpconfiguration-default.yaml')),
  ];

  it('accepts every example of the docs (and the code accepts them too)', () => {
    const kinds = examples.map((e) => e.kind).sort();
    assert.deepEqual([...new Set(kinds)], ['BGPConfiguration', 'BGPPeer', 'GannetNodeStatus']);
    for (const e of examples) {
      assert.deepEqual(check(e), [], `${e.kind}/${e.metadata.name}`);
      if (e.kind === 'BGPPeer') {
        peerFromBgpPeer(e as BgpPeerObject);
        parseLabelSelector(e.spec.nodeSelector);
      }
      if (e.kind === 'BGPConfiguration') {
        const node: NodeObject = {
          metadata: { name: 'n' },
          spec: { podCIDRs: ['10.244.1.0/24'] },
          status: { addresses: [{ type: 'InternalIP', address: '10.0.0.1' }] },
        };
        const d = deriveAgentConfig({
          nodeName: 'n',
          nodes: [node],
          peers: [],
          configurations: [e as BgpConfigurationObject],
          apiListen: '127.0.0.1:9179',
          listenAddress: '0.0.0.0',
        });
        assert.deepEqual(d.problems, []);
      }
    }
  });

  const peer = (spec: Doc) => ({ apiVersion: 'gannet.dev/v1', kind: 'BGPPeer', metadata: { name: 'p' }, spec });
  const conf = (spec: Doc) => ({
    apiVersion: 'gannet.dev/v1',
    kind: 'BGPConfiguration',
    metadata: { name: 'default' },
    spec,
  });
  const ok = { peerAddress: '192.0.2.1', asn: 65000 };
  const bad: [string, Doc, RegExp][] = [
    ['a peer without asn', peer({ peerAddress: '192.0.2.1' }), /\.spec\.asn: required/],
    ['ASN 0', peer({ ...ok, asn: 0 }), /\.spec\.asn: must be >= 1/],
    ['ASN 2^32', peer({ ...ok, asn: 4294967296 }), /\.spec\.asn: must be <= 4294967295/],
    ['a fractional ASN', peer({ ...ok, asn: 65000.5 }), /\.spec\.asn: must be integer/],
    ['a bad IPv4 address', peer({ ...ok, peerAddress: '192.0.2.256' }), /\.spec\.peerAddress: must match one of/],
    ['a hostname for an address', peer({ ...ok, peerAddress: 'tor-a.example' }), /\.spec\.peerAddress/],
    ['holdTime 1', peer({ ...ok, holdTime: 1 }), /\.spec\.holdTime: must not match/],
    ['holdTime 2', peer({ ...ok, holdTime: 2 }), /\.spec\.holdTime: must not match/],
    ['holdTime 65536', peer({ ...ok, holdTime: 65536 }), /\.spec\.holdTime: must be <= 65535/],
    ['an unknown field', peer({ ...ok, md5: 'x' }), /\.spec\.md5: unknown field/],
    ['a password as text, not a Secret reference', peer({ ...ok, password: 'x' }), /\.spec\.password: must be object/],
    [
      'a Secret reference without its key',
      peer({ ...ok, password: { secretKeyRef: { name: 's' } } }),
      /\.spec\.password\.secretKeyRef\.key: required/,
    ],
    ['ebgpMultihop 0', peer({ ...ok, ebgpMultihop: 0 }), /\.spec\.ebgpMultihop: must be >= 1/],
    ['ttlSecurity as text', peer({ ...ok, ttlSecurity: 'yes' }), /\.spec\.ttlSecurity: must be boolean/],
    ['a rule action', peer({ ...ok, import: [{ prefix: '10.0.0.0/8', action: 'accept' }] }), /import\[0\]\.action/],
    ['a rule CIDR', peer({ ...ok, export: [{ prefix: '10.0.0.0/33', action: 'permit' }] }), /export\[0\]\.prefix/],
    ['a string port', peer({ ...ok, port: '179' }), /\.spec\.port: must be integer/],
    ['bfd without enabled', peer({ ...ok, bfd: { minRxMs: 100 } }), /\.spec\.bfd\.enabled: required/],
    ['bfd minTxMs 5', peer({ ...ok, bfd: { enabled: true, minTxMs: 5 } }), /\.spec\.bfd\.minTxMs: must be >= 10/],
    ['an unknown bfd field', peer({ ...ok, bfd: { enabled: true, echo: true } }), /\.spec\.bfd\.echo: unknown field/],
    ['a CIDR without length', conf({ clusterCIDRs: ['10.244.0.0'] }), /clusterCIDRs\[0\]: must match/],
    ['a CIDR /40', conf({ clusterCIDRs: ['10.244.0.0/40'] }), /clusterCIDRs\[0\]: must match/],
    ['an IPv6 CIDR /129', conf({ clusterCIDRs: ['fd00::/129'] }), /clusterCIDRs\[0\]: must match/],
    ['a nodeASNs entry without asn', conf({ nodeASNs: [{ node: 'n1' }] }), /nodeASNs\[0\]\.asn: required/],
    ['mesh as a string', conf({ nodeToNodeMesh: 'no' }), /nodeToNodeMesh: must be boolean/],
    ['listenPort 0', conf({ listenPort: 0 }), /listenPort: must be >= 1/],
    ['a mesh limit of 0', conf({ nodeToNodeMeshMaxNodes: 0 }), /nodeToNodeMeshMaxNodes: must be >= 1/],
    [
      'a Service range that is no CIDR',
      conf({ serviceLoadBalancerIPs: ['198.51.100.7'] }),
      /serviceLoadBalancerIPs\[0\]: must match/,
    ],
    ['a cluster ID that is no dotted quad', conf({ routeReflectorClusterId: '10.1' }), /routeReflectorClusterId/],
    ['a selector that is no string', conf({ routeReflectorSelector: 5 }), /routeReflectorSelector: must be string/],
    ['a community with 3 parts', peer({ ...ok, communities: ['1:2:3'] }), /communities\[0\]: must match/],
    ['a large community with 2 parts', peer({ ...ok, largeCommunities: ['1:2'] }), /largeCommunities\[0\]: must match/],
    ['asPathPrepend 11', peer({ ...ok, asPathPrepend: 11 }), /asPathPrepend: must be <= 10/],
    ['a negative MED', peer({ ...ok, med: -1 }), /\.spec\.med: must be >= 0/],
    [
      'a rule community with spaces',
      peer({ ...ok, import: [{ prefix: '10.0.0.0/8', community: '1 2', action: 'deny' }] }),
      /import\[0\]\.community: must match/,
    ],
    ['an unknown peerDefaults field', conf({ peerDefaults: { weight: 5 } }), /peerDefaults\.weight: unknown field/],
    ['peerDefaults prepend 20', conf({ peerDefaults: { asPathPrepend: 20 } }), /peerDefaults\.asPathPrepend/],
  ];
  for (const [what, obj, re] of bad) {
    it(`rejects ${what}`, () => {
      const errors = check(obj);
      assert.ok(
        errors.some((e) => re.test(e)),
        `${JSON.stringify(errors)} should match ${re}`,
      );
    });
  }

  it('rejects a status with an unknown session state and a bad timestamp', () => {
    const example = examples.find((e) => e.kind === 'GannetNodeStatus')!;
    const broken = structuredClone(example);
    broken.status.sessions[0].state = 'Up';
    broken.status.updatedAt = 'yesterday';
    const errors = check(broken);
    assert.ok(errors.some((e) => /sessions\[0\]\.state: must be one of/.test(e)));
    assert.ok(errors.some((e) => /updatedAt: must be a valid date-time/.test(e)));
  });
});
