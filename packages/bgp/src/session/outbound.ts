// What the session sends from the Adj-RIB-Out: pending changes grouped by attribute set, turned into UPDATE
// messages (the codec packs them to the negotiated size); and RFC 7606 treat-as-withdraw for what it receives.
import type { PathAttributes, UpdateMessage } from '../wire/types.js';

/** Pending changes towards the peer, grouped by attribute set; `completed`: families whose full advertisement ended. */
export interface Outbound {
  announce: {
    afi: number;
    attributes: Readonly<PathAttributes>;
    nextHop: string;
    linkLocalNextHop: string | undefined;
    prefixes: string[];
  }[];
  withdraw: { afi: number; prefixes: string[] }[];
  completed: number[];
}

export function withdrawal(afi: number, prefixes: string[]): UpdateMessage {
  if (afi === 1) return { type: 'update', withdrawn: prefixes, attributes: {}, nlri: [] };
  return { type: 'update', withdrawn: [], attributes: {}, nlri: [], mpUnreach: { afi, safi: 1, withdrawn: prefixes } };
}

export function announcement(a: Outbound['announce'][number]): UpdateMessage {
  if (a.afi === 1) {
    return { type: 'update', withdrawn: [], attributes: { ...a.attributes, nextHop: a.nextHop }, nlri: a.prefixes };
  }
  const { nextHop: _v4, ...attributes } = a.attributes;
  const mpReach: NonNullable<UpdateMessage['mpReach']> = { afi: a.afi, safi: 1, nextHop: a.nextHop, nlri: a.prefixes };
  if (a.linkLocalNextHop) mpReach.linkLocalNextHop = a.linkLocalNextHop;
  return { type: 'update', withdrawn: [], attributes, nlri: [], mpReach };
}

/** RFC 7606 treat-as-withdraw: every prefix the UPDATE announces is handled as withdrawn. */
export function treatAsWithdraw(u: UpdateMessage): UpdateMessage {
  const out: UpdateMessage = { type: 'update', withdrawn: u.withdrawn.concat(u.nlri), attributes: {}, nlri: [] };
  const v6: string[] = (u.mpUnreach?.withdrawn ?? []).slice();
  if (u.mpReach) for (const p of u.mpReach.nlri) v6.push(p);
  const afi = u.mpReach?.afi ?? u.mpUnreach?.afi;
  if (v6.length > 0 && afi !== undefined) out.mpUnreach = { afi, safi: 1, withdrawn: v6 };
  return out;
}
