// The lab's plan: names, addresses and ASNs, computed from the options alone (pure; unit-tested).
// Nodes and the router share one L2 segment, 172.30.0.0/24 (a bridge in the router's — or, without a router, the
// fabric's — namespace). Node i: 172.30.0.i, pod CIDR 10.244.i.0/24. With a router (AS 65000) each node peers eBGP
// with its own ASN 65000+i, a common ToR design; without one, the nodes form an iBGP full mesh in AS 64512.

export type RouterKind = 'frr' | 'bird' | 'none';

export type LabRuntime = 'netns' | 'containerd';

export interface LabOptions {
  name: string;
  nodes: number;
  router: RouterKind;
  podsPerNode: number;
  /** netns (default): pods are bare namespaces wired by gannet-cni; containerd: CRI sandboxes of a containerd per node. */
  runtime?: LabRuntime;
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
  peers: { address: string; asn: number }[];
  pods: PlannedPod[];
}

export interface LabPlan {
  options: LabOptions;
  prefix: string;
  /** Namespace that holds the segment bridge: the router's, or a plain fabric namespace. */
  segmentNs: string;
  router?: { kind: 'frr' | 'bird'; ns: string; address: string; asn: number };
  nodes: PlannedNode[];
  clusterCIDR: string;
  segmentCIDR: string;
}

export const LAB_LIMITS = { nodes: 50, podsPerNode: 50 } as const;
export const ROUTER_ASN = 65000;
export const MESH_ASN = 64512;
export const SEGMENT_PREFIX = '172.30.0';
export const ROUTER_ADDRESS = `${SEGMENT_PREFIX}.254`;

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
  if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > LAB_LIMITS.nodes) {
    throw new Error(`--nodes must be 1..${LAB_LIMITS.nodes}`);
  }
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
  const prefix = `gnt-${options.name}-`;
  const router =
    options.router === 'none'
      ? undefined
      : { kind: options.router, ns: `${prefix}router`, address: ROUTER_ADDRESS, asn: ROUTER_ASN };
  const nodes: PlannedNode[] = [];
  for (let i = 1; i <= options.nodes; i++) {
    const name = `node${i}`;
    const pods: PlannedPod[] = [];
    for (let j = 1; j <= options.podsPerNode; j++) {
      pods.push({ id: `${name}-pod${j}`, ns: `${prefix}${name}-pod${j}`, node: name });
    }
    nodes.push({
      name,
      index: i,
      ns: `${prefix}${name}`,
      address: `${SEGMENT_PREFIX}.${i}`,
      asn: router ? ROUTER_ASN + i : MESH_ASN,
      podCIDR: `10.244.${i}.0/24`,
      segmentIf: `n${i}`,
      peers: [],
      pods,
    });
  }
  for (const n of nodes) {
    n.peers = router
      ? [{ address: router.address, asn: router.asn }]
      : nodes.filter((o) => o !== n).map((o) => ({ address: o.address, asn: o.asn }));
  }
  return {
    options,
    prefix,
    segmentNs: router ? router.ns : `${prefix}fabric`,
    ...(router ? { router } : {}),
    nodes,
    clusterCIDR: '10.244.0.0/16',
    segmentCIDR: `${SEGMENT_PREFIX}.0/24`,
  };
}

/** Is `ns` one of the namespaces a lab of this name makes? (Used by `lab down` after a crash.) */
export function isLabNamespace(name: string, ns: string): boolean {
  const p = `gnt-${name}-`;
  if (!ns.startsWith(p)) return false;
  return /^(router|fabric|node\d+|node\d+-pod\d+)$/.test(ns.slice(p.length));
}

/** The agent's YAML config for one node. */
export function nodeConfigYaml(plan: LabPlan, node: PlannedNode, dir: string): string {
  const peers = node.peers.map((p) => `  - { address: ${p.address}, asn: ${p.asn}, holdTime: 9 }`).join('\n');
  return `# Written by 'gannet lab up' for ${node.name} of lab ${plan.options.name}.
nodeName: ${node.name}
asn: ${node.asn}
routerId: ${node.address}
podCIDRs: [${node.podCIDR}]
clusterCIDRs: [${plan.clusterCIDR}]
listen: { address: 0.0.0.0, port: 179 }
api: { listen: 127.0.0.1:9179 }
nodeStateFile: ${dir}/node-state.json
ipam: { dataDir: ${dir}/ipam, network: gannet }
gracefulRestart: { restartTime: 120, deferralTime: 10 }
peers:${peers ? `\n${peers}` : ' []'}
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
