// List, then watch from the list's resourceVersion, for one resource: the local copy Kubernetes mode derives from.
// Modelled on client-go's reflector:
// - the first list asks for resourceVersion "0" (any state the watch cache has); a relist asks for state not older
//   than the last resourceVersion we saw (resourceVersionMatch=NotOlderThan), which the watch cache serves too. Only
//   when the server cannot serve that (410 Expired, or 504 ResourceVersionTooLarge) is the relist a quorum read from
//   etcd — after an apiserver restart, every agent of the cluster relists at once, and none of them reaches etcd;
// - each watch asks for a timeout drawn in [min, 2·min) (5–10 min by default), so agents started together do not
//   reconnect together for ever after; it asks for bookmarks, which move the resourceVersion on;
// - watch events update the copy and move the resourceVersion on (BOOKMARKs only move it on);
// - 410 Gone (HTTP status or an ERROR event) → relist at once and replace the copy wholesale: the consumer compares
//   the config it derives, so a relist that changed nothing changes nothing downstream;
// - a dropped watch → reopen it at once (routine: apiserver restarts, load balancers); if that fails too, or for a
//   refused connection, 429, 5xx, 403 → report once, retry after the backoff (jittered) or the server's Retry-After,
//   whichever is longer, and keep the copy as it is;
// - the client's idle timeout or a clean close by the server (its timeoutSeconds) → watch again from where we were.
import type { TimerHandle } from '@gannet/core';
import type { Backoff, Clock } from './clock.js';
import {
  classifyApiError,
  httpStatusOf,
  isResourceVersionUnavailable,
  KubernetesError,
  retryAfterMsOf,
} from './kubernetes-error.js';
import type { KubeObject } from './resources.js';
import type { WatchLike } from './watch-client.js';

export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

export interface ListOptions {
  resourceVersion?: string;
  resourceVersionMatch?: 'NotOlderThan' | 'Exact';
}

export interface ReflectorListener {
  /** The copy changed: after every (re)list, and after each ADDED/MODIFIED/DELETED event. */
  changed(via: 'list' | 'watch'): void;
  /** A call failed; the reflector retries by itself. */
  failed(err: KubernetesError): void;
  /** A list or watch succeeded again after failed(). */
  recovered(): void;
}

export interface ReflectorOptions<T> {
  /** Plural resource name, for messages ("nodes", "bgppeers"). */
  resource: string;
  /** Collection path, e.g. /api/v1/nodes or /apis/gannet.dev/v1/bgppeers. */
  path: string;
  /**
   * Lists the collection. `resourceVersion: '0'` (the first list) lets the API server answer from its watch cache
   * instead of etcd, as client-go's reflectors do: a DaemonSet rollout on a large cluster must not list etcd
   * once per node. A relist asks for `resourceVersion: <last>, resourceVersionMatch: NotOlderThan` (watch cache);
   * only when that is refused as unavailable does it ask for the most recent state (resourceVersion unset, etcd).
   */
  list: (opts: ListOptions) => Promise<ListResult<T>>;
  watch: WatchLike;
  clock: Clock;
  backoff: Backoff;
  /**
   * Server-side watch timeout in seconds; the server ends the stream after it and we resume from our
   * resourceVersion. With watchTimeoutJitter (the default) this is the minimum: each watch draws its timeout in
   * [watchTimeoutSeconds, 2·watchTimeoutSeconds), as client-go does with its 5-minute minimum.
   */
  watchTimeoutSeconds: number;
  /** Default true; false asks every watch for exactly watchTimeoutSeconds (the old behaviour, for benchmarks). */
  watchTimeoutJitter?: boolean;
  /**
   * Where a relist is served from: 'cache' (default: the watch cache, resourceVersion=<last> NotOlderThan) or
   * 'quorum' (the old behaviour, for benchmarks: a relist after 410 is a consistent read from etcd).
   */
  relistFrom?: 'cache' | 'quorum';
  /** A relist after 410 Gone waits a time drawn in [relistDelayMs, 2·relistDelayMs); default 800 (client-go's). */
  relistDelayMs?: number;
  /** Random source in [0, 1) for the watch timeouts and delays (tests); default Math.random. */
  random?: () => number;
  /**
   * Keeps only the fields the consumer reads (default: the whole object). A MODIFIED event whose trimmed object
   * equals the stored one (resourceVersion aside) does not call changed(): Node status heartbeats cost nothing.
   */
  trim?: (item: T) => T;
}

/** The key of an object in the copy: its name, or namespace/name for a namespaced one. */
export function keyOf(o: KubeObject): string | undefined {
  const m = o.metadata;
  if (!m?.name) return undefined;
  return m.namespace ? `${m.namespace}/${m.name}` : m.name;
}

/** The content of an object for change detection: its JSON without metadata.resourceVersion. */
function contentOf(o: KubeObject): string {
  const { resourceVersion: _rv, ...meta } = o.metadata ?? {};
  return JSON.stringify({ ...o, metadata: meta });
}

interface StatusObject {
  kind?: string;
  code?: number;
  message?: string;
}

export class Reflector<T extends KubeObject> {
  /** The copy, by name (namespace/name for namespaced objects). */
  readonly items = new Map<string, T>();
  synced = false;
  resourceVersion = '';
  /** Counters for tests and metrics. */
  readonly stats = { lists: 0, quorumLists: 0, watches: 0, relistsAfterGone: 0, failures: 0, bookmarks: 0 };
  /** The last list's resourceVersion could not be served (410, or too large): the next list is a quorum read. */
  private resourceVersionUnavailable = false;
  private stopped = true;
  private generation = 0;
  private failing = false;
  /** A dropped watch is reopened at once, quietly, once; a second drop in a row goes through backoff. */
  private quietRetryUsed = false;
  private abort: AbortController | undefined;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly opts: ReflectorOptions<T>,
    private readonly listener: ReflectorListener,
  ) {}

  private trim(item: T): T {
    // The copy is structured-cloned: V8 makes the strings JSON.parse returns slices of the text parsed, so a kept uid
    // would keep the whole list response (20 MB for 5,000 Nodes) or event line alive.
    return this.opts.trim ? structuredClone(this.opts.trim(item)) : item;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.relist();
  }

  stop(): void {
    this.stopped = true;
    this.generation++;
    if (this.timer !== undefined) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.abort?.abort();
    this.abort = undefined;
  }

  private later(fn: () => void, ms: number): void {
    const gen = this.generation;
    this.timer = this.opts.clock.setTimeout(() => {
      this.timer = undefined;
      if (gen === this.generation && !this.stopped) fn();
    }, ms);
  }

  /**
   * The delay before retrying after `err`: the backoff's (jittered), or the server's Retry-After if longer — spread
   * over [Retry-After, 1.25 × Retry-After), so the agents an overloaded server turned away together do not all
   * come back in the same second.
   */
  private retryDelay(err: unknown): number {
    const ra = retryAfterMsOf(err);
    const spread = ra === undefined ? 0 : Math.floor(ra * (1 + 0.25 * (this.opts.random ?? Math.random)()));
    return Math.max(this.opts.backoff.next(), spread);
  }

  /** What the next list asks for (see ReflectorOptions.list). */
  private listOptions(): ListOptions {
    if (!this.synced) return { resourceVersion: '0' };
    if (this.opts.relistFrom === 'quorum' || this.resourceVersionUnavailable || !this.resourceVersion) return {};
    return { resourceVersion: this.resourceVersion, resourceVersionMatch: 'NotOlderThan' };
  }

  private watchTimeout(): number {
    const min = this.opts.watchTimeoutSeconds;
    if (this.opts.watchTimeoutJitter === false) return min;
    return Math.floor(min * (1 + (this.opts.random ?? Math.random)()));
  }

  private fail(what: string, err: unknown): void {
    this.stats.failures++;
    this.failing = true;
    const call = `${what} ${this.opts.resource}`;
    this.listener.failed(
      httpStatusOf(err) === 404 && this.opts.path.startsWith('/apis/')
        ? new KubernetesError(
            'ERR_GANNET_K8S_API',
            `${call}: not found (HTTP 404); is the CustomResourceDefinition installed? (kubectl apply -k deploy/)`,
            { cause: err },
          )
        : classifyApiError(call, err),
    );
  }

  private ok(): void {
    if (!this.failing) return;
    this.failing = false;
    this.listener.recovered();
  }

  private async relist(): Promise<void> {
    const gen = ++this.generation;
    this.stats.lists++;
    let result: ListResult<T>;
    const params = this.listOptions();
    if (params.resourceVersion === undefined) this.stats.quorumLists++;
    try {
      result = await this.opts.list(params);
    } catch (err) {
      if (gen !== this.generation || this.stopped) return;
      if (params.resourceVersion && params.resourceVersion !== '0' && isResourceVersionUnavailable(err)) {
        this.resourceVersionUnavailable = true; // as client-go: fall back to a consistent read, at once
        void this.relist();
        return;
      }
      this.fail('list', err);
      this.later(() => void this.relist(), this.retryDelay(err));
      return;
    }
    if (gen !== this.generation || this.stopped) return;
    this.resourceVersionUnavailable = false;
    this.items.clear();
    for (const item of result.items ?? []) {
      const name = keyOf(item);
      if (name) this.items.set(name, this.trim(item));
    }
    this.resourceVersion = result.metadata?.resourceVersion ?? '';
    this.synced = true;
    this.opts.backoff.reset();
    this.ok();
    this.listener.changed('list');
    void this.watch();
  }

  private async watch(): Promise<void> {
    const gen = ++this.generation;
    this.stats.watches++;
    let gone = false;
    let errorEvent: StatusObject | undefined;
    let events = 0;
    let connected = false;
    const openedAt = this.opts.clock.now();
    const params = {
      allowWatchBookmarks: true,
      resourceVersion: this.resourceVersion,
      timeoutSeconds: this.watchTimeout(),
    };
    const onEvent = (type: string, obj: unknown): void => {
      if (gen !== this.generation) return;
      const o = obj as T & StatusObject;
      if (type === 'ERROR') {
        if (o?.code === 410) gone = true;
        else errorEvent = o;
        this.abort?.abort();
        return;
      }
      events++;
      const name = o ? keyOf(o) : undefined;
      const rv = o?.metadata?.resourceVersion;
      if (rv) this.resourceVersion = rv;
      if (events === 1) {
        this.opts.backoff.reset();
        this.quietRetryUsed = false;
        this.ok();
      }
      if (type === 'BOOKMARK') this.stats.bookmarks++;
      if (type === 'BOOKMARK' || !name) return;
      if (type === 'DELETED') {
        if (!this.items.delete(name)) return;
      } else if (type === 'ADDED' || type === 'MODIFIED') {
        const item = this.trim(o);
        const old = this.items.get(name);
        this.items.set(name, item);
        if (old && contentOf(old) === contentOf(item)) return;
      } else return;
      this.listener.changed('watch');
    };
    const onDone = (err: unknown): void => {
      if (gen !== this.generation || this.stopped) return;
      this.generation++;
      this.abort = undefined;
      if (gone || httpStatusOf(err) === 410) {
        this.stats.relistsAfterGone++;
        // as client-go's backoff manager between two ListAndWatch runs: after an API server restart every agent
        // gets its 410 in the same instant, and their relists arrive spread over a second instead of together
        const base = this.opts.relistDelayMs ?? 800;
        if (base > 0)
          this.later(() => void this.relist(), Math.floor(base * (1 + (this.opts.random ?? Math.random)())));
        else void this.relist();
      } else if (errorEvent) {
        const status = Object.assign(new Error(errorEvent.message ?? 'watch ERROR event'), { code: errorEvent.code });
        this.fail('watch', status);
        this.later(() => void this.watch(), this.retryDelay(status));
      } else if (err && (err as Error).name === 'TimeoutError') {
        void this.watch(); // the client's idle timeout: the stream went quiet, not wrong
      } else if (err && connected && (!this.quietRetryUsed || this.opts.clock.now() - openedAt >= 10_000)) {
        this.quietRetryUsed = true;
        void this.watch(); // dropped mid-stream: reopen from our resourceVersion before calling it a failure
      } else if (err) {
        this.fail('watch', err);
        this.later(() => void this.watch(), this.retryDelay(err));
      } else if (events > 0 || this.opts.clock.now() - openedAt >= 10_000) {
        // the server ended the stream after its timeoutSeconds: reopen at once (a quiet resource too, as long as
        // the stream had lasted; only a server closing at once goes through backoff, so it cannot spin us)
        this.opts.backoff.reset();
        void this.watch();
      } else {
        this.later(() => void this.watch(), this.opts.backoff.next());
      }
    };
    let ctrl: AbortController;
    try {
      ctrl = await this.opts.watch.watch(this.opts.path, params, onEvent, onDone);
    } catch (err) {
      // thrown before any request (no current cluster, credentials that cannot be read): retry like a failure
      if (gen !== this.generation || this.stopped) return;
      this.generation++;
      this.fail('watch', err);
      this.later(() => void this.watch(), this.retryDelay(err));
      return;
    }
    if (gen === this.generation && !this.stopped) {
      this.abort = ctrl;
      connected = true;
      this.ok(); // connected (the stream answered 200)
    } else {
      ctrl.abort(); // stopped (or superseded) while connecting: do not leave the stream open
    }
  }
}
