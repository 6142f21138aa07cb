import assert from 'node:assert/strict';
import { BgpConfigError } from '../../src/errors.js';
import {
  isIPv4,
  isIPv6,
  type PeerOptions,
  peerKey,
  validatePeerOptions,
  validateSpeakerOptions,
} from '../../src/speaker-options.js';

describe('speaker options: validation', () => {
  it('recognises IPv4 and IPv6 addresses', () => {
    for (const a of ['192.0.2.1', '0.0.0.0', '255.255.255.255']) assert.ok(isIPv4(a), a);
    for (const a of ['192.0.2', '256.0.0.1', '1.2.3.4.5', 'a.b.c.d', '01234.1.1.1', '']) assert.ok(!isIPv4(a), a);
    for (const a of ['::', '::1', '2001:db8::1', 'fe80::1:2:3:4', '2001:db8:0:0:0:0:0:1', '::ffff:192.0.2.1']) {
      assert.ok(isIPv6(a), a);
    }
    for (const a of [
      '2001:db8::1::2',
      '2001:db8:0:0:0:0:0:0:1',
      '12345::1',
      'g::1',
      '192.0.2.1',
      ':::',
      '::ffff:300.0.0.1',
    ]) {
      assert.ok(!isIPv6(a), a);
    }
  });

  const good: PeerOptions = { address: '192.0.2.2', asn: 65000 };
  const badPeers: [string, object, RegExp][] = [
    ['address', { address: '192.0.2' }, /peer address must be an IP address/],
    ['asn 0', { asn: 0 }, /asn must be an integer in 1\.\.4294967295/],
    ['asn fraction', { asn: 1.5 }, /asn/],
    ['port', { port: 70000 }, /port must be an integer in 1\.\.65535/],
    ['hold time 1', { holdTime: 1 }, /holdTime must be 0 or 3\.\.65535/],
    ['maxPrefixes 0', { maxPrefixes: 0 }, /maxPrefixes/],
    ['localAddress', { localAddress: 'eth0' }, /localAddress must be an IP address/],
    ['import not a list', { import: 'all' }, /import must be a list of prefix rules or 'default'/],
    [
      'rule action',
      { export: [{ prefix: '10.0.0.0/8', action: 'allow' }] },
      /export\[0\]\.action must be 'permit' or 'deny'/,
    ],
    ['rule ge', { import: [{ prefix: '10.0.0.0/8', ge: 200, action: 'permit' }] }, /import\[0\]\.ge/],
    ['families', { families: ['ipv5'] }, /families must be a non-empty list/],
    ['community', { communities: ['65000:100', '70000:1'] }, /communities\[1\]: "70000:1" is not a community/],
    ['communities type', { communities: '65000:100' }, /communities must be a list of strings/],
    ['large community', { largeCommunities: ['65000:1'] }, /largeCommunities\[0\]: "65000:1" is not a large community/],
    ['asPathPrepend', { asPathPrepend: 11 }, /asPathPrepend must be an integer in 0..10/],
    ['med', { med: -5 }, /med must be an integer in 0..4294967295/],
    ['localPref', { localPref: 'high' }, /localPref must be an integer/],
    [
      'rule community',
      { import: [{ prefix: '10.0.0.0/8', community: '1:2:3', action: 'deny' }] },
      /import\[0\]\.community must be ASN:VALUE/,
    ],
    [
      'rule large community',
      { import: [{ prefix: '10.0.0.0/8', largeCommunity: '1:2', action: 'deny' }] },
      /import\[0\]\.largeCommunity must be GLOBAL:LOCAL1:LOCAL2/,
    ],
  ];
  for (const [what, patch, message] of badPeers) {
    it(`rejects a peer with a bad ${what}, naming the field`, () => {
      assert.throws(
        () => validatePeerOptions({ ...good, ...patch } as PeerOptions),
        (e: unknown) => {
          assert.ok(e instanceof BgpConfigError);
          assert.equal(e.code, 'ERR_GANNET_BGP_INVALID_CONFIG');
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  it('accepts a complete peer and speaker configuration', () => {
    validatePeerOptions({
      ...good,
      port: 1179,
      holdTime: 0,
      passive: true,
      localAddress: '2001:db8::1',
      maxPrefixes: 1000,
      import: [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' }],
      export: 'default',
      families: ['ipv6'],
    });
    validateSpeakerOptions({
      asn: 4_200_000_000,
      routerId: '10.0.0.1',
      listen: { address: '::', port: 179 },
      gracefulRestart: { restartTime: 120, selectionDeferralMs: 30_000 },
    });
  });

  it('rejects bad speaker options', () => {
    assert.throws(() => validateSpeakerOptions({ asn: 65000, routerId: '10.0.0' }), /routerId/);
    assert.throws(
      () => validateSpeakerOptions({ asn: 65000, routerId: '10.0.0.1', listen: { address: 'x', port: 1 } }),
      /listen\.address/,
    );
    assert.throws(
      () => validateSpeakerOptions({ asn: 65000, routerId: '10.0.0.1', gracefulRestart: { restartTime: 5000 } }),
      /restartTime must be an integer in 0\.\.4095/,
    );
  });

  it('peerKey changes exactly when a session-relevant option changes', () => {
    assert.equal(peerKey(good), peerKey({ ...good, port: 179, families: ['ipv6', 'ipv4'] }), 'defaults spelled out');
    assert.notEqual(peerKey(good), peerKey({ ...good, holdTime: 30 }));
    assert.notEqual(peerKey(good), peerKey({ ...good, import: [{ prefix: '10.0.0.0/8', action: 'permit' }] }));
    assert.notEqual(peerKey(good), peerKey({ ...good, communities: ['65000:1'] }));
    assert.notEqual(peerKey(good), peerKey({ ...good, asPathPrepend: 2 }));
    assert.equal(peerKey(good), peerKey({ ...good, asPathPrepend: 0, communities: [] }), 'defaults spelled out');
  });
});
