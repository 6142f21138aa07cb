// What both web pages (the agent's, `gannet lab web`'s) share: serving one self-contained HTML page, and
// server-sent event streams that keep quiet connections open and end when the server closes.
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/** A comment line every 15 s keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

/** GET `path` answers `html`, marked as loading nothing from elsewhere. */
export function servePage(app: FastifyInstance, path: string, html: string): void {
  app.get(path, async (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8');
    reply.header('cache-control', 'no-store');
    reply.header(
      'content-security-policy',
      "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    );
    return html;
  });
}

export interface EventStream {
  send(event: string, data: string): void;
}

/** The open event streams of one server; closing the server ends them (else server.close() would wait forever). */
export class EventStreams {
  private readonly open = new Set<ServerResponse>();

  constructor(app: FastifyInstance, onClose: () => void = () => {}) {
    app.addHook('preClose', async () => {
      onClose();
      for (const res of this.open) res.end();
    });
  }

  get size(): number {
    return this.open.size;
  }

  /** Takes over the request as an event stream; `closed` runs once when the client goes. */
  accept(req: FastifyRequest, reply: FastifyReply, closed: () => void = () => {}): EventStream {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    this.open.add(res);
    const keepalive = setInterval(() => {
      if (!res.destroyed) res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    keepalive.unref();
    let done = false;
    const end = () => {
      if (done) return;
      done = true;
      this.open.delete(res);
      clearInterval(keepalive);
      closed();
    };
    req.raw.on('close', end);
    res.on('error', end);
    return {
      send: (event, data) => {
        if (!res.destroyed) res.write(`event: ${event}\ndata: ${data}\n\n`);
      },
    };
  }
}
