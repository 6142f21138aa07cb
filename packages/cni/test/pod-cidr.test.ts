import assert from 'node:assert/strict';
import { addressAt, checkPodCidr, offsetOf, type PodCidr, storedAddress } from '../src/pod-cidr.js';

function cidr(text: string): PodCidr {
  const c = checkPodCidr(text);
  if (typeof c === 'string') throw new Error(c);
  return c;
}

describe('pod-cidr: both families on @gannet/core', () => {
  it('IPv4: the window skips network, first and broadcast', () => {
    const c = cidr('10.244.1.0/24');
    assert.deepEqual([c.family, c.text, c.first, c.last, c.count], [4, '10.244.1.0/24', 2, 254, 253]);
    assert.equal(addressAt(c, 2), '10.244.1.2');
    assert.equal(addressAt(c, 254), '10.244.1.254');
    assert.equal(offsetOf(c, '10.244.1.77'), 77);
    assert.equal(offsetOf(c, '10.244.2.1'), undefined);
    assert.equal(offsetOf(c, 'fd00::1'), undefined);
    assert.equal(cidr('10.0.0.0/8').count, 2 ** 24 - 3);
  });

  it('IPv6 /64: a 2^32 window at the start of the prefix, RFC 5952 text', () => {
    const c = cidr('FD00:10:244:1:0::/64');
    assert.deepEqual([c.family, c.text, c.first, c.last], [6, 'fd00:10:244:1::/64', 2, 2 ** 32 - 2]);
    assert.equal(addressAt(c, 2), 'fd00:10:244:1::2');
    assert.equal(addressAt(c, 0x1_0000), 'fd00:10:244:1::1:0');
    assert.equal(addressAt(c, 2 ** 32 - 2), 'fd00:10:244:1::ffff:fffe');
    assert.equal(offsetOf(c, 'fd00:10:244:1::ffff:fffe'), 2 ** 32 - 2);
    assert.equal(offsetOf(c, 'fd00:10:244:1:0:1::2'), undefined, 'inside the /64 but beyond the window');
    assert.equal(offsetOf(c, 'fd00:10:244:2::2'), undefined);
    assert.equal(offsetOf(c, '10.0.0.2'), undefined);
  });

  it('IPv6 /120 holds as many pods as an IPv4 /24; /112 and /48 number from the prefix start', () => {
    const c = cidr('fd00::100/120');
    assert.deepEqual([c.first, c.last, c.count], [2, 254, 253]);
    assert.equal(addressAt(c, 254), 'fd00::1fe');
    assert.equal(offsetOf(c, 'fd00::1fe'), 254);
    assert.equal(addressAt(cidr('fd00:1::/112'), 0xfffe), 'fd00:1::fffe');
    assert.equal(addressAt(cidr('2001:db8:1::/48'), 7), '2001:db8:1::7');
  });

  it('every offset of the window round-trips (sampled), both families', () => {
    for (const text of ['10.1.0.0/16', 'fd00::/64', 'fd00:0:0:ff00::/56', 'fd00::ff00/120']) {
      const c = cidr(text);
      for (let i = 0; i < 2000; i++) {
        const offset = c.first + Math.floor(Math.random() * c.count);
        assert.equal(offsetOf(c, addressAt(c, offset)), offset, `${text} offset ${offset}`);
      }
    }
  });

  it('refuses what cannot number pods, saying why', () => {
    const bad: [unknown, RegExp][] = [
      ['10.0.0.0/31', /between \/8 and \/30/],
      ['fd00::/121', /between \/16 and \/120 to hold pods \(the IPAM needs at least 8 host bits\)/],
      ['fd00::/8', /between \/16 and \/120/],
      ['fd00::1/64', /host bits zero/],
      ['fe80::/64', /link-local \(fe80::\/10\)/],
      ['::/64', /unspecified|IPv4-mapped/],
      ['::ffff:0:0/104', /IPv4-mapped/],
      ['ff05::/64', /multicast \(ff00::\/8\)/],
      ['169.254.0.0/16', /link-local \(169\.254\.0\.0\/16\)/],
      [42, /IPv4 or IPv6 prefix/],
    ];
    for (const [value, why] of bad) {
      const c = checkPodCidr(value);
      assert.equal(typeof c, 'string', String(value));
      assert.match(c as string, why);
    }
  });

  it('storedAddress: only canonical address names count as claims', () => {
    assert.equal(storedAddress('10.244.1.2'), '10.244.1.2');
    assert.equal(storedAddress('fd00::2'), 'fd00::2');
    for (const other of ['FD00::2', 'fd00:0::2', 'last_reserved_ip.0', '.tmp-1-x', 'lock.ctr1', '010.0.0.1']) {
      assert.equal(storedAddress(other), undefined, other);
    }
  });
});
