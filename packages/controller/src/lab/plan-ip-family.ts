// The lab's address families (--ip-family ipv4|ipv6|dual), applied to the flat plan: IPv4 is the lab of old; dual adds
// an IPv6 address to every node and the router on the same segment, an IPv6 pod CIDR per node and an IPv6 session
// beside every IPv4 one (one session per family, docs/dual-stack.md); ipv6 keeps only the IPv6 half. Pure.
//   segment   fd00:172:30::/64      node i: fd00:172:30::<i in hex>, router fd00:172:30::fe
//   pods      fd00:10:244::/48      node i: fd00:10:244:<i in hex>::/64
// Router IDs stay dotted quads (a BGP Identifier is 32 bits): the router's 172.30.0.254 on every family; IPv6-only
// nodes leave routerId out of their config and get the one derived from their name (config/router-id.ts).
import type { LabPlan, PlannedNode } from './topology.js';

export const IP_FAMILIES = ['ipv4', 'ipv6', 'dual'] as const;
export type LabIpFamily = (typeof IP_FAMILIES)[number];

export const SEGMENT6_CIDR = 'fd00:172:30::/64';
export const ROUTER6_ADDRESS = 'fd00:172:30::fe';
export const CLUSTER6_CIDR = 'fd00:10:244::/48';

export function nodeAddress6(index: number): string {
  return `fd00:172:30::${index.toString(16)}`;
}

export function podCidr6(index: number): string {
  return `fd00:10:244:${index.toString(16)}::/64`;
}

/** The flat plan with the families asked for (the plan itself for ipv4). */
export function applyIpFamily(plan: LabPlan, family: LabIpFamily): LabPlan {
  if (family === 'ipv4') return plan;
  const only6 = family === 'ipv6';
  const router6 = plan.router ? ROUTER6_ADDRESS : undefined;
  const v6 = new Map(plan.nodes.map((n) => [n.name, nodeAddress6(n.index)]));
  const nodes: PlannedNode[] = plan.nodes.map((n) => {
    const address6 = v6.get(n.name)!;
    const peers6 = plan.router
      ? [{ address: router6!, asn: plan.router.asn }]
      : plan.nodes.filter((o) => o !== n).map((o) => ({ address: v6.get(o.name)!, asn: o.asn }));
    return only6
      ? { ...n, address: address6, podCIDR: podCidr6(n.index), peers: peers6 }
      : { ...n, address6, podCIDR6: podCidr6(n.index), peers: [...n.peers, ...peers6] };
  });
  const links = plan.links.map((l) => {
    const a6 = `${nodes.find((n) => n.ns === l.a.ns)!.address6 ?? nodes.find((n) => n.ns === l.a.ns)!.address}/64`;
    return only6 ? { ...l, a: { ...l.a, address: a6 } } : { ...l, a: { ...l.a, address6: a6 } };
  });
  const segments = plan.segments.map((s) => {
    if (!router6) return only6 ? { ...s, cidr: SEGMENT6_CIDR } : s;
    const { gateway: _, ...rest } = s;
    return only6 ? { ...rest, cidr: SEGMENT6_CIDR, gateway: `${router6}/64` } : { ...s, gateway6: `${router6}/64` };
  });
  const routers = plan.routers.map((r) => {
    const n6 = nodes.map((n) => ({
      name: only6 ? n.name : `${n.name}v6`,
      address: n.address6 ?? n.address,
      asn: n.asn,
      localAddress: router6!,
    }));
    return { ...r, neighbors: only6 ? n6 : [...r.neighbors, ...n6] };
  });
  return {
    ...plan,
    ...(plan.router && only6 ? { router: { ...plan.router, address: router6! } } : {}),
    nodes,
    links,
    segments,
    routers,
    ...(only6 ? { clusterCIDR: CLUSTER6_CIDR, segmentCIDR: SEGMENT6_CIDR } : { clusterCIDR6: CLUSTER6_CIDR }),
  };
}
