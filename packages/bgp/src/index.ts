// Public API of @gannet/bgp: a curated list of named re-exports (see ../../../shared/STYLE.md).
export { type Clock, systemClock } from '@gannet/core';
export {
  BfdManager,
  type BfdManagerOptions,
  type BfdPeerOptions,
  type BfdSessionStatus,
  type BfdStateEvent,
} from './bfd/bfd-manager.js';
export type { BfdService } from './bfd/bfd-service.js';
export { BfdWorker, type BfdWorkerOptions, type BfdWorkerSource, bfdWorkerUrl } from './bfd/bfd-worker.js';
export { type BfdPacket, type BfdStateName, decodeBfdPacket, encodeBfdPacket } from './bfd/packet.js';
export { type BfdConfig, type BfdEvent, type BfdSessionState, bfdStep, initialBfdState } from './bfd/step.js';
export {
  BFD_PORT,
  type BfdTransport,
  type BfdTransportFactory,
  MemoryBfdNetwork,
  udpBfdTransport,
} from './bfd/transport.js';
export { attachTtlFilter } from './bfd/ttl-filter.js';
export type { PeerRangeOptions } from './dynamic-peers.js';
export { BgpConfigError, BgpError, BgpStateError } from './errors.js';
export type { FsmReason, SessionState } from './fsm/types.js';
export type { PeerExportOptions } from './peer-export.js';
export {
  formatCommunity,
  formatLargeCommunity,
  parseCommunity,
  parseLargeCommunity,
  tryParseCommunity,
  tryParseLargeCommunity,
  WellKnownCommunity,
} from './policy/communities.js';
export { PrefixFilter, type PrefixRule } from './policy/prefix-filter.js';
export type { ExportExplanation, PathExplanation, PrefixExplanation } from './rib/explain.js';
export { MAX_AS_PATH_PREPEND } from './rib/export-attributes.js';
export {
  type Connection,
  type ConnectionFactory,
  createTcpConnectionFactory,
  type Listener,
  type TransportSecurity,
  tcpConnectionFactory,
} from './session/connection.js';
export { MemoryNetwork } from './session/memory-net.js';
export { MemorySocketOptions, type MemorySocketState } from './session/memory-socket-options.js';
export type { Logger } from './session/peer-session.js';
export {
  type IpFamily,
  MD5_MAX_KEY_BYTES,
  nativeSocketOptions,
  peerFamily,
  readTcpMd5Counters,
  type SocketOptions,
  socketFd,
} from './session/socket-options.js';
export {
  type BestChange,
  createSpeaker,
  type PeerStateEvent,
  type PeerStatus,
  type RouteStatus,
  type Speaker,
  type SpeakerEvents,
} from './speaker.js';
export type {
  Family,
  GracefulRestartOptions,
  PeerBfdOptions,
  PeerOptions,
  SpeakerOptions,
} from './speaker-options.js';
export { BgpWireError, decodeMessage, encodeMessage, encodeUpdates, endOfRib, MessageFramer } from './wire/index.js';
export type { BgpMessage, CodecOptions, UpdateMessage } from './wire/types.js';
