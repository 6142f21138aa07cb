// The status API of ../shared/DESIGN.md: health, readiness, Prometheus metrics, peers and routes as JSON.
import Fastify, { type FastifyInstance } from 'fastify';
import type { PrefixReport } from '../agent.js';
import type { Metrics } from '../metrics.js';
import type { PolicyEngineStatus } from '../network-policy/policy-engine.js';
import type { BfdStatus, PeerStatus } from '../ports.js';
import type { WebSource } from '../web/live-feed.js';
import { registerWebView } from '../web/web-view.js';
import { type RoutesSource, registerRoutesApi } from './routes-api.js';

export interface StatusSource extends RoutesSource {
  ready(): boolean;
  /** What is missing before ready, one entry per part ("kernel routes not synced"); /readyz lists it when given. */
  notReady?(): string[];
  peers(): PeerStatus[];
  /** The NetworkPolicy engine's state (undefined: no engine runs in this agent). */
  policy?(): PolicyEngineStatus | undefined;
  /** gannet explain (throws on text that is neither a prefix nor an address; undefined before the agent runs). */
  explain?(prefixOrAddress: string): PrefixReport | undefined;
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
  /** Present when BFD is enabled for the peer. */
  bfd?: BfdStatus;
  /** A dynamic peer: the range (prefix) it came from. */
  dynamic?: string;
  /** Whether a TCP-MD5 key is set (never the key), the TTL sent and the least accepted, when any is set. */
  transport?: { md5: boolean; ttl?: number; minTtl?: number };
}

export function buildApi(source: StatusSource & WebSource, metrics: Metrics): FastifyInstance {
  const app = Fastify({ logger: false });
  app.addHook('onClose', async () => metrics.close());
  // Liveness: the process runs and its event loop answers (it listens before the agent has a configuration).
  app.get('/healthz', async () => ({ status: 'ok' }));
  // Readiness: 503 with what is missing (no API server, no pod CIDR, BGP initial sync, kernel routes...).
  app.get('/readyz', async (_req, reply) => {
    const missing = source.notReady ? source.notReady() : source.ready() ? [] : ['not ready'];
    if (missing.length === 0) return { status: 'ready' };
    return reply.code(503).send({ status: 'not ready', missing });
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
        ...(p.bfd ? { bfd: p.bfd } : {}),
        ...(p.dynamic ? { dynamic: p.dynamic } : {}),
        ...(p.transport ? { transport: p.transport } : {}),
      })),
  );
  // NetworkPolicy and egress NAT: what is applied, from which sources, the last error. 404 when no engine runs.
  app.get('/api/v1/policy', async (_req, reply) => {
    const s = source.policy?.();
    if (!s) return reply.code(404).send({ error: 'no NetworkPolicy engine runs in this agent' });
    return s;
  });
  // gannet explain: one prefix from what peers sent to the kernel.
  app.get('/api/v1/explain', async (req, reply) => {
    const q = (req.query ?? {}) as Record<string, string | undefined>;
    if (!q.prefix) return reply.code(400).send({ error: 'give ?prefix=CIDR (or an address)' });
    let report: PrefixReport | undefined;
    try {
      report = source.explain?.(q.prefix);
    } catch (err) {
      return reply.code(400).send({ error: `${q.prefix}: ${(err as Error).message}` });
    }
    if (!report) return reply.code(503).send({ error: 'the agent is not running yet' });
    return report;
  });
  registerRoutesApi(app, source);
  registerWebView(app, source);
  return app;
}
