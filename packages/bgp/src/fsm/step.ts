// The whole BGP FSM (RFC 4271 §8) as one pure function of (state, event), in the OpenBGPD style: timers are
// deadlines kept in the state; the session loop turns an expired deadline into a { type: 'timer' } event.
import { backoffDelay } from '@gannet/core';
import { ErrorCode } from '../wire/types.js';
import type {
  FsmAction,
  FsmConfig,
  FsmEnv,
  FsmEvent,
  FsmReason,
  FsmState,
  Notify,
  SessionState,
  StepResult,
  TimerName,
} from './types.js';

/** Hold timer while waiting for the peer's OPEN (RFC 4271 §8.2.2 suggests 4 minutes). */
export const LARGE_HOLD_MS = 240_000;

export const Cease = {
  MAX_PREFIX: 1,
  ADMIN_SHUTDOWN: 2,
  PEER_DECONFIGURED: 3,
  ADMIN_RESET: 4,
  CONNECTION_REJECTED: 5,
  OTHER_CONFIG_CHANGE: 6,
  COLLISION: 7,
  OUT_OF_RESOURCES: 8,
  HARD_RESET: 9,
  /** RFC 9384 */
  BFD_DOWN: 10,
} as const;

/** RFC 9687 SendHoldTime when no hold time is negotiated (yet, or 0): 8 minutes. */
export const DEFAULT_SEND_HOLD_MS = 480_000;

/** RFC 6608 subcodes of the FSM error: an unexpected message in OpenSent, OpenConfirm, Established. */
const FSM_SUBCODE: Partial<Record<SessionState, number>> = { OpenSent: 1, OpenConfirm: 2, Established: 3 };

export const DEFAULT_FSM_CONFIG: FsmConfig = {
  passive: false,
  holdTime: 90,
  connectRetryMs: 30_000,
  backoff: { initialMs: 1_000, maxMs: 60_000 },
};

export function initialFsmState(config: Partial<FsmConfig> = {}): FsmState {
  return {
    state: 'Idle',
    config: { ...DEFAULT_FSM_CONFIG, ...config },
    started: false,
    failures: 0,
    holdTime: 0,
    keepaliveTime: 0,
    deadlines: {},
    reason: 'initial',
  };
}

const JITTER = [0.75, 1.25] as const;

/** Exponential backoff (@gannet/core's): initial × 2^(failures−1), capped, scaled by [0.75, 1.25), capped again. */
export function backoffMs(failures: number, cfg: FsmConfig['backoff'], random: () => number): number {
  if (failures <= 0) return 0;
  return Math.min(cfg.maxMs, backoffDelay(failures - 1, { ...cfg, jitter: JITTER }, random));
}

/** Negotiated hold time (the smaller proposal, RFC 4271 §4.2) and keepalive interval (a third of it). */
export function negotiateHold(ours: number, theirs: number): { holdTime: number; keepaliveTime: number } {
  const holdTime = Math.min(ours, theirs);
  return { holdTime, keepaliveTime: Math.floor(holdTime / 3) };
}

class Builder {
  readonly actions: FsmAction[] = [];
  s: FsmState;
  reason?: FsmReason;
  detail?: string | undefined;
  constructor(
    readonly from: FsmState,
    readonly env: FsmEnv,
  ) {
    this.s = from;
  }
  set(patch: Partial<FsmState>): this {
    this.s = { ...this.s, ...patch };
    return this;
  }
  timer(name: TimerName, ms: number | undefined): this {
    const deadlines = { ...this.s.deadlines };
    if (ms === undefined) delete deadlines[name];
    else deadlines[name] = this.env.now + ms;
    this.s = { ...this.s, deadlines };
    return this;
  }
  to(state: SessionState, reason: FsmReason, detail?: string): this {
    this.s = { ...this.s, state };
    this.reason = reason;
    this.detail = detail;
    return this;
  }
  act(...actions: FsmAction[]): this {
    this.actions.push(...actions);
    return this;
  }
  notify(n: Notify): this {
    const a: FsmAction = { type: 'send-notification', code: n.code, subcode: n.subcode };
    if (n.data) a.data = n.data;
    return this.act(a);
  }
  /** Holds on a received message: restart the hold timer (RFC 4271 §8.2.2). */
  refreshHold(): this {
    return this.timer('hold', this.s.holdTime > 0 ? this.s.holdTime * 1000 : undefined);
  }
  /**
   * Drop the connection and go Idle. A failure counts towards the backoff and schedules the automatic restart
   * (IdleHoldTimer); `restartMs` overrides the delay; `stay` keeps the peer down until the next start.
   */
  idle(
    reason: FsmReason,
    opts: { failure?: boolean; restartMs?: number; stay?: boolean; graceful?: boolean; detail?: string } = {},
  ) {
    const wasUp = this.from.state === 'Established';
    if (this.from.state !== 'Idle' && this.from.state !== 'Active') this.act({ type: 'close' });
    if (wasUp) this.act({ type: 'down', graceful: opts.graceful ?? false });
    const failures = opts.failure === false ? this.s.failures : this.s.failures + 1;
    this.set({ deadlines: {}, failures, holdTime: 0, keepaliveTime: 0 });
    if (opts.stay) this.set({ started: false });
    else if (this.s.started) {
      this.timer('idle-hold', opts.restartMs ?? backoffMs(failures, this.s.config.backoff, this.env.random));
    }
    return this.to('Idle', reason, opts.detail);
  }
  result(): StepResult {
    const state = this.reason !== undefined ? { ...this.s, reason: this.reason, detail: this.detail } : this.s;
    const out: StepResult = { state, actions: this.actions };
    if (this.reason !== undefined && this.from.state !== state.state) {
      out.transition = { from: this.from.state, to: state.state, reason: this.reason };
      if (this.detail !== undefined) out.transition.detail = this.detail;
    }
    return out;
  }
}

/** Leaves Idle: connect out (Connect) or wait for the peer (Active, passive peers). */
function begin(b: Builder, reason: FsmReason): Builder {
  b.timer('idle-hold', undefined);
  if (b.s.config.passive) return b.to('Active', reason);
  return b.timer('connect-retry', b.s.config.connectRetryMs).act({ type: 'connect' }).to('Connect', reason);
}

/** After a lost or refused TCP connection: wait in Active and retry after the backoff (passive: just wait). */
function retryLater(b: Builder, reason: FsmReason, detail?: string): Builder {
  const failures = b.s.failures + 1;
  b.set({ failures, deadlines: {}, holdTime: 0, keepaliveTime: 0 });
  if (!b.s.config.passive) {
    const delay = Math.min(b.s.config.connectRetryMs, backoffMs(failures, b.s.config.backoff, b.env.random));
    b.timer('connect-retry', delay);
  }
  return b.to('Active', reason, detail);
}

function opened(b: Builder, reason: FsmReason): Builder {
  return b
    .act({ type: 'send-open' })
    .timer('connect-retry', undefined)
    .timer('hold', LARGE_HOLD_MS)
    .to('OpenSent', reason);
}

function fsmError(b: Builder): Builder {
  const subcode = FSM_SUBCODE[b.s.state] ?? 0;
  return b.notify({ code: ErrorCode.FSM, subcode }).idle('unexpected-message');
}

/** One step of the FSM. Pure: the same (state, event, env) always gives the same result. */
export function step(state: FsmState, event: FsmEvent, env: FsmEnv): StepResult {
  const b = new Builder(state, env);
  const st = state.state;

  // Events that mean the same in every state.
  switch (event.type) {
    case 'start':
      if (st === 'Idle') begin(b.set({ started: true }), 'manual-start');
      return b.result();
    case 'stop': {
      b.set({ started: false });
      if (st === 'Idle') return b.set({ deadlines: {} }).result();
      const graceful = event.graceful === true;
      if (!graceful && (st === 'OpenSent' || st === 'OpenConfirm' || st === 'Established')) {
        b.notify(event.notify ?? { code: ErrorCode.CEASE, subcode: Cease.ADMIN_SHUTDOWN });
      }
      return b.idle('admin-shutdown', { failure: false, stay: true, graceful, detail: event.reason }).result();
    }
    case 'timer':
      if (state.deadlines[event.timer] === undefined) return b.result(); // stale timer event
      b.timer(event.timer, undefined);
      break;
  }

  switch (st) {
    case 'Idle':
      if (event.type === 'timer' && event.timer === 'idle-hold' && state.started) begin(b, 'idle-hold-expired');
      else if (event.type === 'tcp-connected') b.act({ type: 'close' }); // RFC 4271: refuse connections in Idle
      return b.result();

    case 'Connect':
    case 'Active':
      switch (event.type) {
        case 'timer':
          if (event.timer === 'connect-retry' && !state.config.passive) {
            if (st === 'Connect') b.act({ type: 'close' });
            b.timer('connect-retry', state.config.connectRetryMs)
              .act({ type: 'connect' })
              .to('Connect', 'connect-retry-expired');
          }
          return b.result();
        case 'tcp-connected':
          return opened(b, 'tcp-connected').result();
        case 'tcp-failed':
          return retryLater(b, 'connection-refused', event.reason).result();
        case 'tcp-closed':
          return retryLater(b, 'connection-closed').result();
        default:
          return b.result(); // no connection: nothing else can arrive
      }

    case 'OpenSent':
      switch (event.type) {
        case 'open-received': {
          if (event.error) return b.notify(event.error).idle('open-error').result();
          const { holdTime, keepaliveTime } = negotiateHold(state.config.holdTime, event.holdTime);
          b.set({ holdTime, keepaliveTime }).act({ type: 'send-keepalive' });
          b.timer('hold', holdTime > 0 ? holdTime * 1000 : undefined);
          b.timer('keepalive', keepaliveTime > 0 ? keepaliveTime * 1000 : undefined);
          return b.to('OpenConfirm', 'open-received').result();
        }
        case 'tcp-closed':
        case 'tcp-failed':
          b.act({ type: 'close' });
          return retryLater(b, 'connection-closed').result();
        default:
          return common(b, event).result();
      }

    case 'OpenConfirm':
      switch (event.type) {
        case 'keepalive-received':
          b.set({ failures: 0 }).act({ type: 'established' }).refreshHold();
          return b.to('Established', 'established').result();
        case 'timer':
          if (event.timer === 'keepalive') keepalive(b);
          else common(b, event);
          return b.result();
        default:
          return common(b, event).result();
      }

    case 'Established':
      switch (event.type) {
        case 'keepalive-received':
          return b.refreshHold().result();
        case 'update-received':
        case 'route-refresh-received':
          return b.refreshHold().act({ type: 'deliver' }).result();
        case 'timer':
          if (event.timer === 'keepalive') keepalive(b);
          else common(b, event);
          return b.result();
        case 'max-prefix': {
          const n: Notify = { code: ErrorCode.CEASE, subcode: Cease.MAX_PREFIX, data: event.data };
          b.notify(n);
          const opts = event.restartMs === undefined ? { stay: true } : { restartMs: event.restartMs };
          return b.idle('max-prefix', opts).result();
        }
        default:
          return common(b, event).result();
      }
  }
}

function sendHoldMs(s: FsmState): number {
  return s.config.sendHoldMs ?? (s.holdTime > 0 ? s.holdTime * 1000 : DEFAULT_SEND_HOLD_MS);
}

function keepalive(b: Builder): void {
  b.act({ type: 'send-keepalive' }).timer('keepalive', b.s.keepaliveTime * 1000);
}

/** Events handled alike in OpenSent, OpenConfirm and Established. */
function common(b: Builder, event: FsmEvent): Builder {
  switch (event.type) {
    case 'timer':
      if (event.timer === 'hold') {
        return b.notify({ code: ErrorCode.HOLD_TIMER_EXPIRED, subcode: 0 }).idle('hold-timer-expired');
      }
      if (event.timer === 'send-hold') {
        // RFC 9687: the peer took nothing for SendHoldTime. The NOTIFICATION goes out if the socket still takes it.
        return b.notify({ code: ErrorCode.SEND_HOLD_TIMER_EXPIRED, subcode: 0 }).idle('send-hold-timer-expired');
      }
      return b;
    case 'send-blocked':
      if (b.s.deadlines['send-hold'] !== undefined) return b;
      return b.timer('send-hold', sendHoldMs(b.s));
    case 'send-drained':
      return b.timer('send-hold', undefined);
    case 'notification-received':
      return b.idle('notification-received');
    case 'tcp-closed':
    case 'tcp-failed':
      return b.idle('connection-closed');
    case 'message-error':
      return b.notify(event.error).idle('bad-message', { detail: event.reason });
    case 'collision-lost':
      return b.notify({ code: ErrorCode.CEASE, subcode: Cease.COLLISION }).idle('collision-lost', { failure: false });
    case 'bfd-down':
      // RFC 9384: Cease/10 if the socket still takes it; the path is gone, so the peer may never see it.
      return b.notify({ code: ErrorCode.CEASE, subcode: Cease.BFD_DOWN }).idle('bfd-down');
    case 'open-received':
    case 'keepalive-received':
    case 'update-received':
    case 'route-refresh-received':
      return fsmError(b);
    case 'tcp-connected':
    case 'max-prefix':
      return b; // a second connection is the session's business (collision); max-prefix only counts when up
    default:
      return b;
  }
}
