// Validation of the Rib's options and of address families (IPv4 and IPv6 unicast only).
import { parseIpv4 } from '@gannet/core';
import { BgpConfigError, BgpError } from '../errors.js';
import type { PathAttributes, UpdateMessage } from '../wire/types.js';
import type { DecisionOptions } from './decision.js';
import type { RibOptions } from './types.js';

export const SAFI_UNICAST = 1;
export const FAMILIES: readonly number[] = [1, 2];

export interface ResolvedRibOptions {
  localAsn: number;
  routerId: string;
  defaultLocalPref: number;
  /** Our cluster ID when we are a route reflector (RFC 4456), else undefined. */
  clusterId: string | undefined;
  decision: DecisionOptions;
}

export function resolveRibOptions(options: RibOptions): ResolvedRibOptions {
  const { localAsn, routerId } = options;
  if (!Number.isInteger(localAsn) || localAsn < 1 || localAsn > 0xffffffff) {
    throw new BgpConfigError(`localAsn must be an integer in 1..4294967295, got ${localAsn}`);
  }
  if (typeof routerId !== 'string' || parseIpv4(routerId) < 0) {
    throw new BgpConfigError(`routerId must be a dotted quad, got ${JSON.stringify(routerId)}`);
  }
  const maxPaths = options.maxPaths ?? 16;
  if (!Number.isInteger(maxPaths) || maxPaths < 1) throw new BgpConfigError(`maxPaths must be ≥ 1, got ${maxPaths}`);
  const defaultLocalPref = options.defaultLocalPref ?? 100;
  if (!Number.isInteger(defaultLocalPref) || defaultLocalPref < 0 || defaultLocalPref > 0xffffffff) {
    throw new BgpConfigError(`defaultLocalPref must be an integer in 0..4294967295, got ${defaultLocalPref}`);
  }
  const rr = options.routeReflector;
  const clusterId = rr === undefined ? undefined : (rr.clusterId ?? routerId);
  if (clusterId !== undefined && (typeof clusterId !== 'string' || parseIpv4(clusterId) < 0)) {
    throw new BgpConfigError(`routeReflector.clusterId must be a dotted quad, got ${JSON.stringify(clusterId)}`);
  }
  return {
    localAsn,
    routerId,
    defaultLocalPref,
    clusterId,
    decision: {
      alwaysCompareMed: options.alwaysCompareMed ?? false,
      maxPaths,
      multipathSameNeighborAs: options.multipathSameNeighborAs ?? false,
      isReachable: options.isReachable,
    },
  };
}

export function checkFamily(afi: number, safi = SAFI_UNICAST): void {
  if ((afi !== 1 && afi !== 2) || safi !== SAFI_UNICAST) {
    throw new BgpError('unsupported-family', `address family ${afi}/${safi} is not supported (IPv4/IPv6 unicast only)`);
  }
}

/** Validates an UPDATE before the Rib changes anything: supported families, a next hop for every announcement. */
export function checkUpdate(address: string, update: UpdateMessage, treatAsWithdraw: boolean): void {
  const { mpReach, mpUnreach } = update;
  for (const mp of [mpReach, mpUnreach]) if (mp) checkFamily(mp.afi, mp.safi);
  if (treatAsWithdraw) return;
  if (update.nlri.length > 0 && !update.attributes.nextHop) {
    throw new BgpError('invalid-update', `UPDATE from ${address} has IPv4 NLRI but no NEXT_HOP`);
  }
  if (mpReach && mpReach.nlri.length > 0 && !mpReach.nextHop) {
    throw new BgpError('invalid-update', `UPDATE from ${address} has MP_REACH_NLRI without a next hop`);
  }
}

/** Attributes a locally originated route may carry besides ORIGIN IGP and the empty AS_PATH. */
export type OriginAttributes = Pick<PathAttributes, 'communities' | 'largeCommunities' | 'med'>;

export function originPathAttributes(extra: OriginAttributes): PathAttributes {
  const attrs: PathAttributes = { origin: 0, asPath: [] };
  if (extra.med !== undefined) attrs.med = extra.med;
  if (extra.communities) attrs.communities = extra.communities;
  if (extra.largeCommunities) attrs.largeCommunities = extra.largeCommunities;
  return attrs;
}
