// The peer options that say what we attach to the routes we send (communities, large communities, LOCAL_PREF, MED,
// AS_PATH prepend), as text the way operators write them, and their translation into the RIB's ExportAttributes.
import { BgpConfigError } from './errors.js';
import { parseCommunity, parseLargeCommunity } from './policy/communities.js';
import { checkExportAttributes, type ExportAttributes, isEmptyExport } from './rib/export-attributes.js';

export interface PeerExportOptions {
  /** Standard communities added to every route sent: "65000:100", or a well-known name ("no-export"). */
  communities?: string[];
  /** Large communities added to every route sent: "65000:1:2". */
  largeCommunities?: string[];
  /** LOCAL_PREF of the routes sent (iBGP peers only; ignored towards eBGP). */
  localPref?: number;
  /** MULTI_EXIT_DISC of the routes sent. */
  med?: number;
  /** Our ASN prepended this many more times (0..10, eBGP peers only; ignored towards iBGP). */
  asPathPrepend?: number;
}

/** The RIB's form of a peer's export options (undefined when they attach nothing); throws BgpConfigError. */
export function exportAttributesOf(p: PeerExportOptions, at = ''): ExportAttributes | undefined {
  const a: ExportAttributes = {};
  for (const k of ['communities', 'largeCommunities'] as const) {
    const v = p[k];
    if (v !== undefined && (!Array.isArray(v) || !v.every((x) => typeof x === 'string'))) {
      throw new BgpConfigError(`${at}${k} must be a list of strings`);
    }
  }
  const wrap = <T>(name: string, f: () => T): T => {
    try {
      return f();
    } catch (err) {
      throw new BgpConfigError(`${at}${name}: ${(err as Error).message}`, { cause: err });
    }
  };
  if (p.communities?.length)
    a.communities = p.communities.map((c, i) => wrap(`communities[${i}]`, () => parseCommunity(c)));
  if (p.largeCommunities?.length) {
    a.largeCommunities = p.largeCommunities.map((c, i) => wrap(`largeCommunities[${i}]`, () => parseLargeCommunity(c)));
  }
  if (p.localPref !== undefined) a.localPref = p.localPref;
  if (p.med !== undefined) a.med = p.med;
  if (p.asPathPrepend !== undefined) a.asPathPrepend = p.asPathPrepend;
  checkExportAttributes(a, at);
  return isEmptyExport(a) ? undefined : a;
}

/** A stable text of the export options (part of the peer's key). */
export function peerExportKey(p: PeerExportOptions): string {
  return JSON.stringify([p.communities ?? [], p.largeCommunities ?? [], p.localPref, p.med, p.asPathPrepend ?? 0]);
}

/** The options without their export attributes (to tell a policy-only change from one that resets the session). */
export function withoutExport<T extends PeerExportOptions>(p: T): Omit<T, keyof PeerExportOptions> {
  const { communities: _c, largeCommunities: _l, localPref: _p, med: _m, asPathPrepend: _a, ...rest } = p;
  return rest;
}
