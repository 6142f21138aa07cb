// Issue 19: reading the status API of an agent that holds 100,000 routes from a live BIRD 2 session must not take
// routing down. BIRD (hold time 3 s) feeds the routes; the agent resyncs its kernel table every 2 s so the reads meet
// a resync. A client in the agent's namespace reads /api/v1/routes, /metrics, the summary and a page in full while
// polling /healthz; afterwards the session must be the same one (BIRD's "since" unchanged, the agent's uptime grown
// by the time that passed) and the agent's own sampler must have seen no block of its event loop above 100 ms (main-
// thread CPU time between two runs of its 10 ms timer: the agent's work, not this machine's other load).
import assert from 'node:assert/strict';
import { requireRoot } from '../src/root.js';
import { fedPrefix, histogramDelta, POD_CIDR, StatusFixture } from '../src/status-fixture.js';

const ROUTES = Number(process.env.STATUS_E2E_ROUTES ?? 100_000);

interface Peer {
  address: string;
  state: string;
  uptimeSeconds: number;
}

describe('e2e: status reads on an agent with 100,000 routes from a live BIRD session', function () {
  this.timeout(120_000);
  let f: StatusFixture | undefined;
  let installSeconds = 0;

  before(async function () {
    requireRoot(this);
    const t0 = Date.now();
    f = await StatusFixture.start({ routes: ROUTES, holdTime: 3, resyncIntervalSeconds: 2, tag: 'sl' }, 90_000);
    installSeconds = (Date.now() - t0) / 1000;
  });

  after(async () => {
    await f?.stop();
  });

  it('answers in full while /healthz keeps answering, the session stays up and no loop block exceeds 100 ms', async () => {
    const fx = f as StatusFixture;
    const before = await fx.probe(['/metrics', '/api/v1/peers'], { settleMs: 0 });
    const since = fx.session();
    assert.equal(since.state, 'up', `BIRD's session: ${JSON.stringify(since)}`);
    const peerBefore = (JSON.parse(fx.body(before.reads[1]!)) as Peer[])[0]!;
    const metricsBefore = fx.body(before.reads[0]!);
    const t0 = Date.now();

    // 2.5 s of polling before and after the reads: a resync (every 2 s) falls inside.
    const p = await fx.probe(['/api/v1/routes', '/metrics', '/api/v1/routes/summary', '/api/v1/routes?limit=10000'], {
      settleMs: 2500,
    });
    for (const r of p.reads) assert.equal(r.status, 200, `${r.path}: ${r.error ?? r.status}`);
    const [routesRead, metricsRead] = p.reads as [(typeof p.reads)[0], (typeof p.reads)[0]];

    const after = await fx.probe(['/metrics', '/api/v1/peers'], { settleMs: 0 });
    const elapsed = (Date.now() - t0) / 1000;
    const peerAfter = (JSON.parse(fx.body(after.reads[1]!)) as Peer[])[0]!;
    const metricsAfter = fx.body(after.reads[0]!);

    const figures =
      `install ${installSeconds.toFixed(1)} s; GET /api/v1/routes ${routesRead.ms.toFixed(0)} ms ` +
      `(${(routesRead.bytes / 1048576).toFixed(1)} MB), /metrics ${metricsRead.ms.toFixed(0)} ms; /healthz ` +
      `p99 ${p.healthz.p99.toFixed(1)} ms, max ${p.healthz.max.toFixed(1)} ms over ${p.healthz.count} polls`;
    // The agent's own sampler, over the whole window: CPU time its main thread held the loop, and how late its timer
    // ran (the second also counts this busy machine not running it).
    const busy = histogramDelta(metricsBefore, metricsAfter, 'gannet_event_loop_busy_seconds', '0.1');
    const lag = histogramDelta(metricsBefore, metricsAfter, 'gannet_event_loop_lag_seconds', '0.1');
    console.log(
      `      ${figures}; agent loop: longest block ≤ ${busy.maxAtMost} s of CPU, timer lateness ≤ ${lag.maxAtMost} s ` +
        `(${busy.samples} samples)`,
    );

    // The session survived: BIRD saw no state change, the agent's uptime grew by the time that passed.
    const s = fx.session();
    assert.deepEqual(s, since, 'BIRD saw the session go down and up again');
    assert.equal(peerAfter.state, 'Established');
    assert.ok(
      peerAfter.uptimeSeconds >= peerBefore.uptimeSeconds + Math.floor(elapsed) - 1,
      `uptime ${peerBefore.uptimeSeconds} s → ${peerAfter.uptimeSeconds} s over ${elapsed.toFixed(1)} s: reset`,
    );
    assert.equal(p.healthz.failed, 0);
    assert.ok(p.healthz.count > 50, figures);
    assert.ok(busy.samples > 100, 'the agent sampled its loop meanwhile');
    assert.equal(busy.above, 0, `the agent's event loop was held > 100 ms of CPU at a time (${figures})`);
    // Latencies are figures, not assertions (they depend on the machine): `pnpm bench status` prints them against
    // the goal (< 1 s for the read, /healthz p99 < 50 ms).

    // Complete and right.
    const list = JSON.parse(fx.body(routesRead)) as { prefix: string; source: string; installed: boolean }[];
    assert.equal(list.length, ROUTES + 1);
    // learned routes carry their best path's AS path (and communities when they have some)
    assert.deepEqual(list[0], {
      prefix: fedPrefix(0),
      nexthops: ['172.31.0.2'],
      source: 'bgp',
      installed: true,
      asPath: [65000],
    });
    assert.equal(list.filter((r) => r.installed).length, ROUTES + 1);
    assert.equal(list.filter((r) => r.source === 'local' && r.prefix === POD_CIDR).length, 1);
    assert.match(fx.body(metricsRead), new RegExp(`^gannet_routes_installed ${ROUTES + 1}$`, 'm'));
    assert.deepEqual(JSON.parse(fx.body(p.reads[2]!)), {
      routes: ROUTES + 1,
      local: 1,
      bgp: ROUTES,
      installed: ROUTES + 1,
      failed: 0,
    });
    assert.equal((JSON.parse(fx.body(p.reads[3]!)) as unknown[]).length, 10_000);
  });
});
