// A status read must never take routing down (issue 19): on an agent holding 100,000 learned routes, with BGP updates
// arriving and the kernel resync timer firing, every request handler and timer callback gives the event loop back
// within 100 ms. A monitor in this process (perf_hooks) measures the longest block; the reads go over real HTTP.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryRouteTable } from '@gannet/routes/testing';
import { KernelRoutes } from '../src/adapters/kernel-routes.js';
import { Agent, type RouteView } from '../src/agent.js';
import { buildApi } from '../src/api/server.js';
import { parseConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { FakeSpeaker, peerStatus } from './fakes.js';
import { LoopBlockMonitor } from './loop-block-monitor.js';

const ROUTES = 100_000;
const MAX_BLOCK_MS = 100;
const prefix = (i: number) => `${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;

async function body(url: string): Promise<{ text: string; link: string | null }> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  // Kept as bytes while the loop is watched; parsed afterwards.
  const chunks: Uint8Array[] = [];
  for await (const c of res.body as AsyncIterable<Uint8Array>) chunks.push(c);
  return { text: Buffer.concat(chunks).toString('utf8'), link: res.headers.get('link') };
}

describe('controller: status reads on a 100,000-route agent', function () {
  this.timeout(60_000);

  it('never block the event loop for more than 100 ms, with updates and resyncs going on', async () => {
    const speaker = new FakeSpeaker();
    const kernel = new MemoryRouteTable();
    const routes = new KernelRoutes({ logger: silentLogger(), kernel, resyncIntervalMs: 100 });
    const agent = new Agent(
      parseConfig(
        'nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [11.255.0.0/24]\nclusterCIDRs: [10.0.0.0/8, 11.0.0.0/8]\n',
      ),
      { speaker, routes, logger: silentLogger(), writeState: () => {} },
    );
    await agent.start();
    speaker.status = [peerStatus()];
    const metrics = createMetrics({ peers: () => agent.peers(), routes: () => routes.status(), ipam: () => undefined });
    const app = buildApi(agent, metrics);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      // 100 UPDATE-sized batches, as the speaker hands them over.
      for (let b = 0; b < ROUTES; b += 1000) {
        speaker.emitBest(Array.from({ length: 1000 }, (_, i) => ({ prefix: prefix(b + i), nexthops: ['10.0.0.2'] })));
        await sleep(0);
      }
      speaker.emitInitialSync();

      for (let i = 0; i < 600 && routes.status().installed < ROUTES + 1; i++) await sleep(50);
      assert.equal(routes.status().installed, ROUTES + 1, 'every route installed before the reads');

      const listsBefore = kernel.calls.list;
      const monitor = new LoopBlockMonitor();
      monitor.start();
      let churning = true;
      const churn = (async () => {
        // 1,000 next-hop changes every 50 ms: BGP updates keep arriving while the table is read.
        for (let round = 0; churning && round < 200; round++) {
          const via = round % 2 === 0 ? '10.0.0.3' : '10.0.0.2';
          const from = (round * 1000) % ROUTES;
          speaker.emitBest(Array.from({ length: 1000 }, (_, i) => ({ prefix: prefix(from + i), nexthops: [via] })));
          await sleep(50);
        }
      })();
      let polls = 0;
      const health = (async () => {
        while (churning && polls < 10_000) {
          assert.equal((await fetch(`${base}/healthz`)).status, 200);
          polls++;
          await sleep(5);
        }
      })();
      const t0 = performance.now();
      const [full, pages, summary] = await Promise.all([
        body(`${base}/api/v1/routes`),
        (async () => {
          const out: string[] = [];
          let next: string | null = '/api/v1/routes?limit=10000';
          for (let i = 0; next && i < 20; i++) {
            const page = await body(`${base}${next}`);
            out.push(page.text);
            next = /<([^>]+)>; rel="next"/.exec(page.link ?? '')?.[1] ?? null;
          }
          return out;
        })(),
        body(`${base}/api/v1/routes/summary`),
        body(`${base}/metrics`),
        body(`${base}/api/v1/peers`),
        body(`${base}/readyz`).catch(() => undefined),
      ]);
      // Long enough for resyncs (every 100 ms after the previous one), each a full kernel listing and diff.
      while (performance.now() - t0 < 1500) await body(`${base}/metrics`);
      churning = false;
      await Promise.all([churn, health]);
      monitor.stop();
      const maxMs = monitor.maxCpuMs;
      const resyncs = kernel.calls.list - listsBefore;
      assert.ok(
        maxMs < MAX_BLOCK_MS,
        `the event loop was held for ${maxMs.toFixed(0)} ms of CPU at a time (wall ${monitor.maxWallMs.toFixed(0)} ms)`,
      );

      const list = JSON.parse(full.text) as RouteView[];
      assert.equal(list.length, ROUTES + 1);
      assert.equal(list[0]?.prefix, '10.0.0.0/24');
      assert.equal(list[0]?.source, 'bgp');
      assert.deepEqual(list[50_000], {
        prefix: prefix(50_000),
        nexthops: list[50_000]?.nexthops,
        source: 'bgp',
        installed: list[50_000]?.installed,
      });
      assert.equal(list.at(-1)?.prefix, '11.255.0.0/24', 'the local pod CIDR sorts by address, last here');
      assert.equal(list.at(-1)?.source, 'local');
      assert.equal(list[256]?.prefix, '10.1.0.0/24', 'numeric order: 10.0.255.0/24 comes before 10.1.0.0/24');
      // Once the updates stop and the kernel caught up, every route reads as installed.
      for (let i = 0; i < 600 && routes.status().installed < ROUTES + 1; i++) await sleep(50);
      const settled = JSON.parse((await body(`${base}/api/v1/routes`)).text) as RouteView[];
      assert.equal(settled.filter((r) => r.installed).length, ROUTES + 1);
      const paged = pages.flatMap((p) => JSON.parse(p) as RouteView[]).map((r) => r.prefix);
      assert.equal(pages.length, 11, 'ten full pages of 10,000 and one of 1');
      assert.deepEqual(
        paged,
        list.map((r) => r.prefix),
        'paging walks the same order',
      );
      assert.deepEqual(JSON.parse(summary.text), {
        routes: ROUTES + 1,
        local: 1,
        bgp: ROUTES,
        installed: JSON.parse(summary.text).installed,
        failed: 0,
      });
      assert.ok(polls > 20, `/healthz answered meanwhile (${polls} polls)`);
      assert.ok(resyncs >= 1, 'a full kernel resync (listing and diff) ran during the reads');
    } finally {
      await app.close();
      await agent.stop();
    }
  });
});
