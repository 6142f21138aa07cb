// Writes this node's BGP status to its GannetNodeStatus (cluster-scoped, named after the node, owned by the Node),
// so `kubectl get gns` shows session state per node.
// - Server-side apply (PATCH application/apply-patch+yaml, fieldManager `gannet`, force): one request per write,
//   no read first, no resourceVersion to hold, and only the fields we apply are ours — labels and annotations other
//   tools put on the object stay (a PUT would wipe them).
// - The owner reference carries the Node's uid as it is at each write (a Node deleted and registered again has a new
//   uid; a fixed one would have the garbage collector delete every status we write, for ever).
// - update() only records the latest status; a write goes out when something other than uptimes changed, at most
//   once per minIntervalMs, and an unchanged status is refreshed every heartbeatMs (updatedAt shows it is alive).
// - Session lists are bounded: above maxSessions sessions, `sessions` lists only those not Established (up to
//   maxSessions) and `sessionCounts` counts every state, so no object nears etcd's 1.5 MiB request limit.
import { EventEmitter } from 'node:events';
import type { TimerHandle } from '@gannet/core';
import { CustomObjectsApi, type KubeConfig, PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { PeerView } from '../api/server.js';
import { type Backoff, type Clock, ExponentialBackoff, systemClock } from './clock.js';
import { classifyApiError, KubernetesError, retryAfterMsOf } from './kubernetes-error.js';
import { GANNET_GROUP, GANNET_VERSION, NODE_STATUSES } from './resources.js';

/** One session, as GET /api/v1/peers of the status API reports it (extra fields are ignored). */
export type SessionStatus = PeerView;

/** NetworkPolicy enforcement on this node (status.policy), when the agent enforces policy. */
export interface NodePolicyReport {
  /** The ruleset in the kernel matches the current input (false: never applied, or the last apply failed). */
  applied: boolean;
  policies: number;
  /** Local pods at least one NetworkPolicy selects. */
  selectedPods: number;
  rules: number;
  /** Duration of the last successful apply (compile + nft). */
  lastApplyMs: number | null;
  /** Failed applies since the agent started. */
  applyErrors: number;
  lastError: string | null;
  /** NetworkPolicies the compiler refused, with the object and field (see docs/kubernetes.md). */
  rejected: readonly { policy: string; message: string; keptLastGood: boolean }[];
}

export interface NodeStatusReport {
  sessions: readonly SessionStatus[];
  policy?: NodePolicyReport;
  /** The prefixes this node originates/advertises. */
  advertisedPrefixes: readonly string[];
  asn?: number;
  routerId?: string;
}

export interface NodeStatusWriterOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  /**
   * The Node's uid, for the owner reference (the status then goes when the Node goes). A function is asked at each
   * write (KubernetesSource.nodeUid reads the watched copy); while it answers undefined (our Node is not listed, or
   * was deleted) nothing is written. A string is used as is (a Node that is never re-registered).
   */
  nodeUid?: string | (() => string | undefined);
  clock?: Clock;
  /** Wall-clock milliseconds for updatedAt (default Date.now; the clock is monotonic, not a date). */
  wallClock?: () => number;
  backoff?: Backoff;
  /** At most one write per this many ms (default 10000). */
  minIntervalMs?: number;
  /** Rewrite an unchanged status (fresh uptimes and updatedAt) after this many ms (default 300000). */
  heartbeatMs?: number;
  /** Above this many sessions, list only those not Established, up to this many (default 100). */
  maxSessions?: number;
  /** At most this many refused NetworkPolicies are listed (status.policy.rejected; default 20); all are counted. */
  maxRejected?: number;
  /** @deprecated server-side apply with force has no conflicts to retry; accepted and ignored. */
  maxConflictRetries?: number;
}

export interface NodeStatusWriterEvents {
  written: [Record<string, unknown>];
  error: [KubernetesError];
}

/** The field manager our applies are recorded under. */
export const FIELD_MANAGER = 'gannet';

type Session = ReturnType<typeof renderSession>;

function renderPolicy(p: NodePolicyReport, maxRejected: number) {
  const clip = (t: string) => (t.length > 1024 ? `${t.slice(0, 1021)}...` : t);
  return {
    applied: p.applied,
    policies: p.policies,
    selectedPods: p.selectedPods,
    rules: p.rules,
    ...(p.lastApplyMs !== null ? { lastApplyMs: Math.round(p.lastApplyMs) } : {}),
    applyErrors: p.applyErrors,
    ...(p.lastError ? { lastError: clip(p.lastError) } : {}),
    rejectedCount: p.rejected.length,
    rejected: [...p.rejected]
      .sort((a, b) => (a.policy < b.policy ? -1 : a.policy > b.policy ? 1 : 0))
      .slice(0, maxRejected)
      .map((r) => ({ policy: r.policy, message: clip(r.message), keptLastGood: r.keptLastGood })),
  };
}

function renderSession(s: SessionStatus) {
  return {
    address: s.address,
    asn: s.asn,
    state: s.state,
    uptimeSeconds: Math.max(0, Math.floor(s.uptimeSeconds)),
    lastError: s.lastError ?? null,
    prefixesReceived: s.prefixesReceived,
    prefixesAccepted: s.prefixesAccepted,
    prefixesAdvertised: s.prefixesAdvertised,
    ...(s.bfd ? { bfd: { state: s.bfd.state, localDiag: s.bfd.localDiag, downs: s.bfd.downs } } : {}),
  };
}

export class NodeStatusWriter extends EventEmitter<NodeStatusWriterEvents> {
  /** Counters for tests and metrics. `conflicts` stays 0 (kept for compatibility). */
  readonly stats = { writes: 0, conflicts: 0, failures: 0, skipped: 0, waitingForNode: 0 };
  private readonly api: CustomObjectsApi;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly minIntervalMs: number;
  private readonly heartbeatMs: number;
  private readonly maxSessions: number;
  private readonly maxRejected: number;
  private pending: NodeStatusReport | undefined;
  private lastKey = '';
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private timer: TimerHandle | undefined;
  private timerAt = 0;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: NodeStatusWriterOptions) {
    super();
    if (!opts.nodeName) throw new KubernetesError('ERR_GANNET_K8S_CONFIG', 'NodeStatusWriter needs a node name');
    this.api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.clock = opts.clock ?? systemClock;
    this.backoff = opts.backoff ?? new ExponentialBackoff();
    this.minIntervalMs = opts.minIntervalMs ?? 10_000;
    this.heartbeatMs = opts.heartbeatMs ?? 300_000;
    this.maxSessions = opts.maxSessions ?? 100;
    this.maxRejected = opts.maxRejected ?? 20;
  }

  /** Records the latest status; it is written when the rate limit allows. */
  update(report: NodeStatusReport): void {
    if (this.stopped) return;
    this.pending = report;
    this.schedule(Math.max(0, this.lastWriteAt + this.minIntervalMs - this.clock.now()));
  }

  /** Writes the pending status now (rate limit aside), e.g. on shutdown. Resolves when written or failed. */
  async flush(): Promise<void> {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.inFlight;
    await this.run(true);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs a write attempt after delayMs, or sooner if one is already due sooner (a heartbeat timer is moved up). */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = this.clock.now() + delayMs;
    if (this.timer !== undefined) {
      if (this.timerAt <= at) return;
      this.clock.clearTimeout(this.timer);
    }
    this.timerAt = at;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run(false);
    }, delayMs);
  }

  private nodeUid(): string | undefined | null {
    const u = this.opts.nodeUid;
    if (u === undefined) return null; // no owner reference wanted
    return typeof u === 'function' ? u() : u;
  }

  private async run(force: boolean): Promise<void> {
    while (this.inFlight) await this.inFlight; // one write at a time; the newest report goes next
    if (!force) {
      const wait = this.lastWriteAt + this.minIntervalMs - this.clock.now();
      if (wait > 0) {
        this.schedule(wait);
        return;
      }
    }
    const report = this.pending;
    if (!report) return;
    const uid = this.nodeUid();
    if (uid === undefined) {
      // our Node is not known (yet, or any more): a status owned by nothing would outlive it; try again later
      this.stats.waitingForNode++;
      this.schedule(this.minIntervalMs);
      return;
    }
    const status = this.render(report);
    const { updatedAt: _u, summary: _s, sessions, policy, ...rest } = status;
    // like uptimes, the last apply's duration alone is no reason to write (the heartbeat refreshes it)
    const { lastApplyMs: _ms, ...policyKey } = (policy ?? {}) as Record<string, unknown>;
    const key = JSON.stringify({
      uid,
      ...rest,
      policy: policyKey,
      sessions: (sessions as Session[]).map(({ uptimeSeconds: _t, ...s }) => s),
    });
    const now = this.clock.now();
    if (!force && key === this.lastKey && now - this.lastWriteAt < this.heartbeatMs) {
      this.stats.skipped++;
      // keep the report: the heartbeat writes it when it is due
      this.schedule(this.lastWriteAt + this.heartbeatMs - now);
      return;
    }
    this.pending = undefined;
    this.inFlight = this.write(status, uid).then(
      (written) => {
        this.lastKey = key;
        this.lastWriteAt = this.clock.now();
        this.stats.writes++;
        this.backoff.reset();
        this.failing = false;
        this.emit('written', written);
      },
      (err: unknown) => {
        this.stats.failures++;
        this.pending ??= report; // keep the newest report; retry after backoff (or Retry-After, if longer)
        const e = classifyApiError(`apply ${NODE_STATUSES}/${this.opts.nodeName}`, err);
        if (!this.failing && this.listenerCount('error') > 0) this.emit('error', e);
        this.failing = true;
        this.schedule(Math.max(this.backoff.next(), retryAfterMsOf(err) ?? 0));
      },
    );
    await this.inFlight;
    this.inFlight = undefined;
  }

  private render(r: NodeStatusReport): Record<string, unknown> {
    const all = [...r.sessions]
      .map(renderSession)
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    const counts: Record<string, number> = {};
    for (const s of all) counts[s.state] = (counts[s.state] ?? 0) + 1;
    const established = counts.Established ?? 0;
    const bounded = all.length > this.maxSessions;
    const sessions = bounded ? all.filter((s) => s.state !== 'Established').slice(0, this.maxSessions) : all;
    const firstError = all.find((s) => s.lastError);
    const summary = bounded
      ? Object.entries(counts)
          .sort()
          .map(([state, n]) => `${state}=${n}`)
          .join(' ')
      : all
          .map(
            (s) =>
              `${s.address}=${s.state}${s.state === 'Established' ? `(${formatUptime(s.uptimeSeconds)},${s.prefixesAccepted}pfx)` : ''}`,
          )
          .join(' ')
          .slice(0, 4096);
    return {
      node: this.opts.nodeName,
      ...(r.asn !== undefined ? { asn: r.asn } : {}),
      ...(r.routerId !== undefined ? { routerId: r.routerId } : {}),
      sessionsEstablished: established,
      sessionsTotal: all.length,
      prefixesAccepted: all.reduce((n, s) => n + s.prefixesAccepted, 0),
      advertisedCount: r.advertisedPrefixes.length,
      summary,
      ...(firstError ? { lastError: `${firstError.address}: ${firstError.lastError}`.slice(0, 1024) } : {}),
      ...(bounded ? { sessionCounts: counts, sessionsOmitted: all.length - sessions.length } : {}),
      sessions,
      advertisedPrefixes: [...r.advertisedPrefixes].sort(),
      ...(r.policy ? { policy: renderPolicy(r.policy, this.maxRejected) } : {}),
      updatedAt: new Date((this.opts.wallClock ?? Date.now)()).toISOString(),
    };
  }

  /** One server-side apply of the whole object we own; returns the stored object. */
  private async write(status: Record<string, unknown>, uid: string | null): Promise<Record<string, unknown>> {
    const name = this.opts.nodeName;
    const metadata: Record<string, unknown> = { name, labels: { 'app.kubernetes.io/part-of': 'gannet' } };
    if (uid) metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name, uid }];
    const body = { apiVersion: `${GANNET_GROUP}/${GANNET_VERSION}`, kind: 'GannetNodeStatus', metadata, status };
    return (await this.api.patchClusterCustomObject(
      {
        group: GANNET_GROUP,
        version: GANNET_VERSION,
        plural: NODE_STATUSES,
        name,
        body,
        fieldManager: FIELD_MANAGER,
        force: true,
      },
      setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply),
    )) as Record<string, unknown>;
  }
}

function formatUptime(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
