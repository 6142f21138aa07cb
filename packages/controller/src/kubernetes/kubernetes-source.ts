// Kubernetes mode's config source: lists and watches Nodes, BGPPeers and BGPConfigurations, and emits a complete
// AgentConfig whenever the config it derives changes — never when a relist or reconnect yields the same one.
// The API going away changes nothing: the last config stays, nothing is withdrawn, calls are retried with backoff,
// and each failure is reported once (not once per retry).
import { EventEmitter } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentConfig } from '../config/types.js';
import { type Backoff, type Clock, ExponentialBackoff, systemClock } from './clock.js';
import { deriveAgentConfig, trimNode } from './derive-config.js';
import { KubernetesError } from './kubernetes-error.js';
import { PeerSecrets, type SecretObject } from './peer-secrets.js';
import { type ListOptions, type ListResult, Reflector, type ReflectorListener } from './reflector.js';
import {
  BGP_CONFIGURATIONS,
  BGP_PEERS,
  type BgpConfigurationObject,
  type BgpPeerObject,
  GANNET_GROUP,
  GANNET_VERSION,
  type KubeObject,
  type NodeObject,
} from './resources.js';
import { WatchClient } from './watch-client.js';

export interface KubernetesSourceOptions {
  kubeConfig: KubeConfig;
  /** Our Node's name (the DaemonSet passes spec.nodeName as NODE_NAME). */
  nodeName: string;
  /** AgentConfig.api.listen; default 127.0.0.1:9179. */
  apiListen?: string;
  /** AgentConfig.listen.address; default 0.0.0.0. */
  listenAddress?: string;
  clock?: Clock;
  /** One backoff per watched resource; default exponential 1 s → 30 s with jitter. */
  backoff?: () => Backoff;
  /**
   * Minimum server-side watch timeout in seconds (default 300): each watch asks for a random timeout in [min, 2·min),
   * 5–10 minutes as client-go's reflectors. The client's idle timeout is 60 s above the maximum.
   */
  watchTimeoutSeconds?: number;
  /** Default true; false: every watch asks for exactly watchTimeoutSeconds (the old behaviour, for benchmarks). */
  watchTimeoutJitter?: boolean;
  /** Default 'cache' (relist from the watch cache); 'quorum': relist from etcd (the old behaviour, for benchmarks). */
  relistFrom?: 'cache' | 'quorum';
  /** A relist after 410 Gone waits a time drawn in [relistDelayMs, 2·relistDelayMs); default 800, as client-go. */
  relistDelayMs?: number;
  /** Random source for the watch timeouts and delays (tests); default Math.random. */
  random?: () => number;
}

export interface KubernetesSourceEvents {
  config: [AgentConfig];
  /** Every Node's InternalIPs, sorted, when they changed (the policy source's node addresses). */
  nodeAddresses: [string[]];
  error: [KubernetesError];
}

export interface KubernetesSourceHealth {
  /** Every resource listed at least once and a config emitted. */
  synced: boolean;
  /** Resources whose last call failed (the last config stays in force meanwhile). */
  failing: string[];
}

export class KubernetesSource extends EventEmitter<KubernetesSourceEvents> {
  readonly reflectors: {
    nodes: Reflector<NodeObject>;
    peers: Reflector<BgpPeerObject>;
    configurations: Reflector<BgpConfigurationObject>;
  };
  /** Counters for tests and metrics: configs derived (after a change in what we hold) and configs emitted. */
  readonly stats = { derivations: 0, emitted: 0 };
  private last: AgentConfig | undefined;
  private lastJson = '';
  private lastNodeAddresses = '';
  private reportedProblems = new Set<string>();
  private readonly reported = new Map<string, string>();
  private starting: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly opts: Required<Omit<KubernetesSourceOptions, 'kubeConfig'>>;
  private readonly watchClient: WatchClient;
  /** BGPPeer passwords from Secrets (GET of each referenced Secret, re-read every minute). */
  private readonly secrets: PeerSecrets;

  constructor(options: KubernetesSourceOptions) {
    super();
    if (!options.nodeName) {
      throw new KubernetesError('ERR_GANNET_K8S_CONFIG', 'no node name: set NODE_NAME (the DaemonSet does)');
    }
    this.opts = {
      nodeName: options.nodeName,
      apiListen: options.apiListen ?? '127.0.0.1:9179',
      listenAddress: options.listenAddress ?? '0.0.0.0',
      clock: options.clock ?? systemClock,
      backoff: options.backoff ?? (() => new ExponentialBackoff()),
      watchTimeoutSeconds: options.watchTimeoutSeconds ?? 300,
      watchTimeoutJitter: options.watchTimeoutJitter ?? true,
      relistFrom: options.relistFrom ?? 'cache',
      random: options.random ?? Math.random,
      relistDelayMs: options.relistDelayMs ?? 800,
    };
    const kc = options.kubeConfig;
    // A quiet watch must not be torn down by the client before the server ends it (after its timeoutSeconds).
    const watch = new WatchClient(kc, { idleTimeoutMs: (2 * this.opts.watchTimeoutSeconds + 60) * 1000 });
    this.watchClient = watch;
    const make = <T extends KubeObject>(resource: string, path: string, trim?: (item: T) => T) =>
      new Reflector<T>(
        {
          resource,
          path,
          list: (o: ListOptions) => watch.list<ListResult<T>>(path, { ...o }),
          ...(trim ? { trim } : {}),
          watch,
          clock: this.opts.clock,
          backoff: this.opts.backoff(),
          watchTimeoutSeconds: this.opts.watchTimeoutSeconds,
          watchTimeoutJitter: this.opts.watchTimeoutJitter,
          relistFrom: this.opts.relistFrom,
          random: this.opts.random,
          relistDelayMs: this.opts.relistDelayMs,
        },
        this.listenerFor(resource),
      );
    this.secrets = new PeerSecrets(
      (namespace, name) =>
        watch.list<SecretObject>(
          `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets/${encodeURIComponent(name)}`,
          {},
        ),
      this.opts.clock,
      () => this.recompute(),
    );
    const base = `/apis/${GANNET_GROUP}/${GANNET_VERSION}`;
    this.reflectors = {
      nodes: make<NodeObject>('nodes', '/api/v1/nodes', trimNode),
      peers: make<BgpPeerObject>(BGP_PEERS, `${base}/${BGP_PEERS}`),
      configurations: make<BgpConfigurationObject>(BGP_CONFIGURATIONS, `${base}/${BGP_CONFIGURATIONS}`),
    };
  }

  /** Resolves after the first complete config was emitted; rejects when RBAC forbids a call we need (fatal). */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.starting = { resolve, reject };
      for (const r of Object.values(this.reflectors)) r.start();
    });
  }

  stop(): void {
    this.secrets.stop();
    for (const r of Object.values(this.reflectors)) r.stop();
    this.watchClient.destroy();
    this.starting?.reject(new KubernetesError('ERR_GANNET_K8S_CONFIG', 'stopped before the first sync'));
    this.starting = undefined;
  }

  /** The config last emitted (it stays in force while the API is away). */
  get current(): AgentConfig | undefined {
    return this.last;
  }

  /** Our Node's uid (for the owner reference of its GannetNodeStatus), once listed. */
  get nodeUid(): string | undefined {
    return this.reflectors.nodes.items.get(this.opts.nodeName)?.metadata?.uid;
  }

  /** Every Node's InternalIPs (both families), sorted. */
  nodeAddresses(): string[] {
    const out = new Set<string>();
    for (const n of this.reflectors.nodes.items.values()) {
      for (const a of n.status?.addresses ?? []) if (a.type === 'InternalIP' && a.address) out.add(a.address);
    }
    return [...out].sort();
  }

  private emitNodeAddresses(): void {
    if (this.listenerCount('nodeAddresses') === 0) return;
    const list = this.nodeAddresses();
    const text = list.join(' ');
    if (text === this.lastNodeAddresses) return;
    this.lastNodeAddresses = text;
    this.emit('nodeAddresses', list);
  }

  health(): KubernetesSourceHealth {
    return { synced: this.last !== undefined, failing: [...this.reported.keys()] };
  }

  private report(err: KubernetesError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
  }

  private listenerFor(resource: string): ReflectorListener {
    return {
      changed: () => this.recompute(),
      failed: (err) => {
        if (err.code === 'ERR_GANNET_K8S_FORBIDDEN' && this.starting) {
          const { reject } = this.starting;
          this.starting = undefined;
          for (const r of Object.values(this.reflectors)) r.stop();
          reject(err);
          return;
        }
        // One report per resource and kind of failure: retries fail with varying words, not news.
        if (this.reported.get(resource) === err.code) return;
        this.reported.set(resource, err.code);
        this.report(err);
      },
      recovered: () => {
        this.reported.delete(resource);
      },
    };
  }

  private recompute(): void {
    const { nodes, peers, configurations } = this.reflectors;
    if (!nodes.synced || !peers.synced || !configurations.synced) return;
    this.stats.derivations++;
    this.emitNodeAddresses();
    const d = deriveAgentConfig({
      nodeName: this.opts.nodeName,
      nodes: nodes.items.values(),
      peers: peers.items.values(),
      configurations: configurations.items.values(),
      apiListen: this.opts.apiListen,
      listenAddress: this.opts.listenAddress,
    });
    // passwords from Secrets; a peer whose password is not readable is left out and reported
    const resolved = d.config ? this.secrets.resolve(d.config) : undefined;
    const all = [...d.problems, ...(resolved?.problems ?? [])];
    const problems = new Set(all.map((p) => p.message));
    for (const p of all) if (!this.reportedProblems.has(p.message)) this.report(p);
    this.reportedProblems = problems;
    if (!resolved) return; // our Node is not usable (yet or any more): keep what we had
    const config = resolved.config;
    const json = JSON.stringify(config);
    if (json === this.lastJson) return;
    this.lastJson = json;
    this.last = config;
    this.stats.emitted++;
    try {
      this.emit('config', structuredClone(config));
    } catch (err) {
      // a listener's bug must not kill the watch loop it was called from (nor surface as an unhandled rejection)
      this.report(
        new KubernetesError('ERR_GANNET_K8S_CONFIG', `a config listener failed: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    }
    if (this.starting) {
      this.starting.resolve();
      this.starting = undefined;
    }
  }
}
