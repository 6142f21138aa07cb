// Which other nodes a node peers with: the full iBGP mesh, or route reflectors (RFC 4456). Nodes whose labels match
// BGPConfiguration spec.routeReflectorSelector are reflectors: they peer with every other node (non-reflectors as
// their clients, each other as plain iBGP), and the other nodes peer only with them. The full mesh switches off when
// reflectors exist, or when the cluster has more nodes than spec.nodeToNodeMeshMaxNodes. Pure, like derive-config.
import type { PeerConfig } from '../config/types.js';
import { isIPv4 } from '../net.js';
import { KubernetesError } from './kubernetes-error.js';
import { type LabelSelector, parseLabelSelector } from './label-selector.js';
import type { BgpConfigurationSpec, NodeObject } from './resources.js';

export interface ReflectionSettings {
  /** routeReflectorSelector, parsed; undefined when unset or invalid (reported). */
  selector: LabelSelector | undefined;
  /** routeReflectorClusterId: shared by every reflector; undefined: each uses its router ID. */
  clusterId: string | undefined;
  /** nodeToNodeMeshMaxNodes: above this many nodes the full mesh is off. */
  meshMaxNodes: number | undefined;
}

function invalid(message: string): KubernetesError {
  return new KubernetesError('ERR_GANNET_K8S_INVALID_OBJECT', message);
}

/** The route-reflection fields of the default BGPConfiguration; bad ones are reported and ignored. */
export function reflectionSettings(
  spec: BgpConfigurationSpec | undefined,
  where: string,
  problems: KubernetesError[],
): ReflectionSettings {
  const out: ReflectionSettings = { selector: undefined, clusterId: undefined, meshMaxNodes: undefined };
  if (!spec) return out;
  const sel = spec.routeReflectorSelector;
  if (sel !== undefined && sel !== '') {
    try {
      if (typeof sel !== 'string') throw new Error('must be a label selector string');
      out.selector = parseLabelSelector(sel);
    } catch (e) {
      problems.push(invalid(`${where}: spec.routeReflectorSelector: ${(e as Error).message}; no node reflects`));
    }
  }
  const id = spec.routeReflectorClusterId;
  if (id !== undefined) {
    if (typeof id === 'string' && isIPv4(id)) out.clusterId = id;
    else
      problems.push(
        invalid(`${where}: spec.routeReflectorClusterId must be a dotted quad; each reflector uses its router ID`),
      );
  }
  const max = spec.nodeToNodeMeshMaxNodes;
  if (max !== undefined) {
    if (Number.isInteger(max) && max >= 1) out.meshMaxNodes = max;
    else problems.push(invalid(`${where}: spec.nodeToNodeMeshMaxNodes must be an integer >= 1; no limit`));
  }
  return out;
}

export interface PeeringInput {
  nodes: readonly NodeObject[];
  selfName: string;
  routerId: string;
  /** spec.nodeToNodeMesh. */
  mesh: boolean;
  port: number;
  asnOf: (nodeName: string) => number;
  /** Our own InternalIP of each family: a session per family both nodes have one of, sourced from ours. */
  ownIPs: { 4?: string; 6?: string };
  internalIPs: (node: NodeObject) => { 4?: string; 6?: string };
  settings: ReflectionSettings;
}

export interface Peering {
  /** Node-to-node peers (mesh or reflector sessions), by address. */
  peers: Map<string, PeerConfig>;
  /** Set when this node is a route reflector. */
  routeReflector?: { clusterId?: string };
  problems: KubernetesError[];
}

export function nodePeering(input: PeeringInput): Peering {
  const { nodes, selfName, settings } = input;
  const out: Peering = { peers: new Map(), problems: [] };
  const selfAsn = input.asnOf(selfName);
  const others: { name: string; address: string; local: string; reflector: boolean }[] = [];
  let selfReflects = false;
  for (const n of nodes) {
    const name = n.metadata?.name ?? '';
    const reflector = settings.selector?.matches(n.metadata?.labels) === true;
    if (name === selfName) {
      selfReflects = reflector;
      continue;
    }
    // one session per family both nodes have an InternalIP of (a dual-stack pair: two)
    const theirs = input.internalIPs(n);
    for (const f of [4, 6] as const) {
      const address = theirs[f];
      const local = input.ownIPs[f];
      if (!address || !local || address === local) continue;
      others.push({ name, address, local, reflector });
    }
  }
  const add = (o: { name: string; address: string; local: string }, source: string, client = false) => {
    // Sourced from our own InternalIP (the address the other node dials back and expects us on), not from whichever
    // address the kernel would pick for the route towards it: multi-homed nodes otherwise mismatch.
    const peer: PeerConfig = { address: o.address, asn: input.asnOf(o.name), localAddress: o.local, source };
    if (input.port !== 179) peer.port = input.port;
    // A client is iBGP by definition; a node with another ASN (nodeASNs) is an ordinary eBGP peer of the reflector.
    if (client && peer.asn === selfAsn) peer.routeReflectorClient = true;
    out.peers.set(o.address, peer);
  };
  const reflectors = new Set(others.filter((o) => o.reflector).map((o) => o.name)).size + (selfReflects ? 1 : 0);
  if (reflectors > 0) {
    if (selfReflects) {
      out.routeReflector = settings.clusterId ? { clusterId: settings.clusterId } : {};
      for (const o of others) add(o, o.reflector ? `rr:${o.name}` : `rr-client:${o.name}`, !o.reflector);
    } else {
      for (const o of others) if (o.reflector) add(o, `rr:${o.name}`);
    }
    return out;
  }
  if (!input.mesh) return out;
  if (settings.meshMaxNodes !== undefined && nodes.length > settings.meshMaxNodes) {
    out.problems.push(
      new KubernetesError(
        'ERR_GANNET_K8S_CONFIG',
        `BGPConfiguration/default: ${nodes.length} nodes exceed spec.nodeToNodeMeshMaxNodes (${settings.meshMaxNodes}) ` +
          'and no node matches spec.routeReflectorSelector: the node-to-node mesh is off',
      ),
    );
    return out;
  }
  for (const o of others) add(o, `mesh:${o.name}`);
  return out;
}
