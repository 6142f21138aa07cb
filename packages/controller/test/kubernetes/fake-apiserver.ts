// An in-process Kubernetes API server for the resources Kubernetes mode uses, behaving like kube-apiserver where
// Gannet depends on it:
// - HTTP or HTTPS (a serving certificate signed by a test CA), bearer tokens checked (401), tokens rotated;
// - one cluster-wide resourceVersion counter (like etcd's revision); lists honour resourceVersion and
//   resourceVersionMatch (unset: a quorum read; "0" or NotOlderThan: the watch cache; Exact: a snapshot; a
//   resourceVersion newer than the server's: 504 ResourceVersionTooLarge; older than the compaction: 410);
// - watches: a chunked stream of JSON lines (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), events after the requested
//   resourceVersion, synthetic ADDED without one, 410 Gone for a compacted one (ERROR event or HTTP 410),
//   timeoutSeconds (ended on the server's clock, with a last BOOKMARK), bookmarks for allowWatchBookmarks only;
// - writes: create, replace with optimistic concurrency (409), merge patch, server-side apply (fake-ssa.ts), the
//   status subresource, CRD pruning and validation (fake-crd.ts), owner-reference garbage collection;
// - faults: 403 per verb, one-off failures with Retry-After (429, 500, 504), outage/restore, restart (connections
//   cut and a fresh watch cache), dropped or ended watches. Counters of requests, bytes and quorum reads.
import { createServer as createHttp, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttps } from 'node:https';
import type { Socket } from 'node:net';
import type { TimerHandle } from '@gannet/core';
import { parse as parseYaml } from 'yaml';
import type { Clock } from '../../src/kubernetes/clock.js';
import { type ApiCall, apiVersion, type Obj, type ResourceDef, statusOf } from './fake-api-objects.js';
import { FakeStore } from './fake-store.js';

export type { ApiCall, ResourceDef } from './fake-api-objects.js';

interface Watcher {
  plural: string;
  bookmarks: boolean;
  res: ServerResponse;
  timer?: TimerHandle;
}

/** Every call any FakeApiServer of this process answered: the RBAC test checks them all against the ClusterRole. */
export const ALL_CALLS: ApiCall[] = [];

export const CORE_NODES: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'nodes',
  kind: 'Node',
  statusSubresource: true,
};

/** Namespaced resources are served cluster-wide only (/api/v1/pods: every namespace), as the agent reads them. */
export const CORE_PODS: ResourceDef = {
  group: '',
  version: 'v1',
  plural: 'pods',
  kind: 'Pod',
  statusSubresource: true,
};
/** Secrets: read one by one (GET /api/v1/namespaces/{ns}/secrets/{name}), as the agent reads BGPPeer passwords. */
export const CORE_SECRETS: ResourceDef = { group: '', version: 'v1', plural: 'secrets', kind: 'Secret' };
export const CORE_NAMESPACES: ResourceDef = { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace' };
export const NETWORK_POLICIES: ResourceDef = {
  group: 'networking.k8s.io',
  version: 'v1',
  plural: 'networkpolicies',
  kind: 'NetworkPolicy',
};

export interface FakeApiServerOptions {
  /** Whether calls go to ALL_CALLS (the RBAC audit); off for tests of this server itself, which call anything. */
  audit?: boolean;
  /** Serve HTTPS with this certificate and key (PEM) instead of plain HTTP. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Bearer tokens accepted; unset: no authentication. */
  tokens?: string[];
  /** The clock watch timeouts run on; default real time. */
  clock?: Clock;
  /** Owner-reference garbage collection (default on). */
  gc?: boolean;
}

const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class FakeApiServer extends FakeStore {
  readonly calls: ApiCall[] = [];
  /** How a too-old resourceVersion on a watch is answered: an ERROR event (kube-apiserver today) or HTTP 410. */
  expiredAs: 'event' | 'status' = 'event';
  /** Load figures: requests answered, response bytes written, lists served by etcd / by the watch cache. */
  readonly load = { requests: 0, bytes: 0, quorumLists: 0, quorumBytes: 0, cacheLists: 0, watches: 0 };
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly forbidden = new Set<string>();
  private readonly injected: { verb: string; plural: string; status: number; retryAfter?: number; details?: Obj }[] =
    [];
  private tokens: Set<string> | undefined;
  private server: Server;
  private readonly clock: Clock;
  port = 0;

  private constructor(private readonly options: FakeApiServerOptions) {
    super(options.gc ?? true);
    this.clock = options.clock ?? realClock;
    this.tokens = options.tokens ? new Set(options.tokens) : undefined;
    this.server = this.makeServer();
  }

  static async start(defs: ResourceDef[], opts: FakeApiServerOptions = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer(opts);
    for (const d of defs) s.define(d);
    await s.listen(0);
    return s;
  }

  get url(): string {
    return `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  /** Open watch streams, optionally of one resource. */
  watchCount(plural?: string): number {
    return [...this.watchers].filter((w) => !plural || w.plural === plural).length;
  }

  // --- the test's hands on the cluster ---------------------------------------------------------------------

  /** From now on only these bearer tokens are accepted (a rotation; the old one expiring). */
  acceptTokens(tokens: string[]): void {
    this.tokens = new Set(tokens);
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) this.sendBookmark(w);
  }

  /** Cuts every watch stream mid-flight (as a load balancer or a crashing apiserver would). */
  dropWatches(): void {
    for (const w of this.watchers) {
      if (w.timer) this.clock.clearTimeout(w.timer);
      w.res.socket?.destroy();
    }
    this.watchers.clear();
  }

  /** Sends an ERROR event carrying a Status with `code` to every watch, and ends the streams (as on an etcd error). */
  errorWatches(code: number): void {
    for (const w of this.watchers) {
      this.send(w, 'ERROR', statusOf(code, 'InternalError', `injected ${code}`));
      this.endWatch(w);
    }
  }

  /** Ends every watch stream cleanly (as the server does after the watch's timeoutSeconds). */
  endWatches(): void {
    for (const w of this.watchers) this.endWatch(w);
  }

  /** 403 for a verb on a resource until allow(). */
  forbid(verb: ApiCall['verb'], plural: string): void {
    this.forbidden.add(`${verb} ${plural}`);
  }

  allow(verb: ApiCall['verb'], plural: string): void {
    this.forbidden.delete(`${verb} ${plural}`);
  }

  /** The next `verb` on `plural` fails with `status` (409, 429, 500, 504…), once; with Retry-After if given. */
  failNext(
    verb: ApiCall['verb'],
    plural: string,
    status: number,
    opts: { retryAfter?: number; details?: Obj } = {},
  ): void {
    this.injected.push({ verb, plural, status, ...opts });
  }

  /** The API server goes away: the port refuses connections and every open connection is reset. */
  async outage(): Promise<void> {
    this.dropWatches();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Back on the same port, with the same objects and history. */
  async restore(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  /**
   * A kube-apiserver restart: every connection is cut, and the new process's watch cache starts at the current
   * revision, so a watch from an older resourceVersion gets 410 Gone. etcd (the store) keeps everything.
   */
  restart(): void {
    this.dropWatches();
    for (const s of this.sockets) s.destroy();
    this.compact();
  }

  async close(): Promise<void> {
    this.dropWatches();
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }

  // --- protocol ----------------------------------------------------------------------------------------------

  protected override published(plural: string, type: string, object: Obj): void {
    for (const w of this.watchers) if (w.plural === plural) this.send(w, type, object);
  }

  private makeServer(): Server {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => this.handle(req, res, body));
    };
    const server = this.options.tls ? createHttps(this.options.tls, onRequest) : createHttp(onRequest);
    server.on(this.options.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.port = (this.server.address() as { port: number }).port;
        resolve();
      });
    });
  }

  private write(res: ServerResponse, text: string): void {
    this.load.bytes += Buffer.byteLength(text);
    res.write(text);
  }

  private send(w: Watcher, type: string, object: Obj): void {
    this.write(w.res, `${JSON.stringify({ type, object })}\n`);
  }

  private sendBookmark(w: Watcher): void {
    if (!w.bookmarks) return;
    const def = this.def(w.plural);
    this.send(w, 'BOOKMARK', {
      kind: def.kind,
      apiVersion: apiVersion(def),
      metadata: { resourceVersion: String(this.resourceVersion) },
    });
  }

  private endWatch(w: Watcher): void {
    if (w.timer) this.clock.clearTimeout(w.timer);
    this.watchers.delete(w);
    w.res.end();
  }

  // The handlers return `true` once they answered, so each branch can end in `return this.fail(...)`.
  private fail(res: ServerResponse, code: number, reason: string, message: string, extra: Obj = {}): true {
    const { details, headers } = extra as { details?: Obj; headers?: Record<string, string> };
    res.writeHead(code, { 'content-type': 'application/json', ...headers });
    const text = JSON.stringify(statusOf(code, reason, message, details));
    this.load.bytes += Buffer.byteLength(text);
    res.end(text);
    return true;
  }

  private ok(res: ServerResponse, code: number, obj: unknown): true {
    res.writeHead(code, { 'content-type': 'application/json' });
    const text = JSON.stringify(obj);
    this.load.bytes += Buffer.byteLength(text);
    res.end(text);
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): true {
    this.load.requests++;
    const url = new URL(req.url ?? '/', 'http://x');
    // one namespaced object by name (only GET is used so): as /api/v1/{plural}/{namespace}/{name} below
    const nsPath = /^\/api\/v1\/namespaces\/([^/]+)\/([a-z]+)\/([^/]+)$/.exec(url.pathname);
    if (nsPath) url.pathname = `/api/v1/${nsPath[2]}/${nsPath[1]}%2F${nsPath[3]}`;
    const m =
      /^\/api\/v1\/([a-z]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname) ??
      /^\/apis\/([^/]+)\/([^/]+)\/([a-z]+)(?:\/([^/]+))?(?:\/(status))?$/.exec(url.pathname);
    const core = url.pathname.startsWith('/api/v1/');
    const plural = m ? (core ? m[1]! : m[3]!) : '';
    const name = m ? (core ? m[2] && decodeURIComponent(m[2]) : m[4]) : undefined;
    const subresource = m ? (core ? m[3] : m[5]) : undefined;
    if (this.tokens && !this.tokens.has((req.headers.authorization ?? '').replace(/^Bearer /, ''))) {
      return this.fail(res, 401, 'Unauthorized', 'Unauthorized');
    }
    const def = this.defs.get(plural);
    if (!m || !def || (!core && (def.group !== m[1] || def.version !== m[2])) || (subresource && !name)) {
      return this.fail(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    }
    const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const verb = (
      {
        GET: name ? 'get' : watching ? 'watch' : 'list',
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: 'delete',
      } as Record<string, ApiCall['verb']>
    )[req.method ?? ''];
    const patchType = (req.headers['content-type'] ?? '').split(';')[0]!;
    const record = (status: number) => {
      const call: ApiCall = { verb: verb!, group: def.group, resource: plural, status };
      const rv = url.searchParams.get('resourceVersion');
      const match = url.searchParams.get('resourceVersionMatch');
      if (rv !== null && (verb === 'list' || verb === 'watch')) call.resourceVersion = rv;
      if (match !== null && verb === 'list') call.resourceVersionMatch = match;
      const timeout = url.searchParams.get('timeoutSeconds');
      if (timeout !== null && verb === 'watch') call.timeoutSeconds = Number(timeout);
      if (subresource) call.subresource = subresource;
      if (verb === 'patch') call.patchType = patchType;
      const fm = url.searchParams.get('fieldManager');
      if (fm !== null) call.fieldManager = fm;
      this.calls.push(call);
      if (this.options.audit ?? true) ALL_CALLS.push(call);
    };
    if (!verb || (verb === 'create' && name)) return this.fail(res, 405, 'MethodNotAllowed', 'method not allowed');
    if (this.forbidden.has(`${verb} ${plural}`)) {
      record(403);
      return this.fail(res, 403, 'Forbidden', `${plural} is forbidden: cannot ${verb} resource "${plural}"`);
    }
    const inj = this.injected.findIndex((i) => i.verb === verb && i.plural === plural);
    if (inj >= 0) {
      const { status, retryAfter, details } = this.injected.splice(inj, 1)[0]!;
      record(status);
      const reason = ({ 409: 'Conflict', 429: 'TooManyRequests', 504: 'Timeout' } as Record<number, string>)[status];
      const headers: Record<string, string> = retryAfter !== undefined ? { 'retry-after': String(retryAfter) } : {};
      return this.fail(res, status, reason ?? 'InternalError', `injected ${status}`, { headers, details });
    }
    if (verb === 'list') return this.list(res, def, url, record);
    if (verb === 'watch') return this.watch(res, plural, url, record);
    let obj: Obj | undefined;
    if (body && (verb === 'create' || verb === 'update' || verb === 'patch')) {
      try {
        obj = patchType === 'application/apply-patch+yaml' ? parseYaml(body) : JSON.parse(body);
      } catch {
        record(400);
        return this.fail(res, 400, 'BadRequest', 'the body cannot be parsed');
      }
    }
    const r = this.perform({
      verb,
      plural,
      name,
      subresource,
      obj,
      patchType,
      fieldManager: url.searchParams.get('fieldManager') ?? undefined,
      force: url.searchParams.get('force') === 'true',
    });
    record(r.code);
    return r.code < 300 ? this.ok(res, r.code, r.object) : this.fail(res, r.code, r.reason!, r.message!);
  }

  private list(res: ServerResponse, def: ResourceDef, url: URL, record: (s: number) => void): true {
    const rv = url.searchParams.get('resourceVersion') ?? '';
    const match = url.searchParams.get('resourceVersionMatch') ?? '';
    const answer = this.listAt(def.plural, rv, match);
    if ('code' in answer) {
      record(answer.code);
      return this.fail(res, answer.code, answer.reason, answer.message, { details: answer.details });
    }
    record(200);
    const bytes = this.load.bytes;
    this.ok(res, 200, {
      kind: `${def.kind}List`,
      apiVersion: apiVersion(def),
      metadata: { resourceVersion: String(answer.resourceVersion) },
      items: answer.items,
    });
    if (answer.quorum) {
      this.load.quorumLists++;
      this.load.quorumBytes += this.load.bytes - bytes; // what etcd had to read and send for it
    } else this.load.cacheLists++;
    return true;
  }

  private watch(res: ServerResponse, plural: string, url: URL, record: (status: number) => void): true {
    const rvText = url.searchParams.get('resourceVersion') ?? '';
    const from = rvText === '' || rvText === '0' ? undefined : Number(rvText);
    if (from !== undefined && (Number.isNaN(from) || from < this.compactedRv)) {
      const message = `too old resource version: ${rvText} (${this.compactedRv})`;
      if (this.expiredAs === 'status') {
        record(410);
        return this.fail(res, 410, 'Expired', message);
      }
      record(200);
      res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
      const text = `${JSON.stringify({ type: 'ERROR', object: statusOf(410, 'Expired', message) })}\n`;
      this.load.bytes += Buffer.byteLength(text);
      res.end(text);
      return true;
    }
    record(200);
    this.load.watches++;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: Watcher = { plural, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
    if (from === undefined) {
      for (const o of this.items(plural).values()) this.send(w, 'ADDED', o);
    } else {
      for (const h of this.history) if (h.plural === plural && h.rv > from) this.send(w, h.type, h.object);
    }
    res.flushHeaders();
    this.watchers.add(w);
    const timeout = Number(url.searchParams.get('timeoutSeconds') ?? '');
    if (timeout > 0) {
      // as kube-apiserver: a last bookmark (so the client resumes from a fresh resourceVersion), then the end
      w.timer = this.clock.setTimeout(() => {
        if (!this.watchers.has(w)) return;
        this.sendBookmark(w);
        this.endWatch(w);
      }, timeout * 1000);
    }
    res.on('close', () => {
      if (w.timer) this.clock.clearTimeout(w.timer);
      this.watchers.delete(w);
    });
    return true;
  }
}
