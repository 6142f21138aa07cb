// Kubernetes mode's glue: the config source (Nodes, BGPPeer, BGPConfiguration → AgentConfig), the saved copy of its
// last config, and the status writer (sessions → GannetNodeStatus), around the same agent that standalone mode runs.
//
// Nothing here blocks the process's start: the status API already listens (liveness), and `firstConfig` resolves when
// there is something to run — the API's config, or, when the API cannot give one at start and this node saved one
// earlier, the saved config (BGP comes up from it; the API's config is applied when it arrives). Until then
// `notReady()` says what is missing, for /readyz.
import type { KubeConfig } from '@kubernetes/client-node';
import type { AgentConfig } from './config/types.js';
import type { Backoff } from './kubernetes/clock.js';
import { loadKubeConfig, nodeNameFromEnv } from './kubernetes/kube-config.js';
import { httpStatusOf, type KubernetesError } from './kubernetes/kubernetes-error.js';
import { KubernetesSource } from './kubernetes/kubernetes-source.js';
import { type NodePolicyReport, NodeStatusWriter } from './kubernetes/node-status-writer.js';
import { KubernetesPolicySource } from './kubernetes/policy-source.js';
import {
  DEFAULT_SAVED_CONFIG_FILE,
  readSavedConfig,
  type SavedConfig,
  writeSavedConfig,
} from './kubernetes/saved-config.js';
import { emptyRanges } from './kubernetes/service-selection.js';
import { KubernetesServiceSource } from './kubernetes/service-source.js';
import type { Logger } from './log.js';
import type { PolicyInputSource } from './network-policy/input-source.js';
import type { PolicyEngineStatus } from './network-policy/policy-engine.js';
import type { PeerStatus } from './ports.js';

export interface FirstConfig {
  config: AgentConfig;
  /** 'saved': the API gave nothing at start; the API's config is applied through subscribe() once it comes. */
  from: 'api' | 'saved';
}

export interface KubernetesMode {
  /** Rejects when RBAC forbids a call the agent needs (fatal), or when stop() comes first. */
  firstConfig: Promise<FirstConfig>;
  /** Later configs; one that arrived between firstConfig and this call is applied at once. */
  subscribe: (apply: (config: AgentConfig) => void) => void;
  /** What is missing on the Kubernetes side (for /readyz); empty once the API gave a config. */
  notReady: () => string[];
  /** Starts writing this node's session (and policy) status back to the API (rate-limited by the writer). */
  reportStatus: (peers: () => PeerStatus[], policy?: () => PolicyEngineStatus | undefined) => void;
  /** The policy engine's input: Pods, Namespaces, NetworkPolicies and Node addresses (empty with networkPolicy false). */
  policySources: PolicyInputSource[];
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
  /** AgentConfig.api.listen of the derived config; default 127.0.0.1:9179. */
  apiListen?: string;
  /** Where the last derived config is kept (default /run/gannet/kubernetes-config.json); false: neither read nor write. */
  savedConfigFile?: string | false;
  /** How long to wait for the API at start before starting from the saved config (default 5 s); an
   * "unreachable" answer starts from it at once. */
  savedConfigGraceMs?: number;
  /** The reflectors' retry backoff (tests); default exponential 1 s → 30 s with jitter. */
  backoff?: () => Backoff;
  /** Watch Pods, Namespaces and NetworkPolicies for the policy engine (default true). */
  networkPolicy?: boolean;
  /** Watch Services and EndpointSlices once BGPConfiguration lists Service ranges (default true). */
  services?: boolean;
}

/** The engine's status and the refused NetworkPolicies, as GannetNodeStatus.status.policy reports them. */
function policyReport(s: PolicyEngineStatus, source: KubernetesPolicySource | undefined): NodePolicyReport {
  return {
    applied: s.applied,
    policies: s.policies,
    selectedPods: s.selectedPods,
    rules: s.rules,
    lastApplyMs: s.lastApplyMs,
    applyErrors: s.applyErrors,
    lastError: s.lastError,
    rejected: source?.rejected() ?? [],
  };
}

/** What an API problem means for readiness, worded for /readyz; undefined when it does not hold readiness back. */
function describe(err: KubernetesError): [key: string, text: string] | undefined {
  switch (err.code) {
    case 'ERR_GANNET_K8S_UNREACHABLE':
      return ['unreachable', `no API server: ${err.message}`];
    case 'ERR_GANNET_K8S_NODE_NOT_READY':
      return ['node', `no usable Node (no pod CIDR or InternalIP yet): ${err.message}`];
    case 'ERR_GANNET_K8S_FORBIDDEN':
      return ['forbidden', `RBAC forbids a call: ${err.message}`];
    case 'ERR_GANNET_K8S_API':
      return httpStatusOf(err.cause) === 404
        ? ['crd', `CRDs not applied: ${err.message}`]
        : ['api', `API server error: ${err.message}`];
    default:
      return undefined;
  }
}

export async function startKubernetesMode(opts: KubernetesModeOptions): Promise<KubernetesMode> {
  const log = opts.logger.child({ component: 'kubernetes' });
  const kubeConfig = opts.kubeConfig ?? loadKubeConfig(opts.kubeconfig);
  const nodeName = opts.nodeName ?? nodeNameFromEnv();
  const source = new KubernetesSource({
    kubeConfig,
    nodeName,
    ...(opts.apiListen ? { apiListen: opts.apiListen } : {}),
    ...(opts.backoff ? { backoff: opts.backoff } : {}),
  });
  // Started with the config source: the first sync of the cluster's pods is under way while BGP comes up.
  const policySource =
    opts.networkPolicy === false
      ? undefined
      : new KubernetesPolicySource({ kubeConfig, nodeName, ...(opts.backoff ? { backoff: opts.backoff } : {}) });
  if (policySource) {
    source.on('nodeAddresses', (a) => policySource.setNodeAddresses(a));
    policySource.on('error', (err) =>
      log.warn('Kubernetes API problem (network policy objects); the last ones stay enforced', { error: err.message }),
    );
    policySource.on('rejected', (r) =>
      log.error('NetworkPolicy refused by the compiler', {
        policy: r.policy,
        error: r.message,
        enforced: r.keptLastGood ? 'its last accepted version' : 'not at all',
      }),
    );
    policySource.start();
  }
  // Service advertisement: watched from the first config that lists Service ranges; its selection is the config's
  // `advertise` (so the saved config keeps it too).
  const services =
    opts.services === false
      ? undefined
      : new KubernetesServiceSource({ kubeConfig, nodeName, ...(opts.backoff ? { backoff: opts.backoff } : {}) });
  const withServices = (c: AgentConfig): AgentConfig => {
    if (!services) return c;
    services.setRanges(c.serviceRanges);
    if (!emptyRanges(c.serviceRanges)) services.start();
    const { advertise: _, ...rest } = c;
    const p = services.current() ?? [];
    return p.length > 0 ? { ...rest, advertise: p } : rest;
  };
  const savedPath = opts.savedConfigFile === false ? undefined : (opts.savedConfigFile ?? DEFAULT_SAVED_CONFIG_FILE);
  let saved: SavedConfig | undefined;
  if (savedPath) {
    try {
      saved = readSavedConfig(savedPath, nodeName);
    } catch (err) {
      log.warn('ignoring the saved configuration', { error: (err as Error).message });
    }
  }

  /** Problems of the API side by kind, until the API gives a config. */
  const problems = new Map<string, string>();
  let synced = false;
  let fromSaved = false;
  let latest: AgentConfig | undefined;
  let handedOut: AgentConfig | undefined;
  let applyLater: ((c: AgentConfig) => void) | undefined;
  let settle: ((first: FirstConfig) => void) | undefined;
  let fail: ((err: Error) => void) | undefined;
  const firstConfig = new Promise<FirstConfig>((resolve, reject) => {
    settle = (first) => {
      settle = undefined;
      fail = undefined;
      handedOut = first.config;
      resolve(first);
    };
    fail = (err) => {
      settle = undefined;
      fail = undefined;
      reject(err);
    };
  });
  firstConfig.catch(() => {}); // the caller awaits it; a rejection after stop() must not be "unhandled"

  const startFromSaved = (why: string) => {
    if (!settle || !saved) return;
    fromSaved = true;
    latest = saved.config;
    log.warn('starting BGP from the saved configuration; the API’s is applied when it answers', {
      why,
      file: savedPath,
      savedAt: saved.savedAt,
    });
    settle({ config: saved.config, from: 'saved' });
  };
  const graceTimer = saved
    ? setTimeout(
        () => startFromSaved(`no configuration from the Kubernetes API within ${opts.savedConfigGraceMs ?? 5000} ms`),
        opts.savedConfigGraceMs ?? 5000,
      )
    : undefined;

  source.on('error', (err) => {
    log.warn('Kubernetes API problem; keeping the last known configuration', { error: err.message });
    if (synced) return;
    const d = describe(err);
    if (d) problems.set(d[0], d[1]);
    if (err.code === 'ERR_GANNET_K8S_UNREACHABLE') startFromSaved(err.message);
  });
  services?.on('error', (err) =>
    log.warn('Kubernetes API problem (Services); the advertised Service addresses stay', { error: err.message }),
  );
  services?.on('refused', (r) =>
    log.warn('Service address outside the configured lists: not advertised', {
      service: r.service,
      address: r.address,
      kind: r.kind,
    }),
  );
  services?.on('prefixes', (p) => {
    log.info('Service prefixes to advertise', { count: p.length });
    if (!latest) return;
    latest = withServices(latest);
    if (!settle) applyLater?.(latest);
  });
  source.on('config', (derived) => {
    const config = withServices(derived);
    if (fromSaved && !synced) log.info('the Kubernetes API answered: applying its configuration over the saved one');
    synced = true;
    problems.clear();
    if (graceTimer) clearTimeout(graceTimer);
    latest = config;
    if (savedPath) {
      try {
        writeSavedConfig(savedPath, config);
      } catch (err) {
        log.warn('cannot save the configuration (a start while the API is away will wait for it)', {
          file: savedPath,
          error: (err as Error).message,
        });
      }
    }
    if (settle) settle({ config, from: 'api' });
    else applyLater?.(config);
  });
  log.info('waiting for the first sync from the Kubernetes API', { node: nodeName, saved: saved !== undefined });
  source.start().catch((err: Error) => {
    if (graceTimer) clearTimeout(graceTimer);
    const d = describe(err as KubernetesError);
    if (d) problems.set(d[0], d[1]);
    if (fail) fail(err);
    else log.error('the Kubernetes API refuses us; running on without updates', { error: err.message });
  });

  let writer: NodeStatusWriter | undefined;
  let timer: NodeJS.Timeout | undefined;
  return {
    firstConfig,
    subscribe: (apply) => {
      applyLater = apply;
      if (latest && latest !== handedOut) apply(latest);
    },
    notReady: () => {
      if (synced) return [];
      // A reflector that recovered no longer holds readiness back; the Node's own problem does until a config comes.
      const failing = source.health().failing.length > 0;
      const out = [...problems].filter(([k]) => failing || k === 'node' || k === 'forbidden').map(([, t]) => t);
      if (out.length === 0) out.push('waiting for the first sync from the Kubernetes API');
      if (fromSaved) out.push(`running from the configuration saved at ${saved?.savedAt} until the API answers`);
      return out;
    },
    policySources: policySource ? [policySource] : [],
    reportStatus: (peers, policy) => {
      // Owned by our Node: the status object goes when the Node goes.
      writer = new NodeStatusWriter({
        kubeConfig,
        nodeName,
        nodeUid: () => source.nodeUid, // read at each write: a Node registered again has a new uid
      });
      writer.on('error', (err) => log.warn('cannot write the node status', { error: err.message }));
      const tick = () => {
        if (!latest) return;
        const p = policy?.();
        writer?.update({
          sessions: peers(),
          advertisedPrefixes: [...latest.podCIDRs, ...(latest.advertise ?? [])],
          asn: latest.asn,
          routerId: latest.routerId,
          ...(p ? { policy: policyReport(p, policySource) } : {}),
        });
      };
      tick();
      timer = setInterval(tick, opts.statusIntervalMs ?? 5000);
      timer.unref();
    },
    stop: () => {
      if (graceTimer) clearTimeout(graceTimer);
      if (timer) clearInterval(timer);
      writer?.stop();
      source.stop();
      policySource?.stop();
      services?.stop();
      fail?.(new Error('stopped before a configuration came'));
    },
  };
}
