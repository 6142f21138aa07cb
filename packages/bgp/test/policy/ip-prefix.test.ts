import assert from 'node:assert/strict';
import {
  addressSortKey,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  parsePrefix,
  prefixContains,
  tryParsePrefix,
} from '../../src/policy/ip-prefix.js';

describe('ip-prefix', () => {
  it('parses dotted quads and rejects everything else', () => {
    assert.equal(parseIPv4('0.0.0.0'), 0);
    assert.equal(parseIPv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIPv4('10.244.1.2'), 0x0af40102);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.0',
      '01.2.3.4',
      '1..2.3',
      '1.2.3.',
      'a.b.c.d',
      ' 1.2.3.4',
      '1.2.3.4/8',
    ]) {
      assert.equal(parseIPv4(bad), -1, bad);
    }
  });

  it('parses IPv6 text forms', () => {
    assert.deepEqual(parseIPv6('::'), [0, 0, 0, 0]);
    assert.deepEqual(parseIPv6('::1'), [0, 0, 0, 1]);
    assert.deepEqual(parseIPv6('2001:db8::'), [0x20010db8, 0, 0, 0]);
    assert.deepEqual(parseIPv6('2001:DB8:0:0:1:0:0:1'), [0x20010db8, 0, 0x10000, 1]);
    assert.deepEqual(parseIPv6('fe80::1:2'), [0xfe800000, 0, 0, 0x00010002]);
    assert.deepEqual(parseIPv6('::ffff:192.0.2.1'), [0, 0, 0xffff, 0xc0000201]);
    for (const bad of [
      ':',
      ':::',
      '1::2::3',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '12345::',
      'g::',
      '1:',
      '::1:',
      '1:2:3:4:5:6:7:8::',
    ]) {
      assert.equal(parseIPv6(bad), undefined, bad);
    }
  });

  it('formats IPv6 per RFC 5952', () => {
    assert.equal(formatIPv6([0x20010db8, 0, 0, 1]), '2001:db8::1');
    assert.equal(formatIPv6([0, 0, 0, 0]), '::');
    assert.equal(formatIPv6([0x20010db8, 0x00000001, 0x00000000, 0x00010001]), '2001:db8:0:1::1:1');
    assert.equal(formatIPv6([0x20010db8, 0x00010001, 0x00010001, 0x00010001]), '2001:db8:1:1:1:1:1:1');
    assert.equal(formatIPv6([0x20010000, 0x00000001, 0x00000000, 0x00000001]), '2001:0:0:1::1'); // longest run wins
  });

  it('parses prefixes into canonical form and rejects host bits', () => {
    assert.deepEqual(parsePrefix('10.244.0.0/16'), { afi: 1, words: [0x0af40000], length: 16, text: '10.244.0.0/16' });
    assert.equal(parsePrefix('0.0.0.0/0').length, 0);
    assert.equal(parsePrefix('2001:DB8:0::/32').text, '2001:db8::/32');
    assert.equal(parsePrefix('::/0').text, '::/0');
    assert.equal(parsePrefix('2001:db8::1/128').text, '2001:db8::1/128');
    for (const bad of [
      '10.0.0.0',
      '10.0.0.0/',
      '10.0.0.0/33',
      '10.0.0.0/08',
      '10.0.0.1/24',
      '2001:db8::/129',
      '2001:db8::1/64',
      'x/1',
    ]) {
      assert.equal(tryParsePrefix(bad), undefined, bad);
    }
    assert.throws(() => parsePrefix('10.0.0.1/24'), /invalid prefix "10.0.0.1\/24" \(host bits set\)/);
    assert.throws(
      () => parsePrefix('nope'),
      (e: unknown) => (e as { code: string }).code === 'ERR_GANNET_BGP_INVALID_PREFIX',
    );
  });

  it('containment is bitwise, across word boundaries, and per family', () => {
    const c = (a: string, b: string) => prefixContains(parsePrefix(a), parsePrefix(b));
    assert.equal(c('10.0.0.0/8', '10.1.0.0/16'), true);
    assert.equal(c('10.0.0.0/8', '11.0.0.0/16'), false);
    assert.equal(c('10.1.0.0/16', '10.0.0.0/8'), false);
    assert.equal(c('0.0.0.0/0', '192.0.2.0/24'), true);
    assert.equal(c('2001:db8::/32', '2001:db8:ffff:1::/64'), true);
    assert.equal(c('2001:db8:0:8000::/49', '2001:db8:0:7fff::/64'), false);
    assert.equal(c('2001:db8::/96', '2001:db8::1:0/112'), true);
    assert.equal(c('::/0', '10.0.0.0/8'), false);
  });

  it('address sort keys order numerically, IPv4 first', () => {
    const sorted = ['10.0.0.10', '2001:db8::1', '10.0.0.9', 'fe80::1%eth0', '9.0.0.1', 'junk'].sort((a, b) =>
      addressSortKey(a) < addressSortKey(b) ? -1 : 1,
    );
    assert.deepEqual(sorted, ['9.0.0.1', '10.0.0.9', '10.0.0.10', '2001:db8::1', 'fe80::1%eth0', 'junk']);
  });
});
