// What the web view shows, pushed as server-sent events. One sampler per API (not per page): while at least one page
// is open it reads the agent's state every `intervalMs` (O(peers) + a bounded slice of routes + the pods, all cheap),
// serialises each section once and sends only the sections that changed to every page. A page that connects gets
// every section at once. Pages never poll.
import type { Clock, TimerHandle } from '@gannet/core';
import { systemClock } from '@gannet/core';
import type { RouteView } from '../agent.js';
import type { StatusSource } from '../api/server.js';

/** Routes listed on the page (the summary counts them all). */
export const PAGE_ROUTES = 500;

export interface PodView {
  /** One per family (dual-stack pods have two). */
  ips: string[];
  namespace: string;
  name: string;
  /** NetworkPolicies (namespace/name) selecting the pod, per direction. */
  ingress: string[];
  egress: string[];
}

export interface WebSource extends StatusSource {
  nodeName?(): string | undefined;
  pods?(): PodView[];
}

export type Section = 'node' | 'peers' | 'routes' | 'pods' | 'policy';

export interface FeedClient {
  send(event: Section, data: string): void;
}

export class LiveFeed {
  private readonly clients = new Set<FeedClient>();
  private readonly last = new Map<Section, string>();
  private timer: TimerHandle | undefined;
  private readonly clock: Clock;
  /** Samples taken (tests, the bench). */
  samples = 0;
  private closed = false;

  constructor(
    private readonly source: WebSource,
    private readonly intervalMs = 100,
    clock?: Clock,
  ) {
    this.clock = clock ?? systemClock;
  }

  get size(): number {
    return this.clients.size;
  }

  subscribe(client: FeedClient): () => void {
    this.clients.add(client);
    const now = this.sample();
    for (const [section, data] of now) {
      this.last.set(section, data);
      client.send(section, data);
    }
    this.schedule();
    return () => {
      this.clients.delete(client);
      if (this.clients.size === 0) this.stop();
    };
  }

  /** The API closes: no more samples. */
  close(): void {
    this.closed = true;
    this.stop();
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.last.clear();
  }

  private schedule(): void {
    if (this.timer || this.clients.size === 0 || this.closed) return;
    // The handle stays set while the tick runs, so a page connecting meanwhile does not start a second loop.
    this.timer = this.clock.setTimeout(() => {
      void this.tick().finally(() => {
        this.timer = undefined;
        this.schedule();
      });
    }, this.intervalMs);
  }

  /** One sample: every section whose JSON changed goes to every page. */
  async tick(): Promise<void> {
    await this.source.prepareRoutes?.();
    if (this.clients.size === 0) return;
    for (const [section, data] of this.sample()) {
      if (this.last.get(section) === data) continue;
      this.last.set(section, data);
      for (const c of this.clients) c.send(section, data);
    }
  }

  private sample(): Map<Section, string> {
    this.samples++;
    const s = this.source;
    const out = new Map<Section, string>();
    out.set(
      'node',
      JSON.stringify({
        name: s.nodeName?.() ?? null,
        ready: s.ready(),
        notReady: s.notReady?.() ?? [],
      }),
    );
    out.set(
      'peers',
      JSON.stringify(
        s.peers().map((p) => ({
          address: p.address,
          asn: p.asn,
          state: p.state,
          // whole seconds change every second: the page counts uptime itself from `since`
          since: p.state === 'Established' ? Math.round(Date.now() / 1000 - p.uptimeSeconds) : null,
          lastError: p.lastError,
          prefixesReceived: p.prefixesReceived,
          prefixesAccepted: p.prefixesAccepted,
          prefixesAdvertised: p.prefixesAdvertised,
          bfd: p.bfd?.state ?? null,
        })),
      ),
    );
    const routes: RouteView[] = [];
    for (const r of s.routeViews()) {
      if (routes.length >= PAGE_ROUTES) break;
      routes.push(r);
    }
    out.set('routes', JSON.stringify({ summary: s.routeSummary(), routes }));
    out.set('pods', JSON.stringify(s.pods?.() ?? []));
    const policy = s.policy?.();
    out.set(
      'policy',
      JSON.stringify(
        policy
          ? {
              applied: policy.applied,
              policies: policy.policies,
              selectedPods: policy.selectedPods,
              rules: policy.rules,
              natOutgoing: policy.natOutgoing,
              lastError: policy.lastError,
            }
          : null,
      ),
    );
    return out;
  }
}
