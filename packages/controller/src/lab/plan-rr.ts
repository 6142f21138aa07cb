// The route-reflector lab (`--topology rr`): the flat lab's one segment without a router, all nodes in AS 64512; the
// first R nodes (--route-reflectors, default 2) are route reflectors (RFC 4456) sharing one cluster ID, peering with
// every other node (the others as their clients, each other as plain iBGP); every other node peers with the
// reflectors only. Pod routes keep their originating node as next hop, so pods still talk node to node.
import { planFlat } from './plan-flat.js';
import type { LabOptions, LabPlan } from './topology.js';

export const DEFAULT_ROUTE_REFLECTORS = 2;
/** The CLUSTER_ID the lab's reflectors share (so each drops the other's reflected copy of a client route). */
export const LAB_CLUSTER_ID = '10.255.0.1';

export function planRouteReflectors(options: LabOptions): LabPlan {
  const count = options.routeReflectors ?? DEFAULT_ROUTE_REFLECTORS;
  const plan = planFlat({ ...options, router: 'none' });
  if (!Number.isInteger(count) || count < 1 || count > plan.nodes.length) {
    throw new Error(`--route-reflectors must be 1..${plan.nodes.length} (the number of nodes)`);
  }
  const reflector = (i: number) => i <= count;
  for (const n of plan.nodes) {
    n.routeReflector = reflector(n.index);
    n.peers = plan.nodes
      .filter((o) => o !== n && (reflector(n.index) || reflector(o.index)))
      .map((o) => ({
        address: o.address,
        asn: o.asn,
        ...(reflector(n.index) && !reflector(o.index) ? { routeReflectorClient: true } : {}),
      }));
  }
  return { ...plan, topology: 'rr', routeReflectorClusterId: LAB_CLUSTER_ID };
}
