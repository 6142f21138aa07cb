// Export benchmark: N IPv4 prefixes learned from one eBGP peer (~820 per UPDATE, one attribute set each), sent to
// two established eBGP peers: one with nothing attached (the reference, in the same process) and one with what an
// operator attaches (2 communities, 1 large community, MED, AS_PATH prepended 3 times). Times the Adj-RIB-Out take
// (export + grouping by attribute set) and the packing into 4096-octet UPDATEs, and counts the UPDATEs: attributes
// attached per peer must keep many prefixes per UPDATE. Run: `pnpm bench export` (node --expose-gc).
import { Rib } from '../src/rib/rib.js';
import { announcement } from '../src/session/outbound.js';
import { encodeUpdates } from '../src/wire/encode-updates.js';
import type { CodecOptions, PathAttributes } from '../src/wire/types.js';

const TOTAL = Number(process.env.EXPORT_BENCH_PREFIXES ?? 200_000);
const PER_UPDATE = 820;
const ROUNDS = 3;
const FEED = '192.0.2.1';
const PLAIN = '192.0.2.2';
const TAGGED = '192.0.2.3';
const OPTS: CodecOptions = { fourOctetAs: true, extendedMessage: false, external: true };

const gc = (globalThis as { gc?: () => void }).gc;

function attrsFor(batch: number): PathAttributes {
  return {
    origin: 0,
    asPath: [{ type: 'sequence', asns: [65001, 64000 + (batch % 500), 3000 + (batch % 97)] }],
    nextHop: FEED,
    communities: [(65001 << 16) | (batch % 1000)],
  };
}

function prefixes(from: number, n: number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = 0x01000000 + (from + i) * 256;
    out[i] = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.0/24`;
  }
  return out;
}

interface Run {
  takeSeconds: number;
  encodeSeconds: number;
  updates: number;
  bytes: number;
  groups: number;
}

/** Takes a peer's whole Adj-RIB-Out (as the session does, 5,000 prefixes per pull) and packs it. */
function drain(rib: Rib, peer: string): Run {
  const r: Run = { takeSeconds: 0, encodeSeconds: 0, updates: 0, bytes: 0, groups: 0 };
  for (let guard = 0; guard < 1_000_000; guard++) {
    const t0 = performance.now();
    const out = rib.takeOutbound(peer, 5000);
    const t1 = performance.now();
    for (const a of out.announce) {
      for (const b of encodeUpdates(announcement(a), OPTS)) {
        r.updates++;
        r.bytes += b.length;
      }
    }
    r.takeSeconds += (t1 - t0) / 1000;
    r.encodeSeconds += (performance.now() - t1) / 1000;
    r.groups += out.announce.length;
    if (out.announce.length === 0 && out.withdraw.length === 0 && out.completed.length === 0) return r;
  }
  throw new Error('drain never ended');
}

const rib = new Rib({ localAsn: 64512, routerId: '10.0.0.254' });
const permit = { rules: [], defaultAction: 'permit' as const };
rib.addPeer({ address: FEED, asn: 65001, importPolicy: permit });
rib.addPeer({ address: PLAIN, asn: 65002, exportPolicy: permit });
rib.addPeer({
  address: TAGGED,
  asn: 65003,
  exportPolicy: permit,
  exportAttributes: {
    communities: [0xfc000064, 0xffffff01],
    largeCommunities: [[64512, 1, 2]],
    med: 10,
    asPathPrepend: 3,
  },
});
rib.peerUp(FEED, { routerId: '10.0.0.1', localAddress: '192.0.2.254' });
for (let i = 0, b = 0; i < TOTAL; i += PER_UPDATE, b++) {
  rib.announce(FEED, 1, prefixes(i, Math.min(PER_UPDATE, TOTAL - i)), attrsFor(b), FEED);
}

const runs: Record<string, Run[]> = { plain: [], tagged: [] };
for (let round = 0; round < ROUNDS; round++) {
  // Interleaved, each peer brought up afresh: a full initial advertisement every round.
  for (const [name, peer] of [
    ['plain', PLAIN],
    ['tagged', TAGGED],
  ] as const) {
    gc?.();
    rib.peerUp(peer, { routerId: peer === PLAIN ? '10.0.0.2' : '10.0.0.3', localAddress: '192.0.2.254' });
    runs[name]!.push(drain(rib, peer));
    rib.peerDown(peer, { graceful: false });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log(
  `Export to one eBGP peer: ${TOTAL.toLocaleString('en-US')} IPv4 prefixes in ${Math.ceil(TOTAL / PER_UPDATE)} ` +
    `attribute sets, median of ${ROUNDS} interleaved rounds, node ${process.version}`,
);
console.log('');
console.log(
  '| peer                                   | take s | encode s | prefixes/s | UPDATEs | prefixes/UPDATE | KB     |',
);
console.log(
  '| -------------------------------------- | ------ | -------- | ---------- | ------- | --------------- | ------ |',
);
for (const [name, label] of [
  ['plain', 'reference: nothing attached'],
  ['tagged', '2 communities, 1 large, MED, prepend 3'],
] as const) {
  const rs = runs[name]!;
  const take = median(rs.map((r) => r.takeSeconds));
  const enc = median(rs.map((r) => r.encodeSeconds));
  const last = rs.at(-1)!;
  console.log(
    `| ${label.padEnd(38)} | ${take.toFixed(3).padStart(6)} | ${enc.toFixed(3).padStart(8)} | ` +
      `${Math.round(TOTAL / (take + enc))
        .toLocaleString('en-US')
        .padStart(10)} | ${String(last.updates).padStart(7)} | ` +
      `${(TOTAL / last.updates).toFixed(0).padStart(15)} | ${(last.bytes / 1024).toFixed(0).padStart(6)} |`,
  );
}
const p = runs.plain!;
const t = runs.tagged!;
const ratio =
  median(t.map((r) => r.takeSeconds + r.encodeSeconds)) / median(p.map((r) => r.takeSeconds + r.encodeSeconds));
console.log('');
console.log(`attached / reference time: ${ratio.toFixed(2)}× (goal ≤ 1.2×; UPDATE count within a few % of reference)`);
