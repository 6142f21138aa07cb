// The web view on the status API: GET / (one page, no framework, no external resource) and GET /api/v1/events
// (server-sent events from the LiveFeed). It is served wherever the status API listens (loopback by default).
import type { FastifyInstance } from 'fastify';
import { EventStreams, servePage } from './event-stream.js';
import { LiveFeed, type WebSource } from './live-feed.js';
import { WEB_PAGE } from './page.js';

export function registerWebView(app: FastifyInstance, source: WebSource, intervalMs = 100): LiveFeed {
  const feed = new LiveFeed(source, intervalMs);
  const streams = new EventStreams(app, () => feed.close());
  servePage(app, '/', WEB_PAGE);
  app.get('/api/v1/events', (req, reply) => {
    let unsubscribe = () => {};
    const stream = streams.accept(req, reply, () => unsubscribe());
    unsubscribe = feed.subscribe(stream);
  });
  return feed;
}
