import assert from 'node:assert/strict';
import { nextHopProblem } from '../../src/policy/next-hop.js';

describe('policy: next-hop validation (RFC 4271 §6.3, RFC 7606 §7.3)', () => {
  const bad4: [string, string][] = [
    ['0.0.0.0', 'unspecified (0.0.0.0)'],
    ['0.1.2.3', 'this-network (0.0.0.0/8)'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['224.0.0.5', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved (240.0.0.0/4)'],
    ['10.0.0', 'not an IPv4 address'],
  ];
  for (const [nh, why] of bad4) {
    it(`IPv4 ${nh}: ${why}`, () => assert.equal(nextHopProblem(nh, 1), why));
  }
  const bad6: [string, string][] = [
    ['::', 'unspecified (::)'],
    ['::1', 'loopback (::1)'],
    ['ff02::1', 'multicast (ff00::/8)'],
    ['ff0e::5', 'multicast (ff00::/8)'],
    ['fe80::1', 'link-local (fe80::/10) without an interface'],
    ['febf::1', 'link-local (fe80::/10) without an interface'],
    ['::ffff:127.0.0.1', 'IPv4-mapped loopback'],
    ['2001:db8::zz', 'not an IPv6 address'],
  ];
  for (const [nh, why] of bad6) {
    it(`IPv6 ${nh}: ${why}`, () => assert.equal(nextHopProblem(nh, 2), why));
  }

  it('accepts ordinary unicast next hops', () => {
    for (const nh of ['10.0.0.1', '192.0.2.2', '1.1.1.1', '223.255.255.254'])
      assert.equal(nextHopProblem(nh, 1), undefined);
    for (const nh of ['2001:db8::2', 'fd00::1', 'fec0::1', '::ffff:192.0.2.1'])
      assert.equal(nextHopProblem(nh, 2), undefined);
  });

  it('refuses our own address: the session local address, then any the caller names', () => {
    assert.equal(nextHopProblem('192.0.2.1', 1, { localAddress: '192.0.2.1' }), 'our own address on this session');
    const isLocal = (a: string) => a === '198.51.100.7' || a === '2001:db8::7';
    assert.equal(nextHopProblem('198.51.100.7', 1, { isLocal }), 'one of our own addresses');
    assert.equal(nextHopProblem('2001:db8::7', 2, { isLocal }), 'one of our own addresses');
    assert.equal(nextHopProblem('198.51.100.8', 1, { isLocal, localAddress: '192.0.2.1' }), undefined);
  });

  it('refuses an off-link next hop when a connected-subnet predicate is given', () => {
    const isConnected = (a: string) => a.startsWith('192.0.2.');
    assert.equal(nextHopProblem('192.0.2.9', 1, { isConnected }), undefined);
    assert.equal(
      nextHopProblem('203.0.113.9', 1, { isConnected }),
      'not on a directly connected subnet (eBGP single-hop)',
    );
    assert.equal(nextHopProblem('203.0.113.9', 1), undefined, 'no predicate: not checked');
  });
});
