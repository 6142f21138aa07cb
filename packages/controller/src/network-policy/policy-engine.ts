// The agent's NetworkPolicy and egress NAT part: one PolicyApplier (@gannet/policy) fed by input sources. A change in
// any source schedules one apply after a short debounce; applies never overlap (a change during one runs another
// after it). A failed apply (nft missing or refusing, an input the compiler rejects) leaves the last good ruleset in
// the kernel, is logged loudly, shows in the status and /readyz, and is retried with backoff — BGP and routing carry
// on whatever happens here.
//
// Stop leaves `table inet gannet` in the kernel on purpose: enforcement must not lapse while the agent restarts (an
// upgrade, a crash). The next agent's first apply replaces the table in one transaction (`add table; delete table;
// table inet gannet {…}`), so there is never a moment without rules. Only `gannet lab down` (and an operator's
// `nft delete table inet gannet`) removes it.
import { type Clock, ExponentialBackoff, systemClock, type TimerHandle } from '@gannet/core';
import {
  type NamespaceInfo,
  type NetworkPolicy,
  type NftRunner,
  type PodInfo,
  PolicyApplier,
  type PolicyInput,
  type PolicyModel,
} from '@gannet/policy';
import type { Logger } from '../log.js';
import type { PolicyInputSource } from './input-source.js';

/** What comes from the agent's own config (re-given on reconfigure). */
export interface PolicySettings {
  /** This node's addresses (and any other node address the config knows: peers). */
  nodeAddresses: string[];
  /** The cluster's pod ranges: traffic between them is never NATed. */
  clusterCidrs: string[];
  natOutgoing: boolean;
  natExclude: string[];
}

export interface PolicyEngineOptions {
  nft: NftRunner;
  sources: PolicyInputSource[];
  settings: PolicySettings;
  logger: Logger;
  clock?: Clock;
  /** Changes arriving within this long are applied together (default 50 ms). */
  debounceMs?: number;
  /** Retry after a failed apply: first delay and cap (default 1 s, 30 s). */
  retryMs?: { initial: number; max: number };
}

export interface PolicyEngineStatus {
  /** A ruleset this agent applied is in the kernel and matches its last input. */
  applied: boolean;
  natOutgoing: boolean;
  natExclude: string[];
  clusterCidrs: string[];
  sources: { name: string; synced: boolean; problems: string[] }[];
  policies: number;
  /** Local pods that at least one policy selects. */
  selectedPods: number;
  /** Local pods known (policed or not). */
  localPods: number;
  rules: number;
  applies: number;
  applyErrors: number;
  lastApplyMs: number | null;
  /** Seconds since the last successful apply (null before the first). */
  lastApplyAgeSeconds: number | null;
  lastError: string | null;
}

export class PolicyEngine {
  private readonly applier: PolicyApplier;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly debounceMs: number;
  private readonly backoff: ExponentialBackoff;
  private settings: PolicySettings;
  private timer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private stopped = false;
  private started = false;
  private applies = 0;
  private lastOkAt: number | undefined;
  private lastError: string | undefined;
  private failing = false;
  private localPods = 0;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly opts: PolicyEngineOptions) {
    this.applier = new PolicyApplier(opts.nft);
    this.clock = opts.clock ?? systemClock;
    this.log = opts.logger;
    this.debounceMs = opts.debounceMs ?? 50;
    this.settings = opts.settings;
    const retry = opts.retryMs ?? { initial: 1000, max: 30_000 };
    this.backoff = new ExponentialBackoff({ initialMs: retry.initial, maxMs: retry.max });
  }

  /** Starts the sources and applies once they have given their first objects. */
  async start(): Promise<void> {
    this.started = true;
    for (const s of this.opts.sources) await s.start(() => this.schedule());
    this.schedule(0);
  }

  /** New settings from the agent's config (SIGHUP, Kubernetes): applied like any other change. */
  reconfigure(settings: PolicySettings): void {
    this.settings = settings;
    this.schedule();
  }

  /** Stops watching and waits for an apply in flight. Leaves the table in the kernel (see the top of this file). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of [this.timer, this.retryTimer]) if (t) this.clock.clearTimeout(t);
    this.timer = this.retryTimer = undefined;
    for (const s of this.opts.sources) s.stop();
    await this.running;
  }

  /**
   * Resolves when no apply is pending or running (a retry after a failure does not count): for tests, and callers
   * that wait for a change to be enforced before they go on.
   */
  idle(): Promise<void> {
    if (!this.timer && !this.running) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** The model last applied (read-only, until the next apply): tests evaluate packets against it. */
  model(): PolicyModel | undefined {
    return this.applier.current();
  }

  /**
   * Per local pod IP, the NetworkPolicies (namespace/name) selecting it, read off the applied model: the pod's entry
   * in the ingress-pods / egress-pods verdict maps jumps to a group chain, which jumps to one chain per policy.
   */
  selection(): Map<string, { ingress: string[]; egress: string[] }> {
    const out = new Map<string, { ingress: string[]; egress: string[] }>();
    const model = this.applier.current();
    if (!model) return out;
    for (const [map, dir] of [
      ['ingress-pods', 'ingress'],
      ['egress-pods', 'egress'],
    ] as const) {
      for (const [ip, verdict] of model.sets.get(map)?.elements ?? []) {
        const group = /^jump (\S+)$/.exec(verdict)?.[1];
        const names = (group ? (model.chains.get(group)?.rules ?? []) : [])
          .map((r) => (r.verdict.kind === 'jump' ? policyOfChain(r.verdict.chain) : undefined))
          .filter((n): n is string => n !== undefined);
        let entry = out.get(ip);
        if (!entry) {
          entry = { ingress: [], egress: [] };
          out.set(ip, entry);
        }
        entry[dir] = names;
      }
    }
    return out;
  }

  status(): PolicyEngineStatus {
    const a = this.applier.status();
    return {
      applied: a.applied && !this.failing,
      natOutgoing: this.settings.natOutgoing,
      natExclude: [...this.settings.natExclude],
      clusterCidrs: [...this.settings.clusterCidrs],
      sources: this.opts.sources.map((s) => ({ name: s.name, synced: s.synced?.() ?? true, problems: s.problems() })),
      policies: a.policies,
      selectedPods: a.selectedPods,
      localPods: this.localPods,
      rules: a.rules,
      applies: this.applies,
      applyErrors: a.applyErrors,
      lastApplyMs: a.lastApplyMs ?? null,
      lastApplyAgeSeconds: this.lastOkAt === undefined ? null : (this.clock.now() - this.lastOkAt) / 1000,
      lastError: this.lastError ?? null,
    };
  }

  /** What keeps policy enforcement from being current, for /readyz (empty when it is). */
  notReady(): string[] {
    const out: string[] = [];
    for (const s of this.opts.sources) {
      if (!(s.synced?.() ?? true)) out.push(`network policy: waiting for ${s.name}`);
      for (const p of s.problems()) out.push(`network policy: ${s.name}: ${p}`);
    }
    if (this.lastError !== undefined) out.push(`network policy: not applied: ${this.lastError}`);
    else if (this.lastOkAt === undefined && out.length === 0) out.push('network policy: not applied yet');
    return out;
  }

  private schedule(delay = this.debounceMs): void {
    if (this.stopped || !this.started) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    if (this.timer) return;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.runOnce().finally(() => {
        this.running = undefined;
        if (this.dirty && !this.stopped) {
          this.dirty = false;
          this.schedule();
        } else if (!this.timer) {
          for (const w of this.idleWaiters.splice(0)) w();
        }
      });
    }, delay);
  }

  private async runOnce(): Promise<void> {
    if (this.opts.sources.some((s) => !(s.synced?.() ?? true))) return; // the source calls back once synced
    const input = this.input();
    const t0 = this.clock.now();
    try {
      const r = await this.applier.apply(input);
      this.applies++;
      this.lastOkAt = this.clock.now();
      if (this.failing) this.log.warn('network policy applied again after failures');
      this.failing = false;
      this.lastError = undefined;
      this.backoff.reset();
      if (r.mode !== 'none') {
        const s = this.applier.status();
        this.log.info('network policy applied', {
          mode: r.mode,
          policies: s.policies,
          selectedPods: s.selectedPods,
          rules: s.rules,
          scriptLines: r.scriptLines,
          ms: Math.round(this.clock.now() - t0),
        });
      }
    } catch (err) {
      const message = (err as Error).message;
      const again = !this.failing || message !== this.lastError;
      this.failing = true;
      this.lastError = message;
      const delay = this.backoff.next();
      // Loud once per distinct error; the retries stay quiet until it changes or clears.
      if (again) {
        this.log.error('network policy NOT applied: the previous ruleset (if any) stays in the kernel', {
          error: message,
          code: (err as { code?: string }).code,
          retryInMs: Math.round(delay),
        });
      }
      if (!this.stopped) {
        this.retryTimer = this.clock.setTimeout(() => {
          this.retryTimer = undefined;
          this.schedule(0);
        }, delay);
      }
    }
  }

  private input(): PolicyInput {
    const policies: NetworkPolicy[] = [];
    const namespaces = new Map<string, NamespaceInfo>();
    const pods: PodInfo[] = [];
    const nodeAddresses = new Set(this.settings.nodeAddresses);
    for (const s of this.opts.sources) {
      const o = s.objects();
      if (o.policies) policies.push(...o.policies);
      for (const n of o.namespaces ?? []) namespaces.set(n.name, n);
      if (o.pods) pods.push(...o.pods);
      for (const a of o.nodeAddresses ?? []) nodeAddresses.add(a);
    }
    this.localPods = pods.filter((p) => p.local && !p.hostNetwork).length;
    return {
      policies,
      pods,
      namespaces: [...namespaces.values()],
      nodeAddresses: [...nodeAddresses],
      clusterCidrs: this.settings.clusterCidrs,
      natOutgoing: this.settings.natOutgoing,
      natExclude: this.settings.natExclude,
    };
  }
}

/** `pol.<namespace>.<name>.in|eg` → `namespace/name` (namespaces have no dots; policy names may). */
function policyOfChain(chain: string): string | undefined {
  const m = /^pol\.([^.]+)\.(.+)\.(?:in|eg)$/.exec(chain);
  return m ? `${m[1]}/${m[2]}` : chain.replace(/^pol\.|\.(in|eg)$/g, '');
}
