// A fault applied under measurement: pingers between pods of different nodes (the first pod of each) every 10 ms,
// the routes of every node and router polled, the fault applied, then — for a fault that repairs (heal, restart,
// flap) — waited on until every route is as before the fault, for one that does not (cut, kill) for `watchMs`.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FaultReport, faultReport, type PairSample } from './fault-report.js';
import type { Lab } from './lab.js';
import { type FpingRun, startFping } from './lab-fping.js';
import { ip, sleep } from './lab-host.js';

/** Up to this many pods, every pod pings every pod of the other nodes. */
export const MAX_ALL_PODS = 12;

export type RouteSnapshot = Record<string, string[]>;

/** The routes towards the pod network in every node and router namespace, one line each, sorted. */
export function routeSnapshot(lab: Lab): RouteSnapshot {
  const { plan } = lab;
  const out: RouteSnapshot = {};
  for (const ns of [...plan.nodes.map((n) => n.ns), ...plan.routers.map((r) => r.ns)]) {
    let text = '';
    try {
      text = ip('-n', ns, '-o', 'route', 'show', 'root', plan.clusterCIDR);
    } catch {
      text = '';
    }
    out[ns] = text
      .split('\n')
      .map((l) =>
        l
          .replace(/ nhid \d+/, '')
          .replace(/\\\s+/g, ' ')
          .replace(/ (linkdown|dead)/g, '')
          .replace(/\s+/g, ' ')
          .trim(),
      )
      .filter(Boolean)
      .sort();
  }
  return out;
}

/** Routes present in one snapshot and not in the other (both ways). */
export function routeDifferences(a: RouteSnapshot, b: RouteSnapshot): number {
  return routeDiff(a, b).length;
}

/** "ns: + route" (in `a` only) and "ns: - route" (in `b` only). */
export function routeDiff(a: RouteSnapshot, b: RouteSnapshot): string[] {
  const out: string[] = [];
  for (const ns of new Set([...Object.keys(a), ...Object.keys(b)])) {
    const x = new Set(a[ns] ?? []);
    const y = new Set(b[ns] ?? []);
    for (const l of x) if (!y.has(l)) out.push(`${ns}: + ${l}`);
    for (const l of y) if (!x.has(l)) out.push(`${ns}: - ${l}`);
  }
  return out;
}

const BASELINE = 'routes.json';

/** Records the converged routes (after `up`): what heal and restart wait to see again. */
export async function saveBaseline(lab: Lab): Promise<RouteSnapshot> {
  // settled: the same routes for 2 s, polled every 250 ms (bounded: 20 s)
  let snap = routeSnapshot(lab);
  let same = 0;
  for (let i = 0; i < 80 && same < 8; i++) {
    await sleep(250);
    const again = routeSnapshot(lab);
    same = routeDifferences(snap, again) === 0 ? same + 1 : 0;
    snap = again;
  }
  writeFileSync(join(lab.dir, BASELINE), `${JSON.stringify(snap, null, 1)}\n`);
  return snap;
}

export function loadBaseline(lab: Lab): RouteSnapshot | undefined {
  const f = join(lab.dir, BASELINE);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as RouteSnapshot) : undefined;
}

export interface MeasureOptions {
  intervalMs?: number;
  /** A fault that does not repair itself: how long to watch after it (default hold time + 5 s). */
  watchMs?: number;
  /** A repairing fault: the bound on waiting for every route to be back (default 60 s + the hold time). */
  repairTimeoutMs?: number;
  /** Wait for the routes to be as in the baseline (heal, restart, flap). */
  repairs: boolean;
  progress?: (line: string) => void;
}

/** Applies `fault` (which may take time, e.g. a flap) under measurement and reports. */
export async function measureFault(
  lab: Lab,
  name: string,
  fault: () => Promise<void> | void,
  opts: MeasureOptions,
): Promise<FaultReport> {
  const intervalMs = opts.intervalMs ?? 10;
  const hold = lab.plan.holdTime * 1000;
  const say = opts.progress ?? (() => {});
  // every pod while there are few (more pairs, more ECMP hashes), else the first pod of each node
  const first =
    lab.state.pods.length <= MAX_ALL_PODS
      ? lab.state.pods
      : lab.plan.nodes
          .map((n) => lab.state.pods.find((p) => p.node === n.name))
          .filter((p): p is Lab['state']['pods'][number] => !!p);
  if (new Set(first.map((p) => p.node)).size < 2) throw new Error('measuring a fault needs pods on at least two nodes');
  const baseline = loadBaseline(lab) ?? routeSnapshot(lab);
  const runs: FpingRun[] = first.map((p) =>
    startFping(
      p.ns,
      p.id,
      first.filter((q) => q.node !== p.node),
      { intervalMs, maxSeconds: Math.ceil((hold + (opts.repairTimeoutMs ?? 60_000 + hold) + 60_000) / 1000) },
    ),
  );
  const stopAll = async () => (await Promise.all(runs.map((r) => r.stop().catch(() => [])))).flat();
  let last = routeSnapshot(lab);
  let lastChange: number | undefined;
  let back: number | undefined;
  let t0 = 0;
  try {
    await sleep(300); // pings flowing before the fault
    t0 = Date.now();
    const pairs = first.reduce((n, p) => n + first.filter((q) => q.node !== p.node).length, 0);
    say(`${name}: applying; pinging ${pairs} pod pairs every ${intervalMs} ms`);
    await fault();
    const deadline = t0 + (opts.repairs ? (opts.repairTimeoutMs ?? 60_000 + hold) : (opts.watchMs ?? hold + 5000));
    for (let i = 0; i < 100_000 && Date.now() < deadline; i++) {
      const now = routeSnapshot(lab);
      if (routeDifferences(now, last) > 0) {
        lastChange = Date.now() - t0;
        last = now;
      }
      if (opts.repairs && routeDifferences(now, baseline) === 0) {
        back = Date.now() - t0;
        break;
      }
      await sleep(100);
    }
    await sleep(1000); // the last losses show as such only after fping's timeout
  } catch (err) {
    await stopAll();
    throw err;
  }
  const samples: PairSample[] = await stopAll();
  const startOffset = Math.min(...runs.map((r) => r.startedAt)) - t0;
  return faultReport(
    name,
    samples,
    intervalMs,
    startOffset,
    {
      ...(lastChange !== undefined ? { routesSettledAfterMs: lastChange } : {}),
      ...(back !== undefined ? { routesBackAfterMs: back } : {}),
      ...(opts.repairs ? differing(routeDiff(routeSnapshot(lab), baseline)) : {}),
    },
    t0,
  );
}

function differing(diff: string[]): Pick<FaultReport, 'routesDiffering' | 'routesDifferingSample'> {
  return { routesDiffering: diff.length, ...(diff.length > 0 ? { routesDifferingSample: diff.slice(0, 6) } : {}) };
}
