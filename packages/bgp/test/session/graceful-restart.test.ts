// Graceful restart (RFC 4724) against a raw peer: the helper role (the peer restarts) and the restarting role (we do).
import assert from 'node:assert/strict';
import type { Capability } from '../../src/wire/types.js';
import { settle } from '../speaker/harness.js';
import { establish, peerState, setup, update } from './session-setup.js';

const GR_CAPS = (restartTime: number, forwarding = true): Capability[] => [
  { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
  { code: 65, name: 'four-octet-as', asn: 64512 },
  {
    code: 64,
    name: 'graceful-restart',
    restartState: false,
    notification: false,
    restartTime,
    families: [{ afi: 1, safi: 1, forwardingState: forwarding }],
  },
];

describe('session: graceful restart, helper role', () => {
  it('keeps the peer’s routes as stale while it restarts and sweeps those not re-sent at End-of-RIB', async () => {
    const s = await setup();
    const raw = await establish(s, GR_CAPS(30));
    raw.send(update(['10.244.5.0/24', '10.244.6.0/24']));
    await settle();
    raw.conn.destroy(); // the peer's process dies: no NOTIFICATION
    await settle();
    assert.equal(peerState(s), 'Idle');
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, false, 'kept');
    assert.deepEqual(
      s.speaker
        .routes()
        .map((r) => r.prefix)
        .sort(),
      ['10.244.5.0/24', '10.244.6.0/24'],
    );
    const back = await establish(s, GR_CAPS(30));
    assert.equal(peerState(s), 'Established');
    back.send(update(['10.244.5.0/24']));
    back.send({ type: 'update', withdrawn: [], attributes: {}, nlri: [] }); // End-of-RIB
    await settle();
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, false);
    assert.equal(s.best.get('10.244.6.0/24')?.withdrawn, true, 'swept at End-of-RIB');
    await s.speaker.stop();
  });

  it('flushes the stale routes when the restart time passes without the peer', async () => {
    const s = await setup();
    const raw = await establish(s, GR_CAPS(30));
    raw.send(update(['10.244.5.0/24']));
    await settle();
    raw.conn.destroy();
    await settle();
    s.clock.advance(29_000);
    await settle();
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, false);
    s.clock.advance(2_000);
    await settle();
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true);
    await s.speaker.stop();
  });

  it('flushes at once when the peer comes back without the F bit, or restarts a second time', async () => {
    const s = await setup();
    const raw = await establish(s, GR_CAPS(30));
    raw.send(update(['10.244.5.0/24']));
    await settle();
    raw.conn.destroy();
    await settle();
    await establish(s, GR_CAPS(30, false));
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true, 'no forwarding state kept: flushed');

    const s2 = await setup();
    const r2 = await establish(s2, GR_CAPS(30));
    r2.send(update(['10.244.5.0/24']));
    await settle();
    r2.conn.destroy();
    await settle();
    const again = await establish(s2, GR_CAPS(30));
    again.conn.destroy(); // a second restart before End-of-RIB
    await settle();
    assert.equal(s2.best.get('10.244.5.0/24')?.withdrawn, true, 'second restart flushes');
    await s.speaker.stop();
    await s2.speaker.stop();
  });

  it('a session ended by a NOTIFICATION (here: a bad header from the peer) flushes even a restart-capable peer', async () => {
    const s = await setup();
    const raw = await establish(s, GR_CAPS(30));
    raw.send(update(['10.244.5.0/24']));
    await settle();
    raw.sendRaw(Buffer.alloc(19, 0)); // bad marker: we send 1/1 and close
    await settle();
    assert.equal(s.states.at(-1)?.reason, 'bad-marker');
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true);
    await s.speaker.stop();
  });

  it('a peer without graceful restart gets its routes withdrawn when TCP drops', async () => {
    const s = await setup();
    const raw = await establish(s);
    raw.send(update(['10.244.5.0/24']));
    await settle();
    raw.conn.destroy();
    await settle();
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true);
    await s.speaker.stop();
  });
});

describe('session: graceful restart, restarting role', () => {
  it('sets R and F, defers best paths and advertisements until the peer’s End-of-RIB', async () => {
    const s = await setup({}, { gracefulRestart: { restartTime: 90, restarting: true, forwardingStateKept: true } });
    s.speaker.originate('10.244.1.0/24');
    const raw = await establish(s, GR_CAPS(30));
    const gr = raw.of('open')[0]?.capabilities.find((c) => c.name === 'graceful-restart');
    assert.ok(gr?.name === 'graceful-restart' && gr.restartState && gr.restartTime === 90);
    assert.ok(gr?.name === 'graceful-restart' && gr.families.every((f) => f.forwardingState));
    raw.send(update(['10.244.5.0/24']));
    await settle();
    assert.equal(s.best.size, 0, 'best-path events deferred');
    assert.equal(raw.of('update').length, 0, 'nothing advertised yet');
    raw.send({ type: 'update', withdrawn: [], attributes: {}, nlri: [] });
    await settle();
    assert.equal(s.synced(), 1);
    assert.ok(s.best.has('10.244.5.0/24') && s.best.has('10.244.1.0/24'));
    assert.ok(raw.of('update').some((u) => u.nlri.includes('10.244.1.0/24')));
    await s.speaker.stop();
  });

  it('without the caller saying forwarding was kept, F is clear; the deferral timer ends the wait', async () => {
    const s = await setup({}, { gracefulRestart: { restartTime: 90, restarting: true, selectionDeferralMs: 5_000 } });
    const raw = await establish(s, GR_CAPS(30));
    const gr = raw.of('open')[0]?.capabilities.find((c) => c.name === 'graceful-restart');
    assert.ok(gr?.name === 'graceful-restart' && gr.families.every((f) => !f.forwardingState));
    raw.send(update(['10.244.5.0/24']));
    await settle();
    assert.equal(s.synced(), 0);
    s.clock.advance(5_000);
    await settle();
    assert.equal(s.synced(), 1);
    assert.ok(s.best.has('10.244.5.0/24'));
    await s.speaker.stop();
  });
});
