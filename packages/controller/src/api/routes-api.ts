// `GET /api/v1/routes` and its summary. A large table must never hold the event loop (BGP keepalives and /healthz
// run on it): the answer is produced lazily in slices, each followed by a turn of the loop, and streamed (chunked
// JSON). The plain GET keeps the contract's array shape; `?limit=N&after=PREFIX` pages through the same order, with
// the next page's address in a `Link: <…>; rel="next"` header (RFC 8288).
import { Readable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteSummary, RouteView } from '../agent.js';
import { parseCidr } from '../net.js';

export interface RoutesSource {
  /** Routes in order, those after `after` (canonical prefix text) when given; lazily, O(1) each. */
  routeViews(after?: string): Iterable<RouteView>;
  routeSummary(): RouteSummary;
  /** Work to do before a list, without holding the event loop (ordering routes learned since the last read). */
  prepareRoutes?(): Promise<void>;
}

/** Routes serialised per turn of the event loop (≈ 1 ms of work each). */
export const ROUTES_PER_SLICE = 1000;
/** The largest page; the plain GET streams any number. */
export const MAX_PAGE = 10_000;

class QueryError extends Error {}

function parseQuery(q: Record<string, string | undefined>): { limit?: number; after?: string } {
  const out: { limit?: number; after?: string } = {};
  if (q.limit !== undefined) {
    const n = Number(q.limit);
    if (!/^\d+$/.test(q.limit) || n < 1 || n > MAX_PAGE) {
      throw new QueryError(`limit: ${JSON.stringify(q.limit)} is not a whole number from 1 to ${MAX_PAGE}`);
    }
    out.limit = n;
  }
  if (q.after !== undefined) {
    try {
      out.after = parseCidr(q.after).text;
    } catch (err) {
      throw new QueryError(`after: ${(err as Error).message} (give the last prefix of the previous page)`);
    }
  }
  return out;
}

/** JSON text of routes, `[` … `]`, a slice per turn of the loop. */
async function* jsonArray(routes: Iterable<RouteView>): AsyncGenerator<string> {
  let first = true;
  let parts: string[] = ['['];
  let n = 0;
  for (const r of routes) {
    parts.push(first ? JSON.stringify(r) : `,${JSON.stringify(r)}`);
    first = false;
    if (++n === ROUTES_PER_SLICE) {
      yield parts.join('');
      parts = [];
      n = 0;
      await nextTurn();
    }
  }
  parts.push(']');
  yield parts.join('');
}

/** The page after `after`: `limit` routes, and more while the next one has the last one's prefix (local and bgp). */
function page(source: RoutesSource, limit: number, after?: string): { routes: RouteView[]; more: boolean } {
  const it = source.routeViews(after)[Symbol.iterator]();
  const routes: RouteView[] = [];
  for (let r = it.next(); !r.done; r = it.next()) {
    if (routes.length >= limit && r.value.prefix !== routes.at(-1)?.prefix) return { routes, more: true };
    routes.push(r.value);
  }
  return { routes, more: false };
}

function send(reply: FastifyReply, body: AsyncIterable<string>): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(Readable.from(body, { objectMode: false }));
}

export function registerRoutesApi(app: FastifyInstance, source: RoutesSource): void {
  app.get('/api/v1/routes/summary', async (): Promise<RouteSummary> => source.routeSummary());
  app.get('/api/v1/routes', async (req, reply) => {
    let q: { limit?: number; after?: string };
    try {
      q = parseQuery(req.query as Record<string, string | undefined>);
    } catch (err) {
      if (err instanceof QueryError) return reply.code(400).send({ error: err.message });
      throw err;
    }
    await source.prepareRoutes?.();
    if (q.limit === undefined) return send(reply, jsonArray(source.routeViews(q.after)));
    const { routes, more } = page(source, q.limit, q.after);
    const last = routes.at(-1);
    if (more && last) {
      reply.header('link', `</api/v1/routes?limit=${q.limit}&after=${encodeURIComponent(last.prefix)}>; rel="next"`);
    }
    return send(reply, jsonArray(routes));
  });
}
