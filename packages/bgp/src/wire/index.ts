// Public API of the wire codec (pure: no sockets, no timers, no clock).
// For src/index.ts (owned by the session engineer) the curated subset is: encodeMessage, decodeMessage,
// MessageFramer, BgpWireError, encodeUpdates, encodeWithdrawals, endOfRib, and the types BgpMessage,
// UpdateMessage, PathAttributes, CodecOptions, DecodeResult.
export { BgpWireError, Subcode } from './bgp-wire-error.js';
export { CapabilityCode } from './capabilities.js';
export {
  type EncodedAttributes,
  encodeAttributeBlock,
  encodeUpdates,
  encodeWithdrawals,
  endOfRib,
  type PackOptions,
} from './encode-updates.js';
export {
  checkHeader,
  decodeMessage,
  encodeMessage,
  HEADER_LENGTH,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
} from './message.js';
export { MessageFramer } from './message-framer.js';
export { AS_TRANS, BGP_VERSION, checkOpen, type OpenExpectation, peerAsOf } from './open.js';
export { familyOf } from './prefix.js';
export { CeaseSubcode, shutdownCommunication, shutdownNotification } from './shutdown-communication.js';
export {
  Afi,
  type AfiSafi,
  type AsPathSegment,
  AttrFlag,
  AttrType,
  type BgpMessage,
  type Capability,
  type CodecOptions,
  type DecodeResult,
  type ErrorAction,
  ErrorCode,
  type KeepaliveMessage,
  MessageType,
  type MpReach,
  type MpUnreach,
  type NotificationData,
  type NotificationMessage,
  type OpenMessage,
  type Origin,
  type PathAttributes,
  type RawAttribute,
  type RouteRefreshMessage,
  Safi,
  type UpdateError,
  type UpdateMessage,
} from './types.js';
export { strongestAction } from './update.js';
