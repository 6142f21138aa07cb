// What we attach to our routes, and communities on what we receive, against FRR's bgpd and BIRD 2 (Debian), each in
// its own namespace: our routes seen on the routers with our communities, large communities, MED and prepended
// AS_PATH (and LOCAL_PREF over iBGP); a route the router tags is rejected by an import rule on the community while
// its untagged neighbour is accepted; NO_EXPORT from an iBGP peer never reaches an eBGP peer (RFC 1997).
//
//   FRR  AS 65000  192.0.2.2 ── s0/f0 ── 192.0.2.1    Gannet AS 65001
//   BIRD AS 65002  198.51.100.2 (eBGP) ┬─ b0/s1 ─┬ 198.51.100.1
//   BIRD AS 65001  198.51.100.4 (iBGP) ┘          └ 198.51.100.3
import assert from 'node:assert/strict';
import { type Bird, type Frr, startBird, startFrr } from '../src/daemons.js';
import { TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';
import type { SpeakerProcessConfig } from '../src/speaker-process.js';

const FRR_CONF = `frr defaults traditional
hostname frr
log stdout informational
!
ip prefix-list TAGGED seq 5 permit 10.99.1.0/24
!
route-map OUT permit 10
 match ip address prefix-list TAGGED
 set community 65000:666 additive
route-map OUT permit 20
!
router bgp 65000
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 neighbor 192.0.2.1 remote-as 65001
 neighbor 192.0.2.1 timers connect 1
 !
 address-family ipv4 unicast
  network 10.99.1.0/24
  network 10.99.2.0/24
  neighbor 192.0.2.1 route-map OUT out
 exit-address-family
!
`;

const BIRD_CONF = `router id 198.51.100.2;
log stderr all;
protocol device {}
protocol static st_e { ipv4; route 10.98.1.0/24 blackhole; route 10.98.2.0/24 blackhole; }
protocol static st_i { ipv4; route 10.97.1.0/24 blackhole; route 10.97.2.0/24 blackhole; }
protocol bgp to_ebgp {
  local 198.51.100.2 as 65002;
  neighbor 198.51.100.1 as 65001;
  connect retry time 1;
  strict bind on;
  ipv4 {
    import all;
    export filter {
      if proto != "st_e" then reject;
      if net = 10.98.1.0/24 then bgp_large_community.add((65002, 0, 666));
      accept;
    };
  };
}
protocol bgp to_ibgp {
  local 198.51.100.4 as 65001;
  neighbor 198.51.100.3 as 65001;
  connect retry time 1;
  strict bind on;
  direct;
  ipv4 {
    gateway direct;
    next hop self;
    import all;
    export filter {
      if proto != "st_i" then reject;
      if net = 10.97.1.0/24 then bgp_community.add((65535, 65281));
      accept;
    };
  };
}
`;

const config: SpeakerProcessConfig = {
  speaker: { asn: 65001, routerId: '192.0.2.1', listen: false },
  peers: [
    {
      address: '192.0.2.2',
      asn: 65000,
      localAddress: '192.0.2.1',
      families: ['ipv4'],
      communities: ['65001:100'],
      largeCommunities: ['65001:1:2'],
      med: 50,
      asPathPrepend: 2,
      import: [
        { prefix: '10.99.0.0/16', le: 32, community: '65000:666', action: 'deny' },
        { prefix: '10.99.0.0/16', le: 32, action: 'permit' },
      ],
      export: [
        { prefix: '10.244.0.0/16', le: 32, action: 'permit' },
        { prefix: '10.97.0.0/16', le: 32, action: 'permit' },
      ],
    },
    {
      address: '198.51.100.2',
      asn: 65002,
      localAddress: '198.51.100.1',
      families: ['ipv4'],
      communities: ['65001:200', 'no-advertise'],
      largeCommunities: ['65001:0:7'],
      med: 30,
      asPathPrepend: 1,
      import: [
        { prefix: '10.98.0.0/16', le: 32, largeCommunity: '65002:0:666', action: 'deny' },
        { prefix: '10.98.0.0/16', le: 32, action: 'permit' },
      ],
      export: [
        { prefix: '10.244.0.0/16', le: 32, action: 'permit' },
        { prefix: '10.97.0.0/16', le: 32, action: 'permit' },
      ],
    },
    {
      address: '198.51.100.4',
      asn: 65001,
      localAddress: '198.51.100.3',
      families: ['ipv4'],
      communities: ['65001:300'],
      localPref: 300,
      import: [{ prefix: '10.97.0.0/16', le: 32, action: 'permit' }],
      export: [{ prefix: '10.244.0.0/16', le: 32, action: 'permit' }],
    },
  ],
  originate: ['10.244.1.0/24'],
};

interface FrrRouteDetail {
  paths?: {
    aspath?: { string: string };
    metric?: number;
    community?: { string: string };
    largeCommunity?: { string: string };
  }[];
}

/** The attribute lines of one path in `birdc show route all` (e.g. "BGP.med" → "30"). */
function birdAttrs(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of text.matchAll(/^\s+(BGP\.[a-z_]+): (.*)$/gm)) out.set(m[1]!, m[2]!.trim());
  return out;
}

describe('bgp interop: communities, MED, LOCAL_PREF and AS_PATH prepend with FRR and BIRD 2', function () {
  this.timeout(60_000);
  let net: TestNet;
  let frr: Frr;
  let bird: Bird;
  let gannet: SpeakerChild;

  type Route = { prefix: string; best: { communities?: string[]; largeCommunities?: string[]; localPref: number } };
  const ours = async () => (await gannet.routes()) as unknown as Route[];
  const birdRoute = (prefix: string, proto: string) => bird.birdc(`show route all ${prefix} protocol ${proto}`);

  before(async function () {
    requireRoot(this);
    net = new TestNet('comm');
    const s = net.ns('s');
    const f = net.ns('f');
    const b = net.ns('b');
    net.link(s, 's0', f, 'f0', '192.0.2.1/24', '192.0.2.2/24');
    net.link(s, 's1', b, 'b0', '198.51.100.1/24', '198.51.100.2/24');
    b.ip('addr', 'add', '198.51.100.4/24', 'dev', 'b0');
    s.ip('addr', 'add', '198.51.100.3/24', 'dev', 's1');
    frr = await startFrr(net, f, FRR_CONF);
    bird = await startBird(net, b, BIRD_CONF);
    gannet = await SpeakerChild.start(net, s, config);
    for (const address of ['192.0.2.2', '198.51.100.2', '198.51.100.4']) {
      try {
        await waitFor(`${address} Established`, async () => (await gannet.peerState(address)) === 'Established', {
          timeoutMs: 30_000,
        });
      } catch (err) {
        const why = JSON.stringify(await gannet.peer(address));
        throw new Error(
          `${(err as Error).message}\nours: ${why}\nBIRD: ${bird.output()}\n${bird.birdc('show protocols all')}\nFRR: ${frr.output()}`,
        );
      }
    }
  });

  after(async () => {
    await net?.cleanup();
  });

  it('FRR sees our route with our communities, large communities, MED and AS_PATH prepended twice', async () => {
    let detail: FrrRouteDetail = {};
    await waitFor('FRR has 10.244.1.0/24', () => {
      detail = JSON.parse(frr.vtysh('show bgp ipv4 unicast 10.244.1.0/24 json')) as FrrRouteDetail;
      return (detail.paths?.length ?? 0) > 0;
    });
    const p = detail.paths?.[0];
    assert.ok(p, JSON.stringify(detail));
    assert.equal(p?.aspath?.string, '65001 65001 65001');
    assert.equal(p?.metric, 50, JSON.stringify(p)); // FRR's name for MED
    assert.equal(p?.community?.string, '65001:100');
    assert.equal(p?.largeCommunity?.string, '65001:1:2');
  });

  it('BIRD sees our route: over eBGP with its attributes and one prepend, over iBGP with LOCAL_PREF 300', async () => {
    await waitFor('BIRD has 10.244.1.0/24 from both sessions', () => {
      return (
        birdRoute('10.244.1.0/24', 'to_ebgp').includes('BGP.') && birdRoute('10.244.1.0/24', 'to_ibgp').includes('BGP.')
      );
    });
    const e = birdAttrs(birdRoute('10.244.1.0/24', 'to_ebgp'));
    assert.equal(e.get('BGP.as_path'), '65001 65001');
    assert.equal(e.get('BGP.med'), '30');
    assert.equal(e.get('BGP.community'), '(65001,200) (65535,65282)'); // no-advertise is ours to attach
    assert.equal(e.get('BGP.large_community'), '(65001, 0, 7)');
    assert.equal(e.has('BGP.local_pref') && e.get('BGP.local_pref') !== '100', false, 'no LOCAL_PREF over eBGP');
    const i = birdAttrs(birdRoute('10.244.1.0/24', 'to_ibgp'));
    assert.equal(i.get('BGP.local_pref'), '300');
    assert.equal(i.get('BGP.community'), '(65001,300)');
    assert.equal(i.get('BGP.as_path') ?? '', '', 'no prepend towards iBGP');
  });

  it('an import rule on a community rejects the route FRR tagged and accepts its untagged neighbour', async () => {
    await waitFor('we have 10.99.2.0/24', async () => (await ours()).some((r) => r.prefix === '10.99.2.0/24'));
    const routes = await ours();
    assert.equal(
      routes.find((r) => r.prefix === '10.99.1.0/24'),
      undefined,
      'tagged 65000:666: denied',
    );
    // received also counts our own routes FRR sends back (refused for the AS loop): only 10.99.2.0/24 is accepted
    assert.equal((await gannet.peer('192.0.2.2'))?.prefixesAccepted, 1);
  });

  it('an import rule on a large community rejects the route BIRD tagged; untagged accepted', async () => {
    await waitFor('we have 10.98.2.0/24', async () => (await ours()).some((r) => r.prefix === '10.98.2.0/24'));
    assert.equal(
      (await ours()).find((r) => r.prefix === '10.98.1.0/24'),
      undefined,
      'tagged 65002:0:666: denied',
    );
    assert.equal((await gannet.peer('198.51.100.2'))?.prefixesAccepted, 1);
  });

  it('NO_EXPORT from an iBGP peer: kept and shown by us, never sent to the eBGP peers (FRR, BIRD)', async () => {
    await waitFor('we have both iBGP routes', async () => {
      const r = await ours();
      return r.some((x) => x.prefix === '10.97.1.0/24') && r.some((x) => x.prefix === '10.97.2.0/24');
    });
    const tagged = (await ours()).find((r) => r.prefix === '10.97.1.0/24');
    assert.deepEqual(tagged?.best.communities, ['no-export']);
    // The untagged one reaches both eBGP peers; once it has, the tagged one (same peer, same moment) would have too.
    await waitFor('FRR has 10.97.2.0/24', () => frr.routes()['10.97.2.0/24'] !== undefined);
    await waitFor('BIRD (eBGP) has 10.97.2.0/24', () => birdRoute('10.97.2.0/24', 'to_ebgp').includes('BGP.'));
    assert.equal(frr.routes()['10.97.1.0/24'], undefined, 'FRR must not have the NO_EXPORT route');
    assert.ok(!birdRoute('10.97.1.0/24', 'to_ebgp').includes('BGP.'), 'BIRD eBGP must not have the NO_EXPORT route');
    // Our attributes ride on the reflected-to-eBGP route too (it is our route towards them now).
    const fromUs = JSON.parse(frr.vtysh('show bgp ipv4 unicast 10.97.2.0/24 json')) as FrrRouteDetail;
    assert.equal(fromUs.paths?.[0]?.aspath?.string, '65001 65001 65001');
    assert.equal(fromUs.paths?.[0]?.community?.string, '65001:100');
  });
});
