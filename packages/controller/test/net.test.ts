import assert from 'node:assert/strict';
import { cidrContains, isIP, isIPv4, parseCidr, peerAddressProblem, podCidrProblem } from '../src/net.js';

describe('net (on @gannet/core)', () => {
  it('reads CIDRs of both families in canonical text', () => {
    assert.deepEqual(parseCidr('10.244.0.0/16'), {
      family: 4,
      address: '10.244.0.0',
      length: 16,
      text: '10.244.0.0/16',
      value: 0x0af40000n,
    });
    const v6 = parseCidr('2001:DB8:0:0::/64');
    assert.equal(v6.text, '2001:db8::/64');
    assert.equal(v6.value, 0x20010db8n << 96n);
    assert.ok(cidrContains(parseCidr('10.0.0.0/8'), parseCidr('10.244.0.0/16')));
  });
  it('names what is wrong, with the prefix meant when host bits are set', () => {
    assert.throws(() => parseCidr('10.244.1.5/24'), /has host bits set \(did you mean 10\.244\.1\.0\/24\?\)/);
    assert.throws(() => parseCidr('10.255.255.255/9'), /did you mean 10\.128\.0\.0\/9\?/);
    assert.throws(() => parseCidr('2001:db8::1/64'), /"2001:db8::1\/64" has host bits set$/);
    assert.throws(() => parseCidr('10.0.0.0/33'), /IPv4 prefix length must be 0\.\.32/);
    assert.throws(() => parseCidr('::/129'), /IPv6 prefix length must be 0\.\.128/);
    assert.throws(() => parseCidr('010.0.0.0/8'), /"010\.0\.0\.0" is not an IPv4 or IPv6 address/);
    assert.throws(() => parseCidr('10.0.0.0'), /is not a CIDR/);
  });
  it('tells addresses strictly', () => {
    assert.ok(isIPv4('10.0.0.1') && !isIPv4('010.0.0.1') && !isIPv4('256.1.1.1') && !isIPv4('::1'));
    assert.ok(isIP('::1') && isIP('10.0.0.1') && !isIP('10.0.0.1/32') && !isIP('x'));
    assert.equal(podCidrProblem(parseCidr('127.0.0.0/16')), 'overlaps the special-use range loopback (127.0.0.0/8)');
    assert.equal(podCidrProblem(parseCidr('fe80::/64')), 'overlaps the special-use range link-local (fe80::/10)');
    assert.equal(peerAddressProblem('224.0.0.5'), 'is a multicast address');
    assert.equal(peerAddressProblem('::'), 'is the unspecified address');
  });
});
