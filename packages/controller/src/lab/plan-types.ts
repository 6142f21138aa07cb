// The shapes every topology's plan shares beyond the flat lab's (routers, segments, links), so bring-up, status and
// fault injection work on any topology through one interface. Pure data; see plan-flat.ts, plan-dual-homed.ts and
// plan-leaf-spine.ts for the plans themselves.

import type { PlannedPod } from './topology.js';

export const LAB_LIMITS = {
  nodes: 50,
  podsPerNode: 50,
  racks: 16,
  nodesPerRack: 32,
  spines: 8,
  fabricNodes: 128,
} as const;
export const ROUTER_ASN = 65000;
export const MESH_ASN = 64512;
export const SEGMENT_PREFIX = '172.30.0';
export const ROUTER_ADDRESS = `${SEGMENT_PREFIX}.254`;
export const DEFAULT_HOLD_TIME = 9;

/** The pods of node `name` (pure naming, shared by every topology). */
export function plannedPods(prefix: string, name: string, podsPerNode: number): PlannedPod[] {
  const pods: PlannedPod[] = [];
  for (let j = 1; j <= podsPerNode; j++)
    pods.push({ id: `${name}-pod${j}`, ns: `${prefix}${name}-pod${j}`, node: name });
  return pods;
}

export const TOPOLOGIES = ['flat', 'dual-homed', 'leaf-spine', 'rr'] as const;
export type TopologyKind = (typeof TOPOLOGIES)[number];

/** Linux's limit on interface names (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;

/** One end of a veth pair: in `ns`, named `ifname`; either addressed (`address`, CIDR form) or a port of `bridge`. */
export interface LinkEnd {
  ns: string;
  ifname: string;
  address?: string;
  /** A second address, IPv6 (--ip-family dual). */
  address6?: string;
  bridge?: string;
}

/**
 * A veth pair, named as `lab status` lists it and as `lab cut/heal/flap` take it: `node1-router`, `node1-router2`,
 * `node3-leaf1`, `leaf1-spine2`. `a` is the lower tier (a node, a leaf), `b` the upper (a router, a spine).
 */
export interface PlannedLink {
  name: string;
  a: LinkEnd;
  b: LinkEnd;
}

/** An L2 segment: a bridge in `ns` (a router's, or a plain fabric namespace); `gateway` is the router's address on it. */
export interface PlannedSegment {
  name: string;
  ns: string;
  bridge: string;
  cidr: string;
  gateway?: string;
  /** The router's IPv6 address on the segment (--ip-family dual). */
  gateway6?: string;
}

export interface PlannedNeighbor {
  /** The node or router at the other end (also BIRD's protocol name). */
  name: string;
  address: string;
  asn: number;
  /** This router's own address towards that neighbour. */
  localAddress: string;
}

/** A BGP router of the fabric: a ToR (flat, dual-homed), a leaf or a spine. */
export interface PlannedRouter {
  name: string;
  role: 'tor' | 'leaf' | 'spine';
  kind: 'frr' | 'bird';
  ns: string;
  asn: number;
  routerId: string;
  neighbors: PlannedNeighbor[];
}

/** Every interface name must fit Linux's limit; returns the offending names (unit tests check the largest lab). */
export function longInterfaceNames(links: PlannedLink[], segments: PlannedSegment[]): string[] {
  const names = [...links.flatMap((l) => [l.a.ifname, l.b.ifname]), ...segments.map((s) => s.bridge)];
  return names.filter((n) => n.length > IFNAME_MAX || n.length === 0);
}
