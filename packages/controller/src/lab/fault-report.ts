// The arithmetic of a fault's report (pure; unit-tested): from what each pinger saw — which sequence numbers went
// unanswered, at a fixed interval, started at a known time — per pair packets lost, the longest blackhole (the
// longest run of consecutive losses, in time), when traffic was whole again; then the route timings.

export interface PairSample {
  from: string;
  to: string;
  /** Packets sent and counted (those still in flight when the pinger stopped excluded). */
  sent: number;
  /** Sequence numbers (0-based) sent and never answered, ascending. */
  lost: number[];
  /** When answers arrived (epoch ms, by sequence number), when the pinger gives it: blackholes then come from the
   * answers on either side of a loss run rather than from the run's length × the interval (a loaded machine sends
   * late, so the length undercounts time). */
  answeredAt?: Map<number, number>;
}

export interface PairReport {
  from: string;
  to: string;
  sent: number;
  lost: number;
  /** Longest run of consecutive lost packets × the interval. */
  longestBlackholeMs: number;
  /** Milliseconds after the fault at which this pair's last loss ended (0 when nothing was lost). */
  restoredAfterMs: number;
}

export interface FaultReport {
  fault: string;
  intervalMs: number;
  pairs: PairReport[];
  sent: number;
  lost: number;
  pairsWithLoss: number;
  longestBlackholeMs: number;
  /** When the last pair's last loss ended, after the fault. */
  trafficRestoredAfterMs: number;
  /** When the kernel routes stopped changing (last change seen), after the fault; undefined when none changed. */
  routesSettledAfterMs?: number;
  /** When every route was as before the fault (heal, restart, flap); undefined when not expected or not seen. */
  routesBackAfterMs?: number;
  /** Routes compared and those still differing at the end. */
  routesDiffering?: number;
  /** A few of them: "ns: + route" now but not before, "ns: - route" before but not now. */
  routesDifferingSample?: string[];
}

/** Runs of consecutive numbers: [start, length] pairs, in order. */
export function runs(seqs: number[]): [number, number][] {
  const out: [number, number][] = [];
  for (const s of seqs) {
    const last = out.at(-1);
    if (last && s === last[0] + last[1]) last[1]++;
    else out.push([s, 1]);
  }
  return out;
}

/**
 * `startOffsetMs`: when the pingers' packet 0 left, relative to the fault (negative: they started before it). A loss
 * run ending with packet k ends at startOffsetMs + (k + 1) × interval.
 */
export function pairReport(
  sample: PairSample,
  intervalMs: number,
  startOffsetMs: number,
  faultAt?: number,
): PairReport {
  const at = sample.answeredAt;
  /** A run's length in time: between the answers before and after it, less one interval; else length × interval. */
  const span = ([start, len]: [number, number]) => {
    const before = at?.get(start - 1);
    const after = at?.get(start + len);
    return before !== undefined && after !== undefined
      ? Math.max(len * intervalMs, after - before - intervalMs)
      : len * intervalMs;
  };
  const r = runs(sample.lost);
  const longest = r.reduce((m, run) => Math.max(m, span(run)), 0);
  const last = r.at(-1);
  const lastEnd = last && faultAt !== undefined ? at?.get(last[0] + last[1]) : undefined;
  return {
    from: sample.from,
    to: sample.to,
    sent: sample.sent,
    lost: sample.lost.length,
    longestBlackholeMs: Math.round(longest),
    restoredAfterMs: !last
      ? 0
      : lastEnd !== undefined
        ? Math.max(0, Math.round(lastEnd - faultAt!))
        : Math.max(0, startOffsetMs + (last[0] + last[1]) * intervalMs),
  };
}

export function faultReport(
  fault: string,
  samples: PairSample[],
  intervalMs: number,
  startOffsetMs: number,
  routes: Pick<
    FaultReport,
    'routesSettledAfterMs' | 'routesBackAfterMs' | 'routesDiffering' | 'routesDifferingSample'
  > = {},
  faultAt?: number,
): FaultReport {
  const pairs = samples.map((s) => pairReport(s, intervalMs, startOffsetMs, faultAt));
  return {
    fault,
    intervalMs,
    pairs,
    sent: pairs.reduce((n, p) => n + p.sent, 0),
    lost: pairs.reduce((n, p) => n + p.lost, 0),
    pairsWithLoss: pairs.filter((p) => p.lost > 0).length,
    longestBlackholeMs: pairs.reduce((m, p) => Math.max(m, p.longestBlackholeMs), 0),
    trafficRestoredAfterMs: pairs.reduce((m, p) => Math.max(m, p.restoredAfterMs), 0),
    ...routes,
  };
}

const sec = (ms: number | undefined) => (ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`);

/** The report as text: a summary line, then the pairs that lost packets (all pairs with `all`). */
export function renderFaultReport(r: FaultReport, all = false): string {
  const lines = [
    `${r.fault}: ${r.lost}/${r.sent} packets lost (pings every ${r.intervalMs} ms between ${r.pairs.length} pod pairs, ${r.pairsWithLoss} with loss); longest blackhole ${sec(r.longestBlackholeMs)}; traffic whole again after ${sec(r.trafficRestoredAfterMs)}`,
  ];
  const routes: string[] = [];
  if (r.routesSettledAfterMs !== undefined) routes.push(`routes settled after ${sec(r.routesSettledAfterMs)}`);
  if (r.routesBackAfterMs !== undefined) routes.push(`every route back after ${sec(r.routesBackAfterMs)}`);
  else if (r.routesDiffering !== undefined && r.routesDiffering > 0)
    routes.push(`${r.routesDiffering} routes still differ from before the fault`);
  if (routes.length > 0) lines.push(routes.join('; '));
  for (const d of r.routesBackAfterMs === undefined ? (r.routesDifferingSample ?? []) : []) lines.push(`  ${d}`);
  const shown = all ? r.pairs : r.pairs.filter((p) => p.lost > 0);
  if (shown.length > 0) {
    const w = Math.max(4, ...shown.map((p) => p.from.length));
    const v = Math.max(2, ...shown.map((p) => p.to.length));
    lines.push('');
    lines.push(`${'FROM'.padEnd(w)}  ${'TO'.padEnd(v)}  SENT  LOST  LONGEST BLACKHOLE  WHOLE AFTER`);
    for (const p of shown) {
      lines.push(
        `${p.from.padEnd(w)}  ${p.to.padEnd(v)}  ${String(p.sent).padStart(4)}  ${String(p.lost).padStart(4)}  ${sec(p.longestBlackholeMs).padStart(17)}  ${sec(p.restoredAfterMs)}`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
