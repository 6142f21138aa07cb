import assert from 'node:assert/strict';
import { cidrContains, ipv4, ipv4InCidr, isIPv6, minimalIPv4, parseCidr } from '../src/cidr.js';

function cidr(text: string) {
  const c = parseCidr(text);
  assert.ok(typeof c !== 'string', `${text}: ${c}`);
  return c;
}

describe('cidr (on @gannet/core)', () => {
  it('clears host bits and writes canonical text in both families', () => {
    assert.equal(cidr('10.1.2.3/8').text, '10.0.0.0/8');
    assert.equal(cidr('10.1.2.3/8').start, 0x0a000000n);
    assert.equal(cidr('2001:DB8:0:0::1/32').text, '2001:db8::/32');
    assert.equal(cidr('2001:db8::1/128').start, 0x20010db8000000000000000000000001n);
    assert.equal(cidr('0.0.0.0/0').text, '0.0.0.0/0');
  });
  it('names what is wrong', () => {
    assert.equal(parseCidr('10.0.0.0'), '"10.0.0.0" is not a CIDR (expected address/length)');
    assert.equal(parseCidr('10.0.0.0/x'), '"10.0.0.0/x": the prefix length must be a number');
    assert.equal(parseCidr('10.0.0.0/33'), '"10.0.0.0/33": an IPv4 prefix length must be 0..32');
    assert.equal(parseCidr('::/129'), '"::/129": an IPv6 prefix length must be 0..128');
    assert.equal(parseCidr('010.0.0.0/8'), '"010.0.0.0/8": "010.0.0.0" is not an IPv4 or IPv6 address');
    assert.equal(parseCidr('256.0.0.0/8'), '"256.0.0.0/8": "256.0.0.0" is not an IPv4 or IPv6 address');
    assert.equal(parseCidr(7 as unknown as string), 'must be a string');
  });
  it('tells addresses and containment', () => {
    assert.equal(ipv4('10.0.0.1'), '10.0.0.1');
    assert.equal(ipv4('010.0.0.1'), undefined);
    assert.equal(ipv4('10.0.0.1/32'), undefined);
    assert.ok(isIPv6('fe80::1'));
    assert.ok(!isIPv6('10.0.0.1'));
    assert.ok(!isIPv6('fe80::1/64'));
    assert.ok(cidrContains(cidr('10.0.0.0/8'), cidr('10.1.0.0/16')));
    assert.ok(!cidrContains(cidr('10.1.0.0/16'), cidr('10.0.0.0/8')));
    assert.ok(!cidrContains(cidr('::/0'), cidr('10.0.0.0/8')));
    assert.ok(ipv4InCidr('10.200.0.1', cidr('10.0.0.0/8')));
    assert.ok(!ipv4InCidr('11.0.0.1', cidr('10.0.0.0/8')));
    assert.deepEqual(minimalIPv4([cidr('10.1.0.0/16'), cidr('10.0.0.0/8'), cidr('192.168.0.0/16'), cidr('::/0')]), [
      '10.0.0.0/8',
      '192.168.0.0/16',
    ]);
  });
});
