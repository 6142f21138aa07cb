// In-process ingest: 1,000,000 IPv4 /24s pre-encoded by our encoder (~1000 per 4096-octet UPDATE, as the e2e
// bgp-ingest generator sends them), then decodeMessage + Rib.applyUpdate for each, with the import list the agent
// configures. No socket, no child process: the CPU and heap of the speaker's hot path alone. Printed beside a
// reference run in the same process: decoding alone (the floor the RIB adds to), and BIRD 2's measured whole-daemon
// ingest from the e2e bench. Run: `pnpm bench update-ingest` (node --expose-gc).
import { Rib } from '../src/rib/rib.js';
import { decodeMessage, encodeUpdates } from '../src/wire/index.js';
import type { UpdateMessage } from '../src/wire/types.js';

const TOTAL = Number(process.env.INGEST_BENCH_PREFIXES ?? 1_000_000);
const PEER = '10.255.1.1';
const BIRD = { seconds: 0.85, mb: 94 }; // e2e bgp-ingest, BIRD 2 at 1M (2026-11-23, this machine)
const opts = { fourOctetAs: true, extendedMessage: false, external: true };

const gc = (globalThis as { gc?: () => void }).gc;
const mb = (bytes: number) => (bytes / 1048576).toFixed(1);
function settle(): void {
  gc?.();
  gc?.();
}

function encodeAll(): Buffer[] {
  const prefixes: string[] = [];
  for (let i = 0; i < TOTAL; i++) prefixes.push(`${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`);
  const attrs = { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: [65001, 64999] }], nextHop: PEER };
  return encodeUpdates(attrs, prefixes, opts);
}

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

const updates = encodeAll();
settle();

// Reference: decoding alone (every prefix string made, then dropped).
const decodeOnly = timed(() => {
  let n = 0;
  for (const u of updates) n += (decodeMessage(u, opts).message as UpdateMessage).nlri.length;
  return n;
});
settle();
const base = process.memoryUsage().heapUsed;

const rib = new Rib({ localAsn: 65000, routerId: '10.255.0.1' });
rib.addPeer({
  address: PEER,
  asn: 65001,
  importPolicy: { rules: [{ prefix: '0.0.0.0/0', le: 32, action: 'permit' }] },
});
rib.peerUp(PEER, { routerId: '10.255.0.2', localAddress: '10.255.1.2' });
const ingest = timed(() => {
  let n = 0;
  for (const u of updates) n += rib.applyUpdate(PEER, decodeMessage(u, opts).message as UpdateMessage).changes.length;
  return n;
});
settle();
const heap = process.memoryUsage().heapUsed - base;
if (ingest.value !== TOTAL || rib.size(1) !== TOTAL || decodeOnly.value !== TOTAL) {
  throw new Error(`expected ${TOTAL} prefixes, got ${ingest.value} changes, ${rib.size(1)} routes`);
}

const rate = (s: number) => Math.round(TOTAL / s).toLocaleString('en-US');
console.log(
  `UPDATE ingest in-process, ${TOTAL.toLocaleString('en-US')} IPv4 /24s in ${updates.length} UPDATEs, node ${process.version}`,
);
console.log('');
console.log('| run                                   | seconds | prefixes/s  | retained heap MB |');
console.log('| ------------------------------------- | ------- | ----------- | ---------------- |');
const row = (name: string, s: number, heapMb: string) =>
  console.log(
    `| ${name.padEnd(37)} | ${s.toFixed(3).padStart(7)} | ${rate(s).padStart(11)} | ${heapMb.padStart(16)} |`,
  );
row('reference: decodeMessage only', decodeOnly.seconds, '-');
row('decodeMessage + Rib.applyUpdate', ingest.seconds, mb(heap));
row('reference: BIRD 2 daemon (e2e bench)', BIRD.seconds, String(BIRD.mb));
console.log('');
console.log(
  `decode + RIB is ${(BIRD.seconds / ingest.seconds).toFixed(2)}× BIRD's whole-daemon rate (goal ≥ 0.5× for the ` +
    'whole speaker, which adds TCP, framing and session work).',
);
if (!gc) console.log('(run with --expose-gc for exact heap figures)');
