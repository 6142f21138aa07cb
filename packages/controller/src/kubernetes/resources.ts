// The Kubernetes objects Kubernetes mode reads and writes: API coordinates and the fields we use.
import type { PeerAttributes, PrefixRule } from '../config/types.js';

export const GANNET_GROUP = 'gannet.dev';
export const GANNET_VERSION = 'v1';
export const BGP_PEERS = 'bgppeers';
export const BGP_CONFIGURATIONS = 'bgpconfigurations';
export const NODE_STATUSES = 'gannetnodestatuses';
/** The cluster BGPConfiguration that applies (like Calico's, only the one named `default` counts). */
export const DEFAULT_CONFIGURATION = 'default';
/** ASN when no BGPConfiguration sets one (a private 2-octet ASN, RFC 6996). */
export const DEFAULT_ASN = 64512;

export interface ObjectMeta {
  name?: string;
  /** Namespaced objects (Pods, NetworkPolicies): the reflector keys them as namespace/name. */
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  labels?: Record<string, string>;
  /** Nodes: only ROUTER_ID_ANNOTATION is kept (trimNode). */
  annotations?: Record<string, string>;
  deletionTimestamp?: string | Date;
}

/** A Node's BGP router ID when set (a non-zero dotted quad): wins over the IPv4 InternalIP and the name hash. */
export const ROUTER_ID_ANNOTATION = 'gannet.dev/router-id';

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

export interface NodeObject extends KubeObject {
  spec?: { podCIDR?: string; podCIDRs?: string[] };
  status?: { addresses?: { type: string; address: string }[] };
}

/** The attribute fields (communities, largeCommunities, localPref, med, asPathPrepend) as in the standalone config. */
export interface BgpPeerSpec extends PeerAttributes {
  peerAddress?: string;
  asn?: number;
  port?: number;
  nodeSelector?: string;
  holdTime?: number;
  passive?: boolean;
  maxPrefixes?: number;
  import?: PrefixRule[];
  export?: PrefixRule[];
  gracefulRestart?: boolean;
  bfd?: {
    enabled?: boolean;
    minRxMs?: number;
    minTxMs?: number;
    multiplier?: number;
    checkControlPlaneFailure?: boolean;
  };
  /** TCP-MD5 password from a key of a Secret in the agent's namespace. */
  password?: { secretKeyRef?: { name?: string; key?: string } };
  ebgpMultihop?: number;
  ttlSecurity?: boolean;
}

export interface BgpPeerObject extends KubeObject {
  spec?: BgpPeerSpec;
}

export interface BgpConfigurationSpec {
  asn?: number;
  nodeToNodeMesh?: boolean;
  clusterCIDRs?: string[];
  /** Per-node ASN overrides. */
  nodeASNs?: { node: string; asn: number }[];
  /** BGP listen port of every agent (default 179); the mesh dials the same port. */
  listenPort?: number;
  /** Nodes whose labels match become route reflectors; the others peer only with them (no full mesh). */
  routeReflectorSelector?: string;
  /** CLUSTER_ID shared by every reflector (dotted quad); default: each reflector's router ID. */
  routeReflectorClusterId?: string;
  /** Above this many nodes the full mesh is off (reflectors or BGPPeers only). */
  nodeToNodeMeshMaxNodes?: number;
  /** Masquerade pod traffic leaving clusterCIDRs to the node's address (default true). */
  natOutgoing?: boolean;
  /** Destinations outside clusterCIDRs that pod traffic reaches without NAT. */
  natExclude?: string[];
  /** Attached to the routes sent to every peer (mesh and BGPPeers) unless the BGPPeer sets the key itself. */
  peerDefaults?: PeerAttributes;
  /** Service advertisement: ClusterIP ranges advertised as given; ExternalIPs / LB IPs only inside these lists. */
  serviceClusterIPs?: string[];
  serviceExternalIPs?: string[];
  serviceLoadBalancerIPs?: string[];
}

export interface BgpConfigurationObject extends KubeObject {
  spec?: BgpConfigurationSpec;
}

// --- NetworkPolicy enforcement: Pods, Namespaces, NetworkPolicies (read as they come, trimmed on arrival) ------------

export const NETWORKING_GROUP = 'networking.k8s.io';
export const NETWORK_POLICIES = 'networkpolicies';

export interface ContainerPortSpec {
  name?: string;
  containerPort?: number;
  protocol?: string;
}

export interface ContainerSpec {
  name?: string;
  ports?: ContainerPortSpec[];
  /** Init containers only: `Always` makes a sidecar (runs for the pod's life; its ports count). */
  restartPolicy?: string;
}

export interface PodObject extends KubeObject {
  spec?: { nodeName?: string; hostNetwork?: boolean; containers?: ContainerSpec[]; initContainers?: ContainerSpec[] };
  status?: { phase?: string; podIP?: string; podIPs?: { ip: string }[] };
}

export type NamespaceObject = KubeObject;

export interface NetworkPolicyObject extends KubeObject {
  spec?: unknown;
}
