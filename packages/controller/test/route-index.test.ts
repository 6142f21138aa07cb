import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compareKeys, indexAfter, orderKey, RouteIndex } from '../src/route-index.js';

describe('controller: route index (status API order)', () => {
  it('orders prefixes by address then length, IPv4 before IPv6, junk last', () => {
    const sorted = [
      '10.0.0.0/8',
      '10.0.0.0/24',
      '10.2.0.0/16',
      '10.10.0.0/16',
      '192.168.0.0/16',
      '255.255.255.255/32',
      '2001:db8::/32',
      '2001:db8::/64',
      '2001:db8:1::/48',
      'fe80::/10',
      'not-a-prefix',
    ];
    const shuffled = [...sorted].reverse();
    assert.deepEqual(
      shuffled.sort((a, b) => compareKeys(orderKey(a), orderKey(b))),
      sorted,
    );
    for (const bad of ['10.0.0/24', '10.0.0.256/24', '10.0.0.0/33', '10.0.0.0/', '1.2.3.4']) {
      assert.equal(typeof orderKey(bad), 'string', bad);
    }
  });

  it('keeps snapshots in order through any sequence of learns and withdrawals, never changing an old one (property)', () => {
    const prefix = fc
      .tuple(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 16, max: 24 }))
      .map(([i, l]) => `10.${i}.0.0/${l}`);
    const op = fc.oneof(
      fc.record({ kind: fc.constant('set' as const), prefix, via: fc.integer({ min: 1, max: 3 }) }),
      fc.record({ kind: fc.constant('delete' as const), prefix }),
      fc.record({ kind: fc.constant('snapshot' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
        const index = new RouteIndex();
        const model = new Map<string, string[]>();
        const taken: { snap: readonly { prefix: string }[]; copy: string[] }[] = [];
        for (const o of ops) {
          if (o.kind === 'set') {
            index.set(o.prefix, [`192.0.2.${o.via}`]);
            model.set(o.prefix, [`192.0.2.${o.via}`]);
          } else if (o.kind === 'delete') {
            index.delete(o.prefix);
            model.delete(o.prefix);
          } else {
            const snap = index.snapshot();
            taken.push({ snap, copy: snap.map((r) => r.prefix) });
          }
        }
        const live = index.snapshot().filter((r) => !r.gone);
        const want = [...model.keys()].sort((a, b) => compareKeys(orderKey(a), orderKey(b)));
        assert.deepEqual(
          live.map((r) => r.prefix),
          want,
        );
        assert.deepEqual(
          live.map((r) => r.nexthops),
          want.map((p) => model.get(p)),
        );
        assert.equal(index.size, model.size);
        for (const t of taken)
          assert.deepEqual(
            t.snap.map((r) => r.prefix),
            t.copy,
            'an old snapshot never changes',
          );
        // A cursor: everything after a prefix, whether or not it is in the table.
        for (const p of ['10.5.0.0/20', '9.0.0.0/8', '10.40.0.0/24']) {
          const after = live.slice(indexAfter(live, orderKey(p))).map((r) => r.prefix);
          assert.deepEqual(
            after,
            want.filter((x) => compareKeys(orderKey(x), orderKey(p)) > 0),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('builds the same order in the background, in slices, while routes keep changing (property)', async () => {
    const prefix = fc.integer({ min: 0, max: 20_000 }).map((i) => `10.${i >> 8}.${i & 255}.0/24`);
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('bulk' as const),
        from: fc.integer({ min: 0, max: 15_000 }),
        n: fc.integer({ min: 0, max: 9000 }),
      }),
      fc.record({ kind: fc.constant('set' as const), prefix }),
      fc.record({ kind: fc.constant('delete' as const), prefix }),
      fc.record({ kind: fc.constant('async' as const) }),
      fc.record({ kind: fc.constant('sync' as const) }),
      fc.record({ kind: fc.constant('turn' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 12 }), async (ops) => {
        const index = new RouteIndex();
        const model = new Set<string>();
        const pending: Promise<unknown>[] = [];
        for (const o of ops) {
          if (o.kind === 'bulk') {
            for (let i = o.from; i < o.from + o.n; i++) {
              const p = `10.${i >> 8}.${i & 255}.0/24`;
              index.set(p, ['192.0.2.1']);
              model.add(p);
            }
          } else if (o.kind === 'set') {
            index.set(o.prefix, ['192.0.2.1']);
            model.add(o.prefix);
          } else if (o.kind === 'delete') {
            index.delete(o.prefix);
            model.delete(o.prefix);
          } else if (o.kind === 'async') pending.push(index.snapshotAsync());
          else if (o.kind === 'sync') index.snapshot();
          else await new Promise((r) => setImmediate(r));
        }
        await Promise.all(pending);
        await index.snapshotAsync();
        const want = [...model].sort((a, b) => compareKeys(orderKey(a), orderKey(b)));
        assert.deepEqual(
          index
            .snapshot()
            .filter((r) => !r.gone)
            .map((r) => r.prefix),
          want,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('does not grow without bound under churn that nobody reads', async () => {
    const index = new RouteIndex();
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 100; i++) index.set(`10.0.${i}.0/24`, ['192.0.2.1']);
      for (let i = 0; i < 100; i++) index.delete(`10.0.${i}.0/24`);
      await new Promise((r) => setImmediate(r));
    }
    assert.ok((index as unknown as { added: unknown[] }).added.length <= 1124);
    assert.deepEqual(index.snapshot(), []);
  });
});
