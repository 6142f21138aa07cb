// gannet doctor's walk over an in-memory network (two pods on two nodes, as the lab wires them): a whole path, then
// one fault per class, each named at the right hop with its hint; the nft map reader; the command's usage errors.
import assert from 'node:assert/strict';
import { main } from '../src/cli/main.js';
import type { AddrInfo, AgentView, KernelRoute, LinkInfo, NetView, RouteHit } from '../src/doctor/net-view.js';
import { nftMapKeys } from '../src/doctor/net-view.js';
import { type DoctorInput, renderReport, walkPath } from '../src/doctor/walk.js';

const A = '10.244.1.2';
const B = '10.244.2.2';

/** pa —veth— n1 —(segment 172.30.0.0/24)— n2 —veth— pb; answers as iproute2 gives them, editable per test. */
class World implements NetView {
  links_: Record<string, LinkInfo[]> = {
    pa: [{ ifindex: 2, name: 'eth0', up: true, mtu: 1500, kind: 'veth', peer: { ns: 'n1', ifindex: 5 } }],
    n1: [
      { ifindex: 2, name: 'eth0', up: true, mtu: 1500, kind: 'veth', peer: { ns: 'fabric', ifindex: 3 } },
      { ifindex: 5, name: 'gnta', up: true, mtu: 1500, kind: 'veth', peer: { ns: 'pa', ifindex: 2 } },
    ],
    n2: [
      { ifindex: 2, name: 'eth0', up: true, mtu: 1500, kind: 'veth', peer: { ns: 'fabric', ifindex: 4 } },
      { ifindex: 6, name: 'gntb', up: true, mtu: 1500, kind: 'veth', peer: { ns: 'pb', ifindex: 2 } },
    ],
    pb: [{ ifindex: 2, name: 'eth0', up: true, mtu: 1500, kind: 'veth', peer: { ns: 'n2', ifindex: 6 } }],
  };
  addrs_: Record<string, AddrInfo[]> = {
    pa: [{ ifname: 'eth0', address: A, prefixlen: 32 }],
    n1: [{ ifname: 'eth0', address: '172.30.0.1', prefixlen: 24 }],
    n2: [{ ifname: 'eth0', address: '172.30.0.2', prefixlen: 24 }],
    pb: [{ ifname: 'eth0', address: B, prefixlen: 32 }],
  };
  routes: Record<string, RouteHit> = {
    [`pa ${B}`]: { dev: 'eth0', gateway: '169.254.1.1', type: 'unicast' },
    [`n1 ${A}`]: { dev: 'gnta', type: 'unicast' },
    [`n1 ${B} gnta`]: { dev: 'eth0', gateway: '172.30.0.2', type: 'unicast' },
    [`n2 ${A}`]: { dev: 'eth0', gateway: '172.30.0.1', type: 'unicast' },
    [`n2 ${B}`]: { dev: 'gntb', type: 'unicast' },
    [`n2 ${B} eth0`]: { dev: 'gntb', type: 'unicast' },
    [`pb ${A}`]: { dev: 'eth0', gateway: '169.254.1.1', type: 'unicast' },
  };
  kernel: Record<string, KernelRoute> = {
    [`n1 ${B}`]: { dst: '10.244.2.0/24', gateways: ['172.30.0.2'], dev: 'eth0', protocol: 'gannet' },
    [`n2 ${B}`]: { dst: B, gateways: [], dev: 'gntb' },
  };
  sys: Record<string, Record<string, string>> = {
    n1: { 'ipv4/ip_forward': '1', 'ipv4/conf/all/rp_filter': '0' },
    n2: { 'ipv4/ip_forward': '1', 'ipv4/conf/all/rp_filter': '0', 'ipv4/conf/eth0/rp_filter': '0' },
  };
  neighbours: Record<string, string[]> = {
    'pa 169.254.1.1': ['PERMANENT'],
    'n1 172.30.0.2': ['REACHABLE'],
  };
  agents: Record<string, AgentView> = {
    n1: {
      ready: true,
      peers: [
        {
          address: '172.30.0.254',
          asn: 65000,
          state: 'Established',
          uptimeSeconds: 10,
          lastError: null,
          prefixesReceived: 1,
          prefixesAccepted: 1,
          prefixesAdvertised: 1,
        },
      ],
      routes: [{ prefix: '10.244.2.0/24', nexthops: ['172.30.0.2'], source: 'bgp', installed: true }],
    },
    n2: { ready: true, peers: [], routes: [] },
  };
  pingOk = true;
  selected: Record<string, { ingress: Set<string>; egress: Set<string> }> = {};

  async links(ns: string) {
    return this.links_[ns] ?? [];
  }
  async addrs(ns: string) {
    return this.addrs_[ns] ?? [];
  }
  async routeGet(ns: string, dst: string, o: { from?: string; iif?: string } = {}) {
    return this.routes[`${ns} ${dst}${o.iif ? ` ${o.iif}` : ''}`] ?? { error: 'Network is unreachable' };
  }
  async routeMatch(ns: string, dst: string) {
    return this.kernel[`${ns} ${dst}`];
  }
  async neigh(ns: string, address: string) {
    return this.neighbours[`${ns} ${address}`];
  }
  async sysctls(ns: string) {
    return this.sys[ns] ?? {};
  }
  async agent(ns: string) {
    return this.agents[ns];
  }
  async ping() {
    return this.pingOk;
  }
  async policySelected(ns: string) {
    return this.selected[ns];
  }
}

const input: DoctorInput = {
  src: { ip: A, ns: 'pa', name: 'node1-pod1' },
  dst: { ip: B, ns: 'pb', name: 'node2-pod1' },
  namespaces: ['n1', 'n2', 'fabric'],
  nodes: new Map([
    ['n1', 'node1'],
    ['n2', 'node2'],
  ]),
};

async function broken(w: World) {
  const r = await walkPath(w, input);
  assert.equal(r.ok, false, renderReport(r));
  return r.broken!;
}

describe('controller: gannet doctor', () => {
  it('a whole path: four hops, every check passes, the ping answers', async () => {
    const r = await walkPath(new World(), input);
    assert.equal(r.ok, true, renderReport(r));
    assert.deepEqual(
      r.hops.map((h) => [h.label, h.ingress ?? '-', h.egress ?? '-']),
      [
        ['pod node1-pod1', '-', 'eth0'],
        ['node node1', 'gnta', 'eth0'],
        ['node node2', 'eth0', 'gntb'],
        ['pod node2-pod1', 'eth0', '-'],
      ],
    );
    const n1 = r.hops[1]!.checks.map((c) => c.name);
    assert.deepEqual(n1, [
      'ingress interface',
      'forwarding',
      'rp_filter',
      'route',
      'bgp',
      'egress interface',
      'neighbour',
    ]);
    assert.match(renderReport(r), /path OK \(4 hops/);
  });

  it('the source pod without its default route', async () => {
    const w = new World();
    delete w.routes[`pa ${B}`];
    const b = await broken(w);
    assert.equal(b.hop, 'pod node1-pod1');
    assert.equal(b.check, 'route');
    assert.match(b.hint!, /CNI wiring/);
  });

  it('a pod veth down on the destination node', async () => {
    const w = new World();
    w.links_.n2![1]!.up = false;
    delete w.routes[`n2 ${B} eth0`];
    const b = await broken(w);
    assert.equal(b.hop, 'node node2');
    assert.equal(b.check, 'pod veth');
    assert.match(b.hint!, /link set gntb up/);
  });

  it('the pod’s host route missing', async () => {
    const w = new World();
    w.routes[`n2 ${B} eth0`] = { error: 'Invalid argument' };
    w.routes[`n2 ${B}`] = { type: 'blackhole', dev: 'lo' };
    const b = await broken(w);
    assert.equal(b.check, 'pod route');
  });

  it('forwarding off on the source node', async () => {
    const w = new World();
    w.sys.n1!['ipv4/ip_forward'] = '0';
    const b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node1', 'forwarding']);
    assert.match(b.hint!, /ip_forward=1/);
  });

  it('rp_filter strict where the route back leaves by another interface', async () => {
    const w = new World();
    w.sys.n2!['ipv4/conf/eth0/rp_filter'] = '1';
    w.routes[`n2 ${A}`] = { dev: 'eth1', gateway: '172.31.0.1' };
    const b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node2', 'rp_filter']);
    assert.match(b.detail, /leaves by eth1/);
  });

  it('the BGP session down: no route, the session named', async () => {
    const w = new World();
    w.routes[`n1 ${B} gnta`] = { error: 'Network is unreachable' };
    delete w.kernel[`n1 ${B}`];
    w.agents.n1!.routes = [];
    w.agents.n1!.peers[0]!.state = 'Active';
    w.agents.n1!.peers[0]!.lastError = 'read ECONNRESET';
    const b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node1', 'sessions']);
    assert.match(b.detail, /172\.30\.0\.254 Active \(read ECONNRESET\)/);
  });

  it('a route the kernel refuses, and a foreign route holding its place', async () => {
    const w = new World();
    w.agents.n1!.routes[0]!.installed = false;
    w.kernel[`n1 ${B}`] = { dst: '10.244.0.0/16', gateways: ['172.30.0.254'], protocol: 'gannet' };
    let b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node1', 'bgp']);
    assert.match(b.detail, /NOT installed: the kernel refuses it/);
    w.kernel[`n1 ${B}`] = { dst: '10.244.2.0/24', gateways: [], dev: 'lo', protocol: 'static' };
    b = await broken(w);
    assert.match(b.detail, /another route for 10\.244\.2\.0\/24 \(proto static dev lo\)/);
  });

  it('an MTU mismatch on the link between the nodes', async () => {
    const w = new World();
    w.links_.n2![0]!.mtu = 1400;
    const b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node2', 'mtu']);
    assert.match(b.detail, /accepts 1400 bytes, the previous hop sends up to 1500/);
  });

  it('the next hop does not answer ARP', async () => {
    const w = new World();
    w.neighbours['n1 172.30.0.2'] = ['FAILED'];
    const b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node1', 'neighbour']);
  });

  it('every hop fine but no answer: a NetworkPolicy selecting the destination is named', async () => {
    const w = new World();
    w.pingOk = false;
    let b = await broken(w);
    assert.equal(b.check, 'ping');
    w.selected.n2 = { ingress: new Set([B]), egress: new Set() };
    b = await broken(w);
    assert.deepEqual([b.hop, b.check], ['node node2', 'policy']);
  });

  it('a routing loop and a next hop nobody owns end the walk with a failure', async () => {
    const w = new World();
    w.routes[`n2 ${B} eth0`] = { dev: 'eth0', gateway: '172.30.0.1' };
    let b = await broken(w);
    assert.equal(b.check, 'loop');
    const v = new World();
    v.routes[`n1 ${B} gnta`] = { dev: 'eth0', gateway: '172.30.0.99' };
    v.links_.n1![0]!.peer = undefined;
    b = await broken(v);
    assert.equal(b.check, 'next hop');
  });

  it('reads the keys of nft’s JSON map listing', () => {
    const json = {
      nftables: [
        { metainfo: { version: '1.0.6' } },
        {
          map: {
            family: 'inet',
            name: 'ingress-pods',
            table: 'gannet',
            elem: [
              ['10.244.2.2', { jump: { target: 'grp.x.in' } }],
              [{ elem: { val: '10.244.2.3', timeout: 0 } }, { jump: { target: 'grp.y.in' } }],
            ],
          },
        },
      ],
    };
    assert.deepEqual(nftMapKeys(json), ['10.244.2.2', '10.244.2.3']);
    assert.deepEqual(nftMapKeys({}), []);
  });

  it('usage: two pods needed, IPs without --lab, --help', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
    assert.equal(await main(['doctor', A], io), 2);
    assert.equal(await main(['doctor', 'node1-pod1', 'node2-pod1'], io), 2);
    assert.match(err.join(''), /not an IP address \(pod names need --lab\)/);
    assert.equal(await main(['doctor', A, B, '--lab', 'nosuchlab', '--state-dir', '/nonexistent'], io), 1);
    assert.match(err.join(''), /no lab "nosuchlab"/);
    assert.equal(await main(['doctor', '--help'], io), 0);
    assert.match(out.join(''), /Usage: gannet doctor SRC DST/);
  });
});
