// List and watch on node:http(s) with the KubeConfig's TLS and credentials (applied per request, so a rotated token
// or CA file is picked up). watch() has the contract of @kubernetes/client-node's Watch.watch — resolves once the
// response headers are in; `done` is called exactly once — and both keep what the reflector needs of a refusal: the
// status code, the Status body's reason and message, and Retry-After (429, 503, 504 under load). list() returns the
// plain JSON: no typed deserialisation of thousands of Nodes only to keep four fields of each (a third of the time
// of a 5,000-Node first sync went there).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { ListItemsParser } from './list-stream.js';

export type WatchEventHandler = (type: string, object: unknown) => void;

/** What the reflector needs of a watch client (client-node's Watch fits too). */
export interface WatchLike {
  watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    onEvent: WatchEventHandler,
    done: (err: unknown) => void,
  ): Promise<AbortController>;
}

/** A list or watch refused with a non-200 status. */
export class WatchHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason: string | undefined,
    /** Retry-After in seconds, when the server sent one. */
    readonly retryAfterSeconds: number | undefined,
    /** The Status object the server answered with, if any. */
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'WatchHttpError';
  }
}

export interface WatchClientOptions {
  /** The stream is abandoned (done(TimeoutError)) after this long without a byte; default 30 s above the server's. */
  idleTimeoutMs?: number;
}

export class WatchClient implements WatchLike {
  idleTimeoutMs: number;
  /** A list that has not answered after this long is abandoned (and retried by the reflector); default 60 s. */
  listTimeoutMs = 60_000;
  private readonly agents: { http: HttpAgent; https: HttpsAgent };

  constructor(
    private readonly kc: KubeConfig,
    opts: WatchClientOptions = {},
  ) {
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 360_000;
    this.agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  }

  /** Closes idle keep-alive connections (tests, shutdown). */
  destroy(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }

  /**
   * GET a collection; resolves with its parsed JSON, rejects with WatchHttpError on a non-200 answer. With `item`,
   * the answer is parsed as it arrives, one item at a time (list-stream.ts), and `items` holds what `item` returned:
   * a large list never exists whole in memory.
   */
  async list<T>(
    path: string,
    params: Record<string, string | undefined>,
    opts: { item?: (raw: unknown) => unknown } = {},
  ): Promise<T> {
    const { url, options } = await this.request(path, params);
    return new Promise<T>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options);
      req.setTimeout(this.listTimeoutMs, () => req.destroy(new Error(`no answer in ${this.listTimeoutMs} ms`)));
      req.on('error', reject);
      req.on('response', (res) => {
        if (res.statusCode === 200 && opts.item) {
          const parser = new ListItemsParser(opts.item);
          let failed: Error | undefined;
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            if (failed) return;
            try {
              parser.write(chunk);
            } catch (e) {
              failed = e as Error;
            }
          });
          res.on('error', reject);
          res.on('aborted', () => reject(new Error(`list ${path}: the answer was cut`)));
          res.on('end', () => {
            try {
              if (failed) throw failed;
              resolve(parser.end() as T);
            } catch (e) {
              reject(new Error(`list ${path}: the answer is not JSON (${(e as Error).message})`));
            }
          });
          return;
        }
        void readAll(res, Number.POSITIVE_INFINITY).then((body) => {
          if (res.statusCode !== 200) return reject(statusError(res, body));
          try {
            resolve(JSON.parse(body) as T);
          } catch (e) {
            reject(new Error(`list ${path}: the answer is not JSON (${(e as Error).message})`));
          }
        });
      });
      req.end();
    });
  }

  private async request(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
  ): Promise<{ url: URL; options: RequestOptions }> {
    const server = this.kc.getCurrentCluster()?.server;
    if (!server) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(server.replace(/\/$/, '') + path);
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const https = url.protocol === 'https:';
    return {
      url,
      options: {
        method: 'GET',
        headers: { ...(opts.headers as Record<string, string>), accept: 'application/json' },
        agent: https ? this.agents.https : this.agents.http,
        ...(https
          ? {
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              servername: opts.servername,
              ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
            }
          : {}),
      },
    };
  }

  async watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    onEvent: WatchEventHandler,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const { url, options } = await this.request(path, { watch: 'true', ...params });
    const ctrl = new AbortController();
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err: unknown): void => {
      if (finished) return;
      finished = true;
      if (ctrl.signal.aborted) err = null; // the caller aborted: an end, not an error
      if (timer) clearTimeout(timer);
      ctrl.abort();
      done(err);
    };
    const idle = (): void => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(
        () => finish(new DOMException('watch idle timeout', 'TimeoutError')),
        this.idleTimeoutMs,
      ).unref();
    };
    return new Promise<AbortController>((resolve) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { ...options, signal: ctrl.signal });
      req.on('error', (err) => {
        finish(err);
        resolve(ctrl);
      });
      req.on('response', (res) => {
        idle();
        if (res.statusCode !== 200) {
          void readAll(res, 65_536).then((body) => {
            finish(statusError(res, body));
            resolve(ctrl);
          });
          return;
        }
        resolve(ctrl);
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (chunk: string) => {
          idle();
          buf += chunk;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (!line.trim() || finished) continue;
            let ev: { type?: string; object?: unknown };
            try {
              ev = JSON.parse(line);
            } catch {
              continue; // as client-node does: a line that is not JSON is skipped
            }
            onEvent(String(ev.type), ev.object);
          }
        });
        res.on('end', () => finish(null));
        res.on('aborted', () => finish(new Error('watch stream aborted')));
        res.on('error', (err) => finish(err));
        res.on('close', () => finish(res.complete ? null : new Error('watch connection closed mid-stream')));
      });
      idle();
      req.end();
    });
  }
}

function readAll(res: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: string[] = [];
    let length = 0;
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (length < limit) chunks.push(c);
      length += c.length;
    });
    const done = () => resolve(chunks.join(''));
    res.on('end', done);
    res.on('error', done);
    res.on('close', done);
  });
}

function statusError(res: IncomingMessage, body: string): WatchHttpError {
  const code = res.statusCode ?? 0;
  let status: { message?: string; reason?: string } = {};
  try {
    status = JSON.parse(body);
  } catch {
    // not a Status: keep the HTTP reason phrase
  }
  const ra = Number(res.headers['retry-after']);
  return new WatchHttpError(
    code,
    status.message ?? `HTTP ${code} ${res.statusMessage ?? ''}`.trim(),
    status.reason,
    Number.isFinite(ra) && ra >= 0 ? ra : undefined,
    Object.keys(status).length ? status : undefined,
  );
}
