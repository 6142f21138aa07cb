// What the speaker refuses in UPDATEs that decode fine: unusable next hops (RFC 4271 §6.3, RFC 7606 §7.3: ignored,
// counted, session kept, never in an ECMP group) and eBGP AS_PATHs that do not start with the peer's AS (RFC 4271
// §6.3, handled as RFC 7606 §7.2 says: treat-as-withdraw).
import assert from 'node:assert/strict';
import type { Capability, UpdateMessage } from '../../src/wire/types.js';
import { settle } from '../speaker/harness.js';
import { openMessage, RawPeer } from './raw-peer.js';
import { establish, PEER, peerState, type Setup, setup, US, update } from './session-setup.js';

const PEER2 = '192.0.2.3';
const dual: Capability[] = [
  { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
  { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
  { code: 65, name: 'four-octet-as', asn: 64512 },
];
const pods = [{ prefix: '10.244.0.0/16', le: 32, action: 'permit' as const }];

async function establishFrom(s: Setup, address: string, asn: number, bgpId: string): Promise<RawPeer> {
  const raw = await RawPeer.connect(s.net, address, US);
  raw.send(openMessage(asn, bgpId));
  await settle();
  raw.send({ type: 'keepalive' });
  await settle();
  return raw;
}

function v6(nextHop: string, nlri: string[]): UpdateMessage {
  return {
    type: 'update',
    withdrawn: [],
    attributes: { origin: 0, asPath: [], localPref: 100 },
    nlri: [],
    mpReach: { afi: 2, safi: 1, nextHop, nlri },
  };
}

const status = (s: Setup, address = PEER) => s.speaker.peers().find((p) => p.address === address);

describe('session: NEXT_HOP validation', () => {
  const bad: [string, string][] = [
    ['0.0.0.0', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['224.0.0.5', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'our address on the session'],
    ['198.51.100.7', 'another address of ours (isLocalAddress)'],
  ];
  for (const [nh, what] of bad) {
    it(`ignores a route via ${nh} (${what}): counted, no NOTIFICATION, earlier route withdrawn`, async () => {
      const s = await setup({}, { isLocalAddress: (a) => a === '198.51.100.7' });
      const raw = await establish(s);
      raw.send(update(['10.244.5.0/24', '10.244.6.0/24']));
      await settle();
      assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
      raw.send(update(['10.244.5.0/24', '10.244.7.0/24'], { nextHop: nh }));
      await settle();
      assert.equal(peerState(s), 'Established');
      assert.equal(raw.of('notification').length, 0);
      assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true, 'the route it replaced is gone');
      assert.equal(s.best.has('10.244.7.0/24'), false);
      assert.deepEqual(s.best.get('10.244.6.0/24')?.nexthops, ['192.0.2.2'], 'other routes untouched');
      assert.equal(status(s)?.nextHopInvalid, 2);
      assert.equal(status(s)?.prefixesReceived, 1);
      await s.speaker.stop();
    });
  }

  it('IPv6: link-local, loopback, multicast and unspecified global next hops are ignored', async () => {
    const s = await setup();
    const raw = await establish(s, dual);
    for (const nh of ['fe80::1', '::1', 'ff02::2', '::']) raw.send(v6(nh, ['2001:db8:1::/48']));
    raw.send(v6('2001:db8::2', ['2001:db8:2::/48']));
    await settle();
    assert.equal(s.best.has('2001:db8:1::/48'), false);
    assert.deepEqual(s.best.get('2001:db8:2::/48')?.nexthops, ['2001:db8::2']);
    assert.equal(status(s)?.nextHopInvalid, 4);
    assert.equal(peerState(s), 'Established');
    await s.speaker.stop();
  });

  it('a bad path never joins an ECMP group with good paths', async () => {
    const s = await setup();
    s.speaker.addPeer({ address: PEER2, asn: 64512, passive: true });
    const a = await establish(s);
    const b = await establishFrom(s, PEER2, 64512, '10.0.0.3');
    a.send(update(['10.244.5.0/24']));
    b.send(update(['10.244.5.0/24'], { nextHop: '192.0.2.3' }));
    await settle();
    assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2', '192.0.2.3'], 'two good paths: ECMP');
    b.send(update(['10.244.5.0/24'], { nextHop: '127.0.0.1' }));
    await settle();
    assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2'], 'the bad path left the group');
    assert.equal(status(s, PEER2)?.nextHopInvalid, 1);
    assert.equal(status(s, PEER)?.nextHopInvalid, 0);
    await s.speaker.stop();
  });

  it('eBGP single-hop: an off-link next hop is ignored unless disableConnectedCheck', async () => {
    const isConnected = (a: string) => a.startsWith('192.0.2.');
    const asPath = [{ type: 'sequence' as const, asns: [65002] }];
    for (const disableConnectedCheck of [false, true]) {
      const s = await setup({ asn: 65002, import: pods, disableConnectedCheck }, { isConnected });
      const raw = await establish(s, undefined, 65002);
      raw.send(update(['10.244.5.0/24'], { nextHop: '203.0.113.9', asPath }));
      raw.send(update(['10.244.6.0/24'], { nextHop: '192.0.2.9', asPath }));
      await settle();
      assert.deepEqual(s.best.get('10.244.6.0/24')?.nexthops, ['192.0.2.9'], 'third-party next hop on the link');
      if (disableConnectedCheck) assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['203.0.113.9']);
      else assert.equal(s.best.has('10.244.5.0/24'), false);
      assert.equal(status(s)?.nextHopInvalid, disableConnectedCheck ? 0 : 1);
      await s.speaker.stop();
    }
  });

  it('iBGP next hops are not held to the connected subnet', async () => {
    const s = await setup({}, { isConnected: () => false });
    const raw = await establish(s);
    raw.send(update(['10.244.5.0/24'], { nextHop: '203.0.113.9' }));
    await settle();
    assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['203.0.113.9']);
    await s.speaker.stop();
  });
});

describe('session: first AS of eBGP paths (enforce-first-as)', () => {
  const cases: [string, UpdateMessage['attributes']['asPath']][] = [
    ['another AS first', [{ type: 'sequence', asns: [65099, 65002] }]],
    ['an empty AS_PATH', []],
    ['an AS_SET first', [{ type: 'set', asns: [65002] }]],
  ];
  for (const [what, asPath] of cases) {
    it(`${what}: treat-as-withdraw (RFC 7606 §7.2), counted, no NOTIFICATION`, async () => {
      const s = await setup({ asn: 65002, import: pods });
      const raw = await establish(s, undefined, 65002);
      raw.send(update(['10.244.5.0/24'], { asPath: [{ type: 'sequence', asns: [65002] }] }));
      await settle();
      assert.deepEqual(s.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
      raw.send(update(['10.244.5.0/24', '10.244.6.0/24'], { asPath }));
      await settle();
      assert.equal(peerState(s), 'Established');
      assert.equal(raw.of('notification').length, 0);
      assert.equal(s.best.get('10.244.5.0/24')?.withdrawn, true);
      assert.equal(s.best.has('10.244.6.0/24'), false);
      assert.equal(status(s)?.firstAsViolations, 1);
      assert.equal(status(s)?.prefixesReceived, 0);
      await s.speaker.stop();
    });
  }

  it('is off per peer with enforceFirstAs: false (a route server), and never applies to iBGP', async () => {
    const asPath = [{ type: 'sequence' as const, asns: [65099] }];
    const rs = await setup({ asn: 65002, import: pods, enforceFirstAs: false });
    const raw = await establish(rs, undefined, 65002);
    raw.send(update(['10.244.5.0/24'], { asPath }));
    await settle();
    assert.deepEqual(rs.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
    assert.equal(status(rs)?.firstAsViolations, 0);
    await rs.speaker.stop();
    const ibgp = await setup();
    const raw2 = await establish(ibgp);
    raw2.send(update(['10.244.5.0/24'], { asPath }));
    await settle();
    assert.deepEqual(ibgp.best.get('10.244.5.0/24')?.nexthops, ['192.0.2.2']);
    await ibgp.speaker.stop();
  });

  it('a withdraw-only UPDATE (no AS_PATH) is fine', async () => {
    const s = await setup({ asn: 65002, import: pods });
    const raw = await establish(s, undefined, 65002);
    raw.send({ type: 'update', withdrawn: ['10.244.5.0/24'], attributes: {}, nlri: [] });
    await settle();
    assert.equal(status(s)?.firstAsViolations, 0);
    assert.equal(peerState(s), 'Established');
    await s.speaker.stop();
  });
});
