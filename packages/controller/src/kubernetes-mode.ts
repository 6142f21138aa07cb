// Kubernetes mode's glue: the config source (Nodes, BGPPeer, BGPConfiguration → AgentConfig) and the status writer
// (sessions → GannetNodeStatus), around the same agent that standalone mode runs.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentConfig } from './config/types.js';
import { loadKubeConfig, nodeNameFromEnv } from './kubernetes/kube-config.js';
import { KubernetesSource } from './kubernetes/kubernetes-source.js';
import { NodeStatusWriter } from './kubernetes/node-status-writer.js';
import type { Logger } from './log.js';
import type { PeerStatus } from './ports.js';

export interface KubernetesMode {
  config: AgentConfig;
  subscribe: (apply: (config: AgentConfig) => void) => void;
  /** Starts writing this node's session status back to the API (rate-limited by the writer). */
  reportStatus: (peers: () => PeerStatus[]) => void;
  stop: () => void;
}

export interface KubernetesModeOptions {
  /** A kubeconfig file; default: in-cluster (the pod's service account). */
  kubeconfig?: string;
  /** An already loaded KubeConfig (tests); wins over `kubeconfig`. */
  kubeConfig?: KubeConfig;
  /** Our Node; default NODE_NAME from the environment. */
  nodeName?: string;
  logger: Logger;
  /** How often the session status is offered to the writer (it rate-limits itself); default 5 s. */
  statusIntervalMs?: number;
}

export async function startKubernetesMode(opts: KubernetesModeOptions): Promise<KubernetesMode> {
  const log = opts.logger.child({ component: 'kubernetes' });
  const kubeConfig = opts.kubeConfig ?? loadKubeConfig(opts.kubeconfig);
  const nodeName = opts.nodeName ?? nodeNameFromEnv();
  const source = new KubernetesSource({ kubeConfig, nodeName });
  source.on('error', (err) =>
    log.warn('Kubernetes API problem; keeping the last known configuration', { error: err.message }),
  );
  log.info('waiting for the first sync from the Kubernetes API', { node: nodeName });
  await source.start();
  const config = source.current;
  if (!config) throw new Error('the Kubernetes source started without a configuration');
  let latest = config;
  // Owned by our Node: the status object goes when the Node goes.
  const writer = new NodeStatusWriter({
    kubeConfig,
    nodeName,
    nodeUid: () => source.nodeUid, // read at each write: a Node registered again has a new uid
  });
  writer.on('error', (err) => log.warn('cannot write the node status', { error: err.message }));
  let timer: NodeJS.Timeout | undefined;
  return {
    config,
    subscribe: (apply) =>
      source.on('config', (next) => {
        latest = next;
        apply(next);
      }),
    reportStatus: (peers) => {
      const tick = () =>
        writer.update({
          sessions: peers(),
          advertisedPrefixes: latest.podCIDRs,
          asn: latest.asn,
          routerId: latest.routerId,
        });
      tick();
      timer = setInterval(tick, opts.statusIntervalMs ?? 5000);
      timer.unref();
    },
    stop: () => {
      if (timer) clearInterval(timer);
      writer.stop();
      source.stop();
    },
  };
}
