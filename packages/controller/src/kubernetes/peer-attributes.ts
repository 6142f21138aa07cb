// BGPPeer.spec and BGPConfiguration.spec.peerDefaults: what we attach to the routes sent to a peer (communities,
// largeCommunities, localPref, med, asPathPrepend), and the community keys of prefix rules, checked with
// @gannet/bgp's own parsers. Errors are messages naming the field; the caller wraps them.
import { MAX_AS_PATH_PREPEND, tryParseCommunity, tryParseLargeCommunity } from '@gannet/bgp';
import { COMMUNITY_HINT, LARGE_COMMUNITY_HINT } from '../config/load-peer-attributes.js';
import type { PeerAttributes, PrefixRule } from '../config/types.js';

const U32 = 4_294_967_295;

function strings(v: unknown, key: string, ok: (s: string) => boolean, hint: string): string[] {
  if (!Array.isArray(v)) throw new Error(`${key}: must be a list`);
  return v.map((s, i) => {
    if (typeof s !== 'string' || !ok(s)) throw new Error(`${key}[${i}]: ${JSON.stringify(s)} is not ${hint}`);
    return s;
  });
}

function int(v: unknown, key: string, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max)
    throw new Error(`${key}: must be an integer 0..${max}`);
  return v;
}

/** The attribute fields of a spec (`prefix` names where they sit, e.g. "spec." or "spec.peerDefaults."). */
export function attributesFromSpec(s: PeerAttributes, prefix: string): PeerAttributes {
  const out: PeerAttributes = {};
  if (s.communities !== undefined) {
    out.communities = strings(
      s.communities,
      `${prefix}communities`,
      (x) => tryParseCommunity(x) !== undefined,
      `a community: write ${COMMUNITY_HINT}`,
    );
  }
  if (s.largeCommunities !== undefined) {
    out.largeCommunities = strings(
      s.largeCommunities,
      `${prefix}largeCommunities`,
      (x) => tryParseLargeCommunity(x) !== undefined,
      `a large community: write ${LARGE_COMMUNITY_HINT}`,
    );
  }
  if (s.localPref !== undefined) out.localPref = int(s.localPref, `${prefix}localPref`, U32);
  if (s.med !== undefined) out.med = int(s.med, `${prefix}med`, U32);
  if (s.asPathPrepend !== undefined)
    out.asPathPrepend = int(s.asPathPrepend, `${prefix}asPathPrepend`, MAX_AS_PATH_PREPEND);
  return out;
}

/** A prefix rule's community and largeCommunity, copied into `rule` when valid. */
export function ruleCommunities(r: PrefixRule, key: string, rule: PrefixRule): void {
  if (r.community !== undefined) {
    if (typeof r.community !== 'string' || tryParseCommunity(r.community) === undefined) {
      throw new Error(`${key}.community: ${JSON.stringify(r.community)} is not a community: write ${COMMUNITY_HINT}`);
    }
    rule.community = r.community;
  }
  if (r.largeCommunity !== undefined) {
    if (typeof r.largeCommunity !== 'string' || tryParseLargeCommunity(r.largeCommunity) === undefined) {
      throw new Error(
        `${key}.largeCommunity: ${JSON.stringify(r.largeCommunity)} is not a large community: write ${LARGE_COMMUNITY_HINT}`,
      );
    }
    rule.largeCommunity = r.largeCommunity;
  }
}
