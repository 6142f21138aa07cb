// Public API of the RIB: the Rib façade and the shapes it returns.
export type { OutboundAnnounce, OutboundUpdate, OutboundWithdraw } from './adj-rib-out.js';
export { type DecisionReason, type Selection, selectBest } from './decision.js';
export { type OutRoute, prependAs } from './export-path.js';
export type { ChangeReason, RibChange } from './loc-rib.js';
export type { PathSource, RibPath } from './path.js';
export { type OriginAttributes, Rib } from './rib.js';
export type { PeerCounters, PeerSessionInfo, RibOptions, RibPeerConfig, RibResult } from './types.js';
