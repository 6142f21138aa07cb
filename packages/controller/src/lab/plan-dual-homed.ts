// Dual-homed nodes: two routers (router1, router2, both AS 65000 as a rack's pair of ToRs often are), each with its
// own segment (A 172.30.0.0/24 on eth0, B 172.31.0.0/24 on eth1). Node i: 172.30.0.i and 172.31.0.i, AS 65000+i,
// peers eBGP with both routers, so it learns every remote pod CIDR twice with equal AS paths and installs both next
// hops (ECMP). The routers do not peer with each other: sharing an AS, neither accepts the other's routes relayed by a
// node, so each router's view stays its own segment's.
//
//   router1 (AS 65000) .254 ── br0 172.30.0.0/24 ──┬── eth0 node1 eth1 ──┬── br0 172.31.0.0/24 ── .254 router2 (AS 65000)
//                                                  └── eth0 node2 eth1 ──┘
import {
  DEFAULT_HOLD_TIME,
  LAB_LIMITS,
  type PlannedLink,
  type PlannedRouter,
  type PlannedSegment,
  plannedPods,
  ROUTER_ASN,
} from './plan-types.js';
import type { LabOptions, LabPlan, PlannedNode } from './topology.js';

export const DUAL_SEGMENTS = ['172.30.0', '172.31.0'] as const;

export function planDualHomed(options: LabOptions): LabPlan {
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > LAB_LIMITS.nodes) {
    throw new Error(`--nodes must be 1..${LAB_LIMITS.nodes}`);
  }
  if (options.router === 'none') throw new Error('--topology dual-homed needs --router frr or bird');
  const kind = options.router;
  const prefix = `gnt-${options.name}-`;
  const sides = DUAL_SEGMENTS.map((net, k) => ({
    name: `router${k + 1}`,
    ns: `${prefix}router${k + 1}`,
    net,
    address: `${net}.254`,
    ifname: `eth${k}`,
  }));
  const nodes: PlannedNode[] = [];
  for (let i = 1; i <= options.nodes; i++) {
    const name = `node${i}`;
    nodes.push({
      name,
      index: i,
      ns: `${prefix}${name}`,
      address: `${sides[0]!.net}.${i}`,
      asn: ROUTER_ASN + i,
      podCIDR: `10.244.${i}.0/24`,
      segmentIf: `n${i}`,
      peers: sides.map((s) => ({ address: s.address, asn: ROUTER_ASN })),
      pods: plannedPods(prefix, name, options.podsPerNode),
    });
  }
  const segments: PlannedSegment[] = sides.map((s) => ({
    name: `segment${s.name.slice(-1)}`,
    ns: s.ns,
    bridge: 'br0',
    cidr: `${s.net}.0/24`,
    gateway: `${s.address}/24`,
  }));
  const links: PlannedLink[] = nodes.flatMap((n) =>
    sides.map((s) => ({
      name: `${n.name}-${s.name}`,
      a: { ns: n.ns, ifname: s.ifname, address: `${s.net}.${n.index}/24` },
      b: { ns: s.ns, ifname: n.segmentIf, bridge: 'br0' },
    })),
  );
  const routers: PlannedRouter[] = sides.map((s) => ({
    name: s.name,
    role: 'tor',
    kind,
    ns: s.ns,
    asn: ROUTER_ASN,
    routerId: s.address,
    neighbors: nodes.map((n) => ({
      name: n.name,
      address: `${s.net}.${n.index}`,
      asn: n.asn,
      localAddress: s.address,
    })),
  }));
  return {
    options,
    prefix,
    segmentNs: sides[0]!.ns,
    nodes,
    clusterCIDR: '10.244.0.0/16',
    segmentCIDR: `${sides[0]!.net}.0/24`,
    topology: 'dual-homed',
    routers,
    segments,
    links,
    holdTime: options.holdTime ?? DEFAULT_HOLD_TIME,
  };
}
