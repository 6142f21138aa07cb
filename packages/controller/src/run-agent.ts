// The agent process: builds the real parts (status API, kernel routes, speaker), then runs until SIGTERM/SIGINT.
// SIGHUP re-reads the config file and resets only the peers whose settings changed.
//
// Start-up is all or nothing, in this order: the status API listens first (a busy port or an address that is not
// local fails before any child process or socket exists), then the agent starts the kernel routes and the speaker and
// stops them again if either fails. The caller then sees one StartError line and nothing keeps running.
//
// A new node identity (ASN — the global one or this node's in nodeASNs —, router ID, listen address or port, graceful
// restart times) is applied by stopping gracefully and exiting with EXIT.restart (3), for the kubelet (or systemd's
// Restart=) to start the agent again with it, rather than by rebuilding the speaker in this process. The restart is
// the path every upgrade already takes and the e2e tests cover: sessions close without NOTIFICATION so the peers keep
// our routes (graceful restart), the kernel routes stay and are adopted as stale, and only those no peer re-announces
// are swept after every new session's End-of-RIB. An in-process rebuild would be a second implementation of exactly
// that sequence (stop, keep, re-adopt, sweep) with its own partial states — a config arriving mid-rebuild, a new
// listen port that cannot be bound while the old speaker is gone. Nothing freezes meanwhile: the process that
// restarts reads the whole current config (Kubernetes mode saved it already, for a start while the API is away).
import { writeFileSync } from 'node:fs';
import { ExecNftRunner, type NftRunner } from '@gannet/policy';
import { writeRtProtosEntry } from '@gannet/routes';
import { BgpSpeaker } from './adapters/bgp-speaker.js';
import { KernelRoutes } from './adapters/kernel-routes.js';
import { Agent, identityChanges } from './agent.js';
import type { AgentConfig } from './config/types.js';
import type { Logger } from './log.js';
import type { PolicyInputSource } from './network-policy/input-source.js';
import { PolicyEngine } from './network-policy/policy-engine.js';
import { policySettings } from './network-policy/settings.js';
import type { PeerStatus } from './ports.js';
import { openStatusApi, StartError, type StatusApi } from './status-api.js';

/** The process's exit statuses for the agent (the CLI documents them all). */
export const AGENT_EXIT = { stopped: 0, restart: 3 } as const;

export interface RunAgentOptions {
  config: AgentConfig;
  logger: Logger;
  /** Re-reads the configuration (SIGHUP); throws ConfigError on a bad file, which keeps the running config. */
  reload?: () => AgentConfig | Promise<AgentConfig>;
  /** Config updates pushed by a source (Kubernetes mode). */
  subscribe?: (apply: (config: AgentConfig) => void) => void;
  /** An already listening status API (Kubernetes mode opens it before it has a config); else opened here. */
  statusApi?: StatusApi;
  /**
   * NetworkPolicy and egress NAT (src/network-policy/): the engine's input sources; none runs when omitted.
   * `onConfig` hears every config the agent takes (a file source follows `policy.files`).
   */
  policy?: { sources: PolicyInputSource[]; nft?: NftRunner; onConfig?: (config: AgentConfig) => void };
}

/** Enables IPv4/IPv6 forwarding in this network namespace: the node routes pod traffic. */
function enableForwarding(log: Logger): void {
  for (const path of ['/proc/sys/net/ipv4/ip_forward', '/proc/sys/net/ipv6/conf/all/forwarding']) {
    try {
      writeFileSync(path, '1');
    } catch (err) {
      log.warn('cannot enable forwarding', { path, error: (err as Error).message });
    }
  }
}

export interface AgentHandle {
  stop: () => Promise<void>;
  /** Resolves once the agent has stopped, with the process's exit status (AGENT_EXIT). */
  done: Promise<number>;
  peers: () => PeerStatus[];
}

export async function runAgent(opts: RunAgentOptions): Promise<AgentHandle> {
  const { config, logger: log } = opts;
  const statusApi = opts.statusApi ?? (await openStatusApi({ listen: config.api.listen, logger: log }));
  const { hub, metrics } = statusApi;
  enableForwarding(log);
  try {
    await writeRtProtosEntry({ ...(config.routes?.protocol ? { protocol: config.routes.protocol } : {}) });
  } catch (err) {
    log.warn('cannot name the route protocol for iproute2 (ip route shows a number)', {
      error: (err as Error).message,
    });
  }
  const routes = new KernelRoutes({
    logger: log.child({ component: 'routes' }),
    ...(config.routes?.table !== undefined ? { table: config.routes.table } : {}),
    ...(config.routes?.protocol !== undefined ? { protocol: config.routes.protocol } : {}),
    ...(config.routes?.resyncIntervalSeconds !== undefined
      ? { resyncIntervalMs: config.routes.resyncIntervalSeconds * 1000 }
      : {}),
    onApply: (s) => metrics.observeApply(s),
  });
  const speaker = new BgpSpeaker({
    asn: config.asn,
    routerId: config.routerId,
    listen: config.listen.port === 0 ? false : config.listen,
    restartTime: config.gracefulRestart?.restartTime ?? 120,
    deferralTime: config.gracefulRestart?.deferralTime ?? 60,
    logger: log.child({ component: 'bgp' }),
    ...(config.routeReflector ? { routeReflector: config.routeReflector } : {}),
  });
  const agent = new Agent(config, { speaker, routes, logger: log });
  try {
    await agent.start();
  } catch (err) {
    // Agent.start stopped what it had started; the status API goes too, so the process can end.
    await statusApi.close().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    const listen = `${config.listen.address}:${config.listen.port}`;
    throw new StartError(
      e.code === 'EADDRINUSE' || e.code === 'EADDRNOTAVAIL' || e.code === 'EACCES'
        ? `BGP cannot listen on ${listen}: ${e.message}`
        : `cannot start: ${e.message}`,
      { cause: err },
    );
  }
  hub.attach(agent, routes);
  // After BGP and routes: whatever happens to nft, routing runs (the engine reports its own trouble in /readyz).
  let engine: PolicyEngine | undefined;
  if (opts.policy) {
    engine = new PolicyEngine({
      nft: opts.policy.nft ?? new ExecNftRunner(),
      sources: opts.policy.sources,
      settings: policySettings(config),
      logger: log.child({ component: 'policy' }),
    });
    hub.attachPolicy(engine);
    try {
      await engine.start();
    } catch (err) {
      log.error('network policy: a source cannot start', { error: (err as Error).message });
    }
  }

  let stopping: Promise<void> | undefined;
  let exitCode: number = AGENT_EXIT.stopped;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((r) => {
    resolveDone = r;
  });
  const stop = () => {
    stopping ??= (async () => {
      log.info('stopping gracefully (sessions closed without NOTIFICATION, kernel routes kept)');
      process.off('SIGHUP', onHup);
      await statusApi.close();
      // The policy table stays in the kernel: enforcement must not lapse while the agent restarts.
      await engine?.stop();
      await agent.stop();
      resolveDone(exitCode);
    })();
    return stopping;
  };
  const apply = (next: AgentConfig) => {
    if (stopping) return;
    opts.policy?.onConfig?.(next);
    engine?.reconfigure(policySettings(next));
    if (agent.reconfigure(next)) return;
    log.warn('the configuration changes this node’s identity: stopping gracefully to restart with it', {
      changes: identityChanges(agent.currentConfig, next),
      exitStatus: AGENT_EXIT.restart,
    });
    exitCode = AGENT_EXIT.restart;
    void stop();
  };
  const onHup = () => {
    if (!opts.reload) return;
    log.info('SIGHUP: re-reading the configuration');
    Promise.resolve()
      .then(() => opts.reload!())
      .then(apply, (err: Error) =>
        log.error('configuration rejected; keeping the running one', { error: err.message }),
      );
  };
  process.on('SIGHUP', onHup);
  opts.subscribe?.(apply);
  return { stop, done, peers: () => agent.peers() };
}
