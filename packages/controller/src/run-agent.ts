// The agent process: builds the real parts (speaker, kernel routes, status API), then runs until SIGTERM/SIGINT.
// SIGHUP re-reads the config file and resets only the peers whose settings changed.
import { writeFileSync } from 'node:fs';
import { ipamUsage } from '@gannet/cni';
import { writeRtProtosEntry } from '@gannet/routes';
import { BgpSpeaker } from './adapters/bgp-speaker.js';
import { KernelRoutes } from './adapters/kernel-routes.js';
import { Agent } from './agent.js';
import { buildApi } from './api/server.js';
import type { AgentConfig } from './config/types.js';
import type { Logger } from './log.js';
import { createMetrics } from './metrics.js';
import { parseHostPort } from './net.js';
import type { PeerStatus } from './ports.js';

export interface RunAgentOptions {
  config: AgentConfig;
  logger: Logger;
  /** Re-reads the configuration (SIGHUP); throws ConfigError on a bad file, which keeps the running config. */
  reload?: () => AgentConfig | Promise<AgentConfig>;
  /** Config updates pushed by a source (Kubernetes mode). */
  subscribe?: (apply: (config: AgentConfig) => void) => void;
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
  /** Resolves once the agent has stopped. */
  done: Promise<void>;
  peers: () => PeerStatus[];
}

export async function runAgent(opts: RunAgentOptions): Promise<AgentHandle> {
  const { config, logger: log } = opts;
  enableForwarding(log);
  try {
    await writeRtProtosEntry({ ...(config.routes?.protocol ? { protocol: config.routes.protocol } : {}) });
  } catch (err) {
    log.warn('cannot name the route protocol for iproute2 (ip route shows a number)', {
      error: (err as Error).message,
    });
  }
  let metricsApply: (s: number) => void = () => {};
  const routes = new KernelRoutes({
    logger: log.child({ component: 'routes' }),
    ...(config.routes?.table !== undefined ? { table: config.routes.table } : {}),
    ...(config.routes?.protocol !== undefined ? { protocol: config.routes.protocol } : {}),
    ...(config.routes?.resyncIntervalSeconds !== undefined
      ? { resyncIntervalMs: config.routes.resyncIntervalSeconds * 1000 }
      : {}),
    onApply: (s) => metricsApply(s),
  });
  const speaker = new BgpSpeaker({
    asn: config.asn,
    routerId: config.routerId,
    listen: config.listen.port === 0 ? false : config.listen,
    restartTime: config.gracefulRestart?.restartTime ?? 120,
    deferralTime: config.gracefulRestart?.deferralTime ?? 60,
    logger: log.child({ component: 'bgp' }),
  });
  const agent = new Agent(config, { speaker, routes, logger: log });
  const metrics = createMetrics({
    peers: () => agent.peers(),
    routes: () => routes.status(),
    ipam: () => {
      const c = agent.currentConfig;
      const podCIDR = c.podCIDRs.find((p) => !p.includes(':'));
      if (!podCIDR) return undefined;
      try {
        return ipamUsage({
          dataDir: c.ipam?.dataDir ?? '/var/lib/cni/gannet',
          network: c.ipam?.network ?? 'gannet',
          podCIDR,
        });
      } catch {
        return undefined;
      }
    },
  });
  metricsApply = (s) => metrics.observeApply(s);
  const api = buildApi(agent, metrics);
  const { host, port } = parseHostPort(config.api.listen);

  await agent.start();
  await api.listen({ host, port });
  log.info('status API listening', { url: `http://${config.api.listen}` });

  let stopping: Promise<void> | undefined;
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((r) => {
    resolveDone = r;
  });
  const stop = () => {
    stopping ??= (async () => {
      log.info('stopping gracefully (sessions closed without NOTIFICATION, kernel routes kept)');
      process.off('SIGHUP', onHup);
      await api.close();
      await agent.stop();
      resolveDone();
    })();
    return stopping;
  };
  const apply = (next: AgentConfig) => {
    if (!agent.reconfigure(next))
      log.error('the new configuration changes node identity: restart the agent to apply it');
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
