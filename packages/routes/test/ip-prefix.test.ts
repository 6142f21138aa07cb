import assert from 'node:assert/strict';
import { canonicalAddress, canonicalPrefix } from '../src/ip-prefix.js';

describe('ip-prefix', () => {
  it('canonicalises IPv4 and IPv6 addresses', () => {
    const cases: [string, string][] = [
      ['192.0.2.1', '192.0.2.1'],
      ['0.0.0.0', '0.0.0.0'],
      ['2001:DB8::1', '2001:db8::1'],
      ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
      ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
      ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'],
      ['::', '::'],
      ['::1', '::1'],
      ['fe80::', 'fe80::'],
      ['::ffff:192.0.2.1', '::ffff:192.0.2.1'], // RFC 5952 §5, as iproute2 prints it
      ['::ffff:c000:201', '::ffff:192.0.2.1'],
    ];
    for (const [input, want] of cases) assert.equal(canonicalAddress(input).text, want, input);
  });

  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      '1::2::3',
      '12345::',
      'g::1',
      ':1',
      '1:2:3:4:5:6:7:8:9',
      'default',
    ]) {
      assert.throws(() => canonicalAddress(bad), /is not an IP address/, bad);
    }
    assert.throws(() => canonicalAddress('x'), /"x" is not an IP address/);
  });

  it('canonicalises prefixes: default, host routes, spelling', () => {
    assert.equal(canonicalPrefix('default', 4).text, '0.0.0.0/0');
    assert.equal(canonicalPrefix('default', 6).text, '::/0');
    assert.equal(canonicalPrefix('10.1.3.5').text, '10.1.3.5/32');
    assert.equal(canonicalPrefix('2001:db8::5').text, '2001:db8::5/128');
    assert.equal(canonicalPrefix('2001:DB8:0::/48').text, '2001:db8::/48');
    assert.deepEqual(canonicalPrefix('10.0.0.0/8'), { family: 4, text: '10.0.0.0/8', length: 8 });
  });

  it('refuses host bits, bad lengths, and family mismatches', () => {
    assert.throws(() => canonicalPrefix('10.0.0.1/8'), /host bits set beyond \/8/);
    assert.throws(() => canonicalPrefix('2001:db8::1/64'), /host bits/);
    assert.throws(() => canonicalPrefix('10.0.0.0/33'), /bad prefix length/);
    assert.throws(() => canonicalPrefix('10.0.0.0/'), /bad prefix length/);
    assert.throws(() => canonicalPrefix('10.0.0.0/-1'), /bad prefix length/);
    // strict since @gannet/core: a length with a leading zero was read as decimal before
    assert.throws(() => canonicalPrefix('10.0.0.0/08'), /bad prefix length/);
    assert.throws(() => canonicalPrefix('2001:db8::/048'), /bad prefix length/);
    assert.throws(() => canonicalPrefix('010.0.0.0/8'), /not an IPv4 or IPv6 prefix/);
    assert.throws(() => canonicalPrefix('default'), /needs an address family/);
    assert.throws(() => canonicalPrefix('10.0.0.0/8', 6), /not an IPv6 prefix/);
    assert.throws(() => canonicalPrefix(42 as unknown as string), /not a string/);
  });
});
