// Where the policy engine gets its objects from. A source watches one place (policy files, the CNI store, the
// Kubernetes API) and says when its objects may have changed; the engine reads them all, merges them and applies.
import type { NamespaceInfo, NetworkPolicy, PodInfo } from '@gannet/policy';

/** What a source knows; a source gives only the kinds it owns (the engine concatenates them). */
export interface PolicyObjects {
  policies?: NetworkPolicy[];
  namespaces?: NamespaceInfo[];
  /** Pods of the cluster; `local: true` for those on this node (only those are policed here). */
  pods?: PodInfo[];
  /** Node addresses besides the agent's own (other nodes: pod-to-node traffic is never NATed). */
  nodeAddresses?: string[];
}

export interface PolicyInputSource {
  /** For status and logs: "files", "cni-store", "kubernetes"… */
  readonly name: string;
  /** Starts watching; `changed` is called whenever objects() may give something new (the engine debounces). */
  start(changed: () => void): void | Promise<void>;
  /**
   * The current objects. After a bad update (a file that does not parse) the last good ones, with the reason in
   * problems(): the running ruleset stays as it was.
   */
  objects(): PolicyObjects;
  /** Whether objects() is complete enough to apply (e.g. the first list of an informer arrived). Default true. */
  synced?(): boolean;
  /** What is wrong with the source right now (empty when nothing): reported in the status and /readyz. */
  problems(): string[];
  stop(): void;
}
