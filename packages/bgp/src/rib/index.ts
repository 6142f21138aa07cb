// Public API of the RIB: the Rib façade and the shapes it returns. Pure and synchronous (no sockets, no timers).
//
//   const rib = new Rib({ localAsn: 64512, routerId: '172.30.0.1' });
//   rib.addPeer({ address, asn, importPolicy: { rules }, exportPolicy: { rules }, maxPrefixes: 10_000 });
//   rib.peerUp(address, { routerId, localAddress, localAddress6 }, negotiatedAfis);   // Established
//   const { changes, events } = rib.applyUpdate(address, update, { treatAsWithdraw });  // each UPDATE
//   rib.endOfRib(address, afi);                       // EoR received: stale paths of that family swept
//   rib.peerDown(address, { graceful });              // graceful: RFC 4724 helper, paths kept as stale
//   rib.sweepStale(address);                          // the restart / stale-path timer fired
//   rib.originate('10.244.1.0/24'); rib.withdrawOrigin('10.244.1.0/24');
//   const out = rib.takeOutbound(address, 5000);      // { announce[], withdraw[], completed[] } to encode
//   rib.routeRefresh(address, afi);                   // ROUTE-REFRESH received: full re-advertisement
//
// Every mutation returns RibChange diffs (only prefixes whose best path or ECMP next hops changed). Max-prefix
// events tell the session to send Cease/1 (the NOTIFICATION data is in the event) and when it may reconnect.
export type { OutboundAnnounce, OutboundUpdate, OutboundWithdraw } from './adj-rib-out.js';
export { type DecisionReason, type Selection, selectBest } from './decision.js';
export { type OutRoute, prependAs } from './export-path.js';
export type { ChangeReason, RibChange } from './loc-rib.js';
export type { PathSource, RibPath } from './path.js';
export { Rib } from './rib.js';
export type { OriginAttributes } from './rib-options.js';
export type {
  PeerCounters,
  PeerSessionInfo,
  PolicyResult,
  RibOptions,
  RibPeerConfig,
  RibResult,
} from './types.js';
