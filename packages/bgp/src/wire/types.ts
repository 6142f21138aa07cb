// BGP-4 message model: a tagged union on `type`, shared by the codec (wire/), the FSM (fsm/), sessions and RIBs.
// Prefixes are kept as strings in CIDR notation ("10.244.1.0/24", "2001:db8::/32"); addresses as strings.

/** Message type codes (RFC 4271 §4.1, RFC 2918 §3). */
export const MessageType = {
  OPEN: 1,
  UPDATE: 2,
  NOTIFICATION: 3,
  KEEPALIVE: 4,
  ROUTE_REFRESH: 5,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** Address family identifiers (IANA) and the subsequent family we use. */
export const Afi = { IPV4: 1, IPV6: 2 } as const;
export type Afi = (typeof Afi)[keyof typeof Afi];
export const Safi = { UNICAST: 1 } as const;
export type Safi = (typeof Safi)[keyof typeof Safi];

export interface AfiSafi {
  afi: number;
  safi: number;
}

/** Capabilities (RFC 5492) as parsed from/encoded into OPEN's optional parameter 2. */
export type Capability =
  | { code: 1; name: 'multiprotocol'; afi: number; safi: number } // RFC 4760
  | { code: 2; name: 'route-refresh' } // RFC 2918
  | { code: 6; name: 'extended-message' } // RFC 8654
  | {
      code: 64;
      name: 'graceful-restart'; // RFC 4724, N bit RFC 8538
      restartState: boolean; // R bit
      notification: boolean; // N bit
      restartTime: number; // seconds, 12 bits
      families: { afi: number; safi: number; forwardingState: boolean }[]; // F bit per family
    }
  | { code: 65; name: 'four-octet-as'; asn: number } // RFC 6793
  | { code: 70; name: 'enhanced-route-refresh' } // RFC 7313
  | { code: number; name: 'unknown'; value: Buffer }; // kept, ignored (RFC 5492)

export interface OpenMessage {
  type: 'open';
  version: number; // 4
  /** The 2-octet My AS field as sent (AS_TRANS 23456 when the real ASN is larger). */
  myAs: number;
  holdTime: number;
  bgpId: string; // dotted quad
  capabilities: Capability[];
}

export type AsPathSegment = { type: 'set' | 'sequence' | 'confed-sequence' | 'confed-set'; asns: number[] };

/** Path attribute type codes (IANA "BGP Path Attributes"). */
export const AttrType = {
  ORIGIN: 1,
  AS_PATH: 2,
  NEXT_HOP: 3,
  MULTI_EXIT_DISC: 4,
  LOCAL_PREF: 5,
  ATOMIC_AGGREGATE: 6,
  AGGREGATOR: 7,
  COMMUNITIES: 8,
  ORIGINATOR_ID: 9,
  CLUSTER_LIST: 10,
  MP_REACH_NLRI: 14,
  MP_UNREACH_NLRI: 15,
  AS4_PATH: 17,
  AS4_AGGREGATOR: 18,
  LARGE_COMMUNITY: 32,
} as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = { OPTIONAL: 0x80, TRANSITIVE: 0x40, PARTIAL: 0x20, EXTENDED_LENGTH: 0x10 } as const;

export type Origin = 0 | 1 | 2; // IGP, EGP, INCOMPLETE

/** An attribute we do not understand, carried as received (optional transitive ones are passed on with Partial set). */
export interface RawAttribute {
  flags: number;
  code: number;
  value: Buffer;
}

/**
 * Decoded path attributes of one UPDATE. AS numbers are always 4-octet here: the codec merges AS4_PATH /
 * AS4_AGGREGATOR into asPath / aggregator when the session is 2-octet (RFC 6793 §4.2.3) and splits them when encoding.
 */
export interface PathAttributes {
  origin?: Origin;
  asPath?: AsPathSegment[];
  nextHop?: string; // IPv4 NEXT_HOP
  med?: number;
  localPref?: number;
  atomicAggregate?: boolean;
  aggregator?: { asn: number; address: string };
  communities?: number[]; // 32-bit values
  largeCommunities?: [number, number, number][];
  /** ORIGINATOR_ID (RFC 4456 §8): the BGP identifier of the route's originator in the AS, set by a reflector. */
  originatorId?: string;
  /** CLUSTER_LIST (RFC 4456 §8): the cluster IDs (dotted quads) the route was reflected through, most recent first. */
  clusterList?: string[];
  unknown?: RawAttribute[];
}

/** MP_REACH_NLRI (RFC 4760): the IPv6 next hop may carry a link-local second address (RFC 2545). */
export interface MpReach {
  afi: number;
  safi: number;
  nextHop: string;
  linkLocalNextHop?: string;
  nlri: string[];
}
export interface MpUnreach {
  afi: number;
  safi: number;
  withdrawn: string[];
}

export interface UpdateMessage {
  type: 'update';
  withdrawn: string[]; // IPv4 unicast withdrawn routes
  attributes: PathAttributes;
  nlri: string[]; // IPv4 unicast NLRI
  mpReach?: MpReach;
  mpUnreach?: MpUnreach;
  /**
   * Set on an End-of-RIB marker (RFC 4724 §2), by the decoder from the bytes and by `endOfRib()` for the encoder: an
   * UPDATE with no withdrawn routes, no path attributes and no NLRI is IPv4 unicast's; one whose only attribute is
   * an empty MP_UNREACH_NLRI is that family's. Absent on every other UPDATE.
   */
  endOfRib?: AfiSafi;
}

export interface NotificationMessage {
  type: 'notification';
  code: number;
  subcode: number;
  data: Buffer;
}

export interface KeepaliveMessage {
  type: 'keepalive';
}

/** ROUTE-REFRESH; subtype 0 = normal, 1 = BoRR, 2 = EoRR (RFC 7313). */
export interface RouteRefreshMessage {
  type: 'route-refresh';
  afi: number;
  safi: number;
  subtype: number;
}

export type BgpMessage = OpenMessage | UpdateMessage | NotificationMessage | KeepaliveMessage | RouteRefreshMessage;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 4486, RFC 7313). */
export const ErrorCode = {
  MESSAGE_HEADER: 1,
  OPEN_MESSAGE: 2,
  UPDATE_MESSAGE: 3,
  HOLD_TIMER_EXPIRED: 4,
  FSM: 5,
  CEASE: 6,
  ROUTE_REFRESH: 7,
  /** RFC 9687: the peer did not take our data for SendHoldTime. */
  SEND_HOLD_TIMER_EXPIRED: 8,
} as const;

/** What the session must do about a malformed UPDATE (RFC 7606 §2, §3). */
export type ErrorAction = 'session-reset' | 'afisafi-disable' | 'treat-as-withdraw' | 'attribute-discard';

/** Per-session codec parameters, negotiated from both OPENs. */
export interface CodecOptions {
  /** Both sides sent the four-octet-as capability. */
  fourOctetAs: boolean;
  /** Both sides sent extended-message: the maximum message size is 65535 instead of 4096. */
  extendedMessage: boolean;
  /**
   * The peer is in another AS (eBGP). Decoding then discards LOCAL_PREF (RFC 7606 §7.5) and treats confederation
   * segments in AS_PATH as withdraw (RFC 7606 §7.2). Default false (iBGP).
   */
  external?: boolean;
  /** Longest AS_PATH accepted (ASNs counted as RFC 4271 §9.1.2.2 does); longer is treat-as-withdraw. Default 1000. */
  maxAsPathLength?: number;
  /**
   * Families negotiated with the peer (multiprotocol capabilities on both sides). When given, MP_REACH_NLRI and
   * MP_UNREACH_NLRI of any other family are discarded unparsed (`*-family-not-negotiated`). Default: not checked.
   */
  families?: readonly AfiSafi[];
}

/** A NOTIFICATION to send (RFC 4271 §4.5): error code, subcode and data. */
export interface NotificationData {
  code: number;
  subcode: number;
  data: Buffer;
}

/** One RFC 7606 problem found in an UPDATE that did not need a session reset. */
export interface UpdateError {
  /** Path attribute type code concerned (0 when the problem is not tied to one attribute). */
  attribute: number;
  /** Stable kebab-case reason, e.g. `origin-bad-length`, `missing-as-path`, `duplicate-attribute`. */
  reason: string;
  action: ErrorAction;
}

/**
 * What decodeMessage returns. For UPDATEs, `errors` lists every RFC 7606 problem and `action` is the strongest:
 * `treat-as-withdraw` means every prefix in `nlri` and `mpReach.nlri` must be handled as withdrawn;
 * `attribute-discard` means the offending attributes were dropped and the rest of the message is good.
 */
export interface DecodeResult {
  message: BgpMessage;
  errors: UpdateError[];
  action?: ErrorAction;
}
