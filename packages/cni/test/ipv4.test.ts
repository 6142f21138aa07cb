import assert from 'node:assert/strict';
import { formatIpv4, formatPrefix, parseIpv4, parseIpv4Prefix, prefixContains, prefixMask } from '../src/ipv4.js';

describe('cni ipv4 (on @gannet/core)', () => {
  it('reads dotted quads strictly', () => {
    assert.equal(parseIpv4('10.244.1.2'), 0x0af40102);
    assert.equal(formatIpv4(0x0af40102), '10.244.1.2');
    for (const bad of ['010.0.0.1', '256.1.1.1', '1.2.3', '10.0.0.1/32', '', 42 as unknown as string]) {
      assert.equal(parseIpv4(bad), undefined, String(bad));
    }
  });
  it('reads prefixes with host bits zero; a length with a leading zero is refused (was read as decimal)', () => {
    assert.deepEqual(parseIpv4Prefix('10.244.0.0/16'), { network: 0x0af40000, length: 16 });
    assert.deepEqual(parseIpv4Prefix('0.0.0.0/0'), { network: 0, length: 0 });
    assert.equal(formatPrefix({ network: 0x0af40100, length: 24 }), '10.244.1.0/24');
    for (const bad of ['10.244.0.0/08', '10.244.0.1/16', '10.244.0.0/33', '10.244.0.0', '010.244.0.0/16']) {
      assert.equal(parseIpv4Prefix(bad), undefined, bad);
    }
  });
  it('masks and tells containment', () => {
    assert.equal(prefixMask(0), 0);
    assert.equal(prefixMask(24), 0xffffff00);
    assert.equal(prefixMask(32), 0xffffffff);
    assert.ok(prefixContains({ network: 0x0af40100, length: 24 }, 0x0af401fe));
    assert.ok(!prefixContains({ network: 0x0af40100, length: 24 }, 0x0af40200));
  });
});
