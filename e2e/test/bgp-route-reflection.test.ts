// Route reflection (RFC 4456) against real daemons on one L2 segment (a bridge in its own namespace): a Gannet
// reflector with two BIRD 2 and two FRR clients, each advertising a prefix and learning every other's with the
// originator's next hop and the RR attributes; then Gannet as a client of an FRR reflector and of a BIRD reflector.
import assert from 'node:assert/strict';
import { type Bird, type Frr, startBird, startFrr } from '../src/daemons.js';
import { type Netns, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';

const ASN = 64512;
const CLUSTER = '10.255.0.1';

/** One bridge in namespace `sw`; each host gets its own namespace and a veth on it with `address`/24. */
function segment(net: TestNet, hosts: Record<string, string[]>): Record<string, Netns> {
  const sw = net.ns('sw');
  sw.ip('link', 'add', 'br0', 'type', 'bridge');
  sw.ip('link', 'set', 'br0', 'up');
  const out: Record<string, Netns> = {};
  for (const [label, addresses] of Object.entries(hosts)) {
    const ns = net.ns(label);
    net.link(ns, 'eth0', sw, `p-${label}`);
    sw.ip('link', 'set', `p-${label}`, 'master', 'br0');
    for (const a of addresses) ns.ip('addr', 'add', `${a}/24`, 'dev', 'eth0');
    out[label] = ns;
  }
  return out;
}

function frrConf(routerId: string, prefix: string, neighbors: string[], rr?: { clusterId: string }): string {
  return `frr defaults traditional
hostname frr-${routerId}
log stdout informational
!
router bgp ${ASN}
 bgp router-id ${routerId}
 no bgp network import-check
${rr ? ` bgp cluster-id ${rr.clusterId}\n` : ''}${neighbors
  .map((n) => ` neighbor ${n} remote-as ${ASN}\n neighbor ${n} timers 1 3\n neighbor ${n} timers connect 1\n`)
  .join('')} !
 address-family ipv4 unicast
  network ${prefix}
${rr ? neighbors.map((n) => `  neighbor ${n} route-reflector-client\n`).join('') : ''} exit-address-family
!
`;
}

function birdConf(routerId: string, prefix: string, neighbors: string[], rr?: { clusterId: string }): string {
  return `router id ${routerId};
log stderr all;
protocol device {}
protocol static { ipv4; route ${prefix} blackhole; }
template bgp peer {
  local ${routerId} as ${ASN};
  hold time 3;
  keepalive time 1;
  connect retry time 1;
  error wait time 1, 5;
${rr ? `  rr client;\n  rr cluster id ${rr.clusterId};\n` : ''}  direct;
  ipv4 { import all; export all; };
}
${neighbors.map((n, i) => `protocol bgp n${i} from peer { neighbor ${n} as ${ASN}; }`).join('\n')}
`;
}

interface RouteView {
  prefix: string;
  nexthops: string[];
  best: { source: string; originatorId?: string; clusterList?: string[] };
}

async function gannetRoute(child: SpeakerChild, prefix: string): Promise<RouteView | undefined> {
  return ((await child.routes()) as RouteView[]).find((r) => r.prefix === prefix);
}

/** FRR's best path for a prefix (`show bgp ipv4 unicast PREFIX json`), with the attributes we check. */
function frrPath(frr: Frr, prefix: string) {
  const out = JSON.parse(frr.vtysh(`show bgp ipv4 unicast ${prefix} json`)) as {
    paths?: {
      bestpath?: { overall?: boolean };
      valid?: boolean;
      nexthops?: { ip: string }[];
      originatorId?: string;
      clusterList?: { list?: string[] };
    }[];
  };
  return out.paths?.find((p) => p.bestpath?.overall) ?? out.paths?.[0];
}

const established = (child: SpeakerChild, address: string) =>
  waitFor(`${address} Established`, async () => (await child.peerState(address)) === 'Established', {
    timeoutMs: 30_000,
  });

describe('bgp interop: route reflection (RFC 4456)', function () {
  this.timeout(90_000);

  describe('a Gannet reflector with two BIRD and two FRR clients', () => {
    let net: TestNet;
    let rr: SpeakerChild;
    const birds: Bird[] = [];
    const frrs: Frr[] = [];
    const RR = '10.0.0.1';
    const clients = [
      { label: 'b1', address: '10.0.0.11', prefix: '10.244.11.0/24', kind: 'bird' },
      { label: 'b2', address: '10.0.0.12', prefix: '10.244.12.0/24', kind: 'bird' },
      { label: 'f1', address: '10.0.0.21', prefix: '10.244.21.0/24', kind: 'frr' },
      { label: 'f2', address: '10.0.0.22', prefix: '10.244.22.0/24', kind: 'frr' },
    ] as const;

    before(async function () {
      requireRoot(this);
      net = new TestNet('rr');
      const ns = segment(net, { g: [RR], ...Object.fromEntries(clients.map((c) => [c.label, [c.address]])) });
      rr = await SpeakerChild.start(net, ns.g!, {
        speaker: { asn: ASN, routerId: RR, listen: { address: RR, port: 179 }, routeReflector: { clusterId: CLUSTER } },
        peers: clients.map((c) => ({
          address: c.address,
          asn: ASN,
          localAddress: RR,
          families: ['ipv4' as const],
          routeReflectorClient: true,
        })),
        originate: ['10.244.1.0/24'],
      });
      for (const c of clients) {
        if (c.kind === 'bird') birds.push(await startBird(net, ns[c.label]!, birdConf(c.address, c.prefix, [RR])));
        else frrs.push(await startFrr(net, ns[c.label]!, frrConf(c.address, c.prefix, [RR])));
      }
      for (const c of clients) await established(rr, c.address);
    });

    after(async () => {
      for (const d of [...birds, ...frrs]) await d.stop();
      await net?.cleanup();
    });

    it('the reflector holds every client’s prefix, via the client', async () => {
      await waitFor('all four client prefixes', async () => {
        const r = (await rr.routes()) as RouteView[];
        return clients.every((c) => r.some((x) => x.prefix === c.prefix));
      });
      for (const c of clients) assert.deepEqual((await gannetRoute(rr, c.prefix))?.nexthops, [c.address]);
    });

    it('each FRR client learns every other client’s prefix with its next hop, ORIGINATOR_ID and CLUSTER_LIST', async () => {
      for (const [i, frr] of frrs.entries()) {
        const self = clients.filter((c) => c.kind === 'frr')[i]!;
        for (const c of clients) {
          if (c === self) continue;
          await waitFor(`FRR ${self.address} has ${c.prefix}`, () => frr.routes()[c.prefix] !== undefined);
          const p = frrPath(frr, c.prefix);
          assert.equal(p?.nexthops?.[0]?.ip, c.address, `${self.address}: ${c.prefix} next hop`);
          assert.equal(p?.originatorId, c.address, `${self.address}: ${c.prefix} ORIGINATOR_ID`);
          assert.deepEqual(p?.clusterList?.list, [CLUSTER], `${self.address}: ${c.prefix} CLUSTER_LIST`);
        }
        // The reflector's own prefix: not reflected, so no RR attributes, next hop the reflector.
        await waitFor(
          `FRR ${self.address} has the reflector's prefix`,
          () => frr.routes()['10.244.1.0/24'] !== undefined,
        );
        const own = frrPath(frr, '10.244.1.0/24');
        assert.equal(own?.nexthops?.[0]?.ip, RR);
        assert.equal(own?.originatorId, undefined);
      }
    });

    it('each BIRD client learns every other client’s prefix with its next hop, originator and cluster list', async () => {
      for (const [i, bird] of birds.entries()) {
        const self = clients.filter((c) => c.kind === 'bird')[i]!;
        for (const c of clients) {
          if (c === self) continue;
          const show = () => bird.birdc(`show route ${c.prefix} all`);
          await waitFor(`BIRD ${self.address} has ${c.prefix}`, () => show().includes(c.prefix));
          const out = show();
          assert.match(out, new RegExp(`via ${c.address.replaceAll('.', '\\.')}\\b`), out);
          assert.match(out, new RegExp(`BGP\\.originator_id: ${c.address.replaceAll('.', '\\.')}\\b`), out);
          assert.match(out, new RegExp(`BGP\\.cluster_list: ${CLUSTER.replaceAll('.', '\\.')}\\s*$`, 'm'), out);
        }
      }
    });

    it('a withdrawal at a client reaches every other client', async () => {
      frrs[0]!.configure(['router bgp 64512', 'address-family ipv4 unicast', 'no network 10.244.21.0/24']);
      await waitFor('FRR f2 lost 10.244.21.0/24', () => frrs[1]!.routes()['10.244.21.0/24'] === undefined);
      await waitFor(
        'BIRD b1 lost 10.244.21.0/24',
        () => !birds[0]!.birdc('show route 10.244.21.0/24').includes('10.244.21.0/24'),
      );
      frrs[0]!.configure(['router bgp 64512', 'address-family ipv4 unicast', 'network 10.244.21.0/24']);
      await waitFor('FRR f2 has it again', () => frrs[1]!.routes()['10.244.21.0/24'] !== undefined);
    });
  });

  for (const kind of ['frr', 'bird'] as const) {
    describe(`Gannet as a client of ${kind === 'frr' ? 'an FRR' : 'a BIRD'} reflector`, () => {
      let net: TestNet;
      let daemon: Frr | Bird | undefined;
      const gannet: SpeakerChild[] = [];
      const RR = '10.0.1.1';
      const RR_CLUSTER = '10.255.0.9';
      const nodes = [
        { address: '10.0.1.11', prefix: '10.244.31.0/24' },
        { address: '10.0.1.12', prefix: '10.244.32.0/24' },
      ];

      before(async function () {
        requireRoot(this);
        net = new TestNet(`rc${kind[0]}`);
        const ns = segment(net, { rr: [RR], g: nodes.map((n) => n.address) });
        const conf = kind === 'frr' ? frrConf : birdConf;
        const text = conf(
          RR,
          '10.244.99.0/24',
          nodes.map((n) => n.address),
          { clusterId: RR_CLUSTER },
        );
        daemon = kind === 'frr' ? await startFrr(net, ns.rr!, text) : await startBird(net, ns.rr!, text);
        for (const n of nodes) {
          gannet.push(
            await SpeakerChild.start(net, ns.g!, {
              speaker: { asn: ASN, routerId: n.address, listen: false },
              peers: [{ address: RR, asn: ASN, localAddress: n.address, families: ['ipv4'] }],
              originate: [n.prefix],
            }),
          );
        }
        for (const g of gannet) await established(g, RR);
      });

      after(async () => {
        for (const g of gannet) await g.stop();
        await daemon?.stop();
        await net?.cleanup();
      });

      it('each Gannet client learns the other’s prefix with the originator’s next hop and the RR attributes', async () => {
        for (const [i, g] of gannet.entries()) {
          const other = nodes[1 - i]!;
          await waitFor(
            `${nodes[i]!.address} has ${other.prefix}`,
            async () => (await gannetRoute(g, other.prefix)) !== undefined,
          );
          const r = await gannetRoute(g, other.prefix);
          assert.deepEqual(r?.nexthops, [other.address]);
          assert.equal(r?.best.source, 'ibgp');
          assert.equal(r?.best.originatorId, other.address);
          assert.deepEqual(r?.best.clusterList, [RR_CLUSTER]);
          await waitFor(
            'the reflector’s own prefix',
            async () => (await gannetRoute(g, '10.244.99.0/24')) !== undefined,
          );
          assert.deepEqual((await gannetRoute(g, '10.244.99.0/24'))?.nexthops, [RR]);
        }
      });

      it('a client never takes its own prefix back (the reflector does not send it, or it is dropped as a loop)', async () => {
        for (const [i, g] of gannet.entries()) {
          const own = await gannetRoute(g, nodes[i]!.prefix);
          assert.equal(own?.best.source, 'local');
          const peer = await g.peer(RR);
          assert.equal(peer?.prefixesAccepted, 2, JSON.stringify(peer));
        }
      });
    });
  }
});
