// The BGP finite state machine's model (RFC 4271 §8): states, events, actions. step() in step.ts maps
// (state, event) to (state, actions); the session carries the actions out and turns deadlines into timer events.

/** RFC 4271 state names, as the status API and `gannet status` print them. */
export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** 'send-hold': RFC 9687 SendHoldTimer, running while we have data the peer does not take. */
export type TimerName = 'connect-retry' | 'hold' | 'keepalive' | 'idle-hold' | 'send-hold';

export interface Notify {
  code: number;
  subcode: number;
  data?: Buffer;
}

export interface FsmConfig {
  /** Only accept connections, never connect out. */
  passive: boolean;
  /** Hold time we propose in our OPEN, seconds (0, or 3..65535). */
  holdTime: number;
  /** Delay between connection attempts while a connection is pending (ConnectRetryTimer), ms. */
  connectRetryMs: number;
  /** Reconnect backoff after a failure: initial delay, doubled per consecutive failure up to maxMs, jittered. */
  backoff: { initialMs: number; maxMs: number };
  /** RFC 9687 SendHoldTime, ms; default the negotiated hold time (before it is known, or when it is 0: 8 min). */
  sendHoldMs?: number;
}

export interface FsmState {
  readonly state: SessionState;
  readonly config: FsmConfig;
  /** Administratively started (ManualStart seen, no ManualStop since). */
  readonly started: boolean;
  /** Consecutive failures since the last Established; drives the backoff. */
  readonly failures: number;
  /** Negotiated hold time and keepalive interval, seconds (0 = no timers). */
  readonly holdTime: number;
  readonly keepaliveTime: number;
  /** Absolute deadlines (Clock.now() ms) of the running timers. */
  readonly deadlines: Readonly<Partial<Record<TimerName, number>>>;
  /** Reason of the last transition: one of a closed set, which decisions (graceful restart) switch on. */
  readonly reason: FsmReason;
  /** The event's own words for it when it had some (the caller's stop reason, the connect error, the decoder's). */
  readonly detail?: string | undefined;
}

/** Why the FSM made a transition. Free text from an event goes to `detail`, never here. */
export type FsmReason =
  | 'initial'
  /** start() */
  | 'manual-start'
  | 'tcp-connected'
  | 'open-received'
  | 'established'
  | 'connect-retry-expired'
  | 'idle-hold-expired'
  /** TCP closed (or failed) on an open connection. */
  | 'connection-closed'
  /** The connection could not be made (detail: the error). */
  | 'connection-refused'
  | 'hold-timer-expired'
  | 'send-hold-timer-expired'
  | 'notification-received'
  | 'open-error'
  | 'unexpected-message'
  /** A malformed message (detail: the decoder's reason, e.g. bad-marker). */
  | 'bad-message'
  | 'max-prefix'
  | 'collision-lost'
  /** stop() (detail: the caller's reason). */
  | 'admin-shutdown'
  /** The peer's BFD session went down (RFC 5882 §4.3; Cease/10 "BFD Down", RFC 9384). */
  | 'bfd-down';

/** The reasons after which a peer that can restart keeps its routes as stale (RFC 4724 §4.2 helper mode). */
export function isHelperModeReason(reason: FsmReason): boolean {
  return reason === 'connection-closed' || reason === 'hold-timer-expired';
}

export type FsmEvent =
  | { type: 'start' }
  | { type: 'stop'; reason?: string; graceful?: boolean; notify?: Notify }
  | { type: 'tcp-connected' }
  | { type: 'tcp-failed'; reason?: string }
  | { type: 'tcp-closed' }
  | { type: 'timer'; timer: TimerName }
  /** An OPEN arrived; `error` is set when it failed validation (RFC 4271 §6.2). `holdTime` is the peer's. */
  | { type: 'open-received'; holdTime: number; error?: Notify }
  | { type: 'keepalive-received' }
  | { type: 'update-received' }
  | { type: 'route-refresh-received' }
  | { type: 'notification-received'; code: number; subcode: number }
  /** A message could not be decoded, or RFC 7606 demands a session reset: send `error` and close. */
  | { type: 'message-error'; error: Notify; reason?: string }
  /** The peer sent more prefixes than allowed (RFC 4486 Cease/1). Restart after `restartMs`, or stay down. */
  | { type: 'max-prefix'; data: Buffer; restartMs?: number }
  /** BFD says the forwarding path to the peer failed: the session drops at once (RFC 5882 §4.3). */
  | { type: 'bfd-down' }
  /** This connection lost a collision (§6.8): send Cease/7 and close. */
  | { type: 'collision-lost' }
  /** A write was not taken (the peer does not read): the SendHoldTimer starts unless it runs already. */
  | { type: 'send-blocked' }
  /** What we had queued went out: the SendHoldTimer stops. */
  | { type: 'send-drained' };

export type FsmAction =
  | { type: 'connect' }
  | { type: 'send-open' }
  | { type: 'send-keepalive' }
  | { type: 'send-notification'; code: number; subcode: number; data?: Buffer }
  | { type: 'close' }
  /** Hand the received UPDATE or ROUTE-REFRESH to the RIB. */
  | { type: 'deliver' }
  | { type: 'established' }
  /** The session left Established: withdraw (or mark stale) the peer's routes. */
  | { type: 'down'; graceful: boolean };

export interface Transition {
  from: SessionState;
  to: SessionState;
  reason: FsmReason;
  detail?: string;
}

export interface StepResult {
  state: FsmState;
  actions: FsmAction[];
  transition?: Transition;
}

/** What step() may read besides its arguments: the time, and a random source in [0, 1) for jitter. */
export interface FsmEnv {
  now: number;
  random: () => number;
}
