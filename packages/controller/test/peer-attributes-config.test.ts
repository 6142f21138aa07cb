// What we attach to our routes (communities, largeCommunities, localPref, med, asPathPrepend), per peer and as
// peerDefaults, and community keys in prefix rules: from the config file and the Kubernetes objects through the
// agent's policy to the speaker's peer options.
import assert from 'node:assert/strict';
import { MemoryNetwork } from '@gannet/bgp';
import { BgpSpeaker } from '../src/adapters/bgp-speaker.js';
import { identityChanges } from '../src/agent.js';
import { parseConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { deriveAgentConfig, peerFromBgpPeer } from '../src/kubernetes/derive-config.js';
import type { BgpConfigurationObject, BgpPeerObject, NodeObject } from '../src/kubernetes/resources.js';
import { resolvePeer } from '../src/policy.js';
import { bgpPeer, node } from './kubernetes/helpers.js';

const config = (top: string, peers: string) => `nodeName: n1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
${top}
peers:
${peers}
`;

const PEERS = `  - address: 172.30.0.254
    asn: 65000
    communities: ["65000:100", no-export]
    largeCommunities: ["65000:1:2"]
    med: 10
    asPathPrepend: 2
    import:
      - { prefix: 10.244.0.0/16, le: 24, community: "65000:666", action: deny }
      - { prefix: 10.244.0.0/16, le: 24, largeCommunity: "65000:0:666", action: deny }
      - { prefix: 10.244.0.0/16, le: 24, action: permit }
  - { address: 172.30.0.11, asn: 64512, localPref: 300 }
  - { address: 172.30.0.12, asn: 64512 }`;

describe('controller: attributes attached to our routes', () => {
  it('parses the per-peer keys and community rules; they reach the speaker', () => {
    const c = parseConfig(config('', PEERS));
    const [tor, i1, i2] = c.peers.map((p) => resolvePeer(c, p));
    assert.deepEqual(tor?.communities, ['65000:100', 'no-export']);
    assert.deepEqual(tor?.largeCommunities, ['65000:1:2']);
    assert.equal(tor?.med, 10);
    assert.equal(tor?.asPathPrepend, 2);
    // the agent's own deny rules come first, then the peer's, communities kept
    assert.deepEqual(tor?.import.slice(-3), [
      { prefix: '10.244.0.0/16', le: 24, community: '65000:666', action: 'deny' },
      { prefix: '10.244.0.0/16', le: 24, largeCommunity: '65000:0:666', action: 'deny' },
      { prefix: '10.244.0.0/16', le: 24, action: 'permit' },
    ]);
    assert.equal(i1?.localPref, 300);
    assert.equal('communities' in (i2 ?? {}), false, 'nothing attached unless configured');
  });

  it('peerDefaults apply to every peer; a peer key replaces the default key (lists are not merged)', () => {
    const c = parseConfig(
      config('peerDefaults: { communities: ["64512:1"], localPref: 200, med: 5, asPathPrepend: 1 }', PEERS),
    );
    assert.deepEqual(c.peerDefaults, { communities: ['64512:1'], localPref: 200, med: 5, asPathPrepend: 1 });
    const [tor, i1, i2] = c.peers.map((p) => resolvePeer(c, p));
    assert.deepEqual(tor?.communities, ['65000:100', 'no-export']);
    assert.equal(tor?.med, 10);
    assert.equal(tor?.asPathPrepend, 2);
    assert.equal(tor?.localPref, 200, 'passed on; the speaker sends LOCAL_PREF to iBGP only');
    assert.equal(i1?.localPref, 300);
    assert.deepEqual(i2?.communities, ['64512:1']);
    assert.equal(i2?.asPathPrepend, 1, 'passed on; the speaker prepends towards eBGP only');
    // a change of peerDefaults is not an identity change: sessions stay, the speaker re-sends what differs
    assert.deepEqual(identityChanges(parseConfig(config('', PEERS)), c), []);
  });

  it('through the speaker adapter to a real session: the far side sees them in its route attributes', async () => {
    const net = new MemoryNetwork();
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const make = (address: string, asn: number) =>
      new BgpSpeaker({
        asn,
        routerId: address,
        listen: { address, port: 179 },
        restartTime: 120,
        deferralTime: 1,
        logger: quiet as never,
        connect: net.factory(address),
        localAddresses: { isLocal: (a: string) => a === address, isConnected: () => true } as never,
      });
    const a = make('192.0.2.1', 64512);
    const b = make('192.0.2.2', 65000);
    const c = parseConfig(
      config('peerDefaults: { largeCommunities: ["64512:0:1"] }', PEERS.replace('172.30.0.254', '192.0.2.2')),
    );
    a.setPeers([resolvePeer(c, c.peers[0]!)]);
    a.setOrigins(['10.244.1.0/24']);
    const pods = [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' as const }];
    b.setPeers([
      { address: '192.0.2.1', asn: 64512, maxPrefixes: 10, import: pods, export: [], gracefulRestart: false },
    ]);
    await b.start({ restarting: false });
    await a.start({ restarting: false });
    try {
      let got: ReturnType<BgpSpeaker['routeAttributes']>;
      for (let i = 0; i < 200 && !got; i++) {
        await new Promise((r) => setTimeout(r, 10));
        got = b.routeAttributes('10.244.1.0/24');
      }
      assert.deepEqual(got, {
        asPath: [64512, 64512, 64512],
        communities: ['65000:100', 'no-export'],
        largeCommunities: ['65000:1:2'],
      });
      assert.equal(a.routeAttributes('10.244.1.0/24'), undefined, 'our own route: no learned attributes');
    } finally {
      await a.stop({ graceful: false });
      await b.stop({ graceful: false });
    }
  });

  it('refuses bad values and keys that cannot apply, naming the key and line', () => {
    const cases: [string, string, RegExp][] = [
      [
        '',
        '  - { address: 172.30.0.254, asn: 65000, communities: ["65536:1"] }',
        /peers\[0\]\.communities\[0\].*"65536:1" is not a community: write ASN:VALUE/,
      ],
      [
        '',
        '  - { address: 172.30.0.254, asn: 65000, communities: "65000:1" }',
        /peers\[0\]\.communities.*must be a list/,
      ],
      [
        '',
        '  - { address: 172.30.0.254, asn: 65000, largeCommunities: ["1:2"] }',
        /largeCommunities\[0\].*GLOBAL:LOCAL1:LOCAL2/,
      ],
      ['', '  - { address: 172.30.0.254, asn: 65000, asPathPrepend: 11 }', /peers\[0\]\.asPathPrepend.*0\.\.10/],
      ['', '  - { address: 172.30.0.254, asn: 65000, med: -1 }', /peers\[0\]\.med/],
      ['', '  - { address: 172.30.0.254, asn: 65000, localPref: 100 }', /peers\[0\]\.localPref.*iBGP peers only/],
      ['', '  - { address: 172.30.0.11, asn: 64512, asPathPrepend: 1 }', /peers\[0\]\.asPathPrepend.*eBGP peers only/],
      [
        '',
        '  - { address: 172.30.0.254, asn: 65000, import: [{ prefix: 10.0.0.0/8, community: "x", action: deny }] }',
        /import\[0\]\.community.*"x" is not a community/,
      ],
      [
        '',
        '  - { address: 172.30.0.254, asn: 65000, import: [{ prefix: 10.0.0.0/8, largeCommunity: 1, action: deny }] }',
        /import\[0\]\.largeCommunity.*must be a string/,
      ],
      [
        'peerDefaults: { password: x }',
        '  - { address: 172.30.0.254, asn: 65000 }',
        /peerDefaults\.password.*unknown key/,
      ],
      [
        'peerDefaults: { asPathPrepend: 20 }',
        '  - { address: 172.30.0.254, asn: 65000 }',
        /peerDefaults\.asPathPrepend/,
      ],
      ['peerDefaults: [1]', '  - { address: 172.30.0.254, asn: 65000 }', /peerDefaults.*must be a mapping/],
    ];
    for (const [top, peers, re] of cases) {
      assert.throws(
        () => parseConfig(config(top, peers)),
        (e: unknown) => e instanceof ConfigError && re.test(e.message) && /line \d+/.test(e.message),
        `${top} / ${peers}`,
      );
    }
  });
});

describe('kubernetes: BGPPeer and BGPConfiguration attributes', () => {
  const nodes = [node('n1', '10.0.0.1', ['10.244.1.0/24'])] as NodeObject[];
  const snap = (peers: BgpPeerObject[], configurations: BgpConfigurationObject[] = []) => ({
    nodeName: 'n1',
    nodes,
    peers,
    configurations,
    apiListen: '127.0.0.1:9179',
    listenAddress: '0.0.0.0',
  });

  it('BGPPeer spec fields and rule communities become the peer config', () => {
    const p = peerFromBgpPeer(
      bgpPeer('tor', {
        peerAddress: '10.0.0.254',
        asn: 65000,
        communities: ['65000:100'],
        largeCommunities: ['65000:1:2'],
        med: 7,
        asPathPrepend: 3,
        import: [{ prefix: '10.244.0.0/16', le: 24, community: 'no-export', action: 'deny' }],
      }) as BgpPeerObject,
    );
    assert.deepEqual(p.communities, ['65000:100']);
    assert.deepEqual(p.largeCommunities, ['65000:1:2']);
    assert.equal(p.med, 7);
    assert.equal(p.asPathPrepend, 3);
    assert.deepEqual(p.import, [{ prefix: '10.244.0.0/16', le: 24, community: 'no-export', action: 'deny' }]);
  });

  it('a bad BGPPeer field ignores that peer with a message naming it', () => {
    for (const [spec, re] of [
      [{ communities: ['65000:100000'] }, /BGPPeer\/tor: spec\.communities\[0\]: "65000:100000" is not a community/],
      [{ asPathPrepend: 12 }, /BGPPeer\/tor: spec\.asPathPrepend: must be an integer 0\.\.10/],
      [{ largeCommunities: 'x' }, /spec\.largeCommunities: must be a list/],
      [
        { import: [{ prefix: '10.0.0.0/8', largeCommunity: '1:2', action: 'deny' }] },
        /spec\.import\[0\]\.largeCommunity: "1:2" is not a large community/,
      ],
    ] as const) {
      const d = deriveAgentConfig(
        snap([bgpPeer('tor', { peerAddress: '10.0.0.254', asn: 65000, ...spec }) as BgpPeerObject]),
      );
      assert.deepEqual(d.config?.peers, []);
      assert.match(d.problems[0]?.message ?? '', re);
    }
  });

  it('a BGPPeer field that cannot apply (localPref on eBGP, prepend on iBGP) is reported; the peer still runs', () => {
    const d = deriveAgentConfig(
      snap([
        bgpPeer('tor', { peerAddress: '10.0.0.254', asn: 65000, localPref: 200 }) as BgpPeerObject,
        bgpPeer('rr', { peerAddress: '10.0.0.253', asn: 64512, asPathPrepend: 2 }) as BgpPeerObject,
        bgpPeer('ok', { peerAddress: '10.0.0.252', asn: 64512, localPref: 200 }) as BgpPeerObject,
      ]),
    );
    assert.deepEqual(
      d.config?.peers.map((p) => p.address),
      ['10.0.0.252', '10.0.0.253', '10.0.0.254'],
    );
    assert.deepEqual(
      d.problems.map((p) => p.message),
      [
        'BGPPeer/rr: spec.asPathPrepend applies to eBGP peers only: an iBGP peer would see its own AS in the path and drop the route; the field is ignored',
        'BGPPeer/tor: spec.localPref is sent to iBGP peers only (asn 64512); this peer is eBGP (asn 65000); the field is ignored',
      ],
    );
  });

  it('BGPConfiguration spec.peerDefaults applies to every peer; a bad one is reported and ignored', () => {
    const tor = bgpPeer('tor', { peerAddress: '10.0.0.254', asn: 65000, med: 1 }) as BgpPeerObject;
    const cfg = (peerDefaults: unknown) =>
      [{ metadata: { name: 'default' }, spec: { peerDefaults } }] as BgpConfigurationObject[];
    const d = deriveAgentConfig(snap([tor], cfg({ communities: ['64512:7'], med: 3 })));
    assert.deepEqual(d.problems, []);
    assert.deepEqual(d.config?.peerDefaults, { communities: ['64512:7'], med: 3 });
    const resolved = resolvePeer(d.config!, d.config!.peers[0]!);
    assert.deepEqual(resolved.communities, ['64512:7']);
    assert.equal(resolved.med, 1);
    const bad = deriveAgentConfig(snap([tor], cfg({ localPref: -1 })));
    assert.equal(bad.config?.peerDefaults, undefined);
    assert.match(
      bad.problems[0]?.message ?? '',
      /BGPConfiguration\/default: spec\.peerDefaults\.localPref: must be an integer.*ignored/,
    );
  });
});
