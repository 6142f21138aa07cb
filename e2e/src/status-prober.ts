// A status API client run as its own process inside the agent's namespace (the API listens on the namespace's
// loopback). It polls /healthz back to back while it reads the given paths one after another, so the /healthz
// latencies show how long the agent's event loop was busy with those reads. Bodies are kept as bytes while the poll
// runs (parsing 10 MB of JSON here would delay the poll's own responses) and written to files afterwards.
// Prints one JSON line: {reads: [{path, status, ms, bytes, file}], healthz: {count, failed, p50, p99, max}}.
//   node status-prober.js '{"base":"http://127.0.0.1:9179","paths":["/api/v1/routes"],"outDir":"/tmp/x"}'
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProbePlan {
  base: string;
  /** Read one after another while /healthz is polled. */
  paths: string[];
  /** Where each body is written (read-<i>.body). */
  outDir: string;
  /** Poll /healthz before the first read and after the last one for this long (default 200 ms). */
  settleMs?: number;
  /** Per request (default 30 s); a read that takes longer is reported with status 0. */
  timeoutMs?: number;
}

export interface ProbeRead {
  path: string;
  status: number;
  ms: number;
  bytes: number;
  file: string;
  error?: string;
}

export interface ProbeResult {
  reads: ProbeRead[];
  healthz: { count: number; failed: number; p50: number; p99: number; max: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function read(url: string, timeoutMs: number): Promise<{ status: number; chunks: Uint8Array[]; bytes: number }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  if (res.body) {
    for await (const c of res.body as AsyncIterable<Uint8Array>) {
      chunks.push(c);
      bytes += c.length;
    }
  }
  return { status: res.status, chunks, bytes };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

async function main(): Promise<void> {
  const plan = JSON.parse(process.argv[2] ?? '{}') as ProbePlan;
  const settleMs = plan.settleMs ?? 200;
  const timeoutMs = plan.timeoutMs ?? 30_000;
  const latencies: number[] = [];
  let failed = 0;
  let polling = true;
  // The first request pays for loading fetch and the connection: not a figure of the agent's.
  await read(`${plan.base}/healthz`, timeoutMs).catch(() => undefined);
  // Back to back, bounded by the reads' own timeout.
  const poller = (async () => {
    const deadline = Date.now() + settleMs * 2 + timeoutMs * (plan.paths.length + 1);
    while (polling && Date.now() < deadline) {
      const t0 = performance.now();
      try {
        const r = await read(`${plan.base}/healthz`, timeoutMs);
        if (r.status !== 200) failed++;
      } catch {
        failed++;
      }
      latencies.push(performance.now() - t0);
      await sleep(2);
    }
  })();
  await sleep(settleMs);
  const reads: ProbeRead[] = [];
  const bodies: Uint8Array[][] = [];
  for (const [i, path] of plan.paths.entries()) {
    const file = join(plan.outDir, `read-${i}.body`);
    const t0 = performance.now();
    try {
      const r = await read(`${plan.base}${path}`, timeoutMs);
      reads.push({ path, status: r.status, ms: performance.now() - t0, bytes: r.bytes, file });
      bodies.push(r.chunks);
    } catch (err) {
      reads.push({ path, status: 0, ms: performance.now() - t0, bytes: 0, file, error: (err as Error).message });
      bodies.push([]);
    }
  }
  await sleep(settleMs);
  polling = false;
  await poller;
  for (const [i, r] of reads.entries()) writeFileSync(r.file, Buffer.concat(bodies[i] ?? []));
  const sorted = [...latencies].sort((a, b) => a - b);
  const result: ProbeResult = {
    reads,
    healthz: {
      count: latencies.length,
      failed,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.at(-1) ?? Number.NaN,
    },
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

await main();
