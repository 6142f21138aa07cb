// Writes this node's BGP status to its GannetNodeStatus (cluster-scoped, named after the node, owned by the Node),
// so `kubectl get gns` shows session state per node. update() only records the latest status; writes go out at most
// once per minIntervalMs, and only when something other than uptimes changed or heartbeatMs passed. Create when
// missing, replace with the resourceVersion we hold, and on 409 Conflict fetch the current object and retry.
import { EventEmitter } from 'node:events';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { PeerView } from '../api/server.js';
import { type Backoff, type Clock, ExponentialBackoff, systemClock } from './clock.js';
import { classifyApiError, httpStatusOf, KubernetesError } from './kubernetes-error.js';
import { GANNET_GROUP, GANNET_VERSION, NODE_STATUSES } from './resources.js';

/** One session, as GET /api/v1/peers of the status API reports it (extra fields are ignored). */
export type SessionStatus = PeerView;

export interface NodeStatusReport {
  sessions: readonly SessionStatus[];
  /** The prefixes this node originates/advertises. */
  advertisedPrefixes: readonly string[];
  asn?: number;
  routerId?: string;
}

export interface NodeStatusWriterOptions {
  kubeConfig: KubeConfig;
  nodeName: string;
  /** The Node's uid: the status object is then owned by the Node and garbage-collected with it. */
  nodeUid?: string;
  clock?: Clock;
  backoff?: Backoff;
  /** At most one write per this many ms (default 5000). */
  minIntervalMs?: number;
  /** Rewrite an unchanged status (fresh uptimes and updatedAt) after this many ms (default 60000). */
  heartbeatMs?: number;
  /** Attempts per write when the object changed under us (409), default 5. */
  maxConflictRetries?: number;
}

export interface NodeStatusWriterEvents {
  written: [Record<string, unknown>];
  error: [KubernetesError];
}

type Body = Record<string, unknown> & { metadata?: { resourceVersion?: string } };

export class NodeStatusWriter extends EventEmitter<NodeStatusWriterEvents> {
  /** Counters for tests and metrics. */
  readonly stats = { writes: 0, conflicts: 0, failures: 0, skipped: 0 };
  private readonly api: CustomObjectsApi;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly minIntervalMs: number;
  private readonly heartbeatMs: number;
  private readonly maxConflictRetries: number;
  private pending: NodeStatusReport | undefined;
  private lastKey = '';
  private lastWriteAt = Number.NEGATIVE_INFINITY;
  private resourceVersion: string | undefined;
  private timer: unknown;
  private inFlight: Promise<void> | undefined;
  private failing = false;
  private stopped = false;

  constructor(private readonly opts: NodeStatusWriterOptions) {
    super();
    if (!opts.nodeName) throw new KubernetesError('ERR_GANNET_K8S_CONFIG', 'NodeStatusWriter needs a node name');
    this.api = opts.kubeConfig.makeApiClient(CustomObjectsApi);
    this.clock = opts.clock ?? systemClock;
    this.backoff = opts.backoff ?? new ExponentialBackoff();
    this.minIntervalMs = opts.minIntervalMs ?? 5000;
    this.heartbeatMs = opts.heartbeatMs ?? 60_000;
    this.maxConflictRetries = opts.maxConflictRetries ?? 5;
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

  private schedule(delayMs: number): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.run(false);
    }, delayMs);
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
    const status = this.render(report);
    const { updatedAt: _u, summary: _s, sessions, ...rest } = status;
    const key = JSON.stringify({
      ...rest,
      sessions: (sessions as SessionStatus[]).map(({ uptimeSeconds: _t, ...s }) => s),
    });
    const now = this.clock.now();
    if (!force && key === this.lastKey && now - this.lastWriteAt < this.heartbeatMs) {
      this.stats.skipped++;
      this.pending = undefined;
      return;
    }
    this.pending = undefined;
    this.inFlight = this.write(status).then(
      (written) => {
        this.lastKey = key;
        this.lastWriteAt = this.clock.now();
        this.stats.writes++;
        this.backoff.reset();
        this.failing = false;
        this.emit('written', written);
      },
      (err: KubernetesError) => {
        this.stats.failures++;
        this.pending ??= report; // keep the newest report; retry after backoff
        if (!this.failing && this.listenerCount('error') > 0) this.emit('error', err);
        this.failing = true;
        this.schedule(this.backoff.next());
      },
    );
    await this.inFlight;
    this.inFlight = undefined;
  }

  private render(r: NodeStatusReport): Record<string, unknown> {
    const sessions = [...r.sessions]
      .map((s) => ({
        address: s.address,
        asn: s.asn,
        state: s.state,
        uptimeSeconds: Math.max(0, Math.floor(s.uptimeSeconds)),
        lastError: s.lastError ?? null,
        prefixesReceived: s.prefixesReceived,
        prefixesAccepted: s.prefixesAccepted,
        prefixesAdvertised: s.prefixesAdvertised,
      }))
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    const established = sessions.filter((s) => s.state === 'Established').length;
    const lastError = sessions.find((s) => s.lastError)?.lastError;
    const status: Record<string, unknown> = {
      node: this.opts.nodeName,
      ...(r.asn !== undefined ? { asn: r.asn } : {}),
      ...(r.routerId !== undefined ? { routerId: r.routerId } : {}),
      sessionsEstablished: established,
      sessionsTotal: sessions.length,
      prefixesAccepted: sessions.reduce((n, s) => n + s.prefixesAccepted, 0),
      advertisedCount: r.advertisedPrefixes.length,
      summary: sessions
        .map(
          (s) =>
            `${s.address}=${s.state}${s.state === 'Established' ? `(${formatUptime(s.uptimeSeconds)},${s.prefixesAccepted}pfx)` : ''}`,
        )
        .join(' ')
        .slice(0, 4096),
      ...(lastError ? { lastError: `${sessions.find((s) => s.lastError)?.address}: ${lastError}`.slice(0, 1024) } : {}),
      sessions,
      advertisedPrefixes: [...r.advertisedPrefixes].sort(),
      updatedAt: new Date(this.clock.now()).toISOString(),
    };
    return status;
  }

  private body(status: Record<string, unknown>, resourceVersion?: string): Body {
    const metadata: Record<string, unknown> = {
      name: this.opts.nodeName,
      labels: { 'app.kubernetes.io/part-of': 'gannet' },
    };
    if (resourceVersion) metadata.resourceVersion = resourceVersion;
    if (this.opts.nodeUid) {
      metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'Node', name: this.opts.nodeName, uid: this.opts.nodeUid }];
    }
    return { apiVersion: `${GANNET_GROUP}/${GANNET_VERSION}`, kind: 'GannetNodeStatus', metadata, status };
  }

  /** get (once, or after a conflict) → create or replace; returns the stored object. */
  private async write(status: Record<string, unknown>): Promise<Record<string, unknown>> {
    const ref = { group: GANNET_GROUP, version: GANNET_VERSION, plural: NODE_STATUSES };
    const name = this.opts.nodeName;
    const what = `write ${NODE_STATUSES}/${name}`;
    for (let attempt = 0; attempt <= this.maxConflictRetries; attempt++) {
      try {
        if (this.resourceVersion === undefined) {
          try {
            const current = (await this.api.getClusterCustomObject({ ...ref, name })) as Body;
            this.resourceVersion = current.metadata?.resourceVersion ?? '';
          } catch (err) {
            if (httpStatusOf(err) !== 404) throw err;
            this.resourceVersion = '';
          }
        }
        const stored = (
          this.resourceVersion === ''
            ? await this.api.createClusterCustomObject({ ...ref, body: this.body(status) })
            : await this.api.replaceClusterCustomObject({ ...ref, name, body: this.body(status, this.resourceVersion) })
        ) as Body;
        this.resourceVersion = stored.metadata?.resourceVersion;
        return stored;
      } catch (err) {
        this.resourceVersion = undefined; // refetch before the next attempt
        const code = httpStatusOf(err);
        if (code === 409 || code === 404) {
          this.stats.conflicts++;
          continue; // changed or created or deleted under us: read it again
        }
        throw classifyApiError(what, err);
      }
    }
    throw new KubernetesError(
      'ERR_GANNET_K8S_STATUS_WRITE',
      `${what}: still conflicting after ${this.maxConflictRetries + 1} attempts; retrying later`,
    );
  }
}

function formatUptime(s: number): string {
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}
