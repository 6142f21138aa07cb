import assert from 'node:assert/strict';
import fc from 'fast-check';
import { keyAddress, keyLength, keyPrefix, prefixKey } from '../../src/rib/prefix-key.js';

const text = (addr: number, len: number) =>
  `${addr >>> 24}.${(addr >>> 16) & 255}.${(addr >>> 8) & 255}.${addr & 255}/${len}`;

/** A canonical IPv4 prefix of length 0..31 (host bits zero). */
const canonical = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 31 })).map(([a, len]) => {
  const addr = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
  return { addr, len, text: text(addr, len) };
});

describe('bgp rib: prefix keys', () => {
  it('turns canonical IPv4 /0–/31 into an integer that gives back address, length and text', () => {
    fc.assert(
      fc.property(canonical, ({ addr, len, text: t }) => {
        const key = prefixKey(1, t);
        assert.equal(typeof key, 'number');
        assert.equal(keyPrefix(key), t);
        assert.equal(keyAddress(key as number), addr);
        assert.equal(keyLength(key as number), len);
      }),
      { numRuns: 2000 },
    );
  });

  it('gives distinct prefixes distinct keys', () => {
    fc.assert(
      fc.property(canonical, canonical, (a, b) => {
        fc.pre(a.text !== b.text);
        assert.notEqual(prefixKey(1, a.text), prefixKey(1, b.text));
      }),
      { numRuns: 2000 },
    );
  });

  it('covers the edges: /0, /31, the top bit', () => {
    for (const t of ['0.0.0.0/0', '128.0.0.0/1', '255.255.255.254/31', '10.244.1.0/24', '192.168.0.0/16']) {
      const key = prefixKey(1, t);
      assert.equal(typeof key, 'number', t);
      assert.equal(keyPrefix(key), t);
    }
  });

  it('keeps the string as the key for everything else', () => {
    for (const t of [
      '10.0.0.0/32', // /32 stays a string
      '10.0.0.1/24', // host bits set
      '010.0.0.0/8', // leading zero
      '10.0.0.0/08',
      '256.0.0.0/8',
      '1.2.3/8',
      '10.0.0.0/',
      '10.0.0.0',
      '10.0.0.0/1000',
      'x.0.0.0/8',
    ]) {
      assert.equal(prefixKey(1, t), t, t);
    }
    assert.equal(prefixKey(2, '2001:db8::/32'), '2001:db8::/32');
    assert.equal(prefixKey(2, '10.0.0.0/8'), '10.0.0.0/8', 'only AFI 1 is packed');
    assert.equal(keyPrefix('2001:db8::/32'), '2001:db8::/32');
  });
});
