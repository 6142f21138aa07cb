// Interop with BIRD 2 (Debian), started by hand in a namespace: eBGP and iBGP, IPv4 and IPv6, routes both ways,
// withdraw, hold timer expiry, graceful restart and route refresh. BIRD has no kernel protocol here.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCapture, saveFixtures } from '../src/capture.js';
import { type Bird, startBird } from '../src/daemons.js';
import { type Netns, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';
import { SpeakerChild } from '../src/speaker-child.js';
import type { SpeakerProcessConfig } from '../src/speaker-process.js';

const BIRD_CONF = `router id 192.0.2.2;
log stderr all;
protocol device {}
protocol static static4 { ipv4; route 10.98.0.0/24 blackhole; }
protocol static static6 { ipv6; route 2001:db8:98::/48 blackhole; }
template bgp peer {
  local as 65000;
  hold time 3;
  keepalive time 1;
  connect retry time 1;
  error wait time 1, 5;
  graceful restart on;
  enable route refresh on;
}
protocol bgp ebgp4 from peer {
  neighbor 192.0.2.1 as 65001;
  source address 192.0.2.2;
  ipv4 { import all; export where proto = "static4"; };
}
protocol bgp ebgp6 from peer {
  neighbor 2001:db8::1 as 65001;
  source address 2001:db8::2;
  ipv6 { import all; export where proto = "static6"; };
}
protocol bgp ibgp4 from peer {
  neighbor 192.0.2.3 as 65000;
  source address 192.0.2.2;
  ipv4 { import all; export all; };
}
protocol bgp ibgp6 from peer {
  neighbor 2001:db8::3 as 65000;
  source address 2001:db8::2;
  ipv6 { import all; export all; };
}
`;

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
        import: [{ prefix: '10.98.0.0/16', le: 32, action: 'permit' }],
        export: [{ prefix: '10.244.0.0/16', le: 32, action: 'permit' }],
      },
      {
        address: '2001:db8::2',
        asn: 65000,
        localAddress: '2001:db8::1',
        families: ['ipv6'],
        import: [{ prefix: '2001:db8:98::/48', le: 128, action: 'permit' }],
        export: [{ prefix: '2001:db8:244::/48', le: 128, action: 'permit' }],
      },
    ],
    originate: ['10.244.1.0/24', '2001:db8:244:1::/64'],
    capture,
  };
}

describe('bgp interop: BIRD 2', function () {
  this.timeout(60_000);
  let net: TestNet;
  let s: Netns;
  let bird: Bird;
  let ebgp: SpeakerChild;
  let dir: string;

  /** BIRD's route for a prefix, or undefined when it has none. */
  const birdRoute = (prefix: string): string | undefined => {
    const out = bird.birdc(`show route ${prefix} all`);
    return out.includes(prefix) ? out : undefined;
  };
  const established = (child: SpeakerChild, address: string) =>
    waitFor(`${address} Established`, async () => (await child.peerState(address)) === 'Established', {
      timeoutMs: 20_000,
    });

  before(async function () {
    requireRoot(this);
    dir = mkdtempSync(join(tmpdir(), 'gnt-bird-e2e-'));
    net = new TestNet('bird');
    s = net.ns('s');
    const r = net.ns('r');
    net.link(s, 's0', r, 'r0', '192.0.2.1/24', '192.0.2.2/24');
    s.ip('addr', 'add', '192.0.2.3/24', 'dev', 's0');
    s.ip('addr', 'add', '2001:db8::1/64', 'dev', 's0', 'nodad');
    s.ip('addr', 'add', '2001:db8::3/64', 'dev', 's0', 'nodad');
    r.ip('addr', 'add', '2001:db8::2/64', 'dev', 'r0', 'nodad');
    bird = await startBird(net, r, BIRD_CONF);
    ebgp = await SpeakerChild.start(net, s, ebgpConfig(join(dir, 'bird-ebgp.cap')));
    await established(ebgp, '192.0.2.2');
    await established(ebgp, '2001:db8::2');
  });

  after(async () => {
    await net?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('eBGP IPv4: routes both ways with next-hop self and our AS prepended', async () => {
    await waitFor('BIRD has our route', () => birdRoute('10.244.1.0/24') !== undefined);
    const r = birdRoute('10.244.1.0/24') ?? '';
    assert.match(r, /via 192\.0\.2\.1/);
    assert.match(r, /BGP\.as_path: 65001\b/);
    await waitFor('we have BIRD’s route', async () => (await ebgp.routes()).some((x) => x.prefix === '10.98.0.0/24'));
    const theirs = (await ebgp.routes()).find((x) => x.prefix === '10.98.0.0/24');
    assert.deepEqual(theirs?.nexthops, ['192.0.2.2']);
    assert.equal(bird.protocol('ebgp4').state, 'up');
  });

  it('eBGP IPv6: routes both ways over an IPv6 session', async () => {
    await waitFor('BIRD has our IPv6 route', () => birdRoute('2001:db8:244:1::/64') !== undefined);
    assert.match(birdRoute('2001:db8:244:1::/64') ?? '', /via 2001:db8::1/);
    await waitFor('we have BIRD’s IPv6 route', async () =>
      (await ebgp.routes()).some((x) => x.prefix === '2001:db8:98::/48'),
    );
  });

  it('withdraws a route, and announces it again', async () => {
    ebgp.send({ cmd: 'withdraw', prefix: '10.244.1.0/24' });
    await waitFor('BIRD lost our route', () => birdRoute('10.244.1.0/24') === undefined);
    ebgp.send({ cmd: 'originate', prefix: '10.244.1.0/24' });
    await waitFor('BIRD has our route again', () => birdRoute('10.244.1.0/24') !== undefined);
  });

  it('iBGP IPv4 and IPv6: a second speaker exchanges routes with BIRD', async () => {
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
        return r.some((x) => x.prefix === '10.98.0.0/24') && r.some((x) => x.prefix === '10.244.1.0/24');
      });
      const routes = await ibgp.routes();
      assert.equal(routes.find((x) => x.prefix === '10.98.0.0/24')?.best.source, 'ibgp');
      await waitFor('BIRD has the iBGP route', () => birdRoute('10.244.3.0/24') !== undefined);
      assert.match(birdRoute('10.244.3.0/24') ?? '', /ibgp4/);
      await waitFor('iBGP IPv6 routes', async () => (await ibgp.routes()).some((x) => x.prefix === '2001:db8:98::/48'));
      await waitFor('BIRD has the iBGP IPv6 route', () => birdRoute('2001:db8:244:3::/64') !== undefined);
      assert.match(birdRoute('2001:db8:244:3::/64') ?? '', /ibgp6/);
    } finally {
      await ibgp.stop();
    }
  });

  it('route refresh both ways', async () => {
    const out = Number((await ebgp.peer('192.0.2.2'))?.updatesOut);
    bird.birdc('reload in ebgp4');
    await waitFor('we re-sent our routes', async () => Number((await ebgp.peer('192.0.2.2'))?.updatesOut) > out);
    const inBefore = Number((await ebgp.peer('192.0.2.2'))?.updatesIn);
    const r = await ebgp.request<{ type: string; ok: boolean }>(
      { cmd: 'refresh', address: '192.0.2.2', afi: 1 },
      'refresh',
    );
    assert.equal(r.ok, true);
    await waitFor('BIRD re-sent its routes', async () => Number((await ebgp.peer('192.0.2.2'))?.updatesIn) > inBefore);
    assert.equal(await ebgp.peerState('192.0.2.2'), 'Established');
    // What the peer re-sent between BoRR and EoRR (RFC 7313) stays; nothing of it is purged.
    await new Promise((r) => setTimeout(r, 300));
    assert.ok((await ebgp.routes()).some((x) => x.prefix === '10.98.0.0/24'));
  });

  it('hold timer: BIRD expires it when we freeze, and we expire it when BIRD freezes', async () => {
    process.kill(ebgp.pid, 'SIGSTOP');
    try {
      await waitFor('BIRD drops the frozen session', () => bird.protocol('ebgp4').state !== 'up', {
        timeoutMs: 10_000,
      });
    } finally {
      process.kill(ebgp.pid, 'SIGCONT');
    }
    await established(ebgp, '192.0.2.2');
    const from = ebgp.events.length;
    process.kill(bird.pid, 'SIGSTOP');
    try {
      const down = await ebgp.waitEvent(
        'our hold timer expires',
        (e) => e.type === 'peer-state' && e.address === '192.0.2.2' && e.previous === 'Established',
        10_000,
        from,
      );
      assert.equal(down.reason, 'hold-timer-expired');
    } finally {
      process.kill(bird.pid, 'SIGCONT');
    }
    await established(ebgp, '192.0.2.2');
    await established(ebgp, '2001:db8::2');
  });

  it('graceful restart: BIRD keeps our routes while we restart, then refreshes them', async () => {
    await waitFor('BIRD has our route', () => birdRoute('10.244.1.0/24') !== undefined);
    await ebgp.stop(true);
    await waitFor('BIRD notices', () => bird.protocol('ebgp4').state !== 'up', { timeoutMs: 10_000 });
    assert.ok(birdRoute('10.244.1.0/24'), 'kept while we are down');
    ebgp = await SpeakerChild.start(net, s, ebgpConfig(join(dir, 'bird-ebgp-2.cap'), true));
    await established(ebgp, '192.0.2.2');
    await ebgp.waitEvent('initial sync', (e) => e.type === 'initial-sync-complete');
    await waitFor(
      'BIRD is up with our route',
      () => bird.protocol('ebgp4').state === 'up' && birdRoute('10.244.1.0/24') !== undefined,
    );
  });

  it('a non-graceful stop makes BIRD drop our routes at once', async () => {
    await ebgp.stop(false);
    await waitFor('BIRD dropped our route', () => birdRoute('10.244.1.0/24') === undefined, { timeoutMs: 10_000 });
    ebgp = await SpeakerChild.start(net, s, ebgpConfig(join(dir, 'bird-ebgp-3.cap')));
    await established(ebgp, '192.0.2.2');
  });

  it('what BIRD sent decodes with our codec (and is kept as fixtures)', () => {
    const msgs = readCapture(join(dir, 'bird-ebgp.cap'));
    assert.ok(msgs.length > 3, 'captured messages');
    const open = msgs.find((m) => m.message.type === 'open');
    assert.equal(open?.message.type === 'open' && open.message.myAs, 65000);
    const u4 = msgs.find((m) => m.message.type === 'update' && m.message.nlri.includes('10.98.0.0/24'));
    const u6 = msgs.find((m) => m.message.type === 'update' && m.message.mpReach?.nlri.includes('2001:db8:98::/48'));
    assert.ok(u4 && u6, 'an IPv4 and an IPv6 UPDATE');
    saveFixtures({ 'bird-open': open?.frame, 'bird-update-ipv4': u4.frame, 'bird-update-ipv6': u6.frame });
  });
});
