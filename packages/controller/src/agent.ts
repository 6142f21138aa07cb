// The node agent: joins the BGP speaker and the kernel routes. Small reconcilers, each owning one concern:
// peers (config → speaker), origins (pod CIDRs → speaker), routes (best paths + blackholes → kernel), node state file.

import type { PrefixExplanation } from '@gannet/bgp';
import { type ConflistTarget, conflistTargetFromEnv, installConflist } from './cni-conflist.js';
import type { AgentConfig } from './config/types.js';
import type { Logger } from './log.js';
import { DEFAULT_NODE_STATE_FILE, writeNodeState } from './node-state.js';
import { originPrefixes, resolvePeer, resolvePeerRange, unadvertisedPodCidrs } from './policy.js';
import type { BestChange, DesiredRoute, PeerStateEvent, PeerStatus, RoutesPort, SpeakerPort } from './ports.js';
import { compareKeys, indexAfter, orderKey, RouteIndex } from './route-index.js';

export interface AgentDeps {
  speaker: SpeakerPort;
  routes: RoutesPort;
  logger: Logger;
  /** Writes the node state file; replaced in tests. */
  writeState?: (path: string, state: { nodeName: string; podCIDRs: string[] }) => void;
  /** Where to install the CNI conflist once the pod CIDR is known; default from GANNET_CNI_CONFLIST/_NET_DIR. */
  cniConflist?: ConflistTarget;
}

export interface RouteView {
  prefix: string;
  nexthops: string[];
  source: 'bgp' | 'local';
  installed: boolean;
  /** Learned routes: the best path's AS_PATH (ASNs in order, sets flattened). */
  asPath?: number[];
  /** Learned routes carrying communities: as text ("65000:100", "no-export"). */
  communities?: string[];
  /** Learned routes carrying large communities: as text ("65000:1:2"). */
  largeCommunities?: string[];
}

/** `gannet explain`: one prefix from BGP to the kernel. */
export interface PrefixReport {
  prefix: string;
  /** One of this node's own pod CIDRs (originated here, a blackhole in the kernel). */
  local: boolean;
  kernel: { desired: boolean; installed?: boolean; error?: string };
  bgp?: PrefixExplanation;
}

/** Counts for `gannet status` and the summary endpoint, O(1). */
export interface RouteSummary {
  /** Entries of the full route list: local plus learned. */
  routes: number;
  local: number;
  bgp: number;
  /** Kernel routes (our pod CIDRs' blackholes and learned routes) the kernel has as asked. */
  installed: number;
  /** Kernel routes the kernel currently refuses (retried). */
  failed: number;
}

/** Best-path changes applied per turn of the event loop (≈ 15 ms of work at most). */
const BEST_SLICE = 5000;

/** What needs a speaker restart rather than a peer-level change. */
function identityOf(c: AgentConfig): string {
  return JSON.stringify([c.nodeName, c.asn, c.routerId, c.listen, c.gracefulRestart ?? null, c.routeReflector ?? null]);
}

/** The identity fields that differ, worded for a log line ("asn 64512 → 64513"); empty when none does. */
export function identityChanges(from: AgentConfig, to: AgentConfig): string[] {
  const show = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v ?? {}) : String(v));
  const out: string[] = [];
  for (const k of ['nodeName', 'asn', 'routerId', 'listen', 'gracefulRestart', 'routeReflector'] as const) {
    if (JSON.stringify(from[k] ?? null) !== JSON.stringify(to[k] ?? null))
      out.push(`${k} ${show(from[k])} → ${show(to[k])}`);
  }
  return out;
}

export class Agent {
  private config: AgentConfig;
  /** Learned best paths (prefix → sorted next hops), kept in prefix order for the status API. */
  private readonly learned = new RouteIndex();
  private initialSync = false;
  /** Best-path changes waiting to be applied (bestQueue from bestHead), a slice per turn of the event loop. */
  private readonly bestQueue: BestChange[] = [];
  private bestHead = 0;
  private draining = false;
  /** The initial sync came while changes were waiting: completed once they are applied. */
  private syncAfterQueue = false;
  private started = false;
  /** Set by stop(): what the closing sessions withdraw must stay in the kernel for the next agent. */
  private stopping = false;
  private readonly log: Logger;

  constructor(
    config: AgentConfig,
    private readonly deps: AgentDeps,
  ) {
    this.config = config;
    this.log = deps.logger;
    deps.speaker.onBest((changes) => this.onBest(changes));
    deps.speaker.onPeerState((ev) => this.onPeerState(ev));
    deps.speaker.onInitialSync(() => this.onInitialSync());
  }

  get currentConfig(): AgentConfig {
    return this.config;
  }

  /**
   * All or nothing: when any part fails to start (the speaker cannot listen, an option it refuses), what did start is
   * stopped again — the kernel routes' helpers (`ip monitor`, `ip -batch`) included, the kernel routes left in place —
   * and the error is thrown.
   */
  async start(): Promise<void> {
    this.writeState();
    let adopted = 0;
    try {
      adopted = (await this.deps.routes.start()).adopted;
      this.pushRoutes();
      this.deps.speaker.setOrigins(originPrefixes(this.config));
      this.deps.speaker.setPeers(this.config.peers.map((p) => resolvePeer(this.config, p)));
      this.deps.speaker.setPeerRanges((this.config.peerRanges ?? []).map((r) => resolvePeerRange(this.config, r)));
      await this.deps.speaker.start({ restarting: adopted > 0 });
    } catch (err) {
      this.stopping = true;
      await this.deps.speaker.stop({ graceful: true }).catch(() => {});
      await this.deps.routes.stop().catch(() => {});
      throw err;
    }
    this.started = true;
    this.warnUnadvertised();
    this.log.info('agent started', {
      node: this.config.nodeName,
      asn: this.config.asn,
      routerId: this.config.routerId,
      podCIDRs: this.config.podCIDRs,
      peers: this.config.peers.length,
      restarting: adopted > 0,
      adoptedRoutes: adopted,
    });
  }

  /**
   * Applies a new config (SIGHUP, or the Kubernetes source). Only peers whose settings changed are reset. A change of
   * node identity (name, ASN, router id, listen address, graceful restart) is not applied here: the caller restarts
   * the agent with it (run-agent.ts says why), so nothing is changed and false is returned.
   * @returns false when the change needs a restart.
   */
  reconfigure(next: AgentConfig): boolean {
    if (identityOf(next) !== identityOf(this.config)) return false;
    const before = this.config;
    this.config = next;
    if (JSON.stringify(before.podCIDRs) !== JSON.stringify(next.podCIDRs)) this.writeState();
    if (JSON.stringify(originPrefixes(before)) !== JSON.stringify(originPrefixes(next))) {
      this.deps.speaker.setOrigins(originPrefixes(next));
    }
    this.deps.speaker.setPeers(next.peers.map((p) => resolvePeer(next, p)));
    this.deps.speaker.setPeerRanges((next.peerRanges ?? []).map((r) => resolvePeerRange(next, r)));
    this.pushRoutes();
    this.warnUnadvertised();
    this.log.info('configuration applied', { peers: next.peers.length, podCIDRs: next.podCIDRs });
    return true;
  }

  /** A pod CIDR of a family no peer has is not advertised (one session per family): say so at every config. */
  private warnUnadvertised(): void {
    for (const u of unadvertisedPodCidrs(this.config))
      this.log.warn('pod CIDR not advertised', { key: u.key, why: u.why });
  }

  /** Graceful: sessions closed without NOTIFICATION (peers keep our routes), kernel routes left in place. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    // The speaker reports the paths of the sessions it closes as withdrawn: they must not reach the kernel, which
    // keeps forwarding on them until the next agent adopts them (and the peers keep ours: graceful restart).
    this.stopping = true;
    await this.deps.speaker.stop({ graceful: true });
    await this.deps.routes.stop();
    this.log.info('agent stopped; kernel routes left in place for the restart');
  }

  /** Ready: started, and the kernel has matched the desired routes at least once after the initial sync. */
  ready(): boolean {
    return this.notReady().length === 0;
  }

  /** What is missing before the agent is ready, worded for /readyz; empty when ready. */
  notReady(): string[] {
    if (!this.started) return ['agent not started'];
    const out: string[] = [];
    if (!this.initialSync) {
      out.push('BGP initial sync not done (End-of-RIB from every peer, or gracefulRestart.deferralTime)');
    }
    if (!this.deps.routes.synced()) out.push('kernel routes not synced');
    return out;
  }

  peers(): PeerStatus[] {
    return this.deps.speaker.peers();
  }

  /** Every route, as `GET /api/v1/routes` lists them. Linear; the status API streams routeViews() instead. */
  routes(): RouteView[] {
    return [...this.routeViews()];
  }

  /**
   * The routes in prefix order (IPv4 first; for one prefix, local before learned), lazily, each O(1): those after
   * prefix `after` (canonical text) when given. The order is a snapshot taken at the first step.
   */
  *routeViews(after?: string): Generator<RouteView> {
    const from = after === undefined ? undefined : orderKey(after);
    const locals = this.config.podCIDRs
      .map((prefix) => ({ prefix, key: orderKey(prefix) }))
      .filter((l) => from === undefined || compareKeys(l.key, from) > 0)
      .sort((a, b) => compareKeys(a.key, b.key));
    const learned = this.learned.snapshot();
    let i = from === undefined ? 0 : indexAfter(learned, from);
    let j = 0;
    while (i < learned.length || j < locals.length) {
      const l = locals[j];
      const r = learned[i];
      if (l && (!r || compareKeys(l.key, r.key) <= 0)) {
        j++;
        yield { prefix: l.prefix, nexthops: [], source: 'local', installed: this.installed(l.prefix) };
      } else if (r) {
        i++;
        if (r.gone) continue;
        const view: RouteView = {
          prefix: r.prefix,
          nexthops: r.nexthops,
          source: 'bgp',
          installed: this.installed(r.prefix),
        };
        const attrs = this.deps.speaker.routeAttributes?.(r.prefix);
        yield attrs ? Object.assign(view, attrs) : view;
      }
    }
  }

  /**
   * Why a prefix is, or is not, in the kernel: the speaker's explanation (paths received, the import rule, the
   * decision, exports) and the kernel's side (desired by us? installed, or refused and why).
   */
  explain(prefix: string): PrefixReport {
    const own = this.config.podCIDRs.includes(prefix);
    const kernel = this.deps.routes.routeState(prefix);
    const out: PrefixReport = {
      prefix,
      local: own,
      kernel: kernel
        ? { desired: true, installed: kernel.installed, ...(kernel.reason ? { error: kernel.reason } : {}) }
        : { desired: false },
    };
    const bgp = this.deps.speaker.explain?.(prefix);
    if (bgp) out.bgp = bgp;
    return out;
  }

  /** Brings the route order up to date in slices that yield to the event loop (routeViews() then has little to do). */
  async prepareRoutes(): Promise<void> {
    await this.learned.snapshotAsync();
  }

  routeSummary(): RouteSummary {
    const s = this.deps.routes.status();
    const local = this.config.podCIDRs.length;
    return {
      routes: local + this.learned.size,
      local,
      bgp: this.learned.size,
      installed: s.installed,
      failed: s.failed,
    };
  }

  private installed(prefix: string): boolean {
    return this.deps.routes.routeState(prefix)?.installed ?? false;
  }

  private onBest(changes: BestChange[]): void {
    if (this.stopping) return;
    if (!this.draining && changes.length <= BEST_SLICE) {
      this.applyBest(changes);
      return;
    }
    // A large batch (the whole table at End-of-RIB) is applied a slice per turn of the event loop, in order.
    for (const c of changes) this.bestQueue.push(c);
    if (!this.draining) {
      this.draining = true;
      this.drainBest();
    }
  }

  private drainBest(): void {
    if (this.stopping) {
      this.bestQueue.length = 0;
      this.bestHead = 0;
      this.draining = false;
      return;
    }
    const end = Math.min(this.bestQueue.length, this.bestHead + BEST_SLICE);
    this.applyBest(this.bestQueue.slice(this.bestHead, end));
    this.bestHead = end;
    if (end < this.bestQueue.length) {
      setImmediate(() => this.drainBest());
      return;
    }
    this.bestQueue.length = 0;
    this.bestHead = 0;
    this.draining = false;
    if (this.syncAfterQueue) {
      this.syncAfterQueue = false;
      this.completeInitialSync();
    }
  }

  private applyBest(changes: BestChange[]): void {
    // Deltas to the kernel routes: one change costs O(1), not a new desired set of the whole table. A prefix changed
    // twice in one batch (withdrawn, then announced again) counts with its last change only.
    const own = new Set(this.config.podCIDRs);
    const last = new Map<string, string[] | undefined>();
    for (const c of changes) {
      if (c.nexthops.length === 0) {
        if (!this.learned.get(c.prefix)) continue;
        this.learned.delete(c.prefix);
        if (!own.has(c.prefix)) last.set(c.prefix, undefined);
      } else {
        const nexthops = [...c.nexthops].sort();
        this.learned.set(c.prefix, nexthops);
        if (!own.has(c.prefix)) last.set(c.prefix, nexthops);
      }
    }
    const set: DesiredRoute[] = [];
    const removed: string[] = [];
    for (const [dst, nexthops] of last) {
      if (nexthops) set.push({ dst, type: 'unicast', nexthops });
      else removed.push(dst);
    }
    if (set.length > 0 || removed.length > 0) this.deps.routes.update(set, removed);
  }

  private onPeerState(ev: PeerStateEvent): void {
    const log = this.log.child({ peer: ev.address, asn: ev.asn });
    if (ev.state === 'Established') log.info('peer up', { state: ev.state, previous: ev.previous });
    else if (ev.previous === 'Established') log.warn('peer down', { state: ev.state, reason: ev.reason });
    else log.debug('peer state', { state: ev.state, previous: ev.previous, reason: ev.reason });
  }

  private onInitialSync(): void {
    if (this.initialSync || this.syncAfterQueue) return;
    // Stale routes are swept only once every best path that came before the sync is desired: else they would flap.
    if (this.draining) this.syncAfterQueue = true;
    else this.completeInitialSync();
  }

  private completeInitialSync(): void {
    this.initialSync = true;
    this.log.info('initial BGP sync complete: sweeping stale kernel routes', { routes: this.learned.size });
    this.deps.routes.initialStateComplete();
  }

  private pushRoutes(): void {
    const own = new Set(this.config.podCIDRs);
    const desired: DesiredRoute[] = this.config.podCIDRs.map((dst) => ({ dst, type: 'blackhole', nexthops: [] }));
    for (const { prefix: dst, nexthops } of this.learned.entries()) {
      if (!own.has(dst)) desired.push({ dst, type: 'unicast', nexthops });
    }
    this.deps.routes.setDesired(desired);
  }

  private writeState(): void {
    const path = this.config.nodeStateFile ?? DEFAULT_NODE_STATE_FILE;
    const state = { nodeName: this.config.nodeName, podCIDRs: this.config.podCIDRs };
    try {
      (this.deps.writeState ?? writeNodeState)(path, state);
    } catch (err) {
      this.log.error('cannot write the node state file (gannet-cni reads it)', { path, error: (err as Error).message });
    }
    this.installConflist(state.podCIDRs);
  }

  /** After the node state: the runtime gets a CNI config only once gannet-cni can serve it (cni-conflist.ts). */
  private installConflist(podCIDRs: string[]): void {
    const target = this.deps.cniConflist ?? conflistTargetFromEnv(process.env);
    if (!target) return;
    try {
      const outcome = installConflist(target, podCIDRs);
      if (outcome === 'written') this.log.info('installed the CNI config', { dir: target.netDir });
      else if (outcome === 'waiting')
        this.log.info('no IPv4 pod CIDR yet: the CNI config waits', { dir: target.netDir });
    } catch (err) {
      this.log.error('cannot install the CNI config', { error: (err as Error).message });
    }
  }
}
