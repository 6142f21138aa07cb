// Encoding the path attribute list: each row of the attribute table encodes its value, this writes the headers in
// type-code order with the unknown transitive attributes merged in.
import { ATTRIBUTES } from './attributes.js';
import { AttrFlag, type CodecOptions, type PathAttributes } from './types.js';

const OPTIONAL_TRANSITIVE = AttrFlag.OPTIONAL | AttrFlag.TRANSITIVE;

/** One attribute: flags (extended length set when needed), type, length, value. */
export function attributeBytes(flags: number, code: number, value: Buffer): Buffer {
  const ext = value.length > 255;
  const out = Buffer.allocUnsafe((ext ? 4 : 3) + value.length);
  out[0] = (flags & 0xe0) | (ext ? AttrFlag.EXTENDED_LENGTH : 0);
  out[1] = code;
  if (ext) out.writeUInt16BE(value.length, 2);
  else out[2] = value.length;
  value.copy(out, ext ? 4 : 3);
  return out;
}

/**
 * Encodes the path attributes (without MP_*) in type-code order, unknown transitive ones with the Partial bit set
 * (RFC 4271 §5). On 2-octet sessions 4-octet ASNs become AS_TRANS plus AS4_PATH / AS4_AGGREGATOR (RFC 6793 §4.2.2).
 */
export function encodeAttributes(attrs: PathAttributes, opts: CodecOptions): Buffer {
  const parts: Buffer[] = [];
  const unknown = [...(attrs.unknown ?? [])].sort((x, y) => x.code - y.code);
  let u = 0;
  for (let code = 1; code < 256; code++) {
    while (u < unknown.length && unknown[u]!.code === code) {
      const raw = unknown[u++]!;
      if (ATTRIBUTES[code]) continue; // a known code is never passed through raw
      const transitive = (raw.flags & OPTIONAL_TRANSITIVE) === OPTIONAL_TRANSITIVE;
      parts.push(attributeBytes(transitive ? raw.flags | AttrFlag.PARTIAL : raw.flags, code, raw.value));
    }
    const row = ATTRIBUTES[code];
    const value = row?.encode?.(attrs, opts);
    if (row && value) parts.push(attributeBytes(row.flags, code, value));
  }
  return Buffer.concat(parts);
}
