// The BFD session state machine (RFC 5880 §6.8, asynchronous mode) as one pure function of (state, event, env):
// reception (§6.8.6), detection time (§6.8.4), transmission with jitter (§6.8.7), timer changes through a Poll
// Sequence (§6.5, §6.8.3) and local Admin-Down. Timers are absolute deadlines; the driver turns them into events.
import { BfdDiag, type BfdPacket, type BfdStateName } from './packet.js';

export interface BfdConfig {
  /** bfd.DesiredMinTxInterval, µs. */
  desiredMinTxUs: number;
  /** bfd.RequiredMinRxInterval, µs. */
  requiredMinRxUs: number;
  /** bfd.DetectMult. */
  detectMult: number;
  /** Set the C bit: our BFD does not share fate with the control plane (false: it runs in the agent's process). */
  cpi?: boolean;
}

/** What the remote system last told us (§6.8.1 bfd.Remote* variables and the fields the decisions need). */
export interface BfdRemote {
  readonly state: BfdStateName;
  readonly diag: number;
  /** bfd.RemoteMinRxInterval, µs (1 until a packet arrives, §6.8.1). */
  readonly minRxUs: number;
  readonly desiredMinTxUs: number;
  readonly detectMult: number;
  readonly demand: boolean;
  readonly cpi: boolean;
}

export interface BfdSessionState {
  readonly state: BfdStateName;
  readonly localDiscr: number;
  /** bfd.RemoteDiscr: 0 until the peer's My Discriminator is known, and again after the detection time expired. */
  readonly remoteDiscr: number;
  readonly localDiag: number;
  readonly config: BfdConfig;
  /** Desired Min TX we advertise now: the configured value when Up, at least 1 s otherwise (§6.8.3). */
  readonly advertisedTxUs: number;
  /** Values in force for our transmit interval and our detection time: the previous ones while a Poll Sequence for
   * a change runs, when the change would be unsafe before the peer acknowledges it (§6.8.3). */
  readonly txInUseUs: number;
  readonly rxInUseUs: number;
  /** A Poll Sequence is in progress: periodic packets carry P until a packet with F arrives. */
  readonly polling: boolean;
  readonly remote: BfdRemote;
  /** Absolute deadlines (Clock.now() ms). */
  readonly deadlines: Readonly<{ tx?: number; detect?: number }>;
}

export type BfdEvent =
  | { type: 'start' }
  | { type: 'received'; packet: BfdPacket }
  | { type: 'timer'; timer: 'tx' | 'detect' }
  | { type: 'admin-down' }
  | { type: 'admin-up' }
  | { type: 'configure'; config: BfdConfig };

export interface BfdEnv {
  now: number;
  /** [0, 1), for the transmit jitter. */
  random: () => number;
}

export type BfdAction = { type: 'send'; packet: BfdPacket };

export interface BfdTransition {
  from: BfdStateName;
  to: BfdStateName;
  /** bfd.LocalDiag after the transition (why we went down). */
  diag: number;
  /** The peer's state, diagnostic and C bit as last received. */
  remote: BfdRemote;
}

export interface BfdStepResult {
  state: BfdSessionState;
  actions: BfdAction[];
  transition?: BfdTransition;
}

/** §6.8.3: Desired Min TX is at least one second while the session is not Up. */
export const SLOW_TX_US = 1_000_000;

const INITIAL_REMOTE: BfdRemote = {
  state: 'Down',
  diag: 0,
  minRxUs: 1,
  desiredMinTxUs: 0,
  detectMult: 0,
  demand: false,
  cpi: false,
};

export function checkBfdConfig(c: BfdConfig): void {
  for (const k of ['desiredMinTxUs', 'requiredMinRxUs'] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1 || c[k] > 0xffffffff) throw new RangeError(`${k} must be 1..2^32-1 µs`);
  }
  if (!Number.isInteger(c.detectMult) || c.detectMult < 1 || c.detectMult > 255) {
    throw new RangeError('detectMult must be 1..255');
  }
}

export function initialBfdState(config: BfdConfig, localDiscr: number): BfdSessionState {
  checkBfdConfig(config);
  if (!Number.isInteger(localDiscr) || localDiscr < 1 || localDiscr > 0xffffffff) {
    throw new RangeError('the local discriminator must be 1..2^32-1');
  }
  const tx = Math.max(SLOW_TX_US, config.desiredMinTxUs);
  return {
    state: 'Down',
    localDiscr,
    remoteDiscr: 0,
    localDiag: BfdDiag.None,
    config,
    advertisedTxUs: tx,
    txInUseUs: tx,
    rxInUseUs: config.requiredMinRxUs,
    polling: false,
    remote: INITIAL_REMOTE,
    deadlines: {},
  };
}

/** The agreed transmit interval (§6.8.2): the larger of our Desired Min TX in force and the peer's Required Min RX. */
export function txIntervalUs(s: BfdSessionState): number {
  return Math.max(s.txInUseUs, s.remote.minRxUs);
}

/** The detection time (§6.8.4): the peer's Detect Mult × the larger of our Required Min RX and its Desired Min TX. */
export function detectionTimeUs(s: BfdSessionState): number {
  return s.remote.detectMult * Math.max(s.rxInUseUs, s.remote.desiredMinTxUs);
}

/** The packet we send now (§6.8.7); `final` answers a Poll (and then P is clear). */
export function controlPacket(s: BfdSessionState, final = false): BfdPacket {
  return {
    version: 1,
    diag: s.localDiag,
    state: s.state,
    poll: s.polling && !final,
    final,
    cpi: s.config.cpi === true,
    auth: false,
    demand: false,
    multipoint: false,
    detectMult: s.config.detectMult,
    myDiscr: s.localDiscr,
    yourDiscr: s.remoteDiscr,
    desiredMinTxUs: s.advertisedTxUs,
    requiredMinRxUs: s.config.requiredMinRxUs,
    requiredMinEchoRxUs: 0, // no Echo function
  };
}

/** One step of a BFD session. Pure: the same (state, event, env) always gives the same result. */
export function bfdStep(state: BfdSessionState, event: BfdEvent, env: BfdEnv): BfdStepResult {
  let s: BfdSessionState = state;
  const actions: BfdAction[] = [];
  let transition: BfdTransition | undefined;
  const intervalBefore = txIntervalUs(s);
  let sendNow = false;
  let sendFinal = false;

  const to = (next: BfdStateName, diag: number): void => {
    const from = s.state;
    const up = next === 'Up';
    // Leaving or reaching Up changes the advertised Desired Min TX (§6.8.3). Reaching Up starts a Poll Sequence
    // so the peer takes our faster rate; leaving it drops any Poll Sequence and goes back to the slow rate at once.
    const adv = up ? s.config.desiredMinTxUs : Math.max(SLOW_TX_US, s.config.desiredMinTxUs);
    const polling = up && adv !== s.advertisedTxUs;
    s = {
      ...s,
      state: next,
      localDiag: diag,
      advertisedTxUs: adv,
      txInUseUs: up ? Math.min(s.txInUseUs, adv) : adv,
      rxInUseUs: up ? s.rxInUseUs : s.config.requiredMinRxUs,
      polling,
    };
    if (from !== next) {
      transition = { from, to: next, diag, remote: s.remote };
      sendNow = true; // tell the peer without waiting for the next period (the 3-way handshake, a local down)
    }
  };

  switch (event.type) {
    case 'start':
      sendNow = s.state !== 'AdminDown' || s.remoteDiscr !== 0;
      break;

    case 'timer': {
      if (s.deadlines[event.timer] === undefined) break; // stale timer event
      const { [event.timer]: _done, ...rest } = s.deadlines;
      s = { ...s, deadlines: rest };
      if (event.timer === 'tx') {
        if (transmits(s)) actions.push({ type: 'send', packet: controlPacket(s) });
      } else {
        // §6.8.4: no packet for a Detection Time: a live session goes Down and bfd.RemoteDiscr is zeroed (§6.8.1).
        // What the peer last said (its state, diagnostic, timers) stays, for status.
        if (s.state === 'Init' || s.state === 'Up') to('Down', BfdDiag.DetectExpired);
        s = { ...s, remoteDiscr: 0 };
      }
      break;
    }

    case 'received': {
      const p = event.packet;
      // §6.8.6, after the packet-only checks of decodeBfdPacket.
      s = {
        ...s,
        remoteDiscr: p.myDiscr,
        remote: {
          state: p.state,
          diag: p.diag,
          minRxUs: p.requiredMinRxUs,
          desiredMinTxUs: p.desiredMinTxUs,
          detectMult: p.detectMult,
          demand: p.demand,
          cpi: p.cpi,
        },
      };
      if (p.final && s.polling) {
        // The Poll Sequence is over: the new values take effect in both directions.
        s = { ...s, polling: false, txInUseUs: s.advertisedTxUs, rxInUseUs: s.config.requiredMinRxUs };
      }
      if (s.state === 'AdminDown') break; // discard
      if (p.state === 'AdminDown') {
        if (s.state !== 'Down') to('Down', BfdDiag.NeighborDown);
      } else if (s.state === 'Down') {
        if (p.state === 'Down') to('Init', BfdDiag.None);
        else if (p.state === 'Init') to('Up', BfdDiag.None);
      } else if (s.state === 'Init') {
        if (p.state === 'Init' || p.state === 'Up') to('Up', BfdDiag.None);
      } else if (p.state === 'Down') {
        to('Down', BfdDiag.NeighborDown);
      }
      if (p.poll) sendFinal = true; // §6.8.7: answer a Poll at once, P clear and F set
      s = { ...s, deadlines: { ...s.deadlines, detect: env.now + detectionTimeUs(s) / 1000 } };
      break;
    }

    case 'admin-down':
      if (s.state !== 'AdminDown') {
        to('AdminDown', BfdDiag.AdminDown);
        const { detect: _d, ...rest } = s.deadlines;
        s = { ...s, deadlines: rest };
      }
      break;

    case 'admin-up':
      if (s.state === 'AdminDown') to('Down', BfdDiag.None);
      break;

    case 'configure': {
      const c = event.config;
      checkBfdConfig(c);
      const old = s;
      const up = s.state === 'Up';
      const adv = up ? c.desiredMinTxUs : Math.max(SLOW_TX_US, c.desiredMinTxUs);
      const changed = adv !== old.advertisedTxUs || c.requiredMinRxUs !== old.config.requiredMinRxUs;
      s = { ...s, config: c, advertisedTxUs: adv };
      if (!up) {
        s = { ...s, txInUseUs: adv, rxInUseUs: c.requiredMinRxUs };
      } else if (changed) {
        // §6.8.3: a slower transmit rate and a faster expected receive rate wait for the peer's Final; the safe
        // direction applies at once.
        s = {
          ...s,
          polling: true,
          txInUseUs: Math.min(adv, old.txInUseUs),
          rxInUseUs: Math.max(c.requiredMinRxUs, old.rxInUseUs),
        };
      }
      if (s.deadlines.detect !== undefined && s.remote.detectMult > 0) {
        s = { ...s, deadlines: { ...s.deadlines, detect: env.now + detectionTimeUs(s) / 1000 } };
      }
      break;
    }
  }

  if (sendFinal) actions.push({ type: 'send', packet: controlPacket(s, true) });
  else if (sendNow && transmits(s)) actions.push({ type: 'send', packet: controlPacket(s) });

  // The periodic transmission: (re)armed when none is pending, when a packet just went out, or when the interval
  // became shorter than what is left of the pending one.
  if (!transmits(s)) {
    const { tx: _t, ...rest } = s.deadlines;
    s = { ...s, deadlines: rest };
  } else {
    const interval = txIntervalUs(s);
    const next = env.now + jittered(interval, s.config.detectMult, env.random) / 1000;
    const pending = s.deadlines.tx;
    const sent = actions.length > 0 && event.type !== 'received';
    if (pending === undefined || sent || (interval !== intervalBefore && next < pending)) {
      s = { ...s, deadlines: { ...s.deadlines, tx: next } };
    }
  }
  return transition ? { state: s, actions, transition } : { state: s, actions };
}

/**
 * Whether periodic packets go out (§6.8.7): not before the peer's Required Min RX is non-zero, and not while the
 * peer runs Demand mode with both ends Up.
 */
function transmits(s: BfdSessionState): boolean {
  if (s.remote.minRxUs === 0) return false;
  if (s.remote.demand && s.state === 'Up' && s.remote.state === 'Up') return false;
  return true;
}

/** §6.8.7: the interval less 0–25% at random; with Detect Mult 1, between 75% and 90% of it. */
export function jittered(intervalUs: number, detectMult: number, random: () => number): number {
  const r = random();
  return detectMult === 1 ? intervalUs * (0.75 + 0.15 * r) : intervalUs * (1 - 0.25 * r);
}
