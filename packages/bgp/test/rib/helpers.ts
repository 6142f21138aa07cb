// Builders shared by the RIB tests.

import { createSource, InternedPath, type PathSource } from '../../src/rib/path.js';
import type { PathAttributes } from '../../src/wire/types.js';

export const LOCAL_ASN = 64512;

export interface PathSpec {
  kind?: 'ebgp' | 'ibgp' | 'local';
  peer?: string;
  asn?: number;
  routerId?: string;
  attrs?: PathAttributes;
  nh?: string;
  afi?: number;
}

const sources = new Map<string, PathSource>();

/** One source object per (kind, peer, asn, routerId), as the Rib keeps one per peer. */
export function source(kind: PathSource['kind'], peer: string, asn: number, routerId: string): PathSource {
  const key = `${kind}|${peer}|${asn}|${routerId}`;
  let s = sources.get(key);
  if (!s) {
    s = createSource(kind, peer, asn, LOCAL_ASN, routerId);
    sources.set(key, s);
  }
  return s;
}

export function path(spec: PathSpec = {}): InternedPath {
  const kind = spec.kind ?? 'ebgp';
  const asn = spec.asn ?? (kind === 'ibgp' || kind === 'local' ? LOCAL_ASN : 65001);
  const peer = spec.peer ?? (kind === 'local' ? '' : '192.0.2.1');
  const src = source(kind, peer, asn, spec.routerId ?? '10.0.0.1');
  const attrs: PathAttributes = spec.attrs ?? {
    origin: 0,
    asPath: kind === 'ebgp' ? [{ type: 'sequence', asns: [asn] }] : [],
  };
  const nh = spec.nh ?? (kind === 'local' ? '' : peer);
  return new InternedPath('k', src, spec.afi ?? 1, attrs, nh, undefined, 100);
}

export function seq(...asns: number[]): PathAttributes['asPath'] {
  return [{ type: 'sequence', asns }];
}
