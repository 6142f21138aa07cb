// Helpers for annotated byte vectors (mqtt-packet style): a vector is the message body written octet by octet with
// comments; frame() adds the 19-octet header, bothWays() checks decode and encode against the same bytes.
import assert from 'node:assert/strict';
import { decodeMessage, encodeMessage } from '../../src/wire/index.js';
import type { BgpMessage, CodecOptions } from '../../src/wire/types.js';

export const OPTS4: CodecOptions = { fourOctetAs: true, extendedMessage: false };
export const OPTS2: CodecOptions = { fourOctetAs: false, extendedMessage: false };

/** Marker, length, type, then the body. */
export function frame(type: number, ...body: number[]): Buffer {
  const len = 19 + body.length;
  return Buffer.from([...new Array(16).fill(0xff), len >> 8, len & 0xff, type, ...body]);
}

/** decode(bytes) deep-equals msg with no RFC 7606 errors, and encode(msg) gives the same bytes (nothing left over). */
export function bothWays(bytes: Buffer, msg: BgpMessage, opts: CodecOptions = OPTS4): void {
  const decoded = decodeMessage(bytes, opts);
  assert.deepEqual(decoded, { message: msg, errors: [] });
  const encoded = encodeMessage(msg, opts);
  assert.equal(encoded.toString('hex'), bytes.toString('hex'));
}

/** Octets of a 16-bit value. */
export const u16 = (v: number): number[] => [v >> 8, v & 0xff];
/** Octets of a 32-bit value. */
export const u32 = (v: number): number[] => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
