// The web view on the status API: GET / (one page, no framework, no external resource) and GET /api/v1/events
// (server-sent events from the LiveFeed). It is served wherever the status API listens (loopback by default).
import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { LiveFeed, type Section, type WebSource } from './live-feed.js';
import { WEB_PAGE } from './page.js';

/** A comment line every 15 s keeps proxies and idle timeouts from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

export function registerWebView(app: FastifyInstance, source: WebSource, intervalMs = 100): LiveFeed {
  const feed = new LiveFeed(source, intervalMs);
  const streams = new Set<ServerResponse>();
  // Before the server closes: end every open stream (they would keep server.close() waiting forever).
  app.addHook('preClose', async () => {
    feed.close();
    for (const res of streams) res.end();
  });
  app.get('/', async (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8');
    reply.header('cache-control', 'no-store');
    reply.header(
      'content-security-policy',
      "default-src 'self'; style-src 'unsafe-inline'; script-src 'unsafe-inline'",
    );
    return WEB_PAGE;
  });
  app.get('/api/v1/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    streams.add(res);
    const unsubscribe = feed.subscribe({
      send: (event: Section, data: string) => {
        if (!res.destroyed) res.write(`event: ${event}\ndata: ${data}\n\n`);
      },
    });
    const keepalive = setInterval(() => {
      if (!res.destroyed) res.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    keepalive.unref();
    const done = () => {
      streams.delete(res);
      clearInterval(keepalive);
      unsubscribe();
    };
    req.raw.on('close', done);
    res.on('error', done);
  });
  return feed;
}
