import assert from 'node:assert/strict';
import { routerIdFromName } from '../../src/config/router-id.js';
import {
  type ClusterSnapshot,
  defaultClusterCIDRs,
  deriveAgentConfig,
  peerFromBgpPeer,
  trimNode,
} from '../../src/kubernetes/derive-config.js';
import type { BgpPeerObject, NodeObject } from '../../src/kubernetes/resources.js';
import { defaultImportRules } from '../../src/policy.js';
import { bgpPeer, node } from './helpers.js';

function snap(over: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    nodeName: 'n1',
    nodes: [node('n1', '10.0.0.1', ['10.244.1.0/24']), node('n2', '10.0.0.2', ['10.244.2.0/24'])] as NodeObject[],
    peers: [],
    configurations: [],
    apiListen: '127.0.0.1:9179',
    listenAddress: '0.0.0.0',
    ...over,
  };
}

describe('kubernetes/deriveAgentConfig', () => {
  it('falls back to podCIDR, skips IPv6 InternalIPs for the router ID, and defaults the ASN', () => {
    const n1: NodeObject = {
      metadata: { name: 'n1' },
      spec: { podCIDR: '10.244.1.0/24' },
      status: {
        addresses: [
          { type: 'InternalIP', address: 'fd00::1' },
          { type: 'InternalIP', address: '10.0.0.1' },
        ],
      },
    };
    const d = deriveAgentConfig(snap({ nodes: [n1] }));
    assert.equal(d.config?.routerId, '10.0.0.1');
    assert.deepEqual(d.config?.podCIDRs, ['10.244.1.0/24']);
    assert.equal(d.config?.asn, 64512);
    assert.deepEqual(d.config?.peers, []);
  });

  it('ignores BGPConfigurations other than "default" and reports bad entries of the default one', () => {
    const d = deriveAgentConfig(
      snap({
        configurations: [
          { metadata: { name: 'other' }, spec: { asn: 1 } },
          {
            metadata: { name: 'default' },
            spec: { asn: 0, clusterCIDRs: ['10.244.0.0/16', '10.244.0.1/16'], nodeASNs: [{ node: 'n2', asn: 0 }] },
          },
        ],
      }),
    );
    assert.equal(d.config?.asn, 64512);
    assert.deepEqual(d.config?.clusterCIDRs, ['10.244.0.0/16']);
    assert.deepEqual(
      d.problems.map((p) => p.message),
      [
        'BGPConfiguration/default: spec.asn must be an integer 1..4294967295; using 64512',
        'BGPConfiguration/default: spec.clusterCIDRs[1]: "10.244.0.1/16" has host bits set (did you mean 10.244.0.0/16?); entry ignored',
        'BGPConfiguration/default: spec.nodeASNs[0] needs node and asn 1..4294967295; entry ignored',
      ],
    );
  });

  it('egress NAT: natOutgoing and natExclude pass to the config; absent, the agent defaults; bad entries reported', () => {
    assert.equal('natOutgoing' in deriveAgentConfig(snap()).config!, false);
    const cfg = (spec: Record<string, unknown>) =>
      deriveAgentConfig(snap({ configurations: [{ metadata: { name: 'default' }, spec }] }));
    const off = cfg({ natOutgoing: false, natExclude: ['10.0.0.0/8', '192.168.0.1/16', 'fd00::/8'] });
    assert.equal(off.config?.natOutgoing, false);
    assert.deepEqual(off.config?.natExclude, ['10.0.0.0/8', 'fd00::/8']);
    assert.deepEqual(
      off.problems.map((p) => p.message),
      [
        'BGPConfiguration/default: spec.natExclude[1]: "192.168.0.1/16" has host bits set (did you mean 192.168.0.0/16?); entry ignored',
      ],
    );
    const bad = cfg({ natOutgoing: 'no' });
    assert.equal('natOutgoing' in bad.config!, false);
    assert.match(bad.problems[0]!.message, /spec\.natOutgoing must be true or false; using the default \(true\)/);
  });

  it('a BGPPeer for a mesh address replaces the mesh entry; a duplicate BGPPeer is reported', () => {
    const d = deriveAgentConfig(
      snap({
        peers: [
          bgpPeer('b-dup', { peerAddress: '10.0.0.2', asn: 65002 }),
          bgpPeer('a-n2', { peerAddress: '10.0.0.2', asn: 65001, passive: true }),
          bgpPeer('self', { peerAddress: '10.0.0.1', asn: 65001 }),
        ] as BgpPeerObject[],
      }),
    );
    assert.deepEqual(d.config?.peers, [{ address: '10.0.0.2', asn: 65001, passive: true, source: 'BGPPeer/a-n2' }]);
    assert.deepEqual(
      d.problems.map((p) => p.message),
      ['BGPPeer/b-dup: peer 10.0.0.2 is already configured by BGPPeer/a-n2; ignored'],
    );
  });

  it('mesh peers dial the cluster listen port and each node ASN', () => {
    const d = deriveAgentConfig(
      snap({
        configurations: [
          { metadata: { name: 'default' }, spec: { listenPort: 1179, nodeASNs: [{ node: 'n2', asn: 65002 }] } },
        ],
      }),
    );
    assert.deepEqual(d.config?.listen, { address: '0.0.0.0', port: 1179 });
    assert.deepEqual(d.config?.peers, [
      { address: '10.0.0.2', asn: 65002, port: 1179, localAddress: '10.0.0.1', source: 'mesh:n2' },
    ]);
  });

  it('without clusterCIDRs, accepts the prefix covering every Node’s pod CIDRs (at most a /16, a /48)', () => {
    const nodes = [
      node('n1', '10.0.0.1', ['10.244.1.0/24', 'fd00:10:244:1::/64']),
      node('n2', '10.0.0.2', ['10.244.2.0/24', 'fd00:10:244:2::/64']),
      node('n3', '10.0.0.3', ['10.245.7.0/24']),
      node('n4', '10.0.0.4', ['not a cidr']),
      { metadata: { name: 'n5' } },
    ] as NodeObject[];
    assert.deepEqual(deriveAgentConfig(snap({ nodes })).config?.clusterCIDRs, ['10.244.0.0/15', 'fd00:10:244::/48']);
    assert.deepEqual(deriveAgentConfig(snap({ nodes: nodes.slice(0, 1) })).config?.clusterCIDRs, [
      '10.244.0.0/16',
      'fd00:10:244::/48',
    ]);
    // A pod CIDR shorter than the clamp is covered whole; a set BGPConfiguration wins; an empty one gets the default.
    assert.deepEqual(
      defaultClusterCIDRs([
        node('a', '10.0.0.1', ['10.0.0.0/12']),
        node('b', '10.0.0.2', ['10.16.0.0/24']),
      ] as NodeObject[]),
      ['10.0.0.0/11'],
    );
    // A pod CIDR with a leading-zero octet is no prefix (strict parsing, @gannet/core): skipped, not widened over.
    assert.deepEqual(
      defaultClusterCIDRs([
        node('a', '10.0.0.1', ['010.200.0.0/16']),
        node('b', '10.0.0.2', ['10.244.1.0/24']),
      ] as NodeObject[]),
      ['10.244.0.0/16'],
    );
    const set = { metadata: { name: 'default' }, spec: { clusterCIDRs: ['10.96.0.0/12'] } };
    assert.deepEqual(deriveAgentConfig(snap({ nodes, configurations: [set] })).config?.clusterCIDRs, ['10.96.0.0/12']);
    const empty = { metadata: { name: 'default' }, spec: { clusterCIDRs: [] } };
    assert.deepEqual(deriveAgentConfig(snap({ configurations: [empty] })).config?.clusterCIDRs, ['10.244.0.0/16']);
    // The default import rule then accepts another node's block and refuses longer or outside prefixes.
    const rules = defaultImportRules(deriveAgentConfig(snap()).config!);
    assert.deepEqual(rules.at(-1), { prefix: '10.244.0.0/16', ge: 16, le: 24, action: 'permit' });
  });

  it('mesh peers are sourced from our own InternalIP (multi-homed nodes)', () => {
    const d = deriveAgentConfig(snap());
    assert.deepEqual(
      d.config?.peers.map((p) => [p.address, p.localAddress]),
      [['10.0.0.2', '10.0.0.1']],
    );
    // An explicit BGPPeer for the same address is taken as written (no localAddress unless it sets one).
    const tor = bgpPeer('tor', { peerAddress: '10.0.0.2', asn: 65000 }) as BgpPeerObject;
    assert.equal(deriveAgentConfig(snap({ peers: [tor] })).config?.peers[0]?.localAddress, undefined);
  });

  it('is not ready without an InternalIP', () => {
    const d = deriveAgentConfig(snap({ nodes: [{ metadata: { name: 'n1' }, spec: { podCIDRs: ['10.244.1.0/24'] } }] }));
    assert.equal(d.config, undefined);
    assert.equal(d.problems[0]?.code, 'ERR_GANNET_K8S_NODE_NOT_READY');
    assert.match(d.problems[0]?.message ?? '', /has no InternalIP/);
  });
});

describe('kubernetes/deriveAgentConfig: dual-stack and IPv6-only nodes', () => {
  const dual = (name: string, i: number): NodeObject => ({
    metadata: { name },
    spec: { podCIDR: `10.244.${i}.0/24`, podCIDRs: [`10.244.${i}.0/24`, `fd00:10:244:${i}::/64`] },
    status: {
      addresses: [
        { type: 'InternalIP', address: `10.0.0.${i}` },
        { type: 'InternalIP', address: `FD00::${i}` },
      ],
    },
  });
  const v6only = (name: string, i: number): NodeObject => ({
    metadata: { name },
    spec: { podCIDRs: [`fd00:10:244:${i}::/64`] },
    status: { addresses: [{ type: 'InternalIP', address: `fd00::${i}` }] },
  });

  it('dual-stack Nodes: both pod CIDRs, a mesh session per family sourced from our InternalIP of that family', () => {
    const d = deriveAgentConfig(snap({ nodes: [dual('n1', 1), dual('n2', 2), v6only('n3', 3)] }));
    assert.deepEqual(d.config?.podCIDRs, ['10.244.1.0/24', 'fd00:10:244:1::/64']);
    assert.equal(d.config?.routerId, '10.0.0.1');
    assert.deepEqual(
      d.config?.peers.map((p) => [p.address, p.localAddress, p.source]),
      [
        ['10.0.0.2', '10.0.0.1', 'mesh:n2'],
        ['fd00::2', 'fd00::1', 'mesh:n2'],
        ['fd00::3', 'fd00::1', 'mesh:n3'],
      ],
      'an IPv6-only node meets us over IPv6 only',
    );
    assert.deepEqual(d.config?.clusterCIDRs, ['10.244.0.0/16', 'fd00:10:244::/48']);
  });

  it('IPv6-only Node: ready, router ID derived from the node name, IPv6 mesh and IPv6 BGPPeers', () => {
    const tor = bgpPeer('tor6', { peerAddress: 'fd00::fe', asn: 65000 }) as BgpPeerObject;
    const self = bgpPeer('self', { peerAddress: 'fd00::1', asn: 65000 }) as BgpPeerObject;
    const d = deriveAgentConfig(snap({ nodes: [v6only('n1', 1), v6only('n2', 2)], peers: [tor, self] }));
    assert.ok(d.config, d.problems.map((p) => p.message).join('; '));
    assert.equal(d.config?.routerId, routerIdFromName('n1'));
    assert.deepEqual(d.config?.podCIDRs, ['fd00:10:244:1::/64']);
    assert.deepEqual(
      d.config?.peers.map((p) => [p.address, p.localAddress ?? null, p.source]),
      [
        ['fd00::2', 'fd00::1', 'mesh:n2'],
        ['fd00::fe', null, 'BGPPeer/tor6'],
      ],
      'a BGPPeer naming our own InternalIP is skipped',
    );
  });

  it('router ID from the gannet.dev/router-id annotation (kept by trimNode); a bad one is reported and ignored', () => {
    const annotated = (id: string): NodeObject => {
      const n = v6only('n1', 1);
      return trimNode({ ...n, metadata: { name: 'n1', annotations: { 'gannet.dev/router-id': id, other: 'x' } } });
    };
    assert.deepEqual(annotated('10.9.9.1').metadata?.annotations, { 'gannet.dev/router-id': '10.9.9.1' });
    assert.equal(deriveAgentConfig(snap({ nodes: [annotated('10.9.9.1')] })).config?.routerId, '10.9.9.1');
    assert.equal(
      deriveAgentConfig(
        snap({
          nodes: [{ ...dual('n1', 1), metadata: { name: 'n1', annotations: { 'gannet.dev/router-id': '10.9.9.2' } } }],
        }),
      ).config?.routerId,
      '10.9.9.2',
      'wins over the IPv4 InternalIP',
    );
    const bad = deriveAgentConfig(snap({ nodes: [annotated('0.0.0.0')] }));
    assert.equal(bad.config?.routerId, routerIdFromName('n1'));
    assert.match(
      bad.problems.map((p) => p.message).join('\n'),
      /annotation gannet\.dev\/router-id "0\.0\.0\.0" is not a non-zero dotted quad; using /,
    );
  });
});

describe('kubernetes/peerFromBgpPeer', () => {
  it('carries ebgpMultihop and ttlSecurity; refuses bad ones naming the field', () => {
    const p = peerFromBgpPeer(
      bgpPeer('tor', { peerAddress: '192.0.2.1', asn: 65000, ebgpMultihop: 2, ttlSecurity: true }) as BgpPeerObject,
    );
    assert.equal(p.ebgpMultihop, 2);
    assert.equal(p.ttlSecurity, true);
    assert.throws(
      () => peerFromBgpPeer(bgpPeer('tor', { peerAddress: '192.0.2.1', asn: 65000, ebgpMultihop: 0 }) as BgpPeerObject),
      /BGPPeer\/tor: spec\.ebgpMultihop must be 1\.\.255/,
    );
    assert.throws(
      () =>
        peerFromBgpPeer(bgpPeer('tor', { peerAddress: '192.0.2.1', asn: 65000, ttlSecurity: 'yes' }) as BgpPeerObject),
      /spec\.ttlSecurity must be true or false/,
    );
  });

  it('a password from a Secret: the reference is carried (the source reads the Secret); a bad one is refused', () => {
    const ref = { secretKeyRef: { name: 'tor-md5', key: 'password' } };
    const p = peerFromBgpPeer(bgpPeer('tor', { peerAddress: '192.0.2.1', asn: 65000, password: ref }) as BgpPeerObject);
    assert.deepEqual(p.passwordSecretRef, { namespace: 'gannet-system', name: 'tor-md5', key: 'password' });
    assert.equal(p.password, undefined);
    assert.throws(
      () =>
        peerFromBgpPeer(
          bgpPeer('tor', {
            peerAddress: '192.0.2.1',
            asn: 65000,
            password: { secretKeyRef: { name: 'x' } },
          }) as BgpPeerObject,
        ),
      /spec\.password needs secretKeyRef \{ name, key \}/,
    );
  });

  it('carries bfd with the defaults filled in (300/300/3)', () => {
    const p = peerFromBgpPeer(
      bgpPeer('tor', { peerAddress: '192.0.2.1', asn: 65000, bfd: { enabled: true, minRxMs: 100 } }) as BgpPeerObject,
    );
    assert.deepEqual(p.bfd, { enabled: true, minRxMs: 100, minTxMs: 300, multiplier: 3 });
  });

  it('carries every setting', () => {
    const p = peerFromBgpPeer(
      bgpPeer('tor', {
        peerAddress: '2001:db8::1',
        asn: 4200000000,
        port: 1179,
        holdTime: 0,
        passive: false,
        maxPrefixes: 100,
        gracefulRestart: true,
        import: [{ prefix: '10.96.0.0/12', le: 32, action: 'permit' }],
        export: [{ prefix: '10.244.0.0/16', ge: 24, le: 24, action: 'permit' }],
      }) as BgpPeerObject,
    );
    assert.deepEqual(p, {
      address: '2001:db8::1',
      asn: 4200000000,
      port: 1179,
      holdTime: 0,
      passive: false,
      maxPrefixes: 100,
      gracefulRestart: true,
      import: [{ prefix: '10.96.0.0/12', le: 32, action: 'permit' }],
      export: [{ prefix: '10.244.0.0/16', ge: 24, le: 24, action: 'permit' }],
      source: 'BGPPeer/tor',
    });
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['no spec', {}, /has no spec/],
    ['asn 0', { spec: { peerAddress: '192.0.2.1', asn: 0 } }, /spec.asn must be an integer 1..4294967295/],
    ['asn too big', { spec: { peerAddress: '192.0.2.1', asn: 4294967296 } }, /spec.asn/],
    ['holdTime 2', { spec: { peerAddress: '192.0.2.1', asn: 1, holdTime: 2 } }, /holdTime must be 0 or 3..65535/],
    ['port 0', { spec: { peerAddress: '192.0.2.1', asn: 1, port: 0 } }, /port must be 1..65535/],
    ['maxPrefixes 0', { spec: { peerAddress: '192.0.2.1', asn: 1, maxPrefixes: 0 } }, /maxPrefixes must be >= 1/],
    [
      'bad rule',
      { spec: { peerAddress: '192.0.2.1', asn: 1, import: [{ prefix: '10.0.0.0/8', action: 'allow' }] } },
      /import\[0\].action/,
    ],
    [
      'le < ge',
      {
        spec: { peerAddress: '192.0.2.1', asn: 1, export: [{ prefix: '10.0.0.0/8', ge: 24, le: 16, action: 'deny' }] },
      },
      /export\[0\].le/,
    ],
    [
      'rule prefix',
      { spec: { peerAddress: '192.0.2.1', asn: 1, export: [{ prefix: '10.0.0.0/33', action: 'deny' }] } },
      /export\[0\].prefix/,
    ],
    ['bfd not an object', { spec: { peerAddress: '192.0.2.1', asn: 1, bfd: true } }, /spec.bfd: must be an object/],
    ['bfd minRxMs 5', { spec: { peerAddress: '192.0.2.1', asn: 1, bfd: { minRxMs: 5 } } }, /spec.bfd.minRxMs/],
    ['bfd multiplier 0', { spec: { peerAddress: '192.0.2.1', asn: 1, bfd: { multiplier: 0 } } }, /bfd.multiplier/],
    ['bfd enabled "yes"', { spec: { peerAddress: '192.0.2.1', asn: 1, bfd: { enabled: 'yes' } } }, /bfd.enabled/],
  ];
  for (const [what, obj, re] of bad) {
    it(`rejects ${what}`, () => {
      assert.throws(
        () => peerFromBgpPeer({ metadata: { name: 'x' }, ...obj } as BgpPeerObject),
        (e: Error & { code?: string }) =>
          e.code === 'ERR_GANNET_K8S_INVALID_OBJECT' && re.test(e.message) && e.message.startsWith('BGPPeer/x'),
      );
    });
  }
});
