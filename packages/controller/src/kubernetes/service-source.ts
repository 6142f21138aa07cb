// Kubernetes mode's Service source: lists and watches every Service and EndpointSlice (with the same reflectors as
// the Nodes, trimmed on arrival) and emits the Service prefixes this node advertises (service-selection.ts) whenever
// they change — coalesced, never for a relist that changed nothing. The configured lists (BGPConfiguration
// serviceClusterIPs/serviceExternalIPs/serviceLoadBalancerIPs) come from the config source through setRanges().
// Not fatal: a failing call is reported once per resource and retried; the last prefixes stay advertised meanwhile.
import { EventEmitter } from 'node:events';
import type { KubeConfig } from '@kubernetes/client-node';
import { type Backoff, type Clock, ExponentialBackoff, systemClock } from './clock.js';
import type { KubernetesError } from './kubernetes-error.js';
import { type ListOptions, type ListResult, Reflector } from './reflector.js';
import type { KubeObject } from './resources.js';
import {
  type EndpointSliceObject,
  type RefusedAddress,
  type ServiceObject,
  type ServiceRanges,
  selectServicePrefixes,
  trimEndpointSlice,
  trimService,
} from './service-selection.js';
import { WatchClient } from './watch-client.js';

export const SERVICES_PATH = '/api/v1/services';
export const ENDPOINT_SLICES_PATH = '/apis/discovery.k8s.io/v1/endpointslices';

export interface ServiceSourceOptions {
  nodeName: string;
  kubeConfig: KubeConfig;
  clock?: Clock;
  backoff?: () => Backoff;
  watchTimeoutSeconds?: number;
  relistDelayMs?: number;
  random?: () => number;
  /** Runs the coalesced selection; default setImmediate (after the rest of the watch chunk is handled). */
  defer?: (fn: () => void) => void;
}

export interface ServiceSourceEvents {
  /** The advertised Service prefixes changed (sorted). */
  prefixes: [string[]];
  /** An address outside the configured lists (once per service and address). */
  refused: [RefusedAddress];
  error: [KubernetesError];
}

export class KubernetesServiceSource extends EventEmitter<ServiceSourceEvents> {
  readonly reflectors: { services: Reflector<ServiceObject>; slices: Reflector<EndpointSliceObject> };
  readonly stats = { selections: 0, emitted: 0 };
  private readonly watchClient: WatchClient;
  private readonly defer: (fn: () => void) => void;
  private ranges: ServiceRanges = { clusterIPs: [], externalIPs: [], loadBalancerIPs: [] };
  private last: string[] | undefined;
  private pending = false;
  private started = false;
  private readonly reported = new Map<string, string>();
  private reportedRefusals = new Set<string>();

  constructor(private readonly opts: ServiceSourceOptions) {
    super();
    const watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 300;
    const watch = new WatchClient(opts.kubeConfig, { idleTimeoutMs: (2 * watchTimeoutSeconds + 60) * 1000 });
    this.watchClient = watch;
    this.defer = opts.defer ?? ((fn) => void setImmediate(fn));
    const clock = opts.clock ?? systemClock;
    const make = <T extends KubeObject>(resource: string, path: string, trim: (item: T) => T) =>
      new Reflector<T>(
        {
          resource,
          path,
          list: (o: ListOptions) => watch.list<ListResult<T>>(path, { ...o }),
          trim,
          watch,
          clock,
          backoff: (opts.backoff ?? (() => new ExponentialBackoff()))(),
          watchTimeoutSeconds,
          ...(opts.relistDelayMs !== undefined ? { relistDelayMs: opts.relistDelayMs } : {}),
          ...(opts.random ? { random: opts.random } : {}),
        },
        {
          changed: () => this.schedule(),
          failed: (err) => {
            if (this.reported.get(resource) === err.code) return;
            this.reported.set(resource, err.code);
            if (this.listenerCount('error') > 0) this.emit('error', err);
          },
          recovered: () => {
            this.reported.delete(resource);
          },
        },
      );
    this.reflectors = {
      services: make<ServiceObject>('services', SERVICES_PATH, trimService),
      slices: make<EndpointSliceObject>('endpointslices', ENDPOINT_SLICES_PATH, trimEndpointSlice),
    };
  }

  /** Starts watching (idempotent). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const r of Object.values(this.reflectors)) r.start();
  }

  stop(): void {
    this.started = false;
    for (const r of Object.values(this.reflectors)) r.stop();
    this.watchClient.destroy();
  }

  get running(): boolean {
    return this.started;
  }

  /** Both resources listed at least once. */
  synced(): boolean {
    return this.reflectors.services.synced && this.reflectors.slices.synced;
  }

  /** The configured lists changed (from the BGPConfiguration). */
  setRanges(ranges: ServiceRanges | undefined): void {
    const next = ranges ?? { clusterIPs: [], externalIPs: [], loadBalancerIPs: [] };
    if (JSON.stringify(next) === JSON.stringify(this.ranges)) return;
    this.ranges = next;
    this.schedule();
  }

  /** The prefixes last emitted (undefined before the first selection). */
  current(): string[] | undefined {
    return this.last;
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    this.defer(() => {
      this.pending = false;
      this.select();
    });
  }

  private select(): void {
    // Only the per-Service addresses need the objects; the ClusterIP ranges are advertised as configured at once.
    if (!this.synced() && this.ranges.externalIPs.length + this.ranges.loadBalancerIPs.length > 0) return;
    this.stats.selections++;
    const s = selectServicePrefixes(
      this.ranges,
      this.reflectors.services.items.values(),
      this.reflectors.slices.items.values(),
      this.opts.nodeName,
    );
    const refusals = new Set<string>();
    for (const r of s.refused) {
      const k = `${r.service} ${r.address}`;
      refusals.add(k);
      if (!this.reportedRefusals.has(k) && this.listenerCount('refused') > 0) this.emit('refused', r);
    }
    this.reportedRefusals = refusals;
    if (this.last && this.last.join(' ') === s.prefixes.join(' ')) return;
    this.last = s.prefixes;
    this.stats.emitted++;
    this.emit('prefixes', [...s.prefixes]);
  }
}
