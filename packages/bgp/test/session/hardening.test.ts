// Hostile peers against the session: a peer that stops reading (RFC 9687 send hold timer) and connections that
// never send an OPEN while the real peer reconnects (RFC 4271 §6.8 collision only against OpenConfirm/Established).
import assert from 'node:assert/strict';
import type { MemoryConnection } from '../../src/session/memory-net.js';
import { STALLED_OPEN_GRACE_MS } from '../../src/session/peer-session.js';
import { settle } from '../speaker/harness.js';
import { openMessage, RawPeer } from './raw-peer.js';
import { establish, PEER, peerState, type Setup, setup, US, update } from './session-setup.js';

/** NOTIFICATIONs (code/subcode) among the bytes one side wrote, read straight from the frames. */
function notificationsWritten(conn: MemoryConnection): string[] {
  const all = Buffer.concat(conn.written);
  const out: string[] = [];
  for (let at = 0; at + 19 <= all.length; ) {
    const len = all.readUInt16BE(at + 16);
    if (len < 19) break;
    if (all[at + 18] === 3) out.push(`${all[at + 19]}/${all[at + 20]}`);
    at += len;
  }
  return out;
}

/** Advances the fake clock by `ms` in 10 s steps; the raw peer keeps sending KEEPALIVEs (its hold timer is fine). */
async function keepAlive(s: Setup, raw: RawPeer, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 10_000) {
    s.clock.advance(Math.min(10_000, ms - t));
    if (!raw.closed) raw.send({ type: 'keepalive' });
    await settle();
  }
}

function originateMany(s: Setup, n: number): void {
  for (let i = 0; i < n; i++) s.speaker.originate(`10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`);
}

describe('session: send hold timer (RFC 9687)', () => {
  it('drops a peer that stops reading after the hold time with NOTIFICATION 8/0, then closes', async () => {
    const s = await setup({ holdTime: 30 });
    const raw = await establish(s);
    assert.equal(peerState(s), 'Established');
    raw.conn.pause(); // the peer's receive window is full from now on
    originateMany(s, 40_000);
    await settle();
    const ours = raw.conn.peer;
    assert.ok(ours.written.length > 0);
    await keepAlive(s, raw, 20_000);
    assert.equal(peerState(s), 'Established', 'within the send hold time');
    await keepAlive(s, raw, 20_000);
    assert.notEqual(peerState(s), 'Established', 'dropped after the send hold time (30 s)');
    assert.equal(s.states.find((e) => e.previous === 'Established')?.reason, 'send-hold-timer-expired');
    assert.equal(s.speaker.peers()[0]?.lastError, 'sent NOTIFICATION 8/0 (send-hold-timer-expired)');
    assert.equal(s.speaker.peers()[0]?.flaps, 1);
    assert.equal(s.speaker.peers()[0]?.sendHoldExpired, 1);
    assert.deepEqual(notificationsWritten(ours), ['8/0'], 'the NOTIFICATION was written (queued behind the rest)');
    await settle();
    assert.equal(ours.closed, true, 'the connection is closed');
    await s.speaker.stop();
  });

  it('keeps a slow reader: the timer stops whenever the queue drains', async () => {
    const s = await setup({ holdTime: 30 });
    const raw = await establish(s);
    raw.conn.pause();
    originateMany(s, 40_000);
    await settle();
    // Read for a moment every 20 s: each drain resets the send hold timer, so 30 s never pass without progress.
    for (let round = 0; round < 6 && !raw.of('update').some((u) => u.nlri.length === 0 && !u.mpUnreach); round++) {
      await keepAlive(s, raw, 20_000);
      raw.conn.resume();
      await settle();
      raw.conn.pause();
    }
    raw.conn.resume();
    await keepAlive(s, raw, 60_000);
    assert.equal(peerState(s), 'Established');
    assert.equal(s.speaker.peers()[0]?.flaps, 0);
    assert.equal(s.speaker.peers()[0]?.sendHoldExpired, 0);
    const received = raw.of('update').reduce((n, u) => n + u.nlri.length, 0);
    assert.equal(received, s.speaker.peers()[0]?.prefixesAdvertised);
    assert.ok(received > 0);
    await s.speaker.stop();
  });

  it('a configured sendHoldTime overrides the hold time', async () => {
    const s = await setup({ holdTime: 90, sendHoldTime: 15 });
    const raw = await establish(s);
    raw.conn.pause();
    originateMany(s, 40_000);
    await settle();
    await keepAlive(s, raw, 10_000);
    assert.equal(peerState(s), 'Established');
    await keepAlive(s, raw, 10_000);
    assert.notEqual(peerState(s), 'Established');
    assert.equal(s.speaker.peers()[0]?.lastError, 'sent NOTIFICATION 8/0 (send-hold-timer-expired)');
    await s.speaker.stop();
  });
});

describe('session: connections that never send an OPEN (RFC 4271 §6.8)', () => {
  it('a stalled connection does not keep the real peer out', async () => {
    const s = await setup();
    const stalled = await RawPeer.connect(s.net, PEER, US);
    await settle();
    assert.equal(peerState(s), 'OpenSent', 'the stalled connection got our OPEN and says nothing');
    const real = await establish(s);
    // The real peer's OPEN is held while the stalled connection might still send one (a simultaneous open).
    assert.equal(peerState(s), 'OpenSent');
    assert.equal(real.of('keepalive').length, 0);
    s.clock.advance(STALLED_OPEN_GRACE_MS);
    await settle();
    assert.equal(peerState(s), 'Established');
    assert.equal(real.closed, false);
    assert.equal(stalled.closed, true, 'the stalled connection is closed');
    assert.deepEqual(notificationsWritten(stalled.conn.peer), ['6/7']);
    real.send(update(['10.244.5.0/24']));
    await settle();
    assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
    assert.equal(s.speaker.peers()[0]?.flaps, 0);
    await s.speaker.stop();
  });

  it('two stalled connections, then the real one: the newest replaces a candidate that sent no OPEN', async () => {
    const s = await setup();
    const first = await RawPeer.connect(s.net, PEER, US);
    const second = await RawPeer.connect(s.net, PEER, US);
    await settle();
    assert.equal(first.closed, false);
    assert.equal(second.closed, false);
    const real = await establish(s);
    s.clock.advance(STALLED_OPEN_GRACE_MS);
    await settle();
    real.send(update(['10.244.5.0/24']));
    await settle();
    assert.equal(peerState(s), 'Established');
    assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
    assert.equal(second.closed, true, 'the second stalled connection made room');
    assert.equal(first.closed, true, 'the first stalled connection was replaced when the real one came up');
    assert.equal(real.closed, false);
    await s.speaker.stop();
  });

  it('when the identifiers favour the new connection, it replaces the stalled one at once', async () => {
    const s = await setup({}, { routerId: '10.0.0.9' }); // we are higher: the connection we would initiate wins
    const stalled = await RawPeer.connect(s.net, PEER, US);
    await settle();
    await establish(s);
    assert.equal(peerState(s), 'Established');
    assert.equal(stalled.closed, true);
    await s.speaker.stop();
  });

  it('a held OPEN gives way when the first connection sends its OPEN after all (simultaneous open)', async () => {
    const s = await setup();
    const first = await RawPeer.connect(s.net, PEER, US);
    await settle();
    const second = await RawPeer.connect(s.net, PEER, US);
    second.send(openMessage(64512, '10.0.0.2'));
    await settle();
    assert.equal(second.of('keepalive').length, 0, 'held');
    first.send(openMessage(64512, '10.0.0.2'));
    await settle();
    assert.deepEqual(
      second.of('notification').map((n) => `${n.code}/${n.subcode}`),
      ['6/7'],
    );
    assert.equal(second.closed, true);
    first.send({ type: 'keepalive' });
    await settle();
    assert.equal(peerState(s), 'Established');
    assert.equal(first.closed, false);
    s.clock.advance(STALLED_OPEN_GRACE_MS);
    await settle();
    assert.equal(peerState(s), 'Established', 'the expired hold changes nothing');
    await s.speaker.stop();
  });

  it('a held OPEN is not displaced by yet another connection without OPEN', async () => {
    const s = await setup();
    const stalled = await RawPeer.connect(s.net, PEER, US);
    await settle();
    const real = await establish(s); // held: the stalled one might still send its OPEN
    const another = await RawPeer.connect(s.net, PEER, US);
    await settle();
    assert.equal(another.closed, true, 'refused');
    assert.equal(real.closed, false);
    s.clock.advance(STALLED_OPEN_GRACE_MS);
    await settle();
    assert.equal(peerState(s), 'Established');
    assert.equal(stalled.closed, true);
    await s.speaker.stop();
  });

  it('a real collision (both connections sent OPEN) is still decided by the BGP Identifiers', async () => {
    const s = await setup();
    const a = await RawPeer.connect(s.net, PEER, US);
    a.send(openMessage(64512, '10.0.0.2'));
    await settle();
    assert.equal(peerState(s), 'OpenConfirm');
    const b = await RawPeer.connect(s.net, PEER, US);
    b.send(openMessage(64512, '10.0.0.2'));
    await settle();
    // The peer (10.0.0.2) is higher: the connection it initiated wins; both are its, so the existing one stays.
    assert.deepEqual(
      b.of('notification').map((n) => `${n.code}/${n.subcode}`),
      ['6/7'],
    );
    assert.equal(b.closed, true);
    a.send({ type: 'keepalive' });
    await settle();
    assert.equal(peerState(s), 'Established');
    await s.speaker.stop();
  });

  it('the stalled connection still times out on its own (hold timer in OpenSent) when no one else comes', async () => {
    const s = await setup();
    const stalled = await RawPeer.connect(s.net, PEER, US);
    await settle();
    assert.equal(peerState(s), 'OpenSent');
    s.clock.advance(240_000);
    await settle();
    assert.equal(stalled.closed, true);
    assert.deepEqual(notificationsWritten(stalled.conn.peer), ['4/0']);
    await s.speaker.stop();
  });
});
