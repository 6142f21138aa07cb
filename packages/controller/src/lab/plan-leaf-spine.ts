// Leaf-spine (a Clos fabric, the ASN plan of RFC 7938 §5.2): R racks of N nodes, one leaf router per rack, S spines.
//   - Spines share one ASN (65000): a route a leaf relays from one spine is never taken by another (AS loop), so the
//     spines never become transit for each other.
//   - Leaf r has its own ASN 65100+r; it peers eBGP with every spine over a point-to-point /31
//     (172.31.r.2(s-1) spine s, 172.31.r.2(s-1)+1 leaf r) and with its rack's nodes on the rack segment
//     172.30.r.0/24 (leaf at .254). Every remote rack's prefixes reach a leaf from every spine with the same AS path
//     length: the leaf installs one next hop per spine (ECMP across spines).
//   - Node i (numbered across racks: rack r, n-th node → i = (r-1)·N + n) has its own ASN 65200+i (BGP to the host,
//     one private ASN per server), address 172.30.r.n, pod CIDR 10.244.i.0/24; it peers with its leaf only.
//
//        spine1 (AS 65000)          spine2 (AS 65000)
//          l1 │  l2 ╲               ╱ l1  │ l2
//          s1 │      ╲ ___________ ╱      │ s2         each ─ a /31: leaf r ↔ spine s = 172.31.r.2(s-1)/31
//       leaf1 (AS 65101)           leaf2 (AS 65102)
//        br0 172.30.1.0/24          br0 172.30.2.0/24
//        ├ node1 (AS 65201)         ├ node3 (AS 65203)
//        └ node2 (AS 65202)         └ node4 (AS 65204)
import {
  DEFAULT_HOLD_TIME,
  LAB_LIMITS,
  type PlannedLink,
  type PlannedRouter,
  type PlannedSegment,
  plannedPods,
} from './plan-types.js';
import type { LabOptions, LabPlan, PlannedNode } from './topology.js';

export const SPINE_ASN = 65000;
export const LEAF_ASN_BASE = 65100;
export const FABRIC_NODE_ASN_BASE = 65200;
export const LEAF_SPINE_DEFAULTS = { racks: 2, nodesPerRack: 2, spines: 2 } as const;

function count(v: number | undefined, dflt: number, max: number, flag: string): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`${flag} must be 1..${max}`);
  return n;
}

export function planLeafSpine(options: LabOptions): LabPlan {
  const racks = count(options.racks, LEAF_SPINE_DEFAULTS.racks, LAB_LIMITS.racks, '--racks');
  const perRack = count(
    options.nodesPerRack,
    LEAF_SPINE_DEFAULTS.nodesPerRack,
    LAB_LIMITS.nodesPerRack,
    '--nodes-per-rack',
  );
  const spines = count(options.spines, LEAF_SPINE_DEFAULTS.spines, LAB_LIMITS.spines, '--spines');
  if (racks * perRack > LAB_LIMITS.fabricNodes) {
    throw new Error(`--racks × --nodes-per-rack must be at most ${LAB_LIMITS.fabricNodes} nodes`);
  }
  if (options.router === 'none') throw new Error('--topology leaf-spine needs --router frr or bird');
  const kind = options.router;
  const prefix = `gnt-${options.name}-`;
  const leafAddr = (r: number) => `172.30.${r}.254`;
  /** Spine s's and leaf r's ends of their /31. */
  const p2p = (r: number, s: number) => ({
    spine: `172.31.${r}.${2 * (s - 1)}`,
    leaf: `172.31.${r}.${2 * (s - 1) + 1}`,
  });

  const nodes: PlannedNode[] = [];
  for (let r = 1; r <= racks; r++) {
    for (let k = 1; k <= perRack; k++) {
      const i = (r - 1) * perRack + k;
      const name = `node${i}`;
      nodes.push({
        name,
        index: i,
        ns: `${prefix}${name}`,
        address: `172.30.${r}.${k}`,
        asn: FABRIC_NODE_ASN_BASE + i,
        podCIDR: `10.244.${i}.0/24`,
        segmentIf: `n${i}`,
        peers: [{ address: leafAddr(r), asn: LEAF_ASN_BASE + r }],
        pods: plannedPods(prefix, name, options.podsPerNode),
        rack: r,
      });
    }
  }
  const routers: PlannedRouter[] = [];
  const segments: PlannedSegment[] = [];
  const links: PlannedLink[] = [];
  for (let r = 1; r <= racks; r++) {
    const ns = `${prefix}leaf${r}`;
    const rackNodes = nodes.filter((n) => n.rack === r);
    segments.push({ name: `rack${r}`, ns, bridge: 'br0', cidr: `172.30.${r}.0/24`, gateway: `${leafAddr(r)}/24` });
    routers.push({
      name: `leaf${r}`,
      role: 'leaf',
      kind,
      ns,
      asn: LEAF_ASN_BASE + r,
      routerId: leafAddr(r),
      neighbors: [
        ...rackNodes.map((n) => ({ name: n.name, address: n.address, asn: n.asn, localAddress: leafAddr(r) })),
        ...Array.from({ length: spines }, (_, j) => ({
          name: `spine${j + 1}`,
          address: p2p(r, j + 1).spine,
          asn: SPINE_ASN,
          localAddress: p2p(r, j + 1).leaf,
        })),
      ],
    });
    for (const n of rackNodes) {
      links.push({
        name: `${n.name}-leaf${r}`,
        a: { ns: n.ns, ifname: 'eth0', address: `${n.address}/24` },
        b: { ns, ifname: n.segmentIf, bridge: 'br0' },
      });
    }
  }
  for (let s = 1; s <= spines; s++) {
    const ns = `${prefix}spine${s}`;
    routers.push({
      name: `spine${s}`,
      role: 'spine',
      kind,
      ns,
      asn: SPINE_ASN,
      routerId: `172.31.0.${s}`,
      neighbors: Array.from({ length: racks }, (_, j) => ({
        name: `leaf${j + 1}`,
        address: p2p(j + 1, s).leaf,
        asn: LEAF_ASN_BASE + j + 1,
        localAddress: p2p(j + 1, s).spine,
      })),
    });
    for (let r = 1; r <= racks; r++) {
      links.push({
        name: `leaf${r}-spine${s}`,
        a: { ns: `${prefix}leaf${r}`, ifname: `s${s}`, address: `${p2p(r, s).leaf}/31` },
        b: { ns, ifname: `l${r}`, address: `${p2p(r, s).spine}/31` },
      });
    }
  }
  return {
    options,
    prefix,
    segmentNs: segments[0]!.ns,
    nodes,
    clusterCIDR: '10.244.0.0/16',
    segmentCIDR: '172.30.0.0/16',
    topology: 'leaf-spine',
    routers,
    segments,
    links,
    holdTime: options.holdTime ?? DEFAULT_HOLD_TIME,
  };
}
