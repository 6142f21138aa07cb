import assert from 'node:assert/strict';
import { BfdManager } from '../../src/bfd/bfd-manager.js';
import { decodeBfdPacket, encodeBfdPacket } from '../../src/bfd/packet.js';
import { MemoryBfdNetwork } from '../../src/bfd/transport.js';
import type { PeerOptions } from '../../src/speaker-options.js';
import { Lab, type Node, permitPods, settle, state } from '../speaker/harness.js';

const A = '10.0.0.1';
const B = '10.0.0.2';
const BFD = { minTxMs: 100, minRxMs: 100, multiplier: 3 };

function setup(o: { peerA?: Partial<PeerOptions>; peerB?: Partial<PeerOptions> } = {}) {
  const lab = new Lab();
  const bnet = new MemoryBfdNetwork(lab.clock.defer);
  const clock = { clock: lab.clock, defer: lab.clock.defer };
  const bfdA = new BfdManager({ transport: bnet.factory(A), ...clock, random: () => 0.5 });
  const bfdB = new BfdManager({ transport: bnet.factory(B), ...clock, random: () => 0.25 });
  const a = lab.node(A, { asn: 65001, routerId: '1.1.1.1', bfd: bfdA });
  const b = lab.node(B, { asn: 65002, routerId: '2.2.2.2', bfd: bfdB });
  a.speaker.addPeer({ address: B, asn: 65002, holdTime: 90, import: permitPods, bfd: BFD, ...o.peerA });
  b.speaker.addPeer({ address: A, asn: 65001, holdTime: 90, export: permitPods, bfd: BFD, ...o.peerB });
  b.speaker.originate('10.244.2.0/24');
  return { lab, bnet, bfdA, bfdB, a, b };
}

async function up(lab: Lab, a: Node, b: Node): Promise<void> {
  await Promise.all([a.speaker.start(), b.speaker.start()]);
  await settle();
  await lab.advance(5_000, 50);
  assert.equal(state(a, B), 'Established');
  assert.equal(a.best.get('10.244.2.0/24')?.withdrawn, false);
}

describe('speaker with BFD (RFC 5882)', () => {
  it('comes Up with the peer and reports the session in peers()', async () => {
    const { lab, a, b } = setup();
    await up(lab, a, b);
    const s = a.speaker.peers()[0]?.bfd;
    assert.equal(s?.state, 'Up');
    assert.equal(s?.remoteState, 'Up');
    assert.equal(s?.txIntervalMs, 100, 'the Poll Sequence after Up moved both to 100 ms');
    assert.equal(s?.detectTimeMs, 300);
    await lab.stopAll();
  });

  it('a silent path failure drops the BGP session within the detection time (hold time 90 s) with Cease/10', async () => {
    const { lab, bnet, a, b } = setup();
    await up(lab, a, b);
    bnet.cut(A, B);
    const cutAt = lab.clock.now();
    let goneAt: number | undefined;
    for (let t = 0; t < 1_000 && goneAt === undefined; t += 10) {
      await lab.advance(10, 10);
      if (a.best.get('10.244.2.0/24')?.withdrawn) goneAt = lab.clock.now();
    }
    assert.ok(goneAt !== undefined && goneAt - cutAt <= 300, `route withdrawn after ${goneAt! - cutAt} ms`);
    const p = a.speaker.peers()[0];
    assert.equal(p?.state === 'Established', false);
    assert.equal(p?.lastReason, 'bfd-down');
    assert.equal(p?.lastError, 'sent NOTIFICATION 6/10 (bfd-down)', 'Cease/10 "BFD Down" (RFC 9384)');
    assert.equal(p?.bfd?.state, 'Down');
    assert.equal(p?.bfd?.localDiag, 'control-detection-time-expired');
    assert.equal(p?.bfd?.downs, 1);
    assert.deepEqual(p?.bfd?.downsByDiag, { 'control-detection-time-expired': 1 });
    // The path comes back: BFD Up retries BGP without waiting out the backoff.
    bnet.heal(A, B);
    await lab.advance(5_000, 50);
    assert.equal(state(a, B), 'Established');
    assert.equal(a.best.get('10.244.2.0/24')?.withdrawn, false);
    await lab.stopAll();
  });

  it('AdminDown from the peer takes our BFD Down but keeps the BGP session (RFC 5882 §3.2)', async () => {
    const { lab, bfdB, a, b } = setup();
    await up(lab, a, b);
    bfdB.adminDown(A, true);
    await lab.advance(2_000, 50);
    const p = a.speaker.peers()[0];
    assert.equal(p?.bfd?.state, 'Down');
    assert.equal(p?.bfd?.localDiag, 'neighbor-signaled-session-down');
    assert.equal(p?.bfd?.remoteDiag, 'administratively-down');
    assert.deepEqual(p?.bfd?.downsByDiag, { 'neighbor-signaled-session-down': 1 });
    assert.equal(p?.state, 'Established');
    bfdB.adminDown(A, false);
    await lab.advance(5_000, 50);
    assert.equal(a.speaker.peers()[0]?.bfd?.state, 'Up');
    await lab.stopAll();
  });

  it('with checkControlPlaneFailure and graceful restart, a control-plane-dependent peer’s BFD down is left to GR', async () => {
    const cp = { bfd: { ...BFD, checkControlPlaneFailure: true } };
    const { lab, bnet, a, b } = setup({ peerA: cp, peerB: cp });
    await up(lab, a, b);
    assert.ok(a.speaker.negotiated(B)?.peerGracefulRestart, 'GR negotiated');
    bnet.cut(A, B);
    await lab.advance(1_000, 50);
    assert.equal(a.speaker.peers()[0]?.bfd?.state, 'Down');
    assert.equal(state(a, B), 'Established', 'B’s C bit is clear: kept for graceful restart / hold timer');
    await lab.stopAll();
  });

  it('changing only BFD timers retunes BFD without resetting the BGP session', async () => {
    const { lab, a, b } = setup();
    await up(lab, a, b);
    const flaps = a.speaker.peers()[0]?.flaps;
    a.speaker.updatePeer({ address: B, asn: 65002, holdTime: 90, import: permitPods, bfd: { ...BFD, minRxMs: 200 } });
    await lab.advance(2_000, 50);
    const p = a.speaker.peers()[0];
    assert.equal(p?.state, 'Established');
    assert.equal(p?.flaps, flaps);
    assert.equal(p?.bfd?.state, 'Up');
    assert.equal(p?.bfd?.detectTimeMs, 600);
    // Disabling BFD removes the session.
    a.speaker.updatePeer({ address: B, asn: 65002, holdTime: 90, import: permitPods, bfd: { enabled: false } });
    assert.equal(a.speaker.peers()[0]?.bfd, undefined);
    await lab.stopAll();
  });

  it('refuses bad BFD options naming the field', () => {
    const { a } = setup();
    assert.throws(() => a.speaker.addPeer({ address: '10.0.0.9', asn: 1, bfd: { minTxMs: 5 } }), /bfd\.minTxMs/);
    assert.throws(() => a.speaker.addPeer({ address: '10.0.0.9', asn: 1, bfd: { multiplier: 0 } }), /bfd\.multiplier/);
    assert.throws(
      () => a.speaker.addPeer({ address: '10.0.0.9', asn: 1, bfd: { enabled: 'yes' as never } }),
      /bfd\.enabled/,
    );
  });
});

describe('BfdManager', () => {
  it('discards what §6.8.6 says to, counting why, and answers only the configured peer', async () => {
    const lab = new Lab();
    const bnet = new MemoryBfdNetwork(lab.clock.defer);
    const m = new BfdManager({ transport: bnet.factory(A), clock: lab.clock, defer: lab.clock.defer });
    m.set({ peer: B });
    await m.start();
    const sent = bnet.sent.find((s) => s.from === A);
    assert.ok(sent, 'the session sent its first packet at start');
    const first = decodeBfdPacket(sent.data);
    assert.ok(first.ok);
    assert.equal(first.packet.state, 'Down');
    assert.equal(first.packet.desiredMinTxUs, 1_000_000);
    assert.equal(first.packet.requiredMinRxUs, 300_000);
    // Packets from B and from a stranger, through their own transports.
    const tb = await bnet.factory(B)(() => {});
    const ts = await bnet.factory('10.9.9.9')(() => {});
    const pkt = { ...first.packet, myDiscr: 5, yourDiscr: 0 };
    ts.send(A, undefined, encodeBfdPacket(pkt));
    tb.send(A, undefined, Buffer.from([0x20, 0x40, 3]));
    tb.send(A, undefined, encodeBfdPacket({ ...pkt, yourDiscr: 12345 }));
    await settle();
    assert.deepEqual(Object.fromEntries(m.discarded), { 'no-session': 2, 'too-short': 1 });
    tb.send(A, undefined, encodeBfdPacket(pkt));
    await settle();
    assert.equal(m.status(B)?.state, 'Init');
    assert.equal(m.status(B)?.remoteDiscr, 5);
    // Removing sends AdminDown.
    const before = bnet.sent.length;
    m.remove(B);
    const last = decodeBfdPacket(bnet.sent[before]!.data);
    assert.ok(last.ok && last.packet.state === 'AdminDown' && last.packet.diag === 7);
    assert.equal(m.status(B), undefined);
    await settle();
    assert.equal(lab.clock.pending(), 0, 'no timer left');
    await m.close();
  });

  it('opens the transport only with a session, and retries a transport that failed to open', async () => {
    const lab = new Lab();
    const bnet = new MemoryBfdNetwork(lab.clock.defer);
    let opens = 0;
    let fail = true;
    const m = new BfdManager({
      clock: lab.clock,
      transport: async (receive) => {
        opens++;
        if (fail) throw Object.assign(new Error('bind EADDRINUSE :::3784'), { code: 'EADDRINUSE' });
        return bnet.factory(A)(receive);
      },
    });
    await m.start();
    assert.equal(opens, 0, 'no BFD peer: nothing bound');
    m.set({ peer: B });
    await settle();
    assert.equal(opens, 1);
    assert.match(m.transportError?.message ?? '', /EADDRINUSE/);
    assert.equal(m.status(B)?.packetsOut, 0);
    fail = false;
    m.set({ peer: B, minRxMs: 200 });
    await settle();
    assert.equal(opens, 2);
    assert.equal(m.transportError, undefined);
    assert.equal(m.status(B)?.packetsOut, 1, 'the session started once the transport opened');
    await m.close();
  });

  it('after a stall, reads the packets that arrived in time before it expires the detection time', async () => {
    const { FakeClock } = await import('@gannet/core/testing');
    const clock = new FakeClock(1_000);
    const pending: (() => void)[] = []; // stands for setImmediate: runs after the sockets are read
    let receive!: (d: { data: Buffer; from: string; fromPort: number }) => void;
    const m = new BfdManager({
      clock,
      defer: (fn) => pending.push(fn),
      transport: async (r) => {
        receive = r;
        return { send() {}, release() {}, close: async () => {} };
      },
    });
    m.set({ peer: B, minTxMs: 100, minRxMs: 100, multiplier: 3 });
    await m.start();
    const ours = m.status(B)?.localDiscr ?? 0;
    const from = (state: 'Down' | 'Up') =>
      receive({
        from: B,
        fromPort: 49152,
        data: encodeBfdPacket({
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
          yourDiscr: state === 'Down' ? 0 : ours,
          desiredMinTxUs: 100_000,
          requiredMinRxUs: 100_000,
          requiredMinEchoRxUs: 0,
        }),
      });
    from('Down');
    from('Up');
    assert.equal(m.status(B)?.state, 'Up');
    // The loop stalls past the detection time (300 ms); the peer's packet is waiting in the socket meanwhile.
    clock.advance(400);
    assert.equal(m.status(B)?.state, 'Up', 'expiry waits for the pending reads');
    from('Up');
    for (const fn of pending.splice(0)) fn();
    assert.equal(m.status(B)?.state, 'Up', 'the packet read after the stall kept the session');
    // A real silence still takes it down.
    clock.advance(400);
    for (const fn of pending.splice(0)) fn();
    assert.equal(m.status(B)?.state, 'Down');
    assert.deepEqual(m.status(B)?.downsByDiag, { 'control-detection-time-expired': 1 });
    await m.close();
  });
});
