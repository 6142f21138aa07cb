export { compareBgpId, type OpenDecision, onOpen, resolveCollision } from './collision.js';
export { backoffMs, Cease, DEFAULT_FSM_CONFIG, initialFsmState, LARGE_HOLD_MS, negotiateHold, step } from './step.js';
export type {
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
  Transition,
} from './types.js';
export { isHelperModeReason } from './types.js';
