// The status API of ../shared/DESIGN.md: health, readiness, Prometheus metrics, peers and routes as JSON.
import Fastify, { type FastifyInstance } from 'fastify';
import type { RouteView } from '../agent.js';
import type { Metrics } from '../metrics.js';
import type { PeerStatus } from '../ports.js';

export interface StatusSource {
  ready(): boolean;
  peers(): PeerStatus[];
  routes(): RouteView[];
}

export interface PeerView {
  address: string;
  asn: number;
  state: string;
  uptimeSeconds: number;
  lastError: string | null;
  prefixesReceived: number;
  prefixesAccepted: number;
  prefixesAdvertised: number;
}

export function buildApi(source: StatusSource, metrics: Metrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) => {
    if (source.ready()) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready' });
  });
  app.get('/metrics', async (_req, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
  app.get(
    '/api/v1/peers',
    async (): Promise<PeerView[]> =>
      source.peers().map((p) => ({
        address: p.address,
        asn: p.asn,
        state: p.state,
        uptimeSeconds: p.uptimeSeconds,
        lastError: p.lastError,
        prefixesReceived: p.prefixesReceived,
        prefixesAccepted: p.prefixesAccepted,
        prefixesAdvertised: p.prefixesAdvertised,
      })),
  );
  app.get('/api/v1/routes', async () => source.routes());
  return app;
}
