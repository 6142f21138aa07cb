// AS_PATH / AS4_PATH (RFC 4271 §4.3, RFC 6793, RFC 5065 segment types) and the RFC 6793 §4.2.3 merge of AS4_PATH
// into AS_PATH on sessions with a 2-octet peer.
import type { AsPathSegment } from './types.js';

const SEGMENT_CODE = { set: 1, sequence: 2, 'confed-sequence': 3, 'confed-set': 4 } as const;
const SEGMENT_TYPE = [undefined, 'set', 'sequence', 'confed-sequence', 'confed-set'] as const;

/**
 * Decodes path segments from buf[start, end) with 2- or 4-octet ASNs. Returns the RFC 7606 §7.2 reason when the
 * path is malformed (unknown segment type, zero-length segment, overrun, a lone trailing octet).
 */
export function decodeAsPath(buf: Buffer, start: number, end: number, asSize: 2 | 4): AsPathSegment[] | string {
  const segments: AsPathSegment[] = [];
  let p = start;
  while (p < end) {
    if (p + 2 > end) return 'segment-underrun';
    const type = SEGMENT_TYPE[buf[p]!];
    const count = buf[p + 1]!;
    if (type === undefined) return 'segment-type-invalid';
    if (count === 0) return 'segment-empty';
    if (p + 2 + count * asSize > end) return 'segment-overrun';
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++) {
      asns[i] = asSize === 4 ? buf.readUInt32BE(p + 2 + 4 * i) : buf.readUInt16BE(p + 2 + 2 * i);
    }
    segments.push({ type, asns });
    p += 2 + count * asSize;
  }
  return segments;
}

/** Encodes segments with 2- or 4-octet ASNs; a segment longer than 255 ASNs is split (RFC 4271 §5.1.2). */
export function encodeAsPath(
  segments: readonly AsPathSegment[],
  asSize: 2 | 4,
  mapAs?: (asn: number) => number,
): Buffer {
  let size = 0;
  for (const s of segments) size += 2 * Math.ceil(s.asns.length / 255) + s.asns.length * asSize;
  const buf = Buffer.alloc(size);
  let p = 0;
  for (const s of segments) {
    for (let from = 0; from < s.asns.length; from += 255) {
      const n = Math.min(255, s.asns.length - from);
      buf[p] = SEGMENT_CODE[s.type];
      buf[p + 1] = n;
      p += 2;
      for (let i = from; i < from + n; i++) {
        const asn = mapAs ? mapAs(s.asns[i]!) : s.asns[i]!;
        if (asSize === 4) buf.writeUInt32BE(asn, p);
        else buf.writeUInt16BE(asn, p);
        p += asSize;
      }
    }
  }
  return buf;
}

/** Path length as the decision process counts it (RFC 4271 §9.1.2.2): a set counts 1, confederation segments 0. */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === 'sequence') n += s.asns.length;
    else if (s.type === 'set') n += 1;
  }
  return n;
}

export function hasConfedSegment(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.type === 'confed-sequence' || s.type === 'confed-set');
}

/**
 * RFC 6793 §4.2.3: rebuilds the 4-octet path from AS_PATH (as received from a 2-octet peer) and AS4_PATH. When
 * AS_PATH is shorter than AS4_PATH, AS4_PATH is ignored. Otherwise the leading ASNs AS_PATH has in excess are
 * prepended to AS4_PATH, with the confederation segments that lead or sit next to a prepended segment.
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  let need = asPathLength(asPath) - asPathLength(as4Path);
  if (need < 0) return asPath.map((s) => ({ type: s.type, asns: [...s.asns] }));
  const out: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === 'confed-sequence' || s.type === 'confed-set') {
      out.push({ type: s.type, asns: [...s.asns] });
      continue;
    }
    if (need === 0) break;
    if (s.type === 'set') {
      out.push({ type: 'set', asns: [...s.asns] });
      need -= 1;
      continue;
    }
    const take = Math.min(need, s.asns.length);
    out.push({ type: 'sequence', asns: s.asns.slice(0, take) });
    need -= take;
    if (take < s.asns.length) break;
  }
  // A sequence cut from AS_PATH and the first sequence of AS4_PATH are one sequence.
  as4Path.forEach((s, i) => {
    const last = out[out.length - 1];
    if (i === 0 && last?.type === 'sequence' && s.type === 'sequence' && last.asns.length + s.asns.length <= 255) {
      last.asns.push(...s.asns);
    } else {
      out.push({ type: s.type, asns: [...s.asns] });
    }
  });
  return out;
}

/** True when some ASN needs 4 octets (the path then travels to a 2-octet peer with AS_TRANS and an AS4_PATH). */
export function needsAs4(segments: readonly AsPathSegment[]): boolean {
  return segments.some((s) => s.asns.some((a) => a > 0xffff));
}
