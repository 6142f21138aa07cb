import assert from 'node:assert/strict';
import {
  backoffMs,
  compareBgpId,
  type FsmEnv,
  type FsmEvent,
  type FsmReason,
  type FsmState,
  initialFsmState,
  isHelperModeReason,
  LARGE_HOLD_MS,
  negotiateHold,
  onOpen,
  resolveCollision,
  type SessionState,
  step,
} from '../../src/fsm/index.js';

const env: FsmEnv = { now: 1_000, random: () => 0.5 };

/** Drives a fresh FSM through `events` and returns the final state. */
function drive(events: FsmEvent[], config: Parameters<typeof initialFsmState>[0] = {}): FsmState {
  let s = initialFsmState(config);
  for (const e of events) s = step(s, e, env).state;
  return s;
}

const toConnect: FsmEvent[] = [{ type: 'start' }];
const toOpenSent: FsmEvent[] = [...toConnect, { type: 'tcp-connected' }];
const toOpenConfirm: FsmEvent[] = [...toOpenSent, { type: 'open-received', holdTime: 30 }];
const toEstablished: FsmEvent[] = [...toOpenConfirm, { type: 'keepalive-received' }];
const reach: Record<SessionState, FsmEvent[]> = {
  Idle: [],
  Connect: toConnect,
  Active: [...toConnect, { type: 'tcp-failed' }],
  OpenSent: toOpenSent,
  OpenConfirm: toOpenConfirm,
  Established: toEstablished,
};

const data = Buffer.from([0, 1, 1, 0, 0, 0, 10]);
const events: Record<string, FsmEvent> = {
  start: { type: 'start' },
  stop: { type: 'stop' },
  'tcp-connected': { type: 'tcp-connected' },
  'tcp-failed': { type: 'tcp-failed' },
  'tcp-closed': { type: 'tcp-closed' },
  'connect-retry': { type: 'timer', timer: 'connect-retry' },
  hold: { type: 'timer', timer: 'hold' },
  keepalive: { type: 'timer', timer: 'keepalive' },
  open: { type: 'open-received', holdTime: 90 },
  'bad-open': { type: 'open-received', holdTime: 90, error: { code: 2, subcode: 2 } },
  'keepalive-msg': { type: 'keepalive-received' },
  update: { type: 'update-received' },
  refresh: { type: 'route-refresh-received' },
  notification: { type: 'notification-received', code: 6, subcode: 2 },
  'message-error': { type: 'message-error', error: { code: 1, subcode: 2 } },
  'max-prefix': { type: 'max-prefix', data, restartMs: 60_000 },
  collision: { type: 'collision-lost' },
  'bfd-down': { type: 'bfd-down' },
};

/** [state, event, next state, action types, reason (when the state changes)] */
type Row = [SessionState, string, SessionState, string[], string?];
const table: Row[] = [
  ['Idle', 'start', 'Connect', ['connect'], 'manual-start'],
  ['Idle', 'stop', 'Idle', []],
  ['Idle', 'tcp-connected', 'Idle', ['close']],
  ['Idle', 'update', 'Idle', []],
  ['Idle', 'hold', 'Idle', []],
  ['Connect', 'start', 'Connect', []],
  ['Connect', 'stop', 'Idle', ['close'], 'admin-shutdown'],
  ['Connect', 'tcp-connected', 'OpenSent', ['send-open'], 'tcp-connected'],
  ['Connect', 'tcp-failed', 'Active', [], 'connection-refused'],
  ['Connect', 'tcp-closed', 'Active', [], 'connection-closed'],
  ['Connect', 'connect-retry', 'Connect', ['close', 'connect']],
  ['Connect', 'update', 'Connect', []],
  ['Active', 'connect-retry', 'Connect', ['connect'], 'connect-retry-expired'],
  ['Active', 'tcp-connected', 'OpenSent', ['send-open'], 'tcp-connected'],
  ['Active', 'stop', 'Idle', [], 'admin-shutdown'],
  ['Active', 'notification', 'Active', []],
  ['OpenSent', 'open', 'OpenConfirm', ['send-keepalive'], 'open-received'],
  ['OpenSent', 'bad-open', 'Idle', ['send-notification', 'close'], 'open-error'],
  ['OpenSent', 'hold', 'Idle', ['send-notification', 'close'], 'hold-timer-expired'],
  ['OpenSent', 'tcp-closed', 'Active', ['close'], 'connection-closed'],
  ['OpenSent', 'tcp-failed', 'Active', ['close'], 'connection-closed'],
  ['OpenSent', 'notification', 'Idle', ['close'], 'notification-received'],
  ['OpenSent', 'keepalive-msg', 'Idle', ['send-notification', 'close'], 'unexpected-message'],
  ['OpenSent', 'update', 'Idle', ['send-notification', 'close'], 'unexpected-message'],
  ['OpenSent', 'refresh', 'Idle', ['send-notification', 'close'], 'unexpected-message'],
  ['OpenSent', 'message-error', 'Idle', ['send-notification', 'close'], 'bad-message'],
  ['OpenSent', 'collision', 'Idle', ['send-notification', 'close'], 'collision-lost'],
  ['OpenSent', 'stop', 'Idle', ['send-notification', 'close'], 'admin-shutdown'],
  ['OpenSent', 'max-prefix', 'OpenSent', []],
  ['OpenSent', 'tcp-connected', 'OpenSent', []],
  ['OpenConfirm', 'keepalive-msg', 'Established', ['established'], 'established'],
  ['OpenConfirm', 'keepalive', 'OpenConfirm', ['send-keepalive']],
  ['OpenConfirm', 'hold', 'Idle', ['send-notification', 'close'], 'hold-timer-expired'],
  ['OpenConfirm', 'open', 'Idle', ['send-notification', 'close'], 'unexpected-message'],
  ['OpenConfirm', 'update', 'Idle', ['send-notification', 'close'], 'unexpected-message'],
  ['OpenConfirm', 'notification', 'Idle', ['close'], 'notification-received'],
  ['OpenConfirm', 'tcp-closed', 'Idle', ['close'], 'connection-closed'],
  ['OpenConfirm', 'collision', 'Idle', ['send-notification', 'close'], 'collision-lost'],
  ['OpenConfirm', 'stop', 'Idle', ['send-notification', 'close'], 'admin-shutdown'],
  ['Established', 'keepalive-msg', 'Established', []],
  ['Established', 'update', 'Established', ['deliver']],
  ['Established', 'refresh', 'Established', ['deliver']],
  ['Established', 'keepalive', 'Established', ['send-keepalive']],
  ['Established', 'hold', 'Idle', ['send-notification', 'close', 'down'], 'hold-timer-expired'],
  ['Established', 'open', 'Idle', ['send-notification', 'close', 'down'], 'unexpected-message'],
  ['Established', 'notification', 'Idle', ['close', 'down'], 'notification-received'],
  ['Established', 'tcp-closed', 'Idle', ['close', 'down'], 'connection-closed'],
  ['Established', 'message-error', 'Idle', ['send-notification', 'close', 'down'], 'bad-message'],
  ['Established', 'max-prefix', 'Idle', ['send-notification', 'close', 'down'], 'max-prefix'],
  ['Established', 'stop', 'Idle', ['send-notification', 'close', 'down'], 'admin-shutdown'],
  ['Established', 'collision', 'Idle', ['send-notification', 'close', 'down'], 'collision-lost'],
  ['Established', 'tcp-connected', 'Established', []],
  ['Established', 'bfd-down', 'Idle', ['send-notification', 'close', 'down'], 'bfd-down'],
  ['OpenConfirm', 'bfd-down', 'Idle', ['send-notification', 'close'], 'bfd-down'],
  ['OpenSent', 'bfd-down', 'Idle', ['send-notification', 'close'], 'bfd-down'],
  ['Active', 'bfd-down', 'Active', []],
  ['Idle', 'bfd-down', 'Idle', []],
  ['Established', 'start', 'Established', []],
];

describe('fsm step: transition table', () => {
  for (const [from, ev, to, actions, reason] of table) {
    it(`${from} + ${ev} → ${to} [${actions.join(', ')}]`, () => {
      const s = drive(reach[from]);
      assert.equal(s.state, from);
      const event = events[ev];
      assert.ok(event, ev);
      const r = step(s, event, env);
      assert.equal(r.state.state, to);
      assert.deepEqual(
        r.actions.map((a) => a.type),
        actions,
      );
      if (from !== to) {
        assert.deepEqual(r.transition, { from, to, reason });
        assert.equal(r.state.reason, reason);
      } else assert.equal(r.transition, undefined);
    });
  }

  it('covers every state × event class', () => {
    const states = Object.keys(reach) as SessionState[];
    for (const s of states) assert.ok(table.filter((r) => r[0] === s).length >= 4, s);
  });
});

describe('fsm step: send hold timer (RFC 9687)', () => {
  it('runs from the first blocked write until a drain, for the negotiated hold time', () => {
    const up = drive(toEstablished); // hold time 30 s
    const blocked = step(up, { type: 'send-blocked' }, env);
    assert.deepEqual(blocked.actions, []);
    assert.equal(blocked.state.deadlines['send-hold'], env.now + 30_000);
    // A second blocked write does not push the deadline out.
    const later = step(blocked.state, { type: 'send-blocked' }, { ...env, now: env.now + 10_000 });
    assert.equal(later.state.deadlines['send-hold'], env.now + 30_000);
    const drained = step(later.state, { type: 'send-drained' }, env);
    assert.equal(drained.state.deadlines['send-hold'], undefined);
    assert.equal(drained.state.state, 'Established');
  });

  it('expires with NOTIFICATION 8/0, close and down; reason send-hold-timer-expired', () => {
    const s = step(drive(toEstablished), { type: 'send-blocked' }, env).state;
    const r = step(s, { type: 'timer', timer: 'send-hold' }, env);
    assert.equal(r.state.state, 'Idle');
    assert.deepEqual(
      r.actions.map((a) => (a.type === 'send-notification' ? `${a.code}/${a.subcode}` : a.type)),
      ['8/0', 'close', 'down'],
    );
    assert.deepEqual(r.transition, { from: 'Established', to: 'Idle', reason: 'send-hold-timer-expired' });
  });

  it('uses the configured SendHoldTime, and 8 minutes before a hold time is negotiated', () => {
    const cfg = step(drive(toEstablished, { sendHoldMs: 5_000 }), { type: 'send-blocked' }, env);
    assert.equal(cfg.state.deadlines['send-hold'], env.now + 5_000);
    const early = step(drive(toOpenSent), { type: 'send-blocked' }, env);
    assert.equal(early.state.deadlines['send-hold'], env.now + 480_000);
    const r = step(early.state, { type: 'timer', timer: 'send-hold' }, env);
    assert.equal(r.state.reason, 'send-hold-timer-expired');
  });

  it('is ignored without a connection (Idle, Connect, Active)', () => {
    for (const st of ['Idle', 'Connect', 'Active'] as const) {
      const r = step(drive(reach[st]), { type: 'send-blocked' }, env);
      assert.equal(r.state.deadlines['send-hold'], undefined, st);
    }
  });
});

describe('fsm step: notifications and timers', () => {
  it('sends the RFC 6608 FSM error subcode of the state', () => {
    const sub = (from: SessionState, ev: string) => {
      const r = step(drive(reach[from]), events[ev] as FsmEvent, env);
      const n = r.actions.find((a) => a.type === 'send-notification');
      return n && n.type === 'send-notification' ? [n.code, n.subcode] : undefined;
    };
    assert.deepEqual(sub('OpenSent', 'update'), [5, 1]);
    assert.deepEqual(sub('OpenConfirm', 'update'), [5, 2]);
    assert.deepEqual(sub('Established', 'open'), [5, 3]);
    assert.deepEqual(sub('Established', 'hold'), [4, 0]);
    assert.deepEqual(sub('OpenSent', 'collision'), [6, 7]);
    assert.deepEqual(sub('Established', 'stop'), [6, 2]);
    assert.deepEqual(sub('Established', 'bfd-down'), [6, 10]); // RFC 9384 BFD Down
    assert.deepEqual(sub('OpenSent', 'bad-open'), [2, 2]);
  });

  it('max-prefix sends Cease/1 with the RFC 4486 data and schedules the restart after the hold-down', () => {
    const r = step(drive(toEstablished), { type: 'max-prefix', data, restartMs: 60_000 }, env);
    assert.deepEqual(r.actions[0], { type: 'send-notification', code: 6, subcode: 1, data });
    assert.equal(r.state.deadlines['idle-hold'], env.now + 60_000);
    const back = step(r.state, { type: 'timer', timer: 'idle-hold' }, env);
    assert.equal(back.state.state, 'Connect');
    assert.equal(back.transition?.reason, 'idle-hold-expired');
  });

  it('max-prefix without a restart time stays down until the next start', () => {
    const r = step(drive(toEstablished), { type: 'max-prefix', data }, env);
    assert.equal(r.state.started, false);
    assert.deepEqual(r.state.deadlines, {});
    assert.equal(step(r.state, { type: 'timer', timer: 'idle-hold' }, env).state.state, 'Idle');
  });

  it('a graceful stop closes without NOTIFICATION and reports a graceful down', () => {
    const r = step(drive(toEstablished), { type: 'stop', graceful: true, reason: 'graceful-restart' }, env);
    assert.deepEqual(r.actions, [{ type: 'close' }, { type: 'down', graceful: true }]);
    assert.equal(r.transition?.reason, 'admin-shutdown'); // a closed set: the caller's words are the detail
    assert.equal(r.transition?.detail, 'graceful-restart');
    assert.equal(r.state.detail, 'graceful-restart');
  });

  it('negotiates the smaller hold time and a third of it as keepalive; 0 means no timers', () => {
    assert.deepEqual(negotiateHold(90, 30), { holdTime: 30, keepaliveTime: 10 });
    assert.deepEqual(negotiateHold(9, 180), { holdTime: 9, keepaliveTime: 3 });
    assert.deepEqual(negotiateHold(90, 0), { holdTime: 0, keepaliveTime: 0 });
    const s = drive([...toOpenSent, { type: 'open-received', holdTime: 0 }]);
    assert.deepEqual(s.deadlines, {});
    const t = drive([...toOpenSent, { type: 'open-received', holdTime: 9 }], { holdTime: 90 });
    assert.equal(t.deadlines.hold, env.now + 9_000);
    assert.equal(t.deadlines.keepalive, env.now + 3_000);
  });

  it('waits LARGE_HOLD for the OPEN, and any message restarts the hold timer when Established', () => {
    assert.equal(drive(toOpenSent).deadlines.hold, env.now + LARGE_HOLD_MS);
    const up = drive(toEstablished);
    const later = step(up, { type: 'keepalive-received' }, { ...env, now: env.now + 5_000 });
    assert.equal(later.state.deadlines.hold, env.now + 5_000 + 30_000);
  });

  it('ignores a timer event whose deadline is no longer set (a stale timer)', () => {
    const s = drive(toEstablished);
    const stopped = step(s, { type: 'stop' }, env).state;
    const r = step(stopped, { type: 'timer', timer: 'hold' }, env);
    assert.deepEqual(r.actions, []);
    assert.equal(r.state, stopped);
  });

  it('a passive peer never connects out and waits in Active', () => {
    const r = step(initialFsmState({ passive: true }), { type: 'start' }, env);
    assert.equal(r.state.state, 'Active');
    assert.deepEqual(r.actions, []);
    assert.equal(r.state.deadlines['connect-retry'], undefined);
    const failed = step(drive(toOpenSent, { passive: true }), { type: 'tcp-closed' }, env).state;
    assert.equal(failed.state, 'Active');
    assert.equal(failed.deadlines['connect-retry'], undefined);
  });

  it('a connection collision loss does not count as a failure', () => {
    const s = drive(toOpenSent);
    const r = step(s, { type: 'collision-lost' }, env);
    assert.equal(r.state.failures, s.failures);
  });

  it('reaching Established resets the failure count', () => {
    const s = drive([...reach.Active, { type: 'timer', timer: 'connect-retry' }, ...toEstablished.slice(1)]);
    assert.equal(s.state, 'Established');
    assert.equal(s.failures, 0);
  });
});

describe('fsm step: reconnect backoff', () => {
  const cfg = { initialMs: 1_000, maxMs: 60_000 };
  it('doubles per failure up to the cap', () => {
    const mid = () => 0.5; // jitter factor exactly 1
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8, 20, 100].map((n) => backoffMs(n, cfg, mid)),
      [1_000, 2_000, 4_000, 8_000, 60_000, 60_000, 60_000, 60_000],
    );
    assert.equal(backoffMs(0, cfg, mid), 0);
  });

  it('jitters from the injected random source within ±25% and never above the cap', () => {
    assert.equal(
      backoffMs(3, cfg, () => 0),
      3_000,
    );
    assert.equal(
      backoffMs(3, cfg, () => 0.999_999),
      5_000,
    );
    assert.equal(
      backoffMs(10, cfg, () => 0.999_999),
      60_000,
    );
    assert.equal(
      backoffMs(10, cfg, () => 0),
      45_000,
    );
  });

  it('grows the Idle restart delay with consecutive failures', () => {
    let s = drive(toOpenSent);
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      s = step(s, { type: 'timer', timer: 'hold' }, env).state;
      assert.equal(s.state, 'Idle');
      delays.push((s.deadlines['idle-hold'] ?? 0) - env.now);
      s = step(s, { type: 'timer', timer: 'idle-hold' }, env).state;
      s = step(s, { type: 'tcp-connected' }, env).state;
    }
    assert.deepEqual(delays, [1_000, 2_000, 4_000, 8_000]);
  });
});

describe('fsm: connection collision (RFC 4271 §6.8)', () => {
  it('keeps the connection initiated by the higher BGP Identifier', () => {
    const base = { existingState: 'OpenConfirm' as const };
    // We are higher: keep our outgoing connection, whichever is older.
    assert.equal(
      resolveCollision({ ...base, localId: '10.0.0.2', remoteId: '10.0.0.1', existingOutgoing: true }),
      'existing',
    );
    assert.equal(
      resolveCollision({ ...base, localId: '10.0.0.2', remoteId: '10.0.0.1', existingOutgoing: false }),
      'new',
    );
    // We are lower: keep the peer's connection.
    assert.equal(
      resolveCollision({ ...base, localId: '10.0.0.1', remoteId: '10.0.0.2', existingOutgoing: true }),
      'new',
    );
    assert.equal(
      resolveCollision({ ...base, localId: '10.0.0.1', remoteId: '10.0.0.2', existingOutgoing: false }),
      'existing',
    );
  });

  it('compares identifiers as unsigned 32-bit numbers, not as strings', () => {
    assert.ok(compareBgpId('9.0.0.1', '10.0.0.1') < 0);
    assert.ok(compareBgpId('255.255.255.255', '1.0.0.0') > 0);
    assert.equal(compareBgpId('192.0.2.1', '192.0.2.1'), 0);
  });

  it('an Established session always survives a collision', () => {
    const r = resolveCollision({
      localId: '1.1.1.1',
      remoteId: '2.2.2.2',
      existingOutgoing: true,
      existingState: 'Established',
    });
    assert.equal(r, 'existing');
  });

  it('a connection that never sent its OPEN cannot collide: the one with the OPEN wins', () => {
    for (const existingState of ['Connect', 'Active', 'OpenSent'] as const) {
      for (const existingOutgoing of [true, false]) {
        for (const [localId, remoteId] of [
          ['10.0.0.2', '10.0.0.1'],
          ['10.0.0.1', '10.0.0.2'],
        ] as const) {
          const r = resolveCollision({ localId, remoteId, existingOutgoing, existingState });
          assert.equal(r, 'new', `${existingState} outgoing=${existingOutgoing} local=${localId}`);
        }
      }
    }
  });

  it('onOpen: what a connection does with the peer’s OPEN while the peer has a second connection', () => {
    // We are 10.0.0.1, the peer 10.0.0.2 (higher): a collision keeps the connection the peer initiated.
    const ids = { localId: '10.0.0.1', remoteId: '10.0.0.2' };
    const other = (state: SessionState, outgoing = false, held = false) => ({ state, outgoing, held });
    const cases: [Parameters<typeof onOpen>[0]['role'], ReturnType<typeof other> | undefined, string][] = [
      ['main', undefined, 'proceed'],
      ['main', other('OpenSent'), 'proceed'], // the candidate has no OPEN yet: nothing to compare
      ['main', other('OpenSent', false, true), 'proceed-other-loses'], // a held candidate gives way
      ['main', other('OpenConfirm', false), 'lose'], // both the peer's: the existing one stays
      ['main', other('OpenConfirm', true), 'proceed-other-loses'], // ours loses to the peer's
      ['candidate', other('Established'), 'lose'],
      ['candidate', other('OpenConfirm', true), 'take-over'],
      ['candidate', other('OpenConfirm', false), 'lose'],
      ['candidate', other('OpenSent', false), 'hold'], // would lose, but the main one may never send an OPEN
      ['candidate', other('OpenSent', true), 'take-over'], // wins anyway
      ['candidate', other('Active'), 'take-over'], // the main connection is gone
      ['candidate', other('Idle'), 'take-over'],
    ];
    for (const [role, o, want] of cases) {
      assert.equal(onOpen({ role, other: o, ...ids }), want, `${role} vs ${JSON.stringify(o)}`);
    }
  });
});

describe('fsm reasons', () => {
  it('keep free text out of the reason: tcp-failed and message-error words go to detail', () => {
    const started = drive([{ type: 'start' }]);
    assert.equal(started.state, 'Connect');
    const refused = step(started, { type: 'tcp-failed', reason: 'connect ECONNREFUSED' }, env);
    assert.equal(refused.state.reason, 'connection-refused');
    assert.equal(refused.state.detail, 'connect ECONNREFUSED');
    const plain = step(started, { type: 'tcp-failed' }, env);
    assert.equal(plain.state.reason, 'connection-refused');
    assert.equal(plain.state.detail, undefined);
  });
  it('helper mode (RFC 4724 §4.2) follows a dropped connection or an expired hold timer only', () => {
    const all: FsmReason[] = ['connection-closed', 'hold-timer-expired', 'admin-shutdown', 'bad-message', 'max-prefix'];
    assert.deepEqual(all.filter(isHelperModeReason), ['connection-closed', 'hold-timer-expired']);
  });
});
