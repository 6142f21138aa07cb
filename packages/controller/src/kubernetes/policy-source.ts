// Kubernetes mode's NetworkPolicy source: lists and watches every Pod (selectors match pods of other nodes, whose IPs
// and labels feed the peer sets), every Namespace and every NetworkPolicy, with the same reflectors as the Nodes, and
// says when the compiler's objects changed — coalesced (one watch chunk of many events is one change), never for a
// relist that changed nothing. Not fatal: a refused or failing call (no RBAC for pods yet, API away) is reported
// once per resource and retried; the last objects stay in force meanwhile. Every Node's InternalIPs come from the
// config source's Node reflector through setNodeAddresses(). It is one of the policy engine's input sources.
import { EventEmitter } from 'node:events';
import type { NamespaceInfo, NetworkPolicy, PodInfo } from '@gannet/policy';
import type { KubeConfig } from '@kubernetes/client-node';
import type { PolicyInputSource } from '../network-policy/input-source.js';
import { type Backoff, type Clock, ExponentialBackoff, systemClock } from './clock.js';
import { KubernetesError } from './kubernetes-error.js';
import {
  PolicyInputBuilder,
  type RejectedPolicy,
  trimNamespace,
  trimNetworkPolicy,
  trimPod,
} from './policy-objects.js';
import { type ListOptions, type ListResult, Reflector } from './reflector.js';
import {
  type KubeObject,
  type NamespaceObject,
  NETWORK_POLICIES,
  NETWORKING_GROUP,
  type NetworkPolicyObject,
  type PodObject,
} from './resources.js';
import { WatchClient } from './watch-client.js';

export interface PolicySourceOptions {
  /** Our Node's name: pods with spec.nodeName equal to it are local (they get chains). */
  nodeName: string;
  kubeConfig: KubeConfig;
  /** Share the config source's client (one connection pool); default: a client of our own. */
  watchClient?: WatchClient;
  clock?: Clock;
  backoff?: () => Backoff;
  watchTimeoutSeconds?: number;
  relistDelayMs?: number;
  random?: () => number;
  /** Parse lists item by item, trimming each (default true); false parses the whole answer first (benchmarks). */
  streamLists?: boolean;
  /** Runs the coalesced derivation; default setImmediate (after the rest of the watch chunk is handled). */
  defer?: (fn: () => void) => void;
}

/**
 * The Kubernetes side of @gannet/policy's PolicyInput: the objects, and every Node's InternalIPs (pod-to-node traffic
 * is never NATed). Cluster CIDRs, natOutgoing and natExclude come from the agent's config.
 */
export interface KubernetesPolicyObjects {
  policies: NetworkPolicy[];
  pods: PodInfo[];
  namespaces: NamespaceInfo[];
  nodeAddresses: string[];
}

export interface PolicySourceEvents {
  error: [KubernetesError];
  /** A NetworkPolicy newly refused (once per object and message). */
  rejected: [RejectedPolicy];
  /** The objects changed (coalesced; never for a relist that changed nothing). */
  changed: [];
}

export interface PolicySourceHealth {
  /** Every resource listed at least once. */
  synced: boolean;
  /** Resources whose last call failed (the last input stays in force meanwhile). */
  failing: string[];
}

/** The same objects, in any order (a relist may list them in another order). */
function sameObjects<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  if (a.every((x, i) => x === b[i])) return true;
  const set = new Set(a);
  return b.every((x) => set.has(x));
}

export class KubernetesPolicySource extends EventEmitter<PolicySourceEvents> implements PolicyInputSource {
  readonly name = 'kubernetes';
  readonly reflectors: {
    pods: Reflector<PodObject>;
    namespaces: Reflector<NamespaceObject>;
    policies: Reflector<NetworkPolicyObject>;
  };
  /** Counters for tests, metrics and benchmarks: derivations run, changes emitted, time spent deriving. */
  readonly stats = { derivations: 0, emitted: 0, lastDeriveMs: 0 };
  private readonly builder: PolicyInputBuilder;
  private readonly watchClient: WatchClient;
  private readonly ownClient: boolean;
  private readonly defer: (fn: () => void) => void;
  private nodeAddresses: string[] = [];
  private last: KubernetesPolicyObjects | undefined;
  private lastRejected: RejectedPolicy[] = [];
  private readonly failures = new Map<string, string>();
  private pending = false;
  private stopped = true;
  private readonly reported = new Map<string, string>();
  private reportedRejections = new Set<string>();

  constructor(opts: PolicySourceOptions) {
    super();
    this.builder = new PolicyInputBuilder(opts.nodeName);
    const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    this.ownClient = opts.watchClient === undefined;
    const watch =
      opts.watchClient ?? new WatchClient(opts.kubeConfig, { idleTimeoutMs: (2 * watchTimeoutSeconds + 60) * 1000 });
    this.watchClient = watch;
    this.defer = opts.defer ?? ((fn) => void setImmediate(fn));
    const clock = opts.clock ?? systemClock;
    const make = <T extends KubeObject>(resource: string, path: string, trim: (item: T) => T) =>
      new Reflector<T>(
        {
          resource,
          path,
          // each item trimmed as it is parsed: a list of 10,000 Pods never exists whole (see list-stream.ts)
          list: (o: ListOptions) =>
            watch.list<ListResult<T>>(path, { ...o }, opts.streamLists === false ? {} : { item: (x) => trim(x as T) }),
          trim,
          watch,
          clock,
          backoff: (opts.backoff ?? (() => new ExponentialBackoff()))(),
          watchTimeoutSeconds,
          ...(opts.relistDelayMs !== undefined ? { relistDelayMs: opts.relistDelayMs } : {}),
          ...(opts.random ? { random: opts.random } : {}),
        },
        {
          changed: () => this.schedule(),
          failed: (err) => {
            this.failures.set(resource, err.message);
            // one report per resource and kind of failure: retries fail with varying words, not news
            if (this.reported.get(resource) === err.code) return;
            this.reported.set(resource, err.code);
            if (this.listenerCount('error') > 0) this.emit('error', err);
          },
          recovered: () => {
            this.reported.delete(resource);
            this.failures.delete(resource);
          },
        },
      );
    this.reflectors = {
      pods: make<PodObject>('pods', '/api/v1/pods', trimPod),
      namespaces: make<NamespaceObject>('namespaces', '/api/v1/namespaces', trimNamespace),
      policies: make<NetworkPolicyObject>(
        NETWORK_POLICIES,
        `/apis/${NETWORKING_GROUP}/v1/${NETWORK_POLICIES}`,
        trimNetworkPolicy,
      ),
    };
  }

  /** Starts the reflectors; `changed` (optional) hears every change, as the 'changed' event does. */
  start(changed?: () => void): void {
    if (changed) this.on('changed', changed);
    if (!this.stopped) return;
    this.stopped = false;
    for (const r of Object.values(this.reflectors)) r.start();
  }

  stop(): void {
    this.stopped = true;
    for (const r of Object.values(this.reflectors)) r.stop();
    if (this.ownClient) this.watchClient.destroy();
  }

  /** Every Node's InternalIPs (from the config source's Node reflector); re-derives when they change. */
  setNodeAddresses(addresses: readonly string[]): void {
    const next = [...new Set(addresses)].sort();
    if (next.join(' ') === this.nodeAddresses.join(' ')) return;
    this.nodeAddresses = next;
    this.schedule();
  }

  /** The objects last derived (they stay in force while the API is away); empty before the first sync. */
  objects(): KubernetesPolicyObjects {
    return this.last ?? { policies: [], pods: [], namespaces: [], nodeAddresses: this.nodeAddresses };
  }

  /** Every resource listed at least once (an empty input before that would lift every policy). */
  synced(): boolean {
    return this.last !== undefined;
  }

  /** What is wrong right now: failing calls, refused NetworkPolicies. */
  problems(): string[] {
    return [
      ...[...this.failures].map(([resource, message]) => `${resource}: ${message}`),
      ...this.lastRejected.map(
        (r) => `${r.message} (${r.keptLastGood ? 'its last accepted version stays enforced' : 'not enforced'})`,
      ),
    ];
  }

  /** NetworkPolicies the compiler refused (status). */
  rejected(): readonly RejectedPolicy[] {
    return this.lastRejected;
  }

  health(): PolicySourceHealth {
    return { synced: this.last !== undefined, failing: [...this.reported.keys()] };
  }

  private schedule(): void {
    if (this.pending || this.stopped) return;
    this.pending = true;
    this.defer(() => {
      this.pending = false;
      if (!this.stopped) this.derive();
    });
  }

  private derive(): void {
    const { pods, namespaces, policies } = this.reflectors;
    if (!pods.synced || !namespaces.synced || !policies.synced) return;
    this.stats.derivations++;
    const t0 = performance.now();
    const { rejected, ...parts } = this.builder.build({
      pods: pods.items,
      namespaces: namespaces.items,
      policies: policies.items,
    });
    this.stats.lastDeriveMs = performance.now() - t0;
    const keys = new Set(rejected.map((r) => `${r.policy}\n${r.message}`));
    for (const r of rejected) {
      if (!this.reportedRejections.has(`${r.policy}\n${r.message}`) && this.listenerCount('rejected') > 0) {
        this.emit('rejected', r);
      }
    }
    this.reportedRejections = keys;
    const rejectedChanged = JSON.stringify(rejected) !== JSON.stringify(this.lastRejected);
    this.lastRejected = rejected;
    const next: KubernetesPolicyObjects = { ...parts, nodeAddresses: this.nodeAddresses };
    const prev = this.last;
    if (
      prev &&
      sameObjects(prev.policies, next.policies) &&
      sameObjects(prev.pods, next.pods) &&
      sameObjects(prev.namespaces, next.namespaces) &&
      prev.nodeAddresses === next.nodeAddresses &&
      !rejectedChanged
    ) {
      return;
    }
    this.last = next;
    this.stats.emitted++;
    try {
      this.emit('changed');
    } catch (err) {
      // a listener's bug must not kill the watch loop it was called from
      if (this.listenerCount('error') > 0) {
        const message = `a policy listener failed: ${(err as Error).message}`;
        this.emit('error', new KubernetesError('ERR_GANNET_K8S_CONFIG', message, { cause: err }));
      }
    }
  }
}
