// pnpm bench status: the status API of an agent holding 1k, 10k and 100k learned routes from a live BIRD 2 session
// (hold time 3 s). For each size: time to read /api/v1/routes and /metrics in full (a client process inside the
// agent's namespace), /healthz latency polled back to back meanwhile (p99 and max: how long the agent's event loop
// was held), whether the BGP session survived, and next to them, in the same run and on the same table, BIRD's
// `birdc show route count` and `birdc show route` (each includes starting birdc, ≈ 5 ms).
//   STATUS_BENCH_SIZES=1000,10000 pnpm bench status
import { spawnSync } from 'node:child_process';
import { isRoot } from '../src/root.js';
import { histogramDelta, StatusFixture } from '../src/status-fixture.js';

const SIZES = (process.env.STATUS_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const READ_TIMEOUT_MS = Number(process.env.STATUS_BENCH_TIMEOUT_MS ?? 60_000);

/** Milliseconds for one birdc command, output read in full; and the output's size. */
function birdc(f: StatusFixture, command: string): { ms: number; bytes: number } {
  const t0 = performance.now();
  const r = spawnSync('ip', ['netns', 'exec', f.peer.name, 'birdc', '-s', `${f.bird.dir}/bird.ctl`, command], {
    maxBuffer: 256 << 20,
  });
  return { ms: performance.now() - t0, bytes: r.stdout.length };
}

const ms = (v: number) => (Number.isFinite(v) ? `${v < 10 ? v.toFixed(1) : v.toFixed(0)} ms` : '-');
const kb = (b: number) =>
  b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(1)} MB` : b >= 1024 ? `${(b / 1024).toFixed(0)} kB` : `${b} B`;

async function main(): Promise<void> {
  if (!isRoot()) {
    console.log('status-api bench: SKIPPED (needs root for network namespaces)');
    return;
  }
  console.log('status API of an agent with N learned routes from one BIRD 2 peer (eBGP, hold time 3 s)');
  const cols = [
    'routes',
    'read',
    'gannet',
    'size',
    '/healthz p99 / max (polls)',
    'loop block',
    'BIRD reference',
    'size',
  ];
  const widths = [8, 19, 8, 8, 27, 11, 36, 8];
  const row = (cells: string[]) =>
    console.log(
      cells
        .map((c, i) => c.padEnd(widths[i] ?? 0))
        .join(' ')
        .trimEnd(),
    );
  row(cols);
  for (const n of SIZES) {
    const t0 = Date.now();
    const f = await StatusFixture.start({ routes: n, tag: 'sb' }, 300_000);
    const installSeconds = (Date.now() - t0) / 1000;
    try {
      const before = f.session();
      // One probe per read, so each /healthz figure belongs to one read.
      for (const [path, ref] of [
        ['/api/v1/routes', 'show route'],
        ['/metrics', 'show route count'],
      ] as const) {
        const m0 = await f.probe(['/metrics'], { settleMs: 0 });
        const p = await f.probe([path], { timeoutMs: READ_TIMEOUT_MS });
        const m1 = await f.probe(['/metrics'], { settleMs: 0 });
        const r = p.reads[0]!;
        // The agent's own sampler: longest main-thread CPU stretch without a turn of the loop (bucket bound).
        let block = '-';
        try {
          const d = histogramDelta(f.body(m0.reads[0]!), f.body(m1.reads[0]!), 'gannet_event_loop_busy_seconds', '0.1');
          block = `≤ ${Number(d.maxAtMost) * 1000} ms`;
        } catch {
          // an agent without the metric
        }
        const b = birdc(f, ref);
        const took = r.status === 200 ? ms(r.ms) : `HTTP ${r.status || r.error} after ${ms(r.ms)}`;
        row([
          n.toLocaleString('en'),
          `GET ${path}`,
          took,
          kb(r.bytes),
          `${ms(p.healthz.p99)} / ${ms(p.healthz.max)} (${p.healthz.count})`,
          block,
          `birdc ${ref}: ${ms(b.ms)}`,
          kb(b.bytes),
        ]);
      }
      const after = f.session();
      const kept = after.state === 'up' && after.since === before.since;
      console.log(
        `${''.padEnd(8)} session ${kept ? 'kept' : `DROPPED (${before.state} since ${before.since} → ${after.state} since ${after.since})`}; ` +
          `agent start → all ${n.toLocaleString('en')} routes in the kernel: ${installSeconds.toFixed(1)} s`,
      );
    } finally {
      await f.stop();
    }
  }
  console.log("loop block: the agent's gannet_event_loop_busy_seconds over the read (a histogram bucket bound)");
  console.log('goal (issue 19): /api/v1/routes at 100k < 1 s, /healthz p99 < 50 ms meanwhile, session kept');
}

await main();
