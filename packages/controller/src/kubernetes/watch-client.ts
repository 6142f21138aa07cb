// The watch half of list/watch, on node:http(s) with the KubeConfig's TLS and credentials (applied per request, so a
// rotated token or CA file is picked up). Same contract as @kubernetes/client-node's Watch.watch — resolves once the
// response headers are in; `done` is called exactly once — but a non-200 answer keeps what the reflector needs: the
// status code, the Status body's reason and message, and Retry-After (429, 503, 504 under load).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

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

/** A watch refused with a non-200 status. */
export class WatchHttpError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly reason: string | undefined,
    /** Retry-After in seconds, when the server sent one. */
    readonly retryAfterSeconds: number | undefined,
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

  async watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    onEvent: WatchEventHandler,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const server = this.kc.getCurrentCluster()?.server;
    if (!server) throw new Error('no current cluster in the kubeconfig');
    const url = new URL(server.replace(/\/$/, '') + path);
    url.searchParams.set('watch', 'true');
    for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, String(v));
    const opts: RequestOptions = { headers: {} };
    await this.kc.applyToHTTPSOptions(opts);
    const ctrl = new AbortController();
    const https = url.protocol === 'https:';
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
      const req = (https ? httpsRequest : httpRequest)(url, {
        method: 'GET',
        headers: { ...(opts.headers as Record<string, string>), accept: 'application/json' },
        agent: https ? this.agents.https : this.agents.http,
        signal: ctrl.signal,
        ...(https
          ? {
              ca: opts.ca,
              cert: opts.cert,
              key: opts.key,
              servername: opts.servername,
              ...(opts.rejectUnauthorized !== undefined ? { rejectUnauthorized: opts.rejectUnauthorized } : {}),
            }
          : {}),
      });
      req.on('error', (err) => {
        finish(err);
        resolve(ctrl);
      });
      req.on('response', (res) => {
        idle();
        if (res.statusCode !== 200) {
          void readAll(res).then((body) => {
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

function readAll(res: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      if (body.length < 65_536) body += c;
    });
    res.on('end', () => resolve(body));
    res.on('error', () => resolve(body));
    res.on('close', () => resolve(body));
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
  );
}
