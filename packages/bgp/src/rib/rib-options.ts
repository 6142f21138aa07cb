// Validation of the Rib's options and of address families (IPv4 and IPv6 unicast only).
import { BgpConfigError, BgpError } from '../errors.js';
import type { DecisionOptions } from './decision.js';
import type { RibOptions } from './types.js';

export const SAFI_UNICAST = 1;
export const FAMILIES: readonly number[] = [1, 2];

export interface ResolvedRibOptions {
  localAsn: number;
  routerId: string;
  defaultLocalPref: number;
  decision: DecisionOptions;
}

export function resolveRibOptions(options: RibOptions): ResolvedRibOptions {
  const { localAsn, routerId } = options;
  if (!Number.isInteger(localAsn) || localAsn < 1 || localAsn > 0xffffffff) {
    throw new BgpConfigError(`localAsn must be an integer in 1..4294967295, got ${localAsn}`);
  }
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(routerId) || routerId.split('.').some((o) => Number(o) > 255)) {
    throw new BgpConfigError(`routerId must be a dotted quad, got ${JSON.stringify(routerId)}`);
  }
  const maxPaths = options.maxPaths ?? 16;
  if (!Number.isInteger(maxPaths) || maxPaths < 1) throw new BgpConfigError(`maxPaths must be ≥ 1, got ${maxPaths}`);
  const defaultLocalPref = options.defaultLocalPref ?? 100;
  if (!Number.isInteger(defaultLocalPref) || defaultLocalPref < 0 || defaultLocalPref > 0xffffffff) {
    throw new BgpConfigError(`defaultLocalPref must be an integer in 0..4294967295, got ${defaultLocalPref}`);
  }
  return {
    localAsn,
    routerId,
    defaultLocalPref,
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
