// The flat lab (the lab of old, output unchanged): nodes and the router share one L2 segment, 172.30.0.0/24, a bridge
// in the router's — or, without a router, the fabric's — namespace. Node i: 172.30.0.i. With a router (AS 65000) each
// node peers eBGP with its own ASN 65000+i, a common ToR design; without one, the nodes form an iBGP full mesh in AS
// 64512.
import {
  DEFAULT_HOLD_TIME,
  LAB_LIMITS,
  MESH_ASN,
  type PlannedLink,
  type PlannedRouter,
  type PlannedSegment,
  plannedPods,
  ROUTER_ADDRESS,
  ROUTER_ASN,
  SEGMENT_PREFIX,
} from './plan-types.js';
import type { LabOptions, LabPlan, PlannedNode } from './topology.js';

export function planFlat(options: LabOptions): LabPlan {
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > LAB_LIMITS.nodes) {
    throw new Error(`--nodes must be 1..${LAB_LIMITS.nodes}`);
  }
  const prefix = `gnt-${options.name}-`;
  const router =
    options.router === 'none'
      ? undefined
      : { kind: options.router, ns: `${prefix}router`, address: ROUTER_ADDRESS, asn: ROUTER_ASN };
  const segmentNs = router ? router.ns : `${prefix}fabric`;
  const nodes: PlannedNode[] = [];
  for (let i = 1; i <= options.nodes; i++) {
    const name = `node${i}`;
    nodes.push({
      name,
      index: i,
      ns: `${prefix}${name}`,
      address: `${SEGMENT_PREFIX}.${i}`,
      asn: router ? ROUTER_ASN + i : MESH_ASN,
      podCIDR: `10.244.${i}.0/24`,
      segmentIf: `n${i}`,
      peers: [],
      pods: plannedPods(prefix, name, options.podsPerNode),
    });
  }
  for (const n of nodes) {
    n.peers = router
      ? [{ address: router.address, asn: router.asn }]
      : nodes.filter((o) => o !== n).map((o) => ({ address: o.address, asn: o.asn }));
  }
  const segments: PlannedSegment[] = [
    {
      name: 'segment',
      ns: segmentNs,
      bridge: 'br0',
      cidr: `${SEGMENT_PREFIX}.0/24`,
      ...(router ? { gateway: `${router.address}/24` } : {}),
    },
  ];
  const links: PlannedLink[] = nodes.map((n) => ({
    name: `${n.name}-${router ? 'router' : 'fabric'}`,
    a: { ns: n.ns, ifname: 'eth0', address: `${n.address}/24` },
    b: { ns: segmentNs, ifname: n.segmentIf, bridge: 'br0' },
  }));
  const routers: PlannedRouter[] = router
    ? [
        {
          name: 'router',
          role: 'tor',
          kind: router.kind,
          ns: router.ns,
          asn: router.asn,
          routerId: router.address,
          neighbors: nodes.map((n) => ({ name: n.name, address: n.address, asn: n.asn, localAddress: router.address })),
        },
      ]
    : [];
  return {
    options,
    prefix,
    segmentNs,
    ...(router ? { router } : {}),
    nodes,
    clusterCIDR: '10.244.0.0/16',
    segmentCIDR: `${SEGMENT_PREFIX}.0/24`,
    topology: 'flat',
    routers,
    segments,
    links,
    holdTime: options.holdTime ?? DEFAULT_HOLD_TIME,
  };
}
