// Session behaviour against a hand-driven raw peer over an in-memory connection: OPEN checks, capability
// negotiation, FSM errors, framing errors, RFC 7606 treat-as-withdraw, backpressure, graceful restart (both roles).
import assert from 'node:assert/strict';
import type { Connection } from '../../src/session/connection.js';
import { MemoryNetwork } from '../../src/session/memory-net.js';
import { PeerSession } from '../../src/session/peer-session.js';
import { encodeMessage, encodeUpdates } from '../../src/wire/index.js';
import { fakeClock, settle } from '../speaker/harness.js';
import { openMessage, RawPeer } from './raw-peer.js';
import { establish, PEER, peerState, setup, US, update } from './session-setup.js';

describe('session: OPEN and negotiation', () => {
  it('sends an OPEN with our capabilities and reaches Established', async () => {
    const s = await setup();
    const raw = await establish(s);
    assert.equal(peerState(s), 'Established');
    const open = raw.of('open')[0];
    assert.equal(open?.myAs, 64512);
    assert.equal(open?.holdTime, 90);
    assert.equal(open?.bgpId, '10.0.0.1');
    const names = open?.capabilities.map((c) => c.name);
    for (const n of [
      'multiprotocol',
      'route-refresh',
      'enhanced-route-refresh',
      'four-octet-as',
      'extended-message',
      'graceful-restart',
    ]) {
      assert.ok(names?.includes(n as never), n);
    }
    await s.speaker.stop();
  });

  it('negotiates down to what a minimal 2-octet peer offers (IPv4 only, no route refresh)', async () => {
    const s = await setup();
    await establish(s, []);
    const n = s.speaker.negotiated(PEER);
    assert.equal(n?.fourOctetAs, false);
    assert.equal(n?.extendedMessage, false);
    assert.equal(n?.routeRefresh, false);
    assert.deepEqual(n?.families, [1]);
    assert.equal(s.speaker.refresh(PEER, 1), false, 'no route refresh without the capability');
    await s.speaker.stop();
  });

  it('uses AS_TRANS in My AS and the 4-octet capability for a large ASN', async () => {
    const s = await setup({ asn: 4_200_000_000 }, { asn: 4_200_000_001 });
    const raw = await establish(s, undefined, 4_200_000_000);
    assert.equal(raw.of('open')[0]?.myAs, 23456);
    const four = raw.of('open')[0]?.capabilities.find((c) => c.name === 'four-octet-as');
    assert.equal(four?.name === 'four-octet-as' && four.asn, 4_200_000_001);
    assert.equal(peerState(s), 'Established');
    await s.speaker.stop();
  });

  // Reasons come from the codec (checks it makes while decoding) or from the session (checks against the config).
  const openErrors: [string, Parameters<typeof openMessage>, [number, number], string][] = [
    ['a wrong peer AS', [65099, '10.0.0.2'], [2, 2], 'bad-peer-as'],
    ['hold time 2', [64512, '10.0.0.2', { holdTime: 2 }], [2, 6], 'hold-time-unacceptable'],
    ['our own BGP identifier on iBGP', [64512, '10.0.0.1'], [2, 3], 'bad-bgp-id'],
    ['BGP identifier 0.0.0.0', [64512, '0.0.0.0'], [2, 3], 'bgp-identifier-zero'],
    ['version 3', [64512, '10.0.0.2', { version: 3 }], [2, 1], 'unsupported-version'],
  ];
  for (const [what, args, [code, subcode], reason] of openErrors) {
    it(`answers an OPEN with ${what} with NOTIFICATION ${code}/${subcode}`, async () => {
      const s = await setup();
      const raw = await RawPeer.connect(s.net, PEER, US);
      raw.send(openMessage(...args));
      await settle();
      const n = raw.of('notification')[0];
      assert.deepEqual([n?.code, n?.subcode], [code, subcode]);
      assert.equal(raw.closed, true);
      assert.equal(peerState(s), 'Idle');
      assert.equal(s.states.at(-1)?.reason, reason);
      assert.equal(s.speaker.peers()[0]?.lastError, `sent NOTIFICATION ${code}/${subcode} (${reason})`);
      await s.speaker.stop();
    });
  }
});

describe('session: errors', () => {
  it('an UPDATE in OpenConfirm is an FSM error (5/2, RFC 6608)', async () => {
    const s = await setup();
    const raw = await RawPeer.connect(s.net, PEER, US);
    raw.send(openMessage(64512, '10.0.0.2'));
    await settle();
    assert.equal(peerState(s), 'OpenConfirm');
    raw.send(update(['10.244.9.0/24']));
    await settle();
    const n = raw.of('notification')[0];
    assert.deepEqual([n?.code, n?.subcode], [5, 2]);
    assert.equal(s.states.at(-1)?.reason, 'unexpected-message');
    await s.speaker.stop();
  });

  it('a bad marker is a header error (1/1): NOTIFICATION, then close', async () => {
    const s = await setup();
    const raw = await establish(s);
    const bad = encodeMessage({ type: 'keepalive' }, raw.opts);
    bad[3] = 0;
    raw.sendRaw(bad);
    await settle();
    const n = raw.of('notification')[0];
    assert.deepEqual([n?.code, n?.subcode], [1, 1]);
    assert.equal(raw.closed, true);
    assert.equal(s.states.at(-1)?.reason, 'bad-marker');
    await s.speaker.stop();
  });

  it('RFC 7606 treat-as-withdraw keeps the session up, withdraws the prefix and counts it', async () => {
    const s = await setup();
    const raw = await establish(s);
    raw.send(update(['10.244.5.0/24']));
    await settle();
    assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
    // Same prefix again, ORIGIN with a bad length (2 octets): treat-as-withdraw (RFC 7606 §7.1).
    const good = encodeMessage(update(['10.244.5.0/24']), raw.opts);
    const origin = good.indexOf(Buffer.from([0x40, 0x01, 0x01, 0x00]));
    assert.ok(origin > 0);
    const bad = Buffer.concat([
      good.subarray(0, origin),
      Buffer.from([0x40, 0x01, 0x02, 0x00, 0x00]),
      good.subarray(origin + 4),
    ]);
    bad.writeUInt16BE(bad.length, 16);
    bad.writeUInt16BE(bad.readUInt16BE(21) + 1, 21); // total path attribute length
    raw.sendRaw(bad);
    await settle();
    assert.equal(peerState(s), 'Established');
    assert.equal(raw.of('notification').length, 0);
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true);
    assert.equal(s.speaker.peers()[0]?.prefixesReceived, 0);
    assert.equal(s.speaker.peers()[0]?.treatAsWithdraw, 1);
    assert.equal(s.speaker.peers()[0]?.attributesDiscarded, 0);
    await s.speaker.stop();
  });

  it('a NOTIFICATION from the peer closes the session with reason notification-received', async () => {
    const s = await setup();
    const raw = await establish(s);
    raw.send(update(['10.244.5.0/24']));
    await settle();
    raw.send({ type: 'notification', code: 6, subcode: 4, data: Buffer.alloc(0) });
    await settle();
    assert.equal(peerState(s), 'Idle');
    assert.equal(s.states.at(-1)?.reason, 'notification-received');
    assert.equal(s.speaker.peers()[0]?.lastError, 'received NOTIFICATION 6/4');
    assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true, 'routes flushed (no graceful restart on NOTIFICATION)');
    await s.speaker.stop();
  });
});

describe('session: a full table', () => {
  it('takes 200,000 prefixes packed in UPDATEs and drops them all when the peer goes down', async function () {
    this.timeout(20_000);
    const s = await setup();
    const raw = await establish(s);
    const prefixes: string[] = [];
    for (let i = 0; i < 200_000; i++) prefixes.push(`${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`);
    const attrs = { origin: 0 as const, asPath: [], nextHop: '192.0.2.2', localPref: 100 };
    for (const buf of encodeUpdates(attrs, prefixes, { fourOctetAs: true, extendedMessage: false })) raw.sendRaw(buf);
    await settle();
    assert.equal(s.speaker.routeCount(), 200_000);
    assert.equal(s.speaker.peers()[0]?.prefixesAccepted, 200_000);
    raw.conn.destroy(); // no graceful restart: every route goes, in one RIB change list
    await settle();
    assert.equal(s.speaker.routeCount(), 0);
    assert.equal(s.best.get('16.0.0.0/24')?.withdrawn, true);
    await s.speaker.stop();
  });
});

describe('session: output', () => {
  it('waits for drain when the connection is full, sends everything packed, then End-of-RIB last', async () => {
    const s = await setup();
    for (let i = 0; i < 3000; i++) s.speaker.originate(`10.${(i >> 8) & 255}.${i & 255}.0/24`);
    const raw = await establish(s);
    await settle();
    const updates = raw.of('update');
    const prefixes = updates.flatMap((u) => u.nlri);
    assert.equal(new Set(prefixes).size, 3000);
    assert.ok(updates.length < 30, `packed: ${updates.length} UPDATEs for 3000 prefixes`);
    const last = updates.at(-1);
    assert.deepEqual(
      [last?.nlri.length, last?.withdrawn.length, Object.keys(last?.attributes ?? {}).length],
      [0, 0, 0],
      'IPv4 End-of-RIB last',
    );
    assert.equal(s.speaker.peers()[0]?.prefixesAdvertised, 3000);
    await s.speaker.stop();
  });

  it('a graceful stop closes TCP without a NOTIFICATION; a normal stop sends Cease/2', async () => {
    const s1 = await setup();
    const r1 = await establish(s1);
    await s1.speaker.stop({ graceful: true });
    await settle();
    assert.equal(r1.closed, true);
    assert.equal(r1.of('notification').length, 0);
    const s2 = await setup();
    const r2 = await establish(s2);
    await s2.speaker.stop();
    await settle();
    const n = r2.of('notification')[0];
    assert.deepEqual([n?.code, n?.subcode], [6, 2]);
  });
});

describe('session: a failing handler', () => {
  it('resets the session with Cease instead of throwing out of the socket callback', async () => {
    const clock = fakeClock();
    const net = new MemoryNetwork(clock.defer);
    const logged: string[] = [];
    const log = { debug() {}, info() {}, warn() {}, error: (m: string) => logged.push(m) };
    let listener: ((c: Connection) => void) | undefined;
    await net.factory(US).listen({ address: US, port: 179 }, (c) => listener?.(c));
    const session = new PeerSession({
      address: PEER,
      asn: 64512,
      port: 179,
      fsm: { passive: true, holdTime: 90, connectRetryMs: 30_000, backoff: { initialMs: 1_000, maxMs: 60_000 } },
      open: { asn: 64512, routerId: '10.0.0.1', holdTime: 90, families: [1] },
      clock,
      defer: clock.defer,
      random: () => 0.5,
      factory: net.factory(US),
      log,
      handlers: {
        transition() {},
        established() {},
        down() {},
        update() {
          throw new Error('bug');
        },
        endOfRib() {},
        routeRefresh() {},
        pull: () => ({ announce: [], withdraw: [], completed: [] }),
      },
    });
    listener = (c) => session.accept(c);
    session.start();
    const raw = await establish({ net });
    assert.equal(session.state, 'Established');
    raw.send(update(['10.244.5.0/24']));
    await settle();
    assert.equal(session.state, 'Idle');
    assert.equal(session.lastReason, 'internal-error');
    const n = raw.of('notification')[0];
    assert.deepEqual([n?.code, n?.subcode], [6, 0]);
    assert.deepEqual(logged, ['internal error handling a message']);
    session.stop();
  });
});

describe('session: enhanced route refresh from the peer (RFC 7313)', () => {
  it('purges at EoRR what the peer did not re-send after BoRR', async () => {
    const s = await setup();
    const raw = await establish(s, [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 2, name: 'route-refresh' },
      { code: 70, name: 'enhanced-route-refresh' },
      { code: 65, name: 'four-octet-as', asn: 64512 },
    ]);
    raw.send(update(['10.244.5.0/24', '10.244.6.0/24']));
    await settle();
    assert.equal(s.speaker.routeCount(), 2);
    assert.equal(s.speaker.refresh(PEER, 1), true);
    await settle();
    assert.equal(raw.of('route-refresh')[0]?.subtype, 0, 'we asked');
    raw.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 1 }); // BoRR
    raw.send(update(['10.244.5.0/24']));
    await settle();
    assert.equal(s.speaker.routeCount(), 2, 'nothing purged before EoRR');
    raw.send({ type: 'route-refresh', afi: 1, safi: 1, subtype: 2 }); // EoRR
    await settle();
    assert.deepEqual(
      s.speaker.routes().map((r) => r.prefix),
      ['10.244.5.0/24'],
    );
    assert.equal(peerState(s), 'Established');
    await s.speaker.stop();
  });
});
