import assert from 'node:assert/strict';
import {
  canonicalIp,
  checkIpPrefix,
  formatIp,
  ipFamilyOf,
  ipPrefixContains,
  parseIp,
  parseIpPrefix,
} from '../src/index.js';

describe('core ip (both families)', () => {
  it('parses and formats both families', () => {
    assert.deepEqual(parseIp('10.1.2.3'), { family: 4, bytes: Uint8Array.from([10, 1, 2, 3]) });
    assert.equal(parseIp('2001:db8::1')?.family, 6);
    assert.equal(formatIp(parseIp('2001:DB8:0::1')!), '2001:db8::1');
    assert.equal(formatIp(parseIp('10.1.2.3')!), '10.1.2.3');
    for (const bad of ['010.1.2.3', '256.1.1.1', 'x', '', '::g']) assert.equal(parseIp(bad), undefined, bad);
    assert.equal(parseIp(42 as unknown as string), undefined);
  });
  it('canonicalises address text', () => {
    assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1');
    assert.equal(canonicalIp('2001:0DB8::0:1'), '2001:db8::1');
    assert.equal(canonicalIp('192.0.2.01'), undefined);
    assert.equal(ipFamilyOf('::1'), 6);
    assert.equal(ipFamilyOf('1.2.3.4/8'), 4);
  });
  const accept: [string, string, number][] = [
    ['10.0.0.0/8', '10.0.0.0/8', 8],
    ['0.0.0.0/0', '0.0.0.0/0', 0],
    ['2001:DB8::/32', '2001:db8::/32', 32],
    ['::/0', '::/0', 0],
    ['2001:db8::1/128', '2001:db8::1/128', 128],
  ];
  for (const [text, canonical, length] of accept) {
    it(`reads prefix ${text}`, () => {
      const p = parseIpPrefix(text);
      assert.equal(p?.text, canonical);
      assert.equal(p?.length, length);
    });
  }
  const reject: [string, string][] = [
    ['10.0.0.1/8', 'has host bits set beyond /8'],
    ['2001:db8::1/64', 'has host bits set beyond /64'],
    ['10.0.0.0/33', 'has a bad prefix length (0..32)'],
    ['10.0.0.0/08', 'has a bad prefix length (0..32)'],
    ['::/129', 'has a bad prefix length (0..128)'],
    ['10.0.0.0/', 'has a bad prefix length (0..32)'],
    ['010.0.0.0/8', 'is not an IP prefix'],
    ['10.0.0.0', 'has no prefix length'],
  ];
  for (const [text, why] of reject) {
    it(`refuses prefix ${text}: ${why}`, () => {
      assert.equal(checkIpPrefix(text), why);
      assert.equal(parseIpPrefix(text), undefined);
    });
  }
  it('reads a bare address as a host prefix when asked, and checks the family', () => {
    assert.equal(parseIpPrefix('10.1.1.1', { bareIsHost: true })?.text, '10.1.1.1/32');
    assert.equal(parseIpPrefix('::1', { bareIsHost: true })?.text, '::1/128');
    assert.equal(checkIpPrefix('::/0', { family: 4 }), 'is not an IPv4 prefix');
  });
  it('tells containment', () => {
    const net = parseIpPrefix('10.244.0.0/14')!;
    assert.ok(ipPrefixContains(net, parseIpPrefix('10.245.1.0/24')!));
    assert.ok(ipPrefixContains(net, parseIp('10.247.255.255')!));
    assert.ok(!ipPrefixContains(net, parseIp('10.248.0.0')!));
    assert.ok(!ipPrefixContains(net, parseIpPrefix('10.0.0.0/8')!));
    assert.ok(!ipPrefixContains(net, parseIp('::1')!));
    assert.ok(ipPrefixContains(parseIpPrefix('::/0')!, parseIp('2001:db8::1')!));
  });
});
