// The lab's plan: names, addresses and ASNs, computed from the options alone (pure; unit-tested). One plan per
// topology behind planLab: plan-flat.ts (one segment, one router or an iBGP mesh: the lab of old), plan-dual-homed.ts
// (two routers, two segments, every node on both), plan-leaf-spine.ts (a leaf per rack, eBGP to every spine).
// Common to all: node i is named node<i>, its pod CIDR is 10.244.i.0/24, its namespace gnt-<lab>-node<i>.
import { dirname } from 'node:path';
import { planDualHomed } from './plan-dual-homed.js';
import { planFlat } from './plan-flat.js';
import { applyIpFamily, IP_FAMILIES, type LabIpFamily } from './plan-ip-family.js';
import { planLeafSpine } from './plan-leaf-spine.js';
import { planRouteReflectors } from './plan-rr.js';
import {
  DEFAULT_HOLD_TIME,
  LAB_LIMITS,
  type PlannedLink,
  type PlannedRouter,
  type PlannedSegment,
  TOPOLOGIES,
  type TopologyKind,
} from './plan-types.js';

export { IP_FAMILIES, type LabIpFamily } from './plan-ip-family.js';
export type {
  LinkEnd,
  PlannedLink,
  PlannedNeighbor,
  PlannedRouter,
  PlannedSegment,
  TopologyKind,
} from './plan-types.js';
export {
  DEFAULT_HOLD_TIME,
  LAB_LIMITS,
  MESH_ASN,
  plannedPods,
  ROUTER_ADDRESS,
  ROUTER_ASN,
  SEGMENT_PREFIX,
} from './plan-types.js';

export type RouterKind = 'frr' | 'bird' | 'none';

export type LabRuntime = 'netns' | 'containerd';

export interface LabOptions {
  name: string;
  nodes: number;
  router: RouterKind;
  podsPerNode: number;
  /** netns (default): pods are bare namespaces wired by gannet-cni; containerd: CRI sandboxes of a containerd per node. */
  runtime?: LabRuntime;
  /** flat (default), dual-homed or leaf-spine. */
  topology?: TopologyKind;
  /** leaf-spine: racks (one leaf each), nodes per rack, spines. */
  racks?: number;
  nodesPerRack?: number;
  spines?: number;
  /** BGP hold time of every session in seconds (default 9; keepalives every third of it). */
  holdTime?: number;
  /** BFD (100 ms × 3) on every session: the agents' peers and the routers' neighbours. */
  bfd?: boolean;
  /** rr: how many of the nodes (the first ones) are route reflectors (default 2). */
  routeReflectors?: number;
  /** ipv4 (default), ipv6 or dual: the families of segments, sessions and pods (plan-ip-family.ts; flat only). */
  ipFamily?: LabIpFamily;
}

export interface PlannedPod {
  /** e.g. node1-pod1: also the CNI container ID suffix */
  id: string;
  ns: string;
  node: string;
}

export interface PlannedNode {
  name: string;
  index: number;
  ns: string;
  address: string;
  asn: number;
  podCIDR: string;
  /** Interface name of this node's veth on the segment side (in the router/fabric namespace). */
  segmentIf: string;
  peers: { address: string; asn: number; routeReflectorClient?: boolean }[];
  pods: PlannedPod[];
  /** rr: this node reflects routes for its clients. */
  routeReflector?: boolean;
  /** leaf-spine: the node's rack (1-based). */
  rack?: number;
  /** --ip-family dual: the node's IPv6 address and pod CIDR (`address` and `podCIDR` are the IPv4 ones). */
  address6?: string;
  podCIDR6?: string;
}

export interface LabPlan {
  options: LabOptions;
  prefix: string;
  /** Namespace that holds the (first) segment bridge: the router's, or a plain fabric namespace. */
  segmentNs: string;
  /** flat only: its one router. */
  router?: { kind: 'frr' | 'bird'; ns: string; address: string; asn: number };
  nodes: PlannedNode[];
  clusterCIDR: string;
  /** --ip-family dual: the IPv6 cluster CIDR (`clusterCIDR` is the IPv4 one). */
  clusterCIDR6?: string;
  segmentCIDR: string;
  topology: TopologyKind;
  /** Every router of the fabric (flat: the router, if any). */
  routers: PlannedRouter[];
  segments: PlannedSegment[];
  /** Every veth pair, named as `lab status` lists them. */
  links: PlannedLink[];
  holdTime: number;
  /** rr: the CLUSTER_ID every reflector uses. */
  routeReflectorClusterId?: string;
}

/** Lab names become part of namespace and interface names: short, lower-case, not like the tests' gnt-t<hex>-. */
export function checkLabName(name: string): string {
  if (!/^[a-z][a-z0-9]{0,9}$/.test(name)) {
    throw new Error(`lab name "${name}" must be 1-10 lower-case letters and digits, starting with a letter`);
  }
  if (/^t[0-9a-f]{6}/.test(name)) throw new Error(`lab name "${name}" looks like a test namespace id (gnt-t<hex>)`);
  return name;
}

export function planLab(options: LabOptions): LabPlan {
  checkLabName(options.name);
  if (
    !Number.isInteger(options.podsPerNode) ||
    options.podsPerNode < 0 ||
    options.podsPerNode > LAB_LIMITS.podsPerNode
  ) {
    throw new Error(`--pods-per-node must be 0..${LAB_LIMITS.podsPerNode}`);
  }
  if (!['frr', 'bird', 'none'].includes(options.router)) throw new Error('--router must be frr, bird or none');
  if (options.runtime !== undefined && !['netns', 'containerd'].includes(options.runtime)) {
    throw new Error('--runtime must be netns or containerd');
  }
  const topology = options.topology ?? 'flat';
  if (!TOPOLOGIES.includes(topology)) throw new Error(`--topology must be ${TOPOLOGIES.join(', ')}`);
  const holdTime = options.holdTime ?? DEFAULT_HOLD_TIME;
  if (!Number.isInteger(holdTime) || holdTime < 3 || holdTime > 65535) throw new Error('--hold-time must be 3..65535');
  const family = options.ipFamily ?? 'ipv4';
  if (!IP_FAMILIES.includes(family)) throw new Error(`--ip-family must be ${IP_FAMILIES.join(', ')}`);
  if (family !== 'ipv4' && topology !== 'flat') throw new Error(`--ip-family ${family} needs --topology flat`);
  if (topology === 'dual-homed') return planDualHomed(options);
  if (topology === 'leaf-spine') return planLeafSpine(options);
  if (topology === 'rr') return planRouteReflectors(options);
  return applyIpFamily(planFlat(options), family);
}

/** Is `ns` one of the namespaces a lab of this name makes? (Used by `lab down` after a crash.) */
export function isLabNamespace(name: string, ns: string): boolean {
  const p = `gnt-${name}-`;
  if (!ns.startsWith(p)) return false;
  // node<i>-<pod>: the pods of `up` (pod<j>) and of `lab pod add NAME`
  return /^(router\d*|fabric|leaf\d+|spine\d+|node\d+|node\d+-[a-z][a-z0-9]{0,11})$/.test(ns.slice(p.length));
}

/** The agent's YAML config for one node. */
export function nodeConfigYaml(plan: LabPlan, node: PlannedNode, dir: string): string {
  const peers = node.peers
    .map(
      (p) =>
        `  - { address: ${p.address}, asn: ${p.asn}, holdTime: ${plan.holdTime}${p.routeReflectorClient ? ', routeReflectorClient: true' : ''}${plan.options.bfd ? ', bfd: { enabled: true, minRxMs: 100, minTxMs: 100, multiplier: 3 }' : ''} }`,
    )
    .join('\n');
  const rr = node.routeReflector
    ? `routeReflector: { clusterId: ${plan.routeReflectorClusterId ?? node.address} }\n`
    : '';
  const v6 = node.address.includes(':') || node.address6 !== undefined;
  const podCIDRs = [node.podCIDR, ...(node.podCIDR6 ? [node.podCIDR6] : [])];
  const clusterCIDRs = [plan.clusterCIDR, ...(plan.clusterCIDR6 ? [plan.clusterCIDR6] : [])];
  // an IPv6-only node has no IPv4 address for a router ID: the agent derives one from the node name
  const routerId = node.address.includes(':') ? '' : `routerId: ${node.address}\n`;
  return `# Written by 'gannet lab up' for ${node.name} of lab ${plan.options.name}.
nodeName: ${node.name}
asn: ${node.asn}
${routerId}podCIDRs: [${podCIDRs.join(', ')}]
clusterCIDRs: [${clusterCIDRs.join(', ')}]
listen: { address: ${v6 ? '"::"' : '0.0.0.0'}, port: 179 }
api: { listen: 127.0.0.1:9179 }
nodeStateFile: ${dir}/node-state.json
ipam: { dataDir: ${dir}/ipam, network: gannet }
gracefulRestart: { restartTime: 120, deferralTime: 10 }
policy: { files: [${dirname(dir)}/policies.yaml], podsFile: ${dirname(dir)}/pods.yaml }
${rr}peers:${peers ? `\n${peers}` : ' []'}
`;
}

/** The CNI network config for one node's pods. */
export function cniConf(dir: string): string {
  return JSON.stringify({
    cniVersion: '1.0.0',
    name: 'gannet',
    type: 'gannet-cni',
    dataDir: `${dir}/ipam`,
    nodeStateFile: `${dir}/node-state.json`,
  });
}
