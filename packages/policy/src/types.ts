// Inputs of the compiler. NetworkPolicy, LabelSelector and friends have the networking.k8s.io/v1 shape (as the API
// server returns them, or as YAML documents parse); PodInfo and NamespaceInfo are the few facts the compiler needs.

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

export interface LabelSelectorRequirement {
  key: string;
  operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  values?: string[];
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: LabelSelectorRequirement[];
}

export interface IPBlock {
  cidr: string;
  except?: string[];
}

export interface NetworkPolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: IPBlock;
}

export interface NetworkPolicyPort {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyIngressRule {
  from?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicyEgressRule {
  to?: NetworkPolicyPeer[];
  ports?: NetworkPolicyPort[];
}

export interface NetworkPolicy {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace: string; [key: string]: unknown };
  spec: {
    podSelector: LabelSelector;
    policyTypes?: ('Ingress' | 'Egress')[];
    ingress?: NetworkPolicyIngressRule[];
    egress?: NetworkPolicyEgressRule[];
  };
}

export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
}

export interface PodInfo {
  namespace: string;
  name: string;
  labels?: Record<string, string>;
  /** The pod's addresses (status.podIPs). IPv4 addresses are policed; IPv6 ones are ignored (see README). */
  ips: string[];
  /** Container ports with their names, for named ports in policies. */
  ports?: ContainerPort[];
  hostNetwork?: boolean;
  /** True for pods running on this node: only those get chains; all pods feed the selector sets. */
  local: boolean;
}

export interface NamespaceInfo {
  name: string;
  labels?: Record<string, string>;
}

/**
 * Everything the compiler needs. Treated as immutable: validation results are remembered per object, so pass a new
 * object for a changed pod or policy (as informers do) rather than editing one in place.
 */
export interface PolicyInput {
  policies: NetworkPolicy[];
  pods: PodInfo[];
  namespaces: NamespaceInfo[];
  /** Addresses of the cluster's nodes (this one and the others): pod-to-node traffic is never NATed. */
  nodeAddresses: string[];
  /** The pod address ranges of the cluster: traffic between them is never NATed. */
  clusterCidrs: string[];
  /** Masquerade pod traffic leaving the cluster (default true). */
  natOutgoing?: boolean;
  /** Destinations that pod traffic reaches without NAT even though they are outside clusterCidrs. */
  natExclude?: string[];
}
