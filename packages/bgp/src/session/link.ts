// One TCP connection to a peer and the FSM that drives it (a peer has one, and a second one during a collision),
// with the single timer that turns the FSM's earliest deadline into an event.
import type { Clock, TimerHandle } from '@gannet/core';
import { initialFsmState } from '../fsm/step.js';
import type { FsmConfig, FsmState, TimerName } from '../fsm/types.js';
import type { Connection } from './connection.js';
import { MessageCodec } from './message-codec.js';
import type { Negotiated } from './open.js';

export interface Link {
  fsm: FsmState;
  conn?: Connection;
  outgoing: boolean;
  codec: MessageCodec;
  negotiated?: Negotiated;
  timer?: TimerHandle;
  /** Bumped per connect attempt and on close: a late connect result for an older attempt is dropped. */
  attempt: number;
  /** The last write was not taken: wait for 'drain' (and run the send hold timer). */
  blocked: boolean;
}

export function newLink(fsm: FsmConfig): Link {
  return { fsm: initialFsmState(fsm), outgoing: false, codec: new MessageCodec(), attempt: 0, blocked: false };
}

export function clearLinkTimer(clock: Clock, link: Link): void {
  if (link.timer !== undefined) clock.clearTimeout(link.timer);
  link.timer = undefined;
}

/** Arms the link's timer for its FSM's earliest deadline; `fire` gets the timer's name when it is due. */
export function scheduleLinkTimer(clock: Clock, link: Link, fire: (name: TimerName) => void): void {
  clearLinkTimer(clock, link);
  let next: { name: TimerName; at: number } | undefined;
  for (const [name, at] of Object.entries(link.fsm.deadlines) as [TimerName, number][]) {
    if (!next || at < next.at) next = { name, at };
  }
  if (!next) return;
  const { name } = next;
  link.timer = clock.setTimeout(() => {
    link.timer = undefined;
    fire(name);
  }, next.at - clock.now());
}
