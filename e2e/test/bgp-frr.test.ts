// Interop with FRR's bgpd (Debian), started by hand in a namespace: eBGP and iBGP, IPv4 and IPv6, routes both
// ways, withdraw, hold timer expiry both directions, graceful restart and route refresh.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, saveFixtures } from '../src/capture.js';
import { type Frr, startFrr } from '../src/daemons.js';
import { type Netns, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';
import type { SpeakerProcessConfig } from '../src/speaker-process.js';

const FRR_CONF = `frr defaults traditional
hostname frr
log stdout informational
!
router bgp 65000
 bgp router-id 192.0.2.2
 no bgp ebgp-requires-policy
 no bgp network import-check
 bgp graceful-restart
 neighbor 192.0.2.1 remote-as 65001
 neighbor 192.0.2.1 timers 1 3
 neighbor 192.0.2.1 timers connect 1
 neighbor 192.0.2.3 remote-as 65000
 neighbor 192.0.2.3 timers connect 1
 neighbor 2001:db8::1 remote-as 65001
 neighbor 2001:db8::1 timers connect 1
 neighbor 2001:db8::3 remote-as 65000
 neighbor 2001:db8::3 timers connect 1
 !
 address-family ipv4 unicast
  network 10.99.0.0/24
  no neighbor 2001:db8::1 activate
  no neighbor 2001:db8::3 activate
 exit-address-family
 !
 address-family ipv6 unicast
  network 2001:db8:99::/48
  neighbor 2001:db8::1 activate
  neighbor 2001:db8::3 activate
 exit-address-family
!
`;

const permit = (prefix: string) => [{ prefix, le: 128, action: 'permit' as const }];

function ebgpConfig(capture: string, restarting = false): SpeakerProcessConfig {
  return {
    speaker: {
      asn: 65001,
      routerId: '192.0.2.1',
      listen: false,
      gracefulRestart: { restartTime: 120, restarting, forwardingStateKept: restarting, selectionDeferralMs: 10_000 },
    },
    peers: [
      {
        address: '192.0.2.2',
        asn: 65000,
        localAddress: '192.0.2.1',
        families: ['ipv4'],
        import: [{ prefix: '10.99.0.0/16', le: 32, action: 'permit' }],
        export: [{ prefix: '10.244.0.0/16', le: 32, action: 'permit' }],
      },
      {
        address: '2001:db8::2',
        asn: 65000,
        localAddress: '2001:db8::1',
        families: ['ipv6'],
        import: permit('2001:db8:99::/48'),
        export: permit('2001:db8:244::/48'),
      },
    ],
    originate: ['10.244.1.0/24', '2001:db8:244:1::/64'],
    capture,
  };
}

describe('bgp interop: FRR bgpd', function () {
  this.timeout(60_000);
  let net: TestNet;
  let s: Netns;
  let frr: Frr;
  let ebgp: SpeakerChild;
  let dir: string;

  const frrState = (peer: string, afi: 'ipv4' | 'ipv6' = 'ipv4') => frr.summary(afi).peers?.[peer]?.state;
  const frrRoute = (prefix: string, afi: 'ipv4' | 'ipv6' = 'ipv4') => frr.routes(afi)[prefix];
  const established = (child: SpeakerChild, address: string) =>
    waitFor(`${address} Established`, async () => (await child.peerState(address)) === 'Established', {
      timeoutMs: 20_000,
    });

  before(async function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'gnt-frr-e2e-'));
    net = new TestNet('frr');
    s = net.ns('s');
    const r = net.ns('r');
    net.link(s, 's0', r, 'r0', '192.0.2.1/24', '192.0.2.2/24');
    s.ip('addr', 'add', '192.0.2.3/24', 'dev', 's0');
    s.ip('addr', 'add', '2001:db8::1/64', 'dev', 's0', 'nodad');
    s.ip('addr', 'add', '2001:db8::3/64', 'dev', 's0', 'nodad');
    r.ip('addr', 'add', '2001:db8::2/64', 'dev', 'r0', 'nodad');
    frr = await startFrr(net, r, FRR_CONF);
    ebgp = await SpeakerChild.start(net, s, ebgpConfig(join(dir, 'frr-ebgp.cap')));
    await established(ebgp, '192.0.2.2');
    await established(ebgp, '2001:db8::2');
  });

  after(async () => {
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('eBGP IPv4: routes both ways with next-hop self and our AS prepended', async () => {
    await waitFor('FRR has our IPv4 route', () => frrRoute('10.244.1.0/24') !== undefined);
    const ours = frrRoute('10.244.1.0/24')?.[0];
    assert.equal(ours?.nexthops?.[0]?.ip, '192.0.2.1');
    assert.equal(ours?.path ?? ours?.aspath?.string, '65001');
    await waitFor('we have FRR’s route', async () => (await ebgp.routes()).some((x) => x.prefix === '10.99.0.0/24'));
    const theirs = (await ebgp.routes()).find((x) => x.prefix === '10.99.0.0/24');
    assert.deepEqual(theirs?.nexthops, ['192.0.2.2']);
    assert.equal(theirs?.best.source, 'ebgp');
    assert.equal(frrState('192.0.2.1'), 'Established');
  });

  it('eBGP IPv6: routes both ways over an IPv6 session', async () => {
    await waitFor('FRR has our IPv6 route', () => frrRoute('2001:db8:244:1::/64', 'ipv6') !== undefined);
    await waitFor('we have FRR’s IPv6 route', async () =>
      (await ebgp.routes()).some((x) => x.prefix === '2001:db8:99::/48'),
    );
    const theirs = (await ebgp.routes()).find((x) => x.prefix === '2001:db8:99::/48');
    assert.ok(
      theirs?.nexthops[0]?.startsWith('2001:db8::2') || theirs?.nexthops[0]?.startsWith('fe80'),
      String(theirs?.nexthops),
    );
  });

  it('withdraws a route, and announces it again', async () => {
    ebgp.send({ cmd: 'withdraw', prefix: '10.244.1.0/24' });
    await waitFor('FRR lost our route', () => frrRoute('10.244.1.0/24') === undefined);
    ebgp.send({ cmd: 'originate', prefix: '10.244.1.0/24' });
    await waitFor('FRR has our route again', () => frrRoute('10.244.1.0/24') !== undefined);
  });

  it('iBGP IPv4 and IPv6: a second speaker gets FRR’s routes, and FRR gets its routes', async () => {
    const ibgp = await SpeakerChild.start(net, s, {
      speaker: { asn: 65000, routerId: '192.0.2.3', listen: false },
      peers: [
        { address: '192.0.2.2', asn: 65000, localAddress: '192.0.2.3', families: ['ipv4'] },
        { address: '2001:db8::2', asn: 65000, localAddress: '2001:db8::3', families: ['ipv6'] },
      ],
      originate: ['10.244.3.0/24', '2001:db8:244:3::/64'],
    });
    try {
      await established(ibgp, '192.0.2.2');
      await established(ibgp, '2001:db8::2');
      await waitFor('iBGP routes', async () => {
        const r = await ibgp.routes();
        return r.some((x) => x.prefix === '10.99.0.0/24') && r.some((x) => x.prefix === '10.244.1.0/24');
      });
      const routes = await ibgp.routes();
      assert.equal(routes.find((x) => x.prefix === '10.99.0.0/24')?.best.source, 'ibgp');
      // FRR passes our eBGP route on to iBGP with the next hop unchanged.
      assert.deepEqual(routes.find((x) => x.prefix === '10.244.1.0/24')?.nexthops, ['192.0.2.1']);
      await waitFor('FRR has the iBGP route', () => frrRoute('10.244.3.0/24') !== undefined);
      assert.equal(frrState('192.0.2.3'), 'Established');
      await waitFor('iBGP IPv6 routes', async () => (await ibgp.routes()).some((x) => x.prefix === '2001:db8:99::/48'));
      const v6 = (await ibgp.routes()).find((x) => x.prefix === '2001:db8:99::/48');
      assert.equal(v6?.best.source, 'ibgp');
      await waitFor('FRR has the iBGP IPv6 route', () => frrRoute('2001:db8:244:3::/64', 'ipv6') !== undefined);
    } finally {
      await ibgp.stop();
    }
  });

  it('route refresh both ways', async () => {
    const before = Number((await ebgp.peer('192.0.2.2'))?.updatesOut);
    frr.vtysh('clear bgp ipv4 unicast 192.0.2.1 soft in');
    await waitFor('we re-sent our routes', async () => Number((await ebgp.peer('192.0.2.2'))?.updatesOut) > before);
    const r = await ebgp.request<{ type: string; ok: boolean }>(
      { cmd: 'refresh', address: '192.0.2.2', afi: 1 },
      'refresh',
    );
    assert.equal(r.ok, true);
    await waitFor('FRR received our ROUTE-REFRESH', () => {
      const n = JSON.parse(frr.vtysh('show bgp neighbors 192.0.2.1 json')) as Record<
        string,
        { messageStats?: { routeRefreshRecv?: number } }
      >;
      return (n['192.0.2.1']?.messageStats?.routeRefreshRecv ?? 0) > 0;
    });
    assert.equal(await ebgp.peerState('192.0.2.2'), 'Established');
    // What the peer re-sent between BoRR and EoRR (RFC 7313) stays; nothing of it is purged.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await ebgp.routes()).some((x) => x.prefix === '10.99.0.0/24'));
  });

  it('hold timer: FRR expires it when we freeze, and we expire it when FRR freezes', async () => {
    const from = ebgp.events.length;
    process.kill(ebgp.pid, 'SIGSTOP');
    try {
      await waitFor('FRR drops the frozen session', () => frrState('192.0.2.1') !== 'Established', {
        timeoutMs: 10_000,
      });
    } finally {
      process.kill(ebgp.pid, 'SIGCONT');
    }
    await ebgp.waitEvent(
      'we see the session drop',
      (e) => e.type === 'peer-state' && e.previous === 'Established',
      10_000,
      from,
    );
    await established(ebgp, '192.0.2.2');

    const from2 = ebgp.events.length;
    process.kill(frr.pid, 'SIGSTOP');
    try {
      const down = await ebgp.waitEvent(
        'our hold timer expires',
        (e) => e.type === 'peer-state' && e.address === '192.0.2.2' && e.previous === 'Established',
        10_000,
        from2,
      );
      assert.equal(down.reason, 'hold-timer-expired');
    } finally {
      process.kill(frr.pid, 'SIGCONT');
    }
    await established(ebgp, '192.0.2.2');
    await established(ebgp, '2001:db8::2');
  });

  it('graceful restart: FRR keeps our routes (stale) while we restart, then refreshes them', async () => {
    await waitFor('FRR has our route', () => frrRoute('10.244.1.0/24') !== undefined);
    await ebgp.stop(true);
    await waitFor('FRR marks our route stale', () => frrRoute('10.244.1.0/24')?.[0]?.stale === true, {
      timeoutMs: 10_000,
    });
    assert.ok(frrRoute('10.244.1.0/24'), 'kept while we are down');
    ebgp = await SpeakerChild.start(net, s, ebgpConfig(join(dir, 'frr-ebgp-2.cap'), true));
    await established(ebgp, '192.0.2.2');
    await ebgp.waitEvent('initial sync', (e) => e.type === 'initial-sync-complete');
    await waitFor('our route is fresh again', () => {
      const p = frrRoute('10.244.1.0/24')?.[0];
      return p !== undefined && p.stale !== true;
    });
  });

  it('what FRR sent decodes with our codec (and is kept as fixtures)', () => {
    const msgs = readCapture(join(dir, 'frr-ebgp.cap'));
    assert.ok(msgs.length > 3, 'captured messages');
    const open = msgs.find((m) => m.message.type === 'open');
    assert.equal(open?.message.type === 'open' && open.message.myAs, 65000);
    const u4 = msgs.find((m) => m.message.type === 'update' && m.message.nlri.includes('10.99.0.0/24'));
    const u6 = msgs.find((m) => m.message.type === 'update' && m.message.mpReach?.nlri.includes('2001:db8:99::/48'));
    assert.ok(u4 && u6, 'an IPv4 and an IPv6 UPDATE');
    saveFixtures({ 'frr-open': open?.frame, 'frr-update-ipv4': u4.frame, 'frr-update-ipv6': u6.frame });
  });
});
