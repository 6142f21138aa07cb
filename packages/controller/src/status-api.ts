// The status API as the process's first part: it listens before anything else starts (so /healthz answers while the
// agent waits for its configuration, and a busy port fails the start before any child process or socket exists), and
// the agent is attached to it once it runs. /readyz says what is still missing, from every part that has a say.
import { IpamStore, ipamUsage } from '@gannet/cni';
import type { Agent, PrefixReport, RouteSummary, RouteView } from './agent.js';
import { buildApi, type StatusSource } from './api/server.js';
import type { Logger } from './log.js';
import { createMetrics, type Metrics } from './metrics.js';
import { type Cidr, cidrContains, parseCidr, parseHostPort } from './net.js';
import type { PolicyEngine, PolicyEngineStatus } from './network-policy/policy-engine.js';
import type { PeerStatus, RoutesPort, RoutesStatus } from './ports.js';
import type { PodView } from './web/live-feed.js';

const NO_ROUTES: RoutesStatus = { desired: 0, installed: 0, failed: 0, applies: 0, errors: 0, lastApplySeconds: 0 };
const NO_SUMMARY: RouteSummary = { routes: 0, local: 0, bgp: 0, installed: 0, failed: 0 };

/** The status API's view of the process: the agent once attached, and readiness checks from the other parts. */
export class StatusHub implements StatusSource {
  private agent: Agent | undefined;
  private kernel: RoutesPort | undefined;
  private policyEngine: PolicyEngine | undefined;
  private readonly checks: (() => string[])[] = [];
  private podCache: { at: number; pods: { ips: string[]; namespace: string; name: string }[] } | undefined;

  attach(agent: Agent, routes: RoutesPort): void {
    this.agent = agent;
    this.kernel = routes;
  }

  detach(): void {
    this.agent = undefined;
    this.kernel = undefined;
    this.policyEngine = undefined;
  }

  /** The NetworkPolicy engine: its status in /api/v1/policy and /metrics, its problems in /readyz. */
  attachPolicy(engine: PolicyEngine | undefined): void {
    this.policyEngine = engine;
  }

  policy(): PolicyEngineStatus | undefined {
    return this.policyEngine?.status();
  }

  /** A part's own readiness: what it still misses (empty when it misses nothing). */
  addCheck(check: () => string[]): void {
    this.checks.push(check);
  }

  notReady(): string[] {
    const out = this.checks.flatMap((c) => c());
    if (this.agent) out.push(...this.agent.notReady());
    else out.push('agent not started: waiting for a configuration');
    if (this.policyEngine) out.push(...this.policyEngine.notReady());
    return out;
  }

  ready(): boolean {
    return this.notReady().length === 0;
  }

  peers(): PeerStatus[] {
    return this.agent?.peers() ?? [];
  }

  routeViews(after?: string): Iterable<RouteView> {
    return this.agent?.routeViews(after) ?? [];
  }

  async prepareRoutes(): Promise<void> {
    await this.agent?.prepareRoutes();
  }

  routeSummary(): RouteSummary {
    return this.agent?.routeSummary() ?? NO_SUMMARY;
  }

  routesStatus(): RoutesStatus {
    return this.kernel?.status() ?? NO_ROUTES;
  }

  /** gannet explain: a prefix as given, or for an address the longest route containing it. */
  explain(text: string): PrefixReport | undefined {
    if (!this.agent) return undefined;
    let prefix: string;
    if (text.includes('/')) {
      prefix = parseCidr(text).text;
    } else {
      const host = parseCidr(`${text}/${text.includes(':') ? 128 : 32}`);
      let best: Cidr | undefined;
      for (const r of this.agent.routeViews()) {
        const c = parseCidr(r.prefix);
        if (cidrContains(c, host) && (!best || c.length > best.length)) best = c;
      }
      prefix = best?.text ?? host.text;
    }
    return this.agent.explain(prefix);
  }

  nodeName(): string | undefined {
    return this.agent?.currentConfig.nodeName;
  }

  /** This node's pods from gannet-cni's store (re-read at most once a second), with the policies selecting them. */
  pods(): PodView[] {
    const c = this.agent?.currentConfig;
    if (!c) return [];
    const now = Date.now();
    if (!this.podCache || now - this.podCache.at > 1000) {
      // one claim per address: a dual-stack pod has two, under the same container and interface
      const byPod = new Map<string, { ips: string[]; namespace: string; name: string }>();
      try {
        for (const r of new IpamStore(c.ipam?.dataDir ?? '/var/lib/cni/gannet', c.ipam?.network ?? 'gannet').list()) {
          const key = `${r.containerId}/${r.ifname}`;
          const pod = byPod.get(key);
          if (pod) pod.ips.push(r.address);
          else
            byPod.set(key, {
              ips: [r.address],
              namespace: r.pod?.namespace ?? 'default',
              name: r.pod?.name ?? r.containerId,
            });
        }
      } catch {
        // no store yet (no pod wired on this node)
      }
      const pods = [...byPod.values()].map((p) => ({
        ...p,
        ips: p.ips.sort((x, y) => x.length - y.length || (x < y ? -1 : 1)),
      }));
      pods.sort((x, y) => (x.ips[0]! < y.ips[0]! ? -1 : x.ips[0]! > y.ips[0]! ? 1 : 0));
      this.podCache = { at: now, pods };
    }
    const selection = this.policyEngine?.selection();
    const of = (ips: string[], dir: 'ingress' | 'egress') => [
      ...new Set(ips.flatMap((ip) => selection?.get(ip)?.[dir] ?? [])),
    ];
    return this.podCache.pods.map((p) => ({ ...p, ingress: of(p.ips, 'ingress'), egress: of(p.ips, 'egress') }));
  }

  ipam(): { used: number; free: number } | undefined {
    const c = this.agent?.currentConfig;
    // the IPv4 pod CIDR's addresses; an IPv6-only node's IPv6 ones (per-family gauges are not there yet)
    const podCIDR = c?.podCIDRs.find((p) => !p.includes(':')) ?? c?.podCIDRs[0];
    if (!c || !podCIDR) return undefined;
    try {
      return ipamUsage({
        dataDir: c.ipam?.dataDir ?? '/var/lib/cni/gannet',
        network: c.ipam?.network ?? 'gannet',
        podCIDR,
      });
    } catch {
      return undefined;
    }
  }
}

export interface StatusApi {
  hub: StatusHub;
  metrics: Metrics;
  /** The address it listens on (host:port; the port is the real one when 0 was asked). */
  address: string;
  close(): Promise<void>;
}

/** A part that cannot start: the message is the one line the CLI prints. */
export class StartError extends Error {}

/**
 * Listens on `listen` (host:port) at once. A busy port or an address that is not local fails here with one clear
 * line (StartError), before anything else was started.
 */
export async function openStatusApi(opts: { listen: string; logger: Logger }): Promise<StatusApi> {
  const hub = new StatusHub();
  const metrics = createMetrics({
    peers: () => hub.peers(),
    routes: () => hub.routesStatus(),
    ipam: () => hub.ipam(),
    policy: () => hub.policy(),
  });
  const app = buildApi(hub, metrics);
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(opts.listen));
  } catch (err) {
    throw new StartError(`status API address ${opts.listen}: ${(err as Error).message}`);
  }
  try {
    await app.listen({ host, port });
  } catch (err) {
    await app.close().catch(() => {});
    const e = err as NodeJS.ErrnoException;
    const why =
      e.code === 'EADDRINUSE'
        ? 'the port is in use (another agent running?)'
        : e.code === 'EADDRNOTAVAIL'
          ? 'the address is not one of this host'
          : e.code === 'EACCES'
            ? 'permission denied'
            : e.message;
    throw new StartError(`status API cannot listen on ${opts.listen}: ${why}${e.code ? ` (${e.code})` : ''}`);
  }
  const bound = app.server.address();
  const address =
    bound && typeof bound === 'object'
      ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}`
      : opts.listen;
  opts.logger.info('status API listening', { url: `http://${address}` });
  return { hub, metrics, address, close: () => app.close() };
}
