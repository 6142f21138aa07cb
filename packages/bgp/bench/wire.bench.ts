// Wire codec benchmark: 100,000 and 1,000,000 IPv4 prefixes encoded with encodeUpdates (as many NLRI per 4096-octet
// UPDATE as fit), then framed from 64 KiB chunks and decoded (prefix strings built), as a session ingests a full
// table. Printed beside a reference run in the same process on the same bytes: a bare walk of the NLRI octets that
// builds nothing (the floor of any decoder), and BIRD 2's measured whole-daemon ingest from DESIGN.md.
// Run: `pnpm bench wire` (node --expose-gc).
import { encodeAttributeBlock, encodeUpdates } from '../src/wire/encode-updates.js';
import { decodeMessage } from '../src/wire/message.js';
import { MessageFramer } from '../src/wire/message-framer.js';
import type { CodecOptions, PathAttributes } from '../src/wire/types.js';

const OPTS: CodecOptions = { fourOctetAs: true, extendedMessage: false, external: true };
const BIRD = { seconds: 0.6, prefixes: 1_000_000 }; // DESIGN.md: BIRD 2 ingesting 1M prefixes packed ~820 per UPDATE
const CHUNK = 65536;
const BATCH = 4000; // prefixes handed to encodeUpdates per attribute set

const gc = (globalThis as { gc?: () => void }).gc;
const rate = (n: number, s: number) => `${(n / s / 1e6).toFixed(2)} M/s`;

function prefixes(n: number): string[] {
  const out: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const v = 0x01000000 + i * 256;
    out[i] = `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.0/24`;
  }
  return out;
}

function attrsFor(batch: number): PathAttributes {
  return {
    origin: 0,
    asPath: [{ type: 'sequence', asns: [65001, 64000 + (batch % 500), 3000 + (batch % 97)] }],
    nextHop: '192.0.2.1',
    med: batch % 3,
    communities: [(65001 << 16) | (batch % 1000)],
  };
}

function timed<T>(f: () => T): { value: T; seconds: number } {
  const t0 = performance.now();
  const value = f();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

function encodeAll(list: string[]): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0, b = 0; i < list.length; i += BATCH, b++) {
    const block = encodeAttributeBlock(attrsFor(b), OPTS);
    for (const m of encodeUpdates(block, list.slice(i, i + BATCH), OPTS)) out.push(m);
  }
  return out;
}

function decodeAll(stream: Buffer): number {
  const framer = new MessageFramer();
  let n = 0;
  for (let off = 0; off < stream.length; off += CHUNK) {
    for (const frame of framer.push(stream.subarray(off, off + CHUNK))) {
      const { message } = decodeMessage(frame, OPTS);
      if (message.type === 'update') n += message.nlri.length;
    }
  }
  return n;
}

/** Reference floor: frame by the length field and step over every NLRI, building nothing. */
function walkAll(stream: Buffer): number {
  let n = 0;
  for (let p = 0; p < stream.length; ) {
    const len = stream.readUInt16BE(p + 16);
    const w = stream.readUInt16BE(p + 19);
    const a = stream.readUInt16BE(p + 21 + w);
    for (let q = p + 23 + w + a; q < p + len; q += 1 + ((stream[q]! + 7) >> 3)) n++;
    p += len;
  }
  return n;
}

for (const total of [100_000, 1_000_000]) {
  const list = prefixes(total);
  encodeAll(list.slice(0, 20_000)); // warm-up
  decodeAll(Buffer.concat(encodeAll(list.slice(0, 20_000))));
  gc?.();
  const enc = timed(() => encodeAll(list));
  const stream = Buffer.concat(enc.value);
  gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const dec = timed(() => decodeAll(stream));
  const heapMb = (process.memoryUsage().heapUsed - heap0) / 1048576;
  const walk = timed(() => walkAll(stream));
  if (dec.value !== total || walk.value !== total)
    throw new Error(`decoded ${dec.value}, walked ${walk.value}, sent ${total}`);
  const perUpdate = Math.round(total / enc.value.length);
  console.log(
    `${total.toLocaleString('en')} prefixes, ${enc.value.length} UPDATEs (~${perUpdate} NLRI each), ${(stream.length / 1048576).toFixed(1)} MiB`,
  );
  console.log(`  encode (encodeUpdates)        ${enc.seconds.toFixed(3)} s  ${rate(total, enc.seconds)}`);
  console.log(
    `  frame + decode (strings)      ${dec.seconds.toFixed(3)} s  ${rate(total, dec.seconds)}  heap +${heapMb.toFixed(0)} MiB`,
  );
  console.log(`  reference: bare NLRI walk     ${walk.seconds.toFixed(3)} s  ${rate(total, walk.seconds)}`);
  console.log(
    `  reference: BIRD 2 whole ingest ${(BIRD.seconds * (total / BIRD.prefixes)).toFixed(3)} s  ${rate(BIRD.prefixes, BIRD.seconds)} (DESIGN.md, scaled)`,
  );
}
console.log(`peak RSS ${(process.memoryUsage().rss / 1048576).toFixed(0)} MiB`);
