import assert from 'node:assert/strict';
import { BgpConfigError, BgpError } from '../../src/errors.js';
import type { MemoryConnection } from '../../src/session/memory-net.js';
import { Lab, permitPods, settle, state } from './harness.js';

describe('speaker: two speakers in memory', () => {
  let lab: Lab;
  beforeEach(() => {
    lab = new Lab();
  });
  afterEach(async () => {
    await lab.stopAll();
  });

  async function ebgpPair(extraB: object = {}) {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods });
    b.speaker.addPeer({
      address: '192.0.2.1',
      asn: 65001,
      passive: true,
      import: permitPods,
      export: permitPods,
      ...extraB,
    });
    await b.speaker.start();
    await a.speaker.start();
    await settle();
    return { a, b };
  }

  it('defers its work (the outbound flush, delivery, the best batch) to the injected defer: one runDeferred() runs it', async () => {
    const { a, b } = await ebgpPair();
    const seen: string[] = [];
    a.speaker.on('best', (cs) => seen.push(...cs.map((c) => c.prefix)));
    a.speaker.originate('10.244.1.0/24');
    assert.deepEqual(seen, [], 'the best batch waits for the deferred run');
    assert.equal(b.best.has('10.244.1.0/24'), false, 'so does the flush to the peer');
    assert.ok(lab.clock.runDeferred() > 0);
    assert.deepEqual(seen, ['10.244.1.0/24']);
    assert.deepEqual(b.best.get('10.244.1.0/24')?.nexthops, ['192.0.2.1'], 'sent, delivered and selected in that run');
    assert.equal(lab.clock.runDeferred(), 0, 'nothing left');
  });

  it('establishes eBGP, exchanges routes with next-hop self and withdraws them', async () => {
    const { a, b } = await ebgpPair();
    assert.equal(state(a, '192.0.2.2'), 'Established');
    assert.equal(state(b, '192.0.2.1'), 'Established');
    a.speaker.originate('10.244.1.0/24');
    b.speaker.originate('10.244.2.0/24');
    await settle();
    assert.deepEqual(b.best.get('10.244.1.0/24')?.nexthops, ['192.0.2.1']);
    assert.equal(b.best.get('10.244.1.0/24')?.source, 'ebgp');
    assert.deepEqual(a.best.get('10.244.2.0/24')?.nexthops, ['192.0.2.2']);
    const route = b.speaker.routes().find((r) => r.prefix === '10.244.1.0/24');
    assert.deepEqual(route?.best.asPath, [65001]);
    const pa = a.speaker.peers()[0];
    assert.equal(pa?.prefixesAdvertised, 1);
    assert.equal(pa?.prefixesReceived, 1);
    assert.ok((pa?.updatesOut ?? 0) >= 1);
    a.speaker.withdrawOrigin('10.244.1.0/24');
    await settle();
    assert.equal(b.best.get('10.244.1.0/24')?.withdrawn, true);
    assert.equal(b.speaker.routes().length, 1, 'only its own prefix is left');
  });

  it('sends and understands End-of-RIB for each family, then reports initial sync', async () => {
    const { a, b } = await ebgpPair();
    assert.deepEqual(a.eor.map((e) => e.afi).sort(), [1, 2]);
    assert.deepEqual(b.eor.map((e) => e.afi).sort(), [1, 2]);
    assert.equal(a.synced, 1);
    assert.equal(b.synced, 1);
  });

  it('a restarting speaker reports the deferred best paths before initial sync (the sweep must see them)', async () => {
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001, passive: true, import: permitPods, export: permitPods });
    b.speaker.originate('10.244.2.0/24');
    await b.speaker.start();
    const a = lab.node('192.0.2.1', {
      asn: 65001,
      routerId: '10.0.0.1',
      gracefulRestart: { restartTime: 120, restarting: true, forwardingStateKept: true, selectionDeferralMs: 60_000 },
    });
    const order: string[] = [];
    a.speaker.on('best', (changes) => order.push(...changes.map((c) => `best ${c.prefix}`)));
    a.speaker.on('initial-sync-complete', () => order.push('initial-sync-complete'));
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods });
    await a.speaker.start();
    await settle();
    assert.equal(a.synced, 1, 'End-of-RIB from the only peer ends the deferral');
    assert.deepEqual(order, ['best 10.244.2.0/24', 'initial-sync-complete']);
  });

  it('reports every transition with a reason, and negotiates capabilities', async () => {
    const { a } = await ebgpPair();
    assert.deepEqual(
      a.states.map((s) => `${s.previous}>${s.state}:${s.reason}`),
      [
        'Idle>Connect:manual-start',
        'Connect>OpenSent:tcp-connected',
        'OpenSent>OpenConfirm:open-received',
        'OpenConfirm>Established:established',
      ],
    );
    const n = a.speaker.negotiated('192.0.2.2');
    assert.equal(n?.fourOctetAs, true);
    assert.equal(n?.routeRefresh, true);
    assert.equal(n?.enhancedRouteRefresh, true);
    assert.deepEqual(n?.families, [1, 2]);
    assert.equal(n?.remoteId, '10.0.0.2');
  });

  it('RFC 8212: an eBGP peer without policy gets nothing and gives nothing', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002 });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001, passive: true, import: permitPods, export: permitPods });
    await b.speaker.start();
    await a.speaker.start();
    a.speaker.originate('10.244.1.0/24');
    b.speaker.originate('10.244.2.0/24');
    await settle();
    assert.equal(state(a, '192.0.2.2'), 'Established');
    assert.equal(b.best.has('10.244.1.0/24'), false);
    assert.equal(a.best.has('10.244.2.0/24'), false);
    assert.equal(a.speaker.peers()[0]?.prefixesReceived, 1);
    assert.equal(a.speaker.peers()[0]?.prefixesAccepted, 0);
  });

  it('iBGP exchanges routes by default and keeps the next hop', async () => {
    const a = lab.node('192.0.2.1', { asn: 64512, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 64512, routerId: '10.0.0.2' });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 64512 });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 64512, passive: true });
    await b.speaker.start();
    await a.speaker.start();
    a.speaker.originate('10.244.1.0/24');
    a.speaker.originate('2001:db8:1::/48');
    await settle();
    assert.equal(b.best.get('10.244.1.0/24')?.source, 'ibgp');
    assert.deepEqual(b.best.get('10.244.1.0/24')?.nexthops, ['192.0.2.1']);
    const r = b.speaker.routes().find((x) => x.prefix === '10.244.1.0/24');
    assert.equal(r?.best.localPref, 100);
  });

  it('expires the hold timer when the peer goes silent, sends 4/0 and reconnects later', async () => {
    const { a, b } = await ebgpPair({ holdTime: 9 });
    assert.equal(a.speaker.negotiated('192.0.2.2')?.holdTime, 9, 'the peer proposed 9 s');
    // Silence a→b: b stops hearing keepalives.
    const conns = lab.net.connections as MemoryConnection[];
    const fromA = conns.filter((c) => c.localAddress === '192.0.2.1' && !c.closed);
    assert.equal(fromA.length, 1);
    const silenced = fromA[0] as MemoryConnection;
    silenced.write = () => true;
    await lab.advance(9_000);
    const down = b.states.find((s) => s.previous === 'Established');
    assert.equal(down?.reason, 'hold-timer-expired');
    assert.equal(b.speaker.peers()[0]?.lastError, 'sent NOTIFICATION 4/0 (hold-timer-expired)');
    assert.equal(b.speaker.peers()[0]?.flaps, 1);
    await lab.advance(60_000, 500);
    assert.equal(state(a, '192.0.2.2'), 'Established');
    assert.equal(state(b, '192.0.2.1'), 'Established');
  });

  it('resolves a connection collision: one session survives, the loser gets Cease/7', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001, import: permitPods, export: permitPods });
    await Promise.all([a.speaker.start(), b.speaker.start()]);
    await settle();
    assert.equal(state(a, '192.0.2.2'), 'Established');
    assert.equal(state(b, '192.0.2.1'), 'Established');
    const open = (lab.net.connections as MemoryConnection[]).filter((c) => !c.closed);
    assert.equal(open.length, 2, 'one connection (two ends) left');
    // b has the higher identifier: its outgoing connection survives.
    assert.equal(open.find((c) => c.localAddress === '192.0.2.2')?.remotePort, 179);
    const cease7 = (lab.net.connections as MemoryConnection[]).some((c) =>
      c.written.some((w) => w[18] === 3 && w[19] === 6 && w[20] === 7),
    );
    assert.ok(cease7, 'a Cease/7 NOTIFICATION was sent');
    a.speaker.originate('10.244.1.0/24');
    await settle();
    assert.ok(b.best.has('10.244.1.0/24'));
  });

  it('max-prefix: Cease/1 with RFC 4486 data, then reconnects after the hold-down', async () => {
    const { a, b } = await ebgpPair({ maxPrefixes: 2, maxPrefixRestartMs: 30_000 });
    for (const p of ['10.244.1.0/24', '10.244.2.0/24', '10.244.3.0/24']) a.speaker.originate(p);
    await settle();
    const down = b.states.find((s) => s.previous === 'Established');
    assert.equal(down?.reason, 'max-prefix');
    assert.equal(b.speaker.peers()[0]?.lastError, 'sent NOTIFICATION 6/1 (max-prefix)');
    const notif = (lab.net.connections as MemoryConnection[])
      .flatMap((c) => c.written)
      .find((w) => w[18] === 3 && w[19] === 6 && w[20] === 1);
    assert.deepEqual([...(notif ?? Buffer.alloc(0)).subarray(21)], [0, 1, 1, 0, 0, 0, 2], 'AFI 1, SAFI 1, limit 2');
    assert.equal(a.speaker.peers()[0]?.lastError, 'received NOTIFICATION 6/1');
    a.speaker.withdrawOrigin('10.244.3.0/24');
    await lab.advance(29_000);
    assert.notEqual(state(b, '192.0.2.1'), 'Established', 'held down');
    await lab.advance(40_000);
    assert.equal(state(b, '192.0.2.1'), 'Established');
    await settle();
    assert.equal(b.speaker.peers()[0]?.prefixesAccepted, 2);
  });

  it('route refresh: the peer re-sends its routes (enhanced: BoRR … EoRR)', async () => {
    const { a, b } = await ebgpPair();
    a.speaker.originate('10.244.1.0/24');
    await settle();
    const before = a.speaker.peers()[0]?.updatesOut ?? 0;
    assert.equal(b.speaker.refresh('192.0.2.1', 1), true);
    await settle();
    assert.ok((a.speaker.peers()[0]?.updatesOut ?? 0) > before, 'the route was sent again');
    const rr = (lab.net.connections as MemoryConnection[])
      .filter((c) => c.localAddress === '192.0.2.1')
      .flatMap((c) => c.written)
      .filter((w) => w[18] === 5)
      .map((w) => w[21]);
    assert.deepEqual(rr, [1, 2], 'BoRR then EoRR');
    assert.ok(b.best.has('10.244.1.0/24'));
  });

  it('setPeers: only added, removed and changed peers reset', async () => {
    const { a } = await ebgpPair();
    const flapsBefore = a.states.length;
    a.speaker.setPeers([{ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods }]);
    await settle();
    assert.equal(a.states.length, flapsBefore, 'unchanged peer untouched');
    a.speaker.setPeers([{ address: '192.0.2.2', asn: 65002, import: permitPods, export: [] }]);
    await settle();
    assert.equal(a.states.length, flapsBefore, 'a policy change re-filters without a reset');
    a.speaker.setPeers([
      { address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods, holdTime: 30 },
      { address: '192.0.2.3', asn: 65003, passive: true },
    ]);
    await settle();
    assert.equal(a.speaker.peers().length, 2);
    assert.ok(
      a.states.some((s) => s.reason === 'peer-removed'),
      'the changed peer was reset',
    );
    a.speaker.setPeers([]);
    assert.equal(a.speaker.peers().length, 0);
  });

  it('rejects bad configuration with BgpConfigError and changes nothing', async () => {
    const { a } = await ebgpPair();
    const bad = [
      { address: 'not-an-ip', asn: 1 },
      { address: '192.0.2.9', asn: 0 },
      { address: '192.0.2.9', asn: 65000, holdTime: 2 },
      { address: '192.0.2.9', asn: 65000, import: [{ prefix: 'x', action: 'permit' as const }] },
      { address: '192.0.2.9', asn: 65000, families: [] },
    ];
    for (const p of bad) assert.throws(() => a.speaker.setPeers([p]), BgpConfigError, JSON.stringify(p));
    assert.throws(
      () =>
        a.speaker.setPeers([
          { address: '192.0.2.9', asn: 1 },
          { address: '192.0.2.9', asn: 1 },
        ]),
      /listed twice/,
    );
    assert.equal(a.speaker.peers().length, 1);
    assert.throws(() => a.speaker.originate('10.0.0.1/8'), BgpError);
    assert.throws(() => a.speaker.removePeer('192.0.2.77'), /no peer/);
    assert.throws(() => lab.node('192.0.2.5', { asn: 1, routerId: '0.0.0.0' }), BgpConfigError);
    assert.throws(() => lab.node('192.0.2.5', { asn: 2 ** 32, routerId: '1.1.1.1' }), BgpConfigError);
  });
});

describe('speaker: peers at run time', () => {
  let lab: Lab;
  beforeEach(() => {
    lab = new Lab();
  });
  afterEach(async () => {
    await lab.stopAll();
  });

  it('a policy-only change re-filters without a reset: routes follow the new export rules', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001, passive: true, import: permitPods, export: permitPods });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods });
    await b.speaker.start();
    await a.speaker.start();
    a.speaker.originate('10.244.1.0/24');
    a.speaker.originate('10.244.2.0/24');
    await settle();
    assert.equal(b.best.get('10.244.2.0/24')?.withdrawn, false);
    const transitions = a.states.length;
    a.speaker.updatePeer({
      address: '192.0.2.2',
      asn: 65002,
      import: permitPods,
      export: [{ prefix: '10.244.1.0/24', action: 'permit' }],
    });
    await settle();
    assert.equal(a.states.length, transitions, 'no reset');
    assert.equal(b.best.get('10.244.2.0/24')?.withdrawn, true, 'no longer exported');
    assert.equal(b.best.get('10.244.1.0/24')?.withdrawn, false);
  });

  it('attributes attached per peer reach the peer, and change without a session reset', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001, passive: true, import: permitPods, export: permitPods });
    const peer = { address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods };
    a.speaker.addPeer({ ...peer, communities: ['65001:100', 'no-export'], largeCommunities: ['65001:1:2'], med: 20 });
    await b.speaker.start();
    await a.speaker.start();
    a.speaker.originate('10.244.1.0/24');
    await settle();
    assert.deepEqual(b.speaker.route('10.244.1.0/24')?.best, {
      source: 'ebgp',
      peer: '192.0.2.1',
      asPath: [65001],
      localPref: 100,
      med: 20,
      origin: 0,
      communities: ['65001:100', 'no-export'],
      largeCommunities: ['65001:1:2'],
    });
    const transitions = a.states.length;
    a.speaker.updatePeer({ ...peer, asPathPrepend: 2 });
    await settle();
    assert.equal(a.states.length, transitions, 'no reset');
    const best = b.speaker.route('10.244.1.0/24')?.best;
    assert.deepEqual(best?.asPath, [65001, 65001, 65001]);
    assert.equal(best?.communities, undefined);
    assert.equal(best?.med, 0);
    assert.equal(b.speaker.route('10.244.9.0/24'), undefined);
    assert.equal(b.speaker.route('not a prefix'), undefined);
    // bestOf: the same best part, O(1), shared by the prefixes of one path and frozen
    a.speaker.originate('10.244.2.0/24');
    await settle();
    const one = b.speaker.bestOf('10.244.1.0/24');
    assert.deepEqual(one, b.speaker.route('10.244.1.0/24')?.best);
    assert.equal(one, b.speaker.bestOf('10.244.2.0/24'), 'one object per path');
    assert.ok(Object.isFrozen(one) && Object.isFrozen(one?.asPath));
    assert.equal(b.speaker.bestOf('10.244.9.0/24'), undefined);
  });

  it('refuses connections from unknown addresses, and a passive peer never connects out', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, passive: true });
    await a.speaker.start();
    await lab.advance(120_000, 10_000);
    assert.equal(lab.net.connections.length, 0, 'never connected out');
    assert.equal(state(a, '192.0.2.2'), 'Active');
    const conn = await lab.net.factory('192.0.2.9').connect({ host: '192.0.2.1', port: 179 });
    await settle();
    assert.equal((conn as MemoryConnection).closed, true);
  });

  it('retries a refused connection with growing, capped backoff', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002 });
    await a.speaker.start();
    await settle();
    await lab.advance(40_000, 250);
    const refused = a.states.filter((s) => s.reason === 'connection-refused').length;
    // 1 s, 2 s, 4 s, 8 s, 16 s … (jitter factor 1 with random 0.5): about six attempts in 40 s, not forty.
    assert.ok(refused >= 4 && refused <= 7, `attempts: ${refused}`);
    assert.match(a.speaker.peers()[0]?.lastError ?? '', /ECONNREFUSED/);
  });

  it('can be stopped and started again', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001, passive: true, import: permitPods, export: permitPods });
    a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods });
    await b.speaker.start();
    await a.speaker.start();
    await settle();
    await a.speaker.stop();
    await settle();
    assert.equal(state(a, '192.0.2.2'), 'Idle');
    await a.speaker.start();
    await lab.advance(10_000, 500); // b refuses while it is Idle after the Cease, then both back off and retry
    assert.equal(state(a, '192.0.2.2'), 'Established');
    assert.equal(state(b, '192.0.2.1'), 'Established');
  });
});
