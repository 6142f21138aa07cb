// The address rules every part of the speaker now shares (@gannet/core): the wire codec, the speaker options and
// the RIB accepted "010.0.0.1" and read a router ID of "256.1.1.1" as 65793; now all refuse both.
import assert from 'node:assert/strict';
import { BgpConfigError, BgpError } from '../src/errors.js';
import { routerIdToNumber } from '../src/rib/path.js';
import { resolveRibOptions } from '../src/rib/rib-options.js';
import { isIPv4, isIPv6, isIp, validateSpeakerOptions } from '../src/speaker-options.js';
import { decodeIpv6Prefixes, writePrefix } from '../src/wire/prefix.js';

describe('addresses (strict, shared with @gannet/core)', () => {
  it('router IDs: a dotted quad or an error, never a wrapped number', () => {
    assert.equal(routerIdToNumber('192.0.2.1'), 0xc0000201);
    assert.throws(() => routerIdToNumber('256.1.1.1'), BgpConfigError);
    assert.throws(() => routerIdToNumber('010.0.0.1'), BgpConfigError);
    assert.throws(
      () => resolveRibOptions({ localAsn: 65001, routerId: '010.0.0.1' }),
      /routerId must be a dotted quad/,
    );
    assert.throws(
      () => resolveRibOptions({ localAsn: 65001, routerId: '256.1.1.1' }),
      /routerId must be a dotted quad/,
    );
    assert.throws(
      () => validateSpeakerOptions({ asn: 65001, routerId: '010.0.0.1' } as never),
      /routerId must be a non-zero dotted quad/,
    );
  });
  it('speaker options: strict addresses of both families', () => {
    assert.ok(isIPv4('10.0.0.1'));
    assert.ok(!isIPv4('010.0.0.1'));
    assert.ok(!isIPv4('1.2.3.256'));
    assert.ok(isIPv6('2001:db8::1'));
    assert.ok(isIPv6('::ffff:10.0.0.1'));
    assert.ok(!isIPv6('::ffff:010.0.0.1'));
    assert.ok(!isIPv6('1.2.3.4'));
    assert.ok(isIp('::') && isIp('0.0.0.0'));
    assert.ok(!isIp('fe80::1%eth0'));
  });
  it('wire codec: refuses to encode a prefix with a leading-zero octet', () => {
    const buf = Buffer.alloc(8);
    assert.equal(writePrefix(buf, 0, 8, '10.0.0.0/8'), 2);
    assert.throws(() => writePrefix(buf, 0, 8, '010.0.0.0/8'), BgpError);
  });
  it('wire codec: an IPv4-mapped IPv6 prefix is written as RFC 5952 §5 says', () => {
    const out: string[] = [];
    const nlri = Buffer.from([96, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]);
    assert.equal(decodeIpv6Prefixes(nlri, 0, nlri.length, out), undefined);
    assert.deepEqual(out, ['::ffff:0.0.0.0/96']);
  });
});
