import assert from 'node:assert/strict';
import type { RouteOp } from '../src/kernel-route-table.js';
import { type NormalRoute, normalizeRoute, routeKey } from '../src/route.js';
import { diffKey, diffRoutes } from '../src/route-diff.js';
import type { FailedRoute } from '../src/route-reconciler-options.js';

const DST = '10.0.0.0/24';
/** Next hops by letter: A and B are two versions of the same route. */
const VIA: Record<string, string> = { A: '192.0.2.1', B: '192.0.2.2' };

function route(v: string, dst = DST): NormalRoute {
  return normalizeRoute({ dst, type: 'unicast', nexthops: [{ via: VIA[v] as string }] });
}

function failure(op: RouteOp['op'], v: string, nextRetryAt: number, dst = DST): FailedRoute {
  return { dst, metric: 0, op, route: route(v, dst), reason: 'refused', attempts: 1, nextRetryAt };
}

function show(op: RouteOp | undefined): string {
  if (!op) return '-';
  const via = Object.keys(VIA).find((k) => VIA[k] === op.route.nexthops[0]?.via);
  return `${op.op} ${via}`;
}

describe('route diff (pure)', () => {
  // desired × kernel × failed (op, route, retry deadline) × due × stale hold, at now = 50.
  const NOW = 50;
  const rows: {
    want?: string;
    have?: string;
    failed?: [RouteOp['op'], string, number];
    due?: boolean;
    hold?: boolean;
    expect: string;
    installed?: boolean;
    forget?: boolean;
    retryAt?: number;
  }[] = [
    { expect: '-' },
    { want: 'A', expect: 'add A' },
    { want: 'A', have: 'A', expect: '-', installed: true },
    { want: 'A', have: 'B', expect: 'replace A' },
    { have: 'A', expect: 'delete A' },
    { have: 'A', hold: true, expect: '-' },
    // refused routes wait for their deadline while the same operation would be repeated unchanged
    { want: 'A', failed: ['add', 'A', 100], expect: '-', retryAt: 100 },
    { want: 'A', failed: ['add', 'A', 100], due: true, expect: 'add A' },
    { want: 'A', failed: ['add', 'A', 50], expect: 'add A' },
    { want: 'A', have: 'B', failed: ['replace', 'A', 100], expect: '-', retryAt: 100 },
    // ...and go at once when the caller changed the route or the kernel changed under it
    { want: 'B', failed: ['add', 'A', 100], expect: 'add B' },
    { want: 'A', failed: ['delete', 'A', 100], expect: 'add A' },
    { want: 'A', have: 'A', failed: ['add', 'A', 100], expect: '-', installed: true, forget: true },
    { have: 'A', failed: ['delete', 'A', 100], expect: '-', retryAt: 100 },
    { have: 'A', failed: ['delete', 'A', 100], due: true, expect: 'delete A' },
    { have: 'A', failed: ['add', 'A', 100], expect: 'delete A' },
    { have: 'A', failed: ['delete', 'A', 100], hold: true, expect: '-' },
    { failed: ['add', 'A', 100], expect: '-', forget: true },
    { failed: ['delete', 'A', 100], expect: '-', forget: true },
  ];
  for (const row of rows) {
    const name = `desired ${row.want ?? '-'} kernel ${row.have ?? '-'} failed ${row.failed?.join(' ') ?? '-'}${row.due ? ' due' : ''}${row.hold ? ' held' : ''} → ${row.expect}`;
    it(name, () => {
      const f = row.failed && failure(...row.failed);
      const d = diffKey(
        row.want ? route(row.want) : undefined,
        row.have ? route(row.have) : undefined,
        f,
        NOW,
        row.due ?? false,
        row.hold ?? false,
      );
      assert.equal(show(d.op), row.expect);
      assert.equal(d.installed, row.installed ?? false);
      assert.equal(d.forgetFailure, row.forget ?? false);
      assert.equal(d.retryAt, row.retryAt);
    });
  }

  it('diffs whole maps: every key of desired ∪ kernel ∪ failed once, with the earliest retry deadline', () => {
    const m = (...rs: NormalRoute[]) => new Map(rs.map((r) => [routeKey(r), r]));
    const desired = m(
      route('A', '10.1.0.0/24'),
      route('A', '10.2.0.0/24'),
      route('A', '10.3.0.0/24'),
      route('A', '10.4.0.0/24'),
    );
    const kernel = m(
      route('A', '10.1.0.0/24'),
      route('B', '10.2.0.0/24'),
      route('A', '10.5.0.0/24'),
      route('A', '10.6.0.0/24'),
    );
    const failed = new Map(
      [
        failure('add', 'A', 300, '10.3.0.0/24'),
        failure('add', 'A', 200, '10.4.0.0/24'),
        failure('delete', 'A', 100, '10.6.0.0/24'),
        failure('add', 'A', 100, '10.7.0.0/24'),
      ].map((f) => [routeKey(f), f]),
    );
    const r = diffRoutes({ desired, kernel, failed, now: NOW, due: new Set(['10.4.0.0/24']) });
    assert.deepEqual(
      r.ops.map((o) => `${show(o)} ${o.route.dst}`),
      ['replace A 10.2.0.0/24', 'add A 10.4.0.0/24', 'delete A 10.5.0.0/24'],
    );
    assert.deepEqual(r.forget, ['10.7.0.0/24']);
    assert.equal(r.nextRetryAt, 100, '10.6 waits until 100, 10.3 until 300, 10.4 is due');
    const held = diffRoutes({ desired, kernel, failed: new Map(), now: NOW, stale: new Set(['10.5.0.0/24']) });
    assert.deepEqual(
      held.ops.map((o) => `${show(o)} ${o.route.dst}`),
      ['replace A 10.2.0.0/24', 'add A 10.3.0.0/24', 'add A 10.4.0.0/24', 'delete A 10.6.0.0/24'],
    );
    assert.equal(held.nextRetryAt, undefined);
  });
});
