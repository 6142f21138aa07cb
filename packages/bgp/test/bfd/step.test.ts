import assert from 'node:assert/strict';
import type { BfdPacket, BfdStateName } from '../../src/bfd/packet.js';
import {
  type BfdConfig,
  type BfdEnv,
  type BfdEvent,
  type BfdSessionState,
  bfdStep,
  detectionTimeUs,
  initialBfdState,
  jittered,
  SLOW_TX_US,
  txIntervalUs,
} from '../../src/bfd/step.js';

const CFG: BfdConfig = { desiredMinTxUs: 100_000, requiredMinRxUs: 100_000, detectMult: 3 };
const env = (now = 0, r = 0): BfdEnv => ({ now, random: () => r });

/** A packet from the peer (discriminator 77) addressed to our session (discriminator 11 once known). */
function from(state: BfdStateName, o: Partial<BfdPacket> = {}): BfdPacket {
  return {
    version: 1,
    diag: 0,
    state,
    poll: false,
    final: false,
    cpi: false,
    auth: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    myDiscr: 77,
    yourDiscr: state === 'Down' || state === 'AdminDown' ? 0 : 11,
    desiredMinTxUs: 100_000,
    requiredMinRxUs: 100_000,
    requiredMinEchoRxUs: 0,
    ...o,
  };
}

function run(s: BfdSessionState, events: BfdEvent[], now = 0): { s: BfdSessionState; sent: BfdPacket[] } {
  const sent: BfdPacket[] = [];
  for (const ev of events) {
    const r = bfdStep(s, ev, env(now));
    s = r.state;
    for (const a of r.actions) sent.push(a.packet);
  }
  return { s, sent };
}

const rx = (state: BfdStateName, o?: Partial<BfdPacket>): BfdEvent => ({ type: 'received', packet: from(state, o) });
const down = () => initialBfdState(CFG, 11);
const init = () => run(down(), [rx('Down')]).s;
/** Up, with the Poll Sequence that reaching Up starts already answered. */
const up = () => run(init(), [rx('Up'), rx('Up', { final: true })]).s;

describe('BFD state machine (RFC 5880 §6.8.6 transitions)', () => {
  const table: [string, () => BfdSessionState, BfdStateName, BfdStateName, number][] = [
    ['Down', down, 'Down', 'Init', 0],
    ['Down', down, 'Init', 'Up', 0],
    ['Down', down, 'Up', 'Down', 0],
    ['Down', down, 'AdminDown', 'Down', 0],
    ['Init', init, 'Down', 'Init', 0],
    ['Init', init, 'Init', 'Up', 0],
    ['Init', init, 'Up', 'Up', 0],
    ['Init', init, 'AdminDown', 'Down', 3],
    ['Up', up, 'Down', 'Down', 3],
    ['Up', up, 'Init', 'Up', 0],
    ['Up', up, 'Up', 'Up', 0],
    ['Up', up, 'AdminDown', 'Down', 3],
  ];
  for (const [local, make, remote, next, diag] of table) {
    it(`${local} + received ${remote} → ${next}${diag ? ` (diag ${diag})` : ''}`, () => {
      const before = make();
      assert.equal(before.state, local);
      const r = bfdStep(before, rx(remote), env(5));
      assert.equal(r.state.state, next);
      assert.equal(r.state.localDiag, diag);
      assert.equal(r.state.remoteDiscr, 77, 'bfd.RemoteDiscr is the packet’s My Discriminator');
      assert.equal(r.state.remote.state, remote);
      if (next === local) {
        assert.equal(r.transition, undefined);
      } else {
        assert.deepEqual([r.transition?.from, r.transition?.to, r.transition?.diag], [local, next, diag]);
        // The peer hears of the change at once, not a period later.
        assert.equal(r.actions.length, 1);
        assert.equal(r.actions[0]?.packet.state, next);
      }
    });
  }

  it('AdminDown discards every packet (but records the peer’s fields)', () => {
    for (const remote of ['AdminDown', 'Down', 'Init', 'Up'] as const) {
      const s = run(up(), [{ type: 'admin-down' }]).s;
      const r = bfdStep(s, rx(remote), env());
      assert.equal(r.state.state, 'AdminDown');
      assert.equal(r.state.localDiag, 7);
      assert.equal(r.state.deadlines.detect, undefined, 'no detection in AdminDown');
    }
  });

  it('local Admin-Down from every state sends AdminDown with diag 7 at once; admin-up returns to Down', () => {
    for (const make of [down, init, up]) {
      const r = bfdStep(make(), { type: 'admin-down' }, env());
      assert.equal(r.state.state, 'AdminDown');
      assert.equal(r.actions[0]?.packet.state, 'AdminDown');
      assert.equal(r.actions[0]?.packet.diag, 7);
      const back = bfdStep(r.state, { type: 'admin-up' }, env());
      assert.equal(back.state.state, 'Down');
      assert.equal(back.state.localDiag, 0);
    }
  });

  it('the detection time expiring in Init or Up goes Down with diag 1 and forgets the peer', () => {
    for (const make of [init, up]) {
      const s = run(make(), [rx('Up')], 1_000).s;
      assert.equal(s.deadlines.detect, 1_300, '3 × 100 ms after the last packet');
      const r = bfdStep(s, { type: 'timer', timer: 'detect' }, env(1_300));
      assert.equal(r.state.state, 'Down');
      assert.equal(r.state.localDiag, 1);
      assert.equal(r.state.remoteDiscr, 0);
      assert.equal(r.transition?.diag, 1);
      assert.equal(r.actions[0]?.packet.yourDiscr, 0);
    }
  });

  it('the detection time expiring in Down only forgets the peer', () => {
    const s = run(down(), [rx('AdminDown')]).s;
    const r = bfdStep(s, { type: 'timer', timer: 'detect' }, env(10_000));
    assert.equal(r.state.state, 'Down');
    assert.equal(r.state.remoteDiscr, 0);
    assert.equal(r.transition, undefined);
  });

  it('a stale timer event (deadline already gone) does nothing', () => {
    const s = bfdStep(down(), { type: 'start' }, env()).state;
    assert.equal(s.deadlines.detect, undefined);
    const r = bfdStep(s, { type: 'timer', timer: 'detect' }, env(10));
    assert.deepEqual(r.state, s);
    assert.deepEqual(r.actions, []);
  });
});

describe('BFD detection time (§6.8.4) and transmission (§6.8.7)', () => {
  it('detection time = the peer’s Detect Mult × max(our Required Min RX, its Desired Min TX)', () => {
    let s = run(up(), [rx('Up', { detectMult: 5, desiredMinTxUs: 50_000 })]).s;
    assert.equal(detectionTimeUs(s), 5 * 100_000);
    s = run(up(), [rx('Up', { detectMult: 2, desiredMinTxUs: 400_000 })]).s;
    assert.equal(detectionTimeUs(s), 2 * 400_000);
  });

  it('transmits at max(our Desired Min TX, the peer’s Required Min RX), less up to 25% jitter', () => {
    const s = run(up(), [rx('Up', { requiredMinRxUs: 250_000, final: true })]).s;
    assert.equal(txIntervalUs(s), 250_000);
    const r = bfdStep(s, { type: 'timer', timer: 'tx' }, { now: 0, random: () => 0 });
    assert.equal(r.state.deadlines.tx, 250);
    const late = bfdStep(
      { ...s, deadlines: { tx: 0 } },
      { type: 'timer', timer: 'tx' },
      { now: 0, random: () => 0.999 },
    );
    assert.ok(Math.abs((late.state.deadlines.tx ?? 0) - 187.5) < 0.1, String(late.state.deadlines.tx));
  });

  it('jitter: 75–100% of the interval, and 75–90% with Detect Mult 1', () => {
    for (const r of [0, 0.3, 0.999999]) {
      const j = jittered(1000, 3, () => r);
      assert.ok(j > 750 && j <= 1000, `${j}`);
      const one = jittered(1000, 1, () => r);
      assert.ok(one >= 750 && one <= 900, `${one}`);
    }
  });

  it('advertises at least 1 s Desired Min TX while not Up, the configured value once Up (§6.8.3)', () => {
    const s = down();
    assert.equal(s.advertisedTxUs, SLOW_TX_US);
    const r = bfdStep(s, { type: 'start' }, env());
    assert.equal(r.actions[0]?.packet.desiredMinTxUs, SLOW_TX_US);
    assert.equal(r.actions[0]?.packet.requiredMinRxUs, 100_000);
    assert.equal(r.state.deadlines.tx, 1_000, 'first period at the slow rate');
    const u = bfdStep(init(), rx('Up'), env());
    assert.equal(u.actions[0]?.packet.desiredMinTxUs, 100_000);
    assert.equal(u.actions[0]?.packet.poll, true, 'reaching Up starts a Poll Sequence for the faster rate');
    // Going down drops back to the slow rate at once.
    const d = bfdStep(u.state, rx('Down'), env());
    assert.equal(d.state.advertisedTxUs, SLOW_TX_US);
    assert.equal(d.state.polling, false);
  });

  it('sends nothing periodic while the peer’s Required Min RX is 0, or the peer is in Demand mode with both Up', () => {
    const quiet = bfdStep(up(), rx('Up', { requiredMinRxUs: 0 }), env());
    assert.equal(quiet.state.deadlines.tx, undefined);
    const demand = bfdStep(up(), rx('Up', { demand: true }), env());
    assert.equal(demand.state.deadlines.tx, undefined);
    const back = bfdStep(demand.state, rx('Up'), env());
    assert.notEqual(back.state.deadlines.tx, undefined);
  });

  it('a shorter interval from the peer takes effect before the pending period ends', () => {
    const slow = run(up(), [rx('Up', { requiredMinRxUs: 1_000_000, final: true })]).s;
    const armed = bfdStep(slow, { type: 'timer', timer: 'tx' }, env(0)).state;
    assert.equal(armed.deadlines.tx, 1_000);
    const fast = bfdStep(armed, rx('Up', { requiredMinRxUs: 100_000 }), env(10)).state;
    assert.equal(fast.deadlines.tx, 110);
  });
});

describe('BFD Poll Sequence (§6.5, §6.8.3)', () => {
  it('answers a Poll at once with Final set and Poll clear', () => {
    const r = bfdStep(up(), rx('Up', { poll: true }), env());
    assert.equal(r.actions.length, 1);
    assert.equal(r.actions[0]?.packet.final, true);
    assert.equal(r.actions[0]?.packet.poll, false);
  });

  it('answers a Poll that also brings a transition with one packet carrying Final and the new state', () => {
    const r = bfdStep(init(), rx('Up', { poll: true }), env());
    assert.equal(r.actions.length, 1);
    assert.deepEqual([r.actions[0]?.packet.state, r.actions[0]?.packet.final], ['Up', true]);
  });

  it('a slower Desired Min TX while Up waits for Final; P goes out on every periodic packet until then', () => {
    let s = up();
    assert.equal(s.polling, false);
    s = bfdStep(s, { type: 'configure', config: { ...CFG, desiredMinTxUs: 500_000 } }, env()).state;
    assert.equal(s.polling, true);
    assert.equal(s.advertisedTxUs, 500_000);
    assert.equal(s.txInUseUs, 100_000, 'still the old rate');
    const tick = bfdStep({ ...s, deadlines: { tx: 0 } }, { type: 'timer', timer: 'tx' }, env());
    assert.equal(tick.actions[0]?.packet.poll, true);
    assert.equal(tick.actions[0]?.packet.desiredMinTxUs, 500_000);
    s = bfdStep(tick.state, rx('Up', { final: true }), env()).state;
    assert.equal(s.polling, false);
    assert.equal(s.txInUseUs, 500_000);
    const after = bfdStep({ ...s, deadlines: { tx: 0 } }, { type: 'timer', timer: 'tx' }, env());
    assert.equal(after.actions[0]?.packet.poll, false);
  });

  it('a faster Desired Min TX applies at once (the safe direction), still with a Poll', () => {
    const s = bfdStep(up(), { type: 'configure', config: { ...CFG, desiredMinTxUs: 50_000 } }, env()).state;
    assert.equal(s.polling, true);
    assert.equal(s.txInUseUs, 50_000);
  });

  it('a smaller Required Min RX keeps the old one in the detection time until Final', () => {
    let s = run(up(), [rx('Up', { desiredMinTxUs: 10_000 })]).s;
    assert.equal(detectionTimeUs(s), 300_000);
    s = bfdStep(s, { type: 'configure', config: { ...CFG, requiredMinRxUs: 20_000 } }, env()).state;
    assert.equal(detectionTimeUs(s), 300_000, 'old value until the peer acknowledges');
    s = bfdStep(s, rx('Up', { desiredMinTxUs: 10_000, final: true }), env()).state;
    assert.equal(detectionTimeUs(s), 60_000);
  });

  it('a larger Required Min RX lengthens the detection time at once', () => {
    let s = run(up(), [rx('Up')]).s;
    s = bfdStep(s, { type: 'configure', config: { ...CFG, requiredMinRxUs: 1_000_000 } }, env(0)).state;
    assert.equal(detectionTimeUs(s), 3_000_000);
    assert.equal(s.deadlines.detect, 3_000);
  });

  it('a Final without a Poll Sequence changes nothing', () => {
    const s = up();
    const r = bfdStep(s, rx('Up', { final: true }), env());
    assert.equal(r.state.polling, false);
    assert.equal(r.actions.length, 0);
  });

  it('changing timers while not Up needs no Poll', () => {
    const s = bfdStep(down(), { type: 'configure', config: { ...CFG, requiredMinRxUs: 20_000 } }, env()).state;
    assert.equal(s.polling, false);
    assert.equal(s.rxInUseUs, 20_000);
  });

  it('refuses a bad configuration', () => {
    assert.throws(() => initialBfdState({ ...CFG, detectMult: 0 }, 1), /detectMult/);
    assert.throws(() => initialBfdState({ ...CFG, desiredMinTxUs: 0 }, 1), /desiredMinTxUs/);
    assert.throws(() => initialBfdState(CFG, 0), /discriminator/);
  });
});

describe('two BFD state machines talking (three-way handshake and failure)', () => {
  it('come Up in three packets, stay Up, and detect silence within the detection time', () => {
    let a = initialBfdState(CFG, 11);
    let b = initialBfdState(CFG, 77);
    const wire: { to: 'a' | 'b'; p: BfdPacket }[] = [];
    let now = 0;
    let cut = false;
    const downAt: number[] = [];
    const step = (who: 'a' | 'b', ev: BfdEvent) => {
      const r = bfdStep(who === 'a' ? a : b, ev, { now, random: () => 0.5 });
      if (who === 'a') a = r.state;
      else b = r.state;
      if (r.transition?.to === 'Down') downAt.push(now);
      if (!cut) for (const act of r.actions) wire.push({ to: who === 'a' ? 'b' : 'a', p: act.packet });
    };
    step('a', { type: 'start' });
    step('b', { type: 'start' });
    for (let guard = 0; guard < 100_000 && now < 5_000; guard++) {
      while (wire.length > 0) {
        const m = wire.shift() as { to: 'a' | 'b'; p: BfdPacket };
        step(m.to, { type: 'received', packet: m.p });
      }
      if (now === 2_000) cut = true;
      // Advance to the next deadline of either side.
      const next = Math.min(
        ...[a, b].flatMap((s) => [s.deadlines.tx, s.deadlines.detect].filter((d): d is number => d !== undefined)),
      );
      if (!Number.isFinite(next)) break;
      now = Math.max(now, Math.min(next, cut ? next : 2_000));
      for (const who of ['a', 'b'] as const) {
        const s = who === 'a' ? a : b;
        if (s.deadlines.detect !== undefined && s.deadlines.detect <= now)
          step(who, { type: 'timer', timer: 'detect' });
        if (s.deadlines.tx !== undefined && s.deadlines.tx <= now) step(who, { type: 'timer', timer: 'tx' });
      }
      if (now === 1_900) assert.deepEqual([a.state, b.state], ['Up', 'Up']);
    }
    assert.equal(downAt.length, 2, `both sides went down once: ${downAt}`);
    for (const t of downAt) assert.ok(t > 2_000 && t <= 2_300, `detected at ${t} (cut at 2000, 3 × 100 ms)`);
    assert.deepEqual([a.localDiag, b.localDiag], [1, 1]);
  });
});
