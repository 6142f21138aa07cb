import assert from 'node:assert/strict';
import { faultReport, pairReport, renderFaultReport, runs } from '../src/lab/fault-report.js';
import { parseFpingSummary } from '../src/lab/lab-check.js';
import { routeDiff } from '../src/lab/lab-fault-run.js';
import { parseFpingLoop, samplesFrom } from '../src/lab/lab-fping.js';

describe('controller: lab fault report', () => {
  it('finds runs of consecutive losses', () => {
    assert.deepEqual(runs([]), []);
    assert.deepEqual(runs([4]), [[4, 1]]);
    assert.deepEqual(runs([1, 2, 3, 7, 9, 10]), [
      [1, 3],
      [7, 1],
      [9, 2],
    ]);
  });

  it('per pair: packets lost, the longest blackhole, when the last loss ended after the fault', () => {
    // pingers started 300 ms before the fault, every 10 ms: packet k leaves at -300 + 10k ms
    const p = pairReport(
      { from: 'a', to: 'b', sent: 1000, lost: [40, 41, 42, 100, 101, 102, 103, 104, 500] },
      10,
      -300,
    );
    assert.equal(p.lost, 9);
    assert.equal(p.longestBlackholeMs, 50);
    assert.equal(p.restoredAfterMs, -300 + 501 * 10);
    const none = pairReport({ from: 'a', to: 'b', sent: 10, lost: [] }, 10, -300);
    assert.deepEqual([none.lost, none.longestBlackholeMs, none.restoredAfterMs], [0, 0, 0]);
    // losses that ended before the fault count as lost but never as "after the fault" with a negative time
    assert.equal(pairReport({ from: 'a', to: 'b', sent: 50, lost: [1, 2] }, 10, -300).restoredAfterMs, 0);
  });

  it('with answer times, a blackhole is the gap between the answers around it (a loaded sender sends late)', () => {
    // packets every 10 ms nominally, but the sender fell behind: 5 lost between answers 200 ms apart
    const at = new Map([
      [9, 1000],
      [15, 1200],
      [30, 1400],
    ]);
    const p = pairReport({ from: 'a', to: 'b', sent: 40, lost: [10, 11, 12, 13, 14], answeredAt: at }, 10, -100, 1050);
    assert.equal(p.longestBlackholeMs, 190, 'answer 15 came 200 ms after answer 9, less one interval');
    assert.equal(p.restoredAfterMs, 150, 'the answer after the run, after the fault at 1050');
    // no answer time on one side: length × interval
    const q = pairReport({ from: 'a', to: 'b', sent: 40, lost: [0, 1, 2], answeredAt: at }, 10, -100, 1050);
    assert.equal(q.longestBlackholeMs, 30);
  });

  it('sums pairs: totals, the worst blackhole of any pair, the latest restoration, route timings as given', () => {
    const r = faultReport(
      'cut x',
      [
        { from: 'a', to: 'b', sent: 500, lost: [100, 101, 102] },
        { from: 'b', to: 'a', sent: 498, lost: [100, 101, 102, 103, 104, 105, 106, 300] },
        { from: 'a', to: 'c', sent: 500, lost: [] },
      ],
      10,
      -200,
      { routesSettledAfterMs: 1234, routesBackAfterMs: 2345, routesDiffering: 0 },
    );
    assert.equal(r.sent, 1498);
    assert.equal(r.lost, 11);
    assert.equal(r.pairsWithLoss, 2);
    assert.equal(r.longestBlackholeMs, 70);
    assert.equal(r.trafficRestoredAfterMs, -200 + 301 * 10);
    const text = renderFaultReport(r);
    assert.match(
      text,
      /^cut x: 11\/1498 packets lost \(pings every 10 ms between 3 pod pairs, 2 with loss\); longest blackhole 0\.07 s; traffic whole again after 2\.81 s\nroutes settled after 1\.23 s; every route back after 2\.35 s\n/,
    );
    assert.equal(text.split('\n').filter((l) => /^[ab] /.test(l)).length, 2, 'only pairs with loss listed');
    assert.equal(
      renderFaultReport(r, true)
        .split('\n')
        .filter((l) => /^[ab] /.test(l)).length,
      3,
    );
    assert.match(renderFaultReport(faultReport('heal y', [], 10, 0, { routesDiffering: 3 })), /3 routes still differ/);
  });

  it('compares route snapshots: what is new and what is missing, per namespace', () => {
    const before = { a: ['r1', 'r2'], b: ['r3'] };
    assert.deepEqual(routeDiff(before, before), []);
    assert.deepEqual(routeDiff({ a: ['r1', 'r4'], b: [] }, before), ['a: + r4', 'a: - r2', 'b: - r3']);
    const r = faultReport('heal x', [], 10, 0, { routesDiffering: 1, routesDifferingSample: ['a: - r2'] });
    assert.match(renderFaultReport(r), /1 routes still differ from before the fault\n {2}a: - r2\n/);
  });

  it('parses fping: replies by sequence number, sent from the summary less those still within their timeout', () => {
    const out = [
      '[1796426753.05393] 10.244.2.2 : [0], 64 bytes, 0.092 ms (0.092 avg, 0% loss)',
      '[1796426753.05447] 10.244.3.2 : [0], 64 bytes, 0.051 ms (0.051 avg, 0% loss)',
      '[1796426753.06393] 10.244.2.2 : [1], 64 bytes, 0.092 ms (0.092 avg, 0% loss)',
      '[1796426753.09393] 10.244.2.2 : [4], 64 bytes, 0.092 ms (0.092 avg, 0% loss)',
      '',
      '10.244.2.2 : xmt/rcv/%loss = 8/3/62%, min/avg/max = 0.018/0.057/0.107',
      '10.244.3.2 : xmt/rcv/%loss = 7/1/85%, min/avg/max = 0.019/0.038/0.102',
      '10.244.4.2 : xmt/rcv/%loss = 7/0/100%',
    ].join('\n');
    const parsed = parseFpingLoop(out, 2);
    const samples = samplesFrom(
      'p1',
      [
        { id: 'p2', ip: '10.244.2.2' },
        { id: 'p3', ip: '10.244.3.2' },
        { id: 'p9', ip: '10.244.9.2' },
      ],
      parsed,
    );
    assert.deepEqual(
      samples.map(({ answeredAt, ...rest }) => ({ ...rest, at: [...(answeredAt ?? [])] })),
      [
        {
          from: 'p1',
          to: 'p2',
          sent: 6,
          lost: [2, 3, 5],
          at: [
            [0, 1796426753053.93],
            [1, 1796426753063.93],
            [4, 1796426753093.93],
          ],
        },
        { from: 'p1', to: 'p3', sent: 5, lost: [1, 2, 3, 4], at: [[0, 1796426753054.47]] },
        { from: 'p1', to: 'p9', sent: 0, lost: [], at: [] },
      ],
    );
    assert.deepEqual(
      [...parseFpingSummary(out)],
      [
        ['10.244.2.2', 3],
        ['10.244.3.2', 1],
        ['10.244.4.2', 0],
      ],
    );
  });
});
