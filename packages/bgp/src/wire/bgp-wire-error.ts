// The one exception the codec throws for bad bytes: it carries the NOTIFICATION the session must send (RFC 4271 §6,
// RFC 7606) and whether the whole session or only one address family must go.
import { BgpError } from '../errors.js';
import type { AfiSafi, NotificationData } from './types.js';

export class BgpWireError extends BgpError {
  /** The NOTIFICATION to send before closing (RFC 4271 §6). */
  readonly notification: NotificationData;
  /** `afisafi-disable` (RFC 7606 §5.4) only for MP_REACH/MP_UNREACH problems; `family` then names the family. */
  readonly action: 'session-reset' | 'afisafi-disable';
  readonly family: AfiSafi | undefined;
  /** Stable kebab-case reason, e.g. `bad-marker`, `bad-length`, `unsupported-version`. */
  readonly reason: string;

  constructor(code: number, subcode: number, reason: string, data: Buffer = Buffer.alloc(0), family?: AfiSafi) {
    super('wire-malformed', `${reason} (NOTIFICATION ${code}/${subcode})`);
    this.notification = { code, subcode, data };
    this.reason = reason;
    this.family = family;
    this.action = family === undefined ? 'session-reset' : 'afisafi-disable';
  }
}

/** NOTIFICATION subcodes we raise (RFC 4271 §4.5, RFC 5492, RFC 7313). */
export const Subcode = {
  // 1: Message Header Error
  CONNECTION_NOT_SYNCHRONIZED: 1,
  BAD_MESSAGE_LENGTH: 2,
  BAD_MESSAGE_TYPE: 3,
  // 2: OPEN Message Error
  OPEN_UNSPECIFIC: 0,
  UNSUPPORTED_VERSION: 1,
  BAD_PEER_AS: 2,
  BAD_BGP_IDENTIFIER: 3,
  UNSUPPORTED_OPTIONAL_PARAMETER: 4,
  UNACCEPTABLE_HOLD_TIME: 6,
  UNSUPPORTED_CAPABILITY: 7,
  // 3: UPDATE Message Error
  MALFORMED_ATTRIBUTE_LIST: 1,
  UNRECOGNIZED_WELL_KNOWN: 2,
  MISSING_WELL_KNOWN: 3,
  ATTRIBUTE_FLAGS: 4,
  ATTRIBUTE_LENGTH: 5,
  INVALID_ORIGIN: 6,
  INVALID_NEXT_HOP: 8,
  OPTIONAL_ATTRIBUTE: 9,
  INVALID_NETWORK_FIELD: 10,
  MALFORMED_AS_PATH: 11,
  // 7: ROUTE-REFRESH Message Error
  INVALID_ROUTE_REFRESH_LENGTH: 1,
} as const;

/** Bad arguments handed to an encoder (a programming error, not bad bytes from a peer). */
export function invalidArgument(message: string): BgpError {
  return new BgpError('wire-invalid-argument', message);
}
