// `gannet agent --kubernetes`: the Kubernetes config source and the node status writer, wired for the agent.
// The agent gets the first config and a subscription to later ones; this side polls the agent's own status API
// (GET /api/v1/peers, the DESIGN.md contract) and writes it to the node's GannetNodeStatus.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentConfig } from '../config/types.js';
import { type Backoff, type Clock, systemClock } from './clock.js';
import { loadKubeConfig, nodeNameFromEnv } from './kube-config.js';
import type { KubernetesError } from './kubernetes-error.js';
import { KubernetesSource } from './kubernetes-source.js';
import { NodeStatusWriter, type SessionStatus } from './node-status-writer.js';

/** The logger calls made here (a winston Logger fits). */
export interface ModeLogger {
  info(message: string, meta?: Record<string, unknown>): unknown;
  warn(message: string, meta?: Record<string, unknown>): unknown;
  error(message: string, meta?: Record<string, unknown>): unknown;
}

export interface KubernetesModeOptions {
  logger: ModeLogger;
  /** A kubeconfig file; in-cluster config when absent. */
  kubeconfig?: string;
  /** Tests: a ready KubeConfig instead of loading one. */
  kubeConfig?: KubeConfig;
  /** Where NODE_NAME is read (default process.env). */
  env?: NodeJS.ProcessEnv;
  clock?: Clock;
  backoff?: () => Backoff;
  /** How often the agent's status is read and (rate-limited) written; default 5000 ms. */
  statusIntervalMs?: number;
  /** Reads the sessions; default GET http://<api.listen>/api/v1/peers. */
  fetchPeers?: (config: AgentConfig) => Promise<SessionStatus[]>;
}

export interface KubernetesMode {
  /** The first complete config (the agent starts with it). */
  readonly config: AgentConfig;
  /** Every later config change; the agent resets only the peers whose settings changed. */
  subscribe(apply: (config: AgentConfig) => void): void;
  stop(): void;
  readonly source: KubernetesSource;
  readonly writer: NodeStatusWriter;
}

/** GET /api/v1/peers of the local agent (0.0.0.0 and :: mean this host). */
export async function fetchPeersFromApi(config: AgentConfig): Promise<SessionStatus[]> {
  const listen = config.api.listen.replace(/^0\.0\.0\.0:/, '127.0.0.1:').replace(/^\[::\]:/, '[::1]:');
  const res = await fetch(`http://${listen}/api/v1/peers`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`status API answered HTTP ${res.status}`);
  const body = await res.json();
  if (!Array.isArray(body)) throw new Error('status API: /api/v1/peers is not a list');
  return body as SessionStatus[];
}

/** Starts the source (resolves after the first complete config; rejects on a fatal error such as RBAC 403). */
export async function startKubernetesMode(opts: KubernetesModeOptions): Promise<KubernetesMode> {
  const log = opts.logger;
  const nodeName = nodeNameFromEnv(opts.env ?? process.env);
  const kubeConfig = opts.kubeConfig ?? loadKubeConfig(opts.kubeconfig);
  const clock = opts.clock ?? systemClock;
  const server = kubeConfig.getCurrentCluster()?.server;
  const source = new KubernetesSource({
    kubeConfig,
    nodeName,
    clock,
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  });
  const report = (err: KubernetesError) => {
    // a bad object or a node still being set up is the cluster's business; the API failing is ours
    if (err.code === 'ERR_GANNET_K8S_INVALID_OBJECT' || err.code === 'ERR_GANNET_K8S_NODE_NOT_READY') {
      log.warn(err.message, { code: err.code });
    } else {
      log.error(err.message, { code: err.code });
    }
  };
  source.on('error', report);
  log.info('kubernetes mode: waiting for the first sync', { node: nodeName, server });
  await source.start();
  const config = source.current!;
  log.info('kubernetes mode: synced', { node: nodeName, peers: config.peers.length, podCIDRs: config.podCIDRs });
  source.on('config', (c) =>
    log.info('kubernetes mode: config changed', { peers: c.peers.length, podCIDRs: c.podCIDRs }),
  );

  const nodeUid = source.nodeUid;
  const writer = new NodeStatusWriter({ kubeConfig, nodeName, clock, ...(nodeUid ? { nodeUid } : {}) });
  writer.on('error', (err) => log.warn(err.message, { code: err.code }));
  const fetchPeers = opts.fetchPeers ?? fetchPeersFromApi;
  const interval = opts.statusIntervalMs ?? 5000;
  let stopped = false;
  let timer: unknown;
  let apiDown = false;
  const poll = async () => {
    const current = source.current!;
    try {
      const sessions = await fetchPeers(current);
      apiDown = false;
      if (stopped) return;
      writer.update({
        sessions,
        advertisedPrefixes: current.podCIDRs,
        asn: current.asn,
        routerId: current.routerId,
      });
    } catch (err) {
      if (!apiDown) log.warn('cannot read the agent status for GannetNodeStatus', { error: (err as Error).message });
      apiDown = true;
    }
  };
  const tick = () => {
    timer = undefined;
    if (stopped) return;
    void poll().finally(() => {
      if (!stopped) timer = clock.setTimeout(tick, interval);
    });
  };
  timer = clock.setTimeout(tick, 0);

  return {
    config,
    source,
    writer,
    subscribe: (apply) => {
      source.on('config', apply);
    },
    stop: () => {
      stopped = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      writer.stop();
      source.stop();
    },
  };
}
