// RIB micro-benchmark: 1,000,000 IPv4 prefixes through Adj-RIB-In → Loc-RIB, packed ~820 per UPDATE (one attribute
// set per UPDATE, as a full table arrives), then a second peer with the same prefixes (two candidates each), then
// withdrawals. Printed beside a reference run in the same process: a bare Map<string, object> of the same prefixes
// (the floor any JS RIB pays), and BIRD 2's measured whole-daemon ingest from DESIGN.md (wire decoding included).
// Run: `pnpm bench rib` (node --expose-gc).
import { Rib } from '../src/rib/rib.js';
import type { PathAttributes } from '../src/wire/types.js';

const TOTAL = Number(process.env.RIB_BENCH_PREFIXES ?? 1_000_000);
const PER_UPDATE = 820;
const A = '192.0.2.1';
const B = '192.0.2.2';
const BIRD = { seconds: 0.6, mb: 94 }; // DESIGN.md: BIRD 2 ingesting 1M prefixes packed ~820 per UPDATE

const gc = (globalThis as { gc?: () => void }).gc;
function settle(): void {
  gc?.();
  gc?.();
}
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);

function makePrefixes(n: number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = 0x01000000 + i * 256; // 1.0.0.0/24, 1.0.1.0/24, …
    out[i] = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.0/24`;
  }
  return out;
}

function attrsFor(batch: number, peerAs: number, extra: number): PathAttributes {
  return {
    origin: 0,
    asPath: [{ type: 'sequence', asns: [peerAs, 64000 + (batch % 500), 3000 + (batch % 97), ...Array(extra).fill(7)] }],
    nextHop: peerAs === 65001 ? A : B,
    med: batch % 3,
    communities: [(65001 << 16) | (batch % 1000)],
  };
}

function batches(prefixes: string[]): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < prefixes.length; i += PER_UPDATE) out.push(prefixes.slice(i, i + PER_UPDATE));
  return out;
}

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

// Each run gets its own freshly built strings (as the codec would decode them), so no run finds hashes cached.
settle();
const base0 = process.memoryUsage().heapUsed;
const refUpdates = batches(makePrefixes(TOTAL));
const updates = batches(makePrefixes(TOTAL));
settle();
const base = process.memoryUsage();
const stringsMb = mb((base.heapUsed - base0) / 2);

// Reference: a bare Map from prefix to a per-UPDATE shared object.
const ref = timed(() => {
  const m = new Map<string, object>();
  refUpdates.forEach((u, i) => {
    const a = attrsFor(i, 65001, 0);
    for (const p of u) m.set(p, a);
  });
  return m;
});
settle();
const refHeap = process.memoryUsage().heapUsed - base.heapUsed;
ref.value.clear();
refUpdates.length = 0;
settle();
const ribBase = process.memoryUsage().heapUsed;

const rib = new Rib({ localAsn: 64512, routerId: '10.0.0.254' });
const permit = { rules: [], defaultAction: 'permit' as const };
rib.addPeer({ address: A, asn: 65001, importPolicy: permit });
rib.addPeer({ address: B, asn: 65002, importPolicy: permit });
rib.peerUp(A, { routerId: '10.0.0.1', localAddress: '192.0.2.254' });
rib.peerUp(B, { routerId: '10.0.0.2', localAddress: '192.0.2.254' });

let changes = 0;
const one = timed(() => {
  updates.forEach((u, i) => {
    changes += rib.announce(A, 1, u, attrsFor(i, 65001, 0), A).changes.length;
  });
});
settle();
const oneMem = process.memoryUsage();
const oneHeap = oneMem.heapUsed - ribBase;
const oneRss = oneMem.rss;
if (changes !== TOTAL || rib.size(1) !== TOTAL) throw new Error(`expected ${TOTAL} changes, got ${changes}`);

let changes2 = 0;
const two = timed(() => {
  updates.forEach((u, i) => {
    changes2 += rib.announce(B, 1, u, attrsFor(i, 65002, 1), B).changes.length; // longer AS_PATH: not best
  });
});
settle();
const twoHeap = process.memoryUsage().heapUsed - ribBase;

let changes3 = 0;
const wd = timed(() => {
  for (const u of updates) changes3 += rib.withdraw(A, 1, u).length; // B's paths become best
});

// With policy as the agent configures it: an import prefix list on the feeding peer and an established eBGP peer
// whose export list is checked for every change.
const C = '192.0.2.3';
rib.addPeer({
  address: C,
  asn: 65003,
  importPolicy: {
    rules: [
      { prefix: '10.244.1.0/24', ge: 24, le: 32, action: 'deny' },
      { prefix: '0.0.0.0/0', le: 24, action: 'permit' },
    ],
  },
});
rib.addPeer({
  address: '192.0.2.4',
  asn: 65004,
  exportPolicy: { rules: [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' }] },
});
rib.peerUp(C, { routerId: '10.0.0.3', localAddress: '192.0.2.254' });
rib.peerUp('192.0.2.4', { routerId: '10.0.0.4', localAddress: '192.0.2.254' });
let changes4 = 0;
const pol = timed(() => {
  updates.forEach((u, i) => {
    const a: PathAttributes = { origin: 0, asPath: [{ type: 'sequence', asns: [65003, i % 50] }], nextHop: C };
    changes4 += rib.announce(C, 1, u, a, C).changes.length; // shorter AS_PATH than B's: every prefix changes
  });
});

// Graceful restart of peer 2 (helper mode): mark 1M paths stale, re-learn half of them, End-of-RIB sweeps the rest.
const grDown = timed(() => rib.peerDown(B, { graceful: true }).length);
rib.peerUp(B, { routerId: '10.0.0.2', localAddress: '192.0.2.254' });
const grRelearn = timed(() => {
  let n = 0;
  updates.forEach((u, i) => {
    if (i % 2 === 0) n += rib.announce(B, 1, u, attrsFor(i, 65002, 1), B).changes.length;
  });
  return n;
});
const grEor = timed(() => rib.endOfRib(B, 1).length);

const rate = (s: number) => Math.round(TOTAL / s).toLocaleString('en-US');
console.log(
  `RIB ingest, ${TOTAL.toLocaleString('en-US')} IPv4 prefixes, ${PER_UPDATE} per UPDATE, node ${process.version}`,
);
console.log('');
console.log('| run                                      | seconds | prefixes/s  | heap MB | changes   |');
console.log('| ---------------------------------------- | ------- | ----------- | ------- | --------- |');
const row = (name: string, s: number, heap: number | string, n: number | string, perPrefix = true) =>
  console.log(
    `| ${name.padEnd(40)} | ${s.toFixed(3).padStart(7)} | ${(perPrefix ? rate(s) : '-').padStart(11)} | ${String(heap).padStart(7)} | ${String(n).padStart(9)} |`,
  );
row('reference: bare Map<prefix, attrs>', ref.seconds, mb(refHeap), '-');
row('Rib: 1 peer, Adj-RIB-In → Loc-RIB', one.seconds, mb(oneHeap), changes);
row('Rib: 2nd peer, same prefixes (worse)', two.seconds, mb(twoHeap), changes2);
row('Rib: withdraw all of peer 1', wd.seconds, '-', changes3);
row('Rib: 3rd peer via import+export lists', pol.seconds, '-', changes4);
row('Rib: peer 2 graceful down (1M now stale)', grDown.seconds, '-', grDown.value, false);
row('Rib: peer 2 re-learns half (no change)', grRelearn.seconds, '-', grRelearn.value, false);
row('Rib: peer 2 End-of-RIB sweeps other half', grEor.seconds, '-', grEor.value, false);
row('reference: BIRD 2 daemon (DESIGN.md)', BIRD.seconds, BIRD.mb, '-');
console.log('');
console.log(
  `Rib 1-peer ingest is ${(BIRD.seconds / one.seconds).toFixed(2)}× BIRD's whole-daemon rate (goal ≥ 0.5×, the ` +
    `speaker adds decoding). Rib heap ${mb(oneHeap)} MB vs bare Map ${mb(refHeap)} MB, plus ${stringsMb} MB of ` +
    `prefix strings in both; this process's RSS after the 1-peer ingest ${mb(oneRss)} MB (it also holds the ` +
    `reference run's freed pages and a second copy of the strings; BIRD 94 MB, goal ≤ 3× = 282 MB for the speaker).`,
);
if (!gc) console.log('(run with --expose-gc for exact heap figures)');
