// An in-process Kubernetes API server for the resources Kubernetes mode uses, speaking the list/watch protocol the
// way kube-apiserver does: one cluster-wide resourceVersion counter (like etcd's revision), lists carrying it,
// `?watch=true` answered with a chunked stream of JSON lines (ADDED/MODIFIED/DELETED/BOOKMARK/ERROR), events after
// the requested resourceVersion only, synthetic ADDED events for a watch without one, 410 Gone for a resourceVersion
// older than the last compaction (as an ERROR event in a 200 stream, or as HTTP 410), 403 for forbidden verbs,
// create/replace/merge-patch with optimistic concurrency (409 Conflict), and knobs to drop connections or go away.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { type ApiCall, apiVersion, mergePatch, type Obj, type ResourceDef } from './fake-api-objects.js';

export type { ApiCall, ResourceDef } from './fake-api-objects.js';

interface Watcher {
  plural: string;
  bookmarks: boolean;
  res: ServerResponse;
}

/** Every call any FakeApiServer of this process answered: the RBAC test checks them all against the ClusterRole. */
export const ALL_CALLS: ApiCall[] = [];

export const CORE_NODES: ResourceDef = { group: '', version: 'v1', plural: 'nodes', kind: 'Node' };

export class FakeApiServer {
  readonly calls: ApiCall[] = [];
  /** How a too-old resourceVersion on a watch is answered: an ERROR event (kube-apiserver today) or HTTP 410. */
  expiredAs: 'event' | 'status' = 'event';
  private readonly defs = new Map<string, ResourceDef>();
  private readonly store = new Map<string, Map<string, Obj>>();
  private readonly history: { rv: number; plural: string; type: string; object: Obj }[] = [];
  private rv = 100;
  private compactedRv = 0;
  private readonly watchers = new Set<Watcher>();
  private readonly sockets = new Set<Socket>();
  private readonly forbidden = new Set<string>();
  private readonly injected: { verb: string; plural: string; status: number }[] = [];
  private server: Server;
  port = 0;

  private constructor() {
    this.server = this.makeServer();
  }

  /** Whether calls go to ALL_CALLS (the RBAC audit); off for tests of this server itself, which call anything. */
  private audit = true;

  static async start(defs: ResourceDef[], opts: { audit?: boolean } = {}): Promise<FakeApiServer> {
    const s = new FakeApiServer();
    s.audit = opts.audit ?? true;
    for (const d of defs) s.define(d);
    await s.listen(0);
    return s;
  }

  /** Serves a resource from now on (a CRD being installed). */
  define(def: ResourceDef): void {
    this.defs.set(def.plural, def);
    if (!this.store.has(def.plural)) this.store.set(def.plural, new Map());
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get resourceVersion(): number {
    return this.rv;
  }

  /** Open watch streams, optionally of one resource. */
  watchCount(plural?: string): number {
    return [...this.watchers].filter((w) => !plural || w.plural === plural).length;
  }

  // --- the test's hands on the cluster ---------------------------------------------------------------------

  /** Creates or replaces an object as an admin would (no conflict check); watchers see ADDED or MODIFIED. */
  put(plural: string, obj: Obj): Obj {
    const items = this.items(plural);
    const name = obj.metadata?.name as string;
    const old = items.get(name);
    const stored = this.stamp(plural, structuredClone(obj), old);
    items.set(name, stored);
    this.publish(plural, old ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  remove(plural: string, name: string): void {
    const items = this.items(plural);
    const old = items.get(name);
    if (!old) throw new Error(`no ${plural}/${name}`);
    items.delete(name);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    this.publish(plural, 'DELETED', gone);
  }

  get(plural: string, name: string): Obj | undefined {
    const o = this.items(plural).get(name);
    return o && structuredClone(o);
  }

  /** Forgets history up to now, like an etcd compaction: watches from an older resourceVersion get 410 Gone. */
  compact(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  /** Sends a BOOKMARK with the current resourceVersion to every watch that asked for bookmarks. */
  bookmark(): void {
    for (const w of this.watchers) {
      if (!w.bookmarks) continue;
      const def = this.def(w.plural);
      this.send(w, 'BOOKMARK', {
        kind: def.kind,
        apiVersion: apiVersion(def),
        metadata: { resourceVersion: String(this.rv) },
      });
    }
  }

  /** Cuts every watch stream mid-flight (as a load balancer or a crashing apiserver would). */
  dropWatches(): void {
    for (const w of this.watchers) w.res.socket?.destroy();
    this.watchers.clear();
  }

  /** Sends an ERROR event carrying a Status with `code` to every watch, and ends the streams (as on an etcd error). */
  errorWatches(code: number): void {
    for (const w of this.watchers) {
      this.send(w, 'ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `injected ${code}`, code });
      w.res.end();
    }
    this.watchers.clear();
  }

  /** Ends every watch stream cleanly (as the server does after the watch's timeoutSeconds). */
  endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** 403 for a verb on a resource until allow(). */
  forbid(verb: ApiCall['verb'], plural: string): void {
    this.forbidden.add(`${verb} ${plural}`);
  }

  allow(verb: ApiCall['verb'], plural: string): void {
    this.forbidden.delete(`${verb} ${plural}`);
  }

  /** The next `verb` on `plural` fails with `status` (e.g. 409, 500), once. */
  failNext(verb: ApiCall['verb'], plural: string, status: number): void {
    this.injected.push({ verb, plural, status });
  }

  /** The API server goes away: the port refuses connections and every open connection is reset. */
  async outage(): Promise<void> {
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  /** Back on the same port, with the same objects and history. */
  async restore(): Promise<void> {
    this.server = this.makeServer();
    await this.listen(this.port);
  }

  async close(): Promise<void> {
    this.watchers.clear();
    for (const s of this.sockets) s.destroy();
    if (this.server.listening) await new Promise<void>((r) => this.server.close(() => r()));
  }

  // --- protocol ----------------------------------------------------------------------------------------------

  private makeServer(): Server {
    const server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => {
        body += c;
      });
      req.on('end', () => this.handle(req, res, body));
    });
    server.on('connection', (s) => {
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

  private items(plural: string): Map<string, Obj> {
    const m = this.store.get(plural);
    if (!m) throw new Error(`resource ${plural} not defined`);
    return m;
  }

  private def(plural: string): ResourceDef {
    return this.defs.get(plural)!;
  }

  private stamp(plural: string, obj: Obj, old: Obj | undefined): Obj {
    const def = this.def(plural);
    obj.apiVersion = apiVersion(def);
    obj.kind = def.kind;
    obj.metadata = {
      ...obj.metadata,
      uid: old?.metadata.uid ?? randomUUID(),
      creationTimestamp: old?.metadata.creationTimestamp ?? new Date(0).toISOString(),
      resourceVersion: String(++this.rv),
    };
    return obj;
  }

  private publish(plural: string, type: string, object: Obj): void {
    this.history.push({ rv: Number(object.metadata.resourceVersion), plural, type, object: structuredClone(object) });
    for (const w of this.watchers) if (w.plural === plural) this.send(w, type, object);
  }

  private send(w: Watcher, type: string, object: Obj): void {
    w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  // The handlers return `true` once they answered, so each branch can end in `return this.fail(...)`.
  private fail(res: ServerResponse, code: number, reason: string, message: string): true {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }),
    );
    return true;
  }

  private ok(res: ServerResponse, code: number, obj: unknown): true {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(obj));
    return true;
  }

  private handle(req: IncomingMessage, res: ServerResponse, body: string): true {
    const url = new URL(req.url ?? '/', 'http://x');
    const m =
      /^\/api\/v1\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname) ??
      /^\/apis\/([^/]+)\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    const core = url.pathname.startsWith('/api/v1/');
    const plural = m ? (core ? m[1]! : m[3]!) : '';
    const name = m ? (core ? m[2] : m[4]) : undefined;
    const def = this.defs.get(plural);
    if (!m || !def || (!core && (def.group !== m[1] || def.version !== m[2]))) {
      return this.fail(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
    }
    const watching = ['true', '1'].includes(url.searchParams.get('watch') ?? '');
    const verb: ApiCall['verb'] = (
      {
        GET: name ? 'get' : watching ? 'watch' : 'list',
        POST: 'create',
        PUT: 'update',
        PATCH: 'patch',
        DELETE: 'delete',
      } as Record<string, ApiCall['verb']>
    )[req.method ?? '']!;
    const record = (status: number) => {
      const call: ApiCall = { verb, group: def.group, resource: plural, status };
      const rv = url.searchParams.get('resourceVersion');
      if (rv !== null && (verb === 'list' || verb === 'watch')) call.resourceVersion = rv;
      this.calls.push(call);
      if (this.audit) ALL_CALLS.push(call);
    };
    if (!verb || (verb === 'create' && name)) return this.fail(res, 405, 'MethodNotAllowed', 'method not allowed');
    if (this.forbidden.has(`${verb} ${plural}`)) {
      record(403);
      return this.fail(res, 403, 'Forbidden', `${plural} is forbidden: cannot ${verb} resource "${plural}"`);
    }
    const inj = this.injected.findIndex((i) => i.verb === verb && i.plural === plural);
    if (inj >= 0) {
      const { status } = this.injected.splice(inj, 1)[0]!;
      record(status);
      return this.fail(res, status, status === 409 ? 'Conflict' : 'InternalError', `injected ${status}`);
    }
    const items = this.items(plural);
    let obj: Obj | undefined;
    if (body && (verb === 'create' || verb === 'update' || verb === 'patch')) {
      try {
        obj = JSON.parse(body);
      } catch {
        record(400);
        return this.fail(res, 400, 'BadRequest', 'body is not JSON');
      }
    }
    const current = name ? items.get(name) : undefined;
    switch (verb) {
      case 'list': {
        record(200);
        return this.ok(res, 200, {
          kind: `${def.kind}List`,
          apiVersion: apiVersion(def),
          metadata: { resourceVersion: String(this.rv) },
          items: [...items.values()],
        });
      }
      case 'watch':
        return this.watch(res, plural, url, record);
      case 'get':
        if (!current) break;
        record(200);
        return this.ok(res, 200, current);
      case 'create': {
        const n = obj?.metadata?.name as string | undefined;
        if (!obj || !n) {
          record(422);
          return this.fail(res, 422, 'Invalid', 'metadata.name: Required value');
        }
        if (items.has(n)) {
          record(409);
          return this.fail(res, 409, 'AlreadyExists', `${plural} "${n}" already exists`);
        }
        const stored = this.stamp(plural, obj, undefined);
        items.set(n, stored);
        this.publish(plural, 'ADDED', stored);
        record(201);
        return this.ok(res, 201, stored);
      }
      case 'update': {
        if (!current || !obj) break;
        const want = obj.metadata?.resourceVersion;
        if (!want) {
          record(422);
          return this.fail(res, 422, 'Invalid', 'metadata.resourceVersion: Invalid value: 0x0: must be specified');
        }
        if (want !== current.metadata.resourceVersion) {
          record(409);
          return this.fail(
            res,
            409,
            'Conflict',
            `Operation cannot be fulfilled on ${plural} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
          );
        }
        const stored = this.stamp(plural, obj, current);
        items.set(name!, stored);
        this.publish(plural, 'MODIFIED', stored);
        record(200);
        return this.ok(res, 200, stored);
      }
      case 'patch': {
        if (!current || !obj) break;
        if (!(req.headers['content-type'] ?? '').startsWith('application/merge-patch+json')) {
          record(415);
          return this.fail(res, 415, 'UnsupportedMediaType', 'only application/merge-patch+json');
        }
        const stored = this.stamp(plural, mergePatch(structuredClone(current), obj) as Obj, current);
        items.set(name!, stored);
        this.publish(plural, 'MODIFIED', stored);
        record(200);
        return this.ok(res, 200, stored);
      }
      case 'delete':
        if (!current) break;
        this.remove(plural, name!);
        record(200);
        return this.ok(res, 200, current);
    }
    record(404);
    return this.fail(res, 404, 'NotFound', `${plural} "${name}" not found`);
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
      const status = {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message,
        reason: 'Expired',
        code: 410,
      };
      res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      return true;
    }
    record(200);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: Watcher = { plural, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true', res };
    if (from === undefined) {
      for (const o of this.items(plural).values()) this.send(w, 'ADDED', o);
    } else {
      for (const h of this.history) if (h.plural === plural && h.rv > from) this.send(w, h.type, h.object);
    }
    res.flushHeaders();
    this.watchers.add(w);
    res.on('close', () => this.watchers.delete(w));
    return true;
  }
}
