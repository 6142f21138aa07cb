// Max-prefix per peer and family: a warning when the accepted count reaches the warning threshold (90% by default),
// then, above the limit, an event telling the session to send Cease / Maximum Number of Prefixes Reached with the
// RFC 4486 §4 data (AFI 2 octets, SAFI 1 octet, the limit 4 octets) and to reconnect only after a hold-down.
import { BgpError } from '../errors.js';

export interface MaxPrefixConfig {
  /** Highest number of accepted prefixes per family; more is a Cease. */
  limit: number;
  /** Warn at this percentage of the limit (default 90). */
  warningPercent?: number;
  /** Seconds the session should wait before reconnecting after the Cease (default 60). */
  restartAfterSeconds?: number;
}

export interface MaxPrefixWarning {
  type: 'max-prefix-warning';
  peer: string;
  afi: number;
  safi: number;
  count: number;
  limit: number;
}

export interface MaxPrefixExceeded {
  type: 'max-prefix-exceeded';
  peer: string;
  afi: number;
  safi: number;
  count: number;
  limit: number;
  /** The NOTIFICATION to send: Cease (6) / Maximum Number of Prefixes Reached (1), RFC 4486 data. */
  notification: { code: 6; subcode: 1; data: Buffer };
  /** Hold-down before the session may reconnect. */
  restartAfterSeconds: number;
}

export type MaxPrefixEvent = MaxPrefixWarning | MaxPrefixExceeded;

/** RFC 4486 §4 data: AFI (2 octets), SAFI (1 octet), prefix upper bound (4 octets). */
export function maxPrefixData(afi: number, safi: number, limit: number): Buffer {
  const b = Buffer.alloc(7);
  b.writeUInt16BE(afi, 0);
  b.writeUInt8(safi, 2);
  b.writeUInt32BE(Math.min(limit, 0xffffffff), 3);
  return b;
}

export class MaxPrefixGuard {
  readonly limit: number;
  readonly warnAt: number;
  readonly restartAfterSeconds: number;
  private readonly warned = new Set<number>();
  private readonly exceededFamilies = new Set<number>();

  constructor(
    readonly peer: string,
    config: MaxPrefixConfig,
  ) {
    const { limit, warningPercent = 90, restartAfterSeconds = 60 } = config;
    if (!Number.isInteger(limit) || limit < 1 || limit > 0xffffffff) {
      throw new BgpError('invalid-config', `maxPrefixes must be an integer in 1..4294967295, got ${limit}`);
    }
    if (!(warningPercent > 0 && warningPercent <= 100)) {
      throw new BgpError('invalid-config', `max-prefix warningPercent must be in (0, 100], got ${warningPercent}`);
    }
    if (!(restartAfterSeconds >= 0)) {
      throw new BgpError('invalid-config', `max-prefix restartAfterSeconds must be ≥ 0, got ${restartAfterSeconds}`);
    }
    this.limit = limit;
    this.warnAt = Math.ceil((limit * warningPercent) / 100);
    this.restartAfterSeconds = restartAfterSeconds;
  }

  /** True once the family went over the limit (until reset()). */
  exceeded(afi: number): boolean {
    return this.exceededFamilies.has(afi);
  }

  /** Checks a family's accepted count; returns at most one event per threshold crossing. */
  check(afi: number, safi: number, count: number): MaxPrefixEvent | undefined {
    if (count > this.limit) {
      if (this.exceededFamilies.has(afi)) return undefined;
      this.exceededFamilies.add(afi);
      this.warned.add(afi);
      return {
        type: 'max-prefix-exceeded',
        peer: this.peer,
        afi,
        safi,
        count,
        limit: this.limit,
        notification: { code: 6, subcode: 1, data: maxPrefixData(afi, safi, this.limit) },
        restartAfterSeconds: this.restartAfterSeconds,
      };
    }
    if (count >= this.warnAt) {
      if (this.warned.has(afi)) return undefined;
      this.warned.add(afi);
      return { type: 'max-prefix-warning', peer: this.peer, afi, safi, count, limit: this.limit };
    }
    this.warned.delete(afi); // fell below the threshold: warn again next time
    return undefined;
  }

  /** A new session: forget warnings and exceeded state. */
  reset(): void {
    this.warned.clear();
    this.exceededFamilies.clear();
  }
}
