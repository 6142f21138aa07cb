// Building our OPEN and checking the peer's (RFC 4271 §6.2), and what the two OPENs negotiate: 4-octet AS,
// extended messages, address families, route refresh and graceful restart.
import { parseIpv4 } from '@gannet/core';
import type { Notify } from '../fsm/types.js';
import { Afi, type Capability, ErrorCode, type OpenMessage, Safi } from '../wire/types.js';

export const AS_TRANS = 23456;

const OpenError = { UNSUPPORTED_VERSION: 1, BAD_PEER_AS: 2, BAD_BGP_ID: 3, UNACCEPTABLE_HOLD_TIME: 6 } as const;

export interface OpenParams {
  asn: number;
  routerId: string;
  holdTime: number;
  families: number[]; // AFIs, unicast
  /** Advertise the graceful-restart capability (RFC 4724). */
  gracefulRestart?: { restartTime: number; restarting: boolean; forwardingStateKept: boolean; helperOnly: boolean };
}

export interface PeerGracefulRestart {
  restartTime: number; // seconds
  restarting: boolean; // R bit
  /** AFIs the peer preserves, with whether it kept forwarding state (F bit). */
  families: Map<number, boolean>;
}

export interface Negotiated {
  remoteAsn: number;
  remoteId: string;
  holdTime: number; // the peer's proposal
  fourOctetAs: boolean;
  extendedMessage: boolean;
  /** AFIs (unicast) both sides support. */
  families: number[];
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  /** The peer's graceful-restart capability, when both sides sent one. */
  peerGracefulRestart?: PeerGracefulRestart;
}

export function buildOpen(p: OpenParams): OpenMessage {
  const caps: Capability[] = p.families.map((afi) => ({ code: 1, name: 'multiprotocol', afi, safi: Safi.UNICAST }));
  caps.push({ code: 2, name: 'route-refresh' }, { code: 70, name: 'enhanced-route-refresh' });
  caps.push({ code: 65, name: 'four-octet-as', asn: p.asn }, { code: 6, name: 'extended-message' });
  const gr = p.gracefulRestart;
  if (gr) {
    caps.push({
      code: 64,
      name: 'graceful-restart',
      restartState: gr.restarting,
      notification: false,
      restartTime: Math.min(4095, Math.max(0, Math.round(gr.restartTime))),
      families: gr.helperOnly
        ? []
        : p.families.map((afi) => ({ afi, safi: Safi.UNICAST, forwardingState: gr.forwardingStateKept })),
    });
  }
  return {
    type: 'open',
    version: 4,
    myAs: p.asn > 0xffff ? AS_TRANS : p.asn,
    holdTime: p.holdTime,
    bgpId: p.routerId,
    capabilities: caps,
  };
}

function isValidBgpId(id: string): boolean {
  return parseIpv4(id) > 0;
}

/** Checks the peer's OPEN against what we expect of it; returns the negotiated parameters or the NOTIFICATION. */
export function checkOpen(
  open: OpenMessage,
  local: OpenParams,
  expectedAsn: number,
): { ok: true; negotiated: Negotiated } | { ok: false; error: Notify; reason: string } {
  const fail = (subcode: number, reason: string, data?: Buffer) => {
    const error: Notify = { code: ErrorCode.OPEN_MESSAGE, subcode };
    if (data) error.data = data;
    return { ok: false as const, error, reason };
  };
  if (open.version !== 4) return fail(OpenError.UNSUPPORTED_VERSION, 'unsupported-version', Buffer.from([0, 4]));
  const four = open.capabilities.find((c) => c.name === 'four-octet-as');
  const remoteAsn = four && four.name === 'four-octet-as' ? four.asn : open.myAs;
  if (remoteAsn !== expectedAsn) return fail(OpenError.BAD_PEER_AS, 'bad-peer-as');
  if (open.holdTime === 1 || open.holdTime === 2) return fail(OpenError.UNACCEPTABLE_HOLD_TIME, 'bad-hold-time');
  if (!isValidBgpId(open.bgpId)) return fail(OpenError.BAD_BGP_ID, 'bad-bgp-id');
  if (remoteAsn === local.asn && open.bgpId === local.routerId) return fail(OpenError.BAD_BGP_ID, 'bad-bgp-id');

  const has = (name: Capability['name']) => open.capabilities.some((c) => c.name === name);
  const mp = open.capabilities.filter((c) => c.name === 'multiprotocol' && c.safi === Safi.UNICAST);
  // A peer without any multiprotocol capability speaks IPv4 unicast only (RFC 4760 §8).
  const theirs = mp.length > 0 ? mp.map((c) => (c.name === 'multiprotocol' ? c.afi : 0)) : [Afi.IPV4];
  const negotiated: Negotiated = {
    remoteAsn,
    remoteId: open.bgpId,
    holdTime: open.holdTime,
    fourOctetAs: four !== undefined,
    extendedMessage: has('extended-message'),
    families: local.families.filter((afi) => theirs.includes(afi)),
    routeRefresh: has('route-refresh'),
    enhancedRouteRefresh: has('enhanced-route-refresh') && has('route-refresh'),
  };
  const gr = open.capabilities.find((c) => c.name === 'graceful-restart');
  if (gr && gr.name === 'graceful-restart' && local.gracefulRestart) {
    negotiated.peerGracefulRestart = {
      restartTime: gr.restartTime,
      restarting: gr.restartState,
      families: new Map(gr.families.filter((f) => f.safi === Safi.UNICAST).map((f) => [f.afi, f.forwardingState])),
    };
  }
  return { ok: true, negotiated };
}
