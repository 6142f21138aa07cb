// What we attach to the routes we send one peer (per-peer outbound policy, like a router's route-map out): standard
// and large communities added, LOCAL_PREF (iBGP only), MED, and our ASN prepended N more times (eBGP only). Applied
// in the Adj-RIB-Out per peer (exportPath), memoised per path like the rest of the export, so the UPDATEs towards one
// peer still pack many prefixes per attribute set.
import { BgpConfigError } from '../errors.js';
import type { AsPathSegment, PathAttributes } from '../wire/types.js';

/** Most extra copies of our ASN: longer prepends only make the path look like a loop to some filters. */
export const MAX_AS_PATH_PREPEND = 10;

export interface ExportAttributes {
  /** Standard communities (32-bit values) added to every route sent. */
  communities?: readonly number[];
  /** Large communities added to every route sent. */
  largeCommunities?: readonly (readonly [number, number, number])[];
  /** LOCAL_PREF towards an iBGP peer (ignored towards eBGP, where LOCAL_PREF is never sent: RFC 4271 §5.1.5). */
  localPref?: number;
  /** MULTI_EXIT_DISC, replacing any other. */
  med?: number;
  /**
   * Our ASN prepended this many more times towards an eBGP peer (1..10; ignored towards iBGP: a speaker in our own
   * AS would see its AS in the path and drop the route as a loop).
   */
  asPathPrepend?: number;
}

function checkU32(v: unknown, name: string): void {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xffffffff) {
    throw new BgpConfigError(`${name} must be an integer in 0..4294967295, got ${JSON.stringify(v)}`);
  }
}

/** Validates export attributes; `at` prefixes the messages (e.g. "peer 192.0.2.1: "). */
export function checkExportAttributes(a: ExportAttributes, at = ''): void {
  if (a.communities !== undefined) {
    if (!Array.isArray(a.communities)) throw new BgpConfigError(`${at}communities must be a list`);
    for (const [i, c] of a.communities.entries()) checkU32(c, `${at}communities[${i}]`);
  }
  if (a.largeCommunities !== undefined) {
    if (!Array.isArray(a.largeCommunities)) throw new BgpConfigError(`${at}largeCommunities must be a list`);
    a.largeCommunities.forEach((c, i) => {
      if (!Array.isArray(c) || c.length !== 3) throw new BgpConfigError(`${at}largeCommunities[${i}] must be 3 parts`);
      for (const [j, x] of c.entries()) checkU32(x, `${at}largeCommunities[${i}][${j}]`);
    });
  }
  if (a.localPref !== undefined) checkU32(a.localPref, `${at}localPref`);
  if (a.med !== undefined) checkU32(a.med, `${at}med`);
  const n = a.asPathPrepend;
  if (n !== undefined && (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > MAX_AS_PATH_PREPEND)) {
    throw new BgpConfigError(`${at}asPathPrepend must be an integer in 0..${MAX_AS_PATH_PREPEND}, got ${n}`);
  }
}

/** True when the attributes change nothing (no work per exported path). */
export function isEmptyExport(a: ExportAttributes | undefined): boolean {
  return (
    a === undefined ||
    ((a.communities?.length ?? 0) === 0 &&
      (a.largeCommunities?.length ?? 0) === 0 &&
      a.localPref === undefined &&
      a.med === undefined &&
      (a.asPathPrepend ?? 0) === 0)
  );
}

/** A stable text of the attributes, to tell whether a change needs the Adj-RIB-Out re-examined. */
export function exportAttributesKey(a: ExportAttributes | undefined): string {
  if (isEmptyExport(a)) return '';
  return JSON.stringify([a?.communities, a?.largeCommunities, a?.localPref, a?.med, a?.asPathPrepend ?? 0]);
}

/**
 * Applies `a` to `out`, the exported attributes being built for one peer (asPath already has our ASN in front
 * towards eBGP). Communities keep the order received, ours added after, duplicates dropped.
 */
export function applyExportAttributes(out: PathAttributes, a: ExportAttributes, ebgp: boolean, localAsn: number): void {
  if (a.communities && a.communities.length > 0) {
    const have = out.communities ?? [];
    const add = a.communities.filter((c, i) => !have.includes(c) && a.communities!.indexOf(c) === i);
    if (add.length > 0) out.communities = [...have, ...add];
  }
  if (a.largeCommunities && a.largeCommunities.length > 0) {
    const have = out.largeCommunities ?? [];
    const seen = new Set(have.map((c) => `${c[0]}:${c[1]}:${c[2]}`));
    const merged = [...have];
    for (const c of a.largeCommunities) {
      const k = `${c[0]}:${c[1]}:${c[2]}`;
      if (seen.has(k)) continue;
      seen.add(k);
      merged.push([c[0], c[1], c[2]]);
    }
    if (merged.length > have.length) out.largeCommunities = merged;
  }
  if (a.med !== undefined) out.med = a.med;
  if (!ebgp && a.localPref !== undefined) out.localPref = a.localPref;
  const n = a.asPathPrepend ?? 0;
  if (ebgp && n > 0) out.asPath = prependRepeated(out.asPath ?? [], localAsn, n);
}

/** `n` more copies of `asn` in front of the leading AS_SEQUENCE (new segments when it would pass 255 ASNs). */
function prependRepeated(path: AsPathSegment[], asn: number, n: number): AsPathSegment[] {
  const copy = path.map((s) => ({ type: s.type, asns: [...s.asns] }));
  let left = n;
  while (left > 0) {
    const first = copy[0];
    if (first && first.type === 'sequence' && first.asns.length < 255) {
      first.asns.unshift(asn);
      left--;
    } else {
      copy.unshift({ type: 'sequence', asns: [] });
    }
  }
  return copy;
}
