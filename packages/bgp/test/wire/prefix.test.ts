import assert from 'node:assert/strict';
import { parseIpv4, parseIpv6 } from '@gannet/core';
import fc from 'fast-check';
import { describe, it } from 'mocha';
import { decodeIpv4Prefixes, decodeIpv6Prefixes, formatIpv6, writePrefix } from '../../src/wire/prefix.js';

/**
 * Independent RFC 5952 formatter: the WHATWG URL parser's IPv6 serializer, except for IPv4-mapped addresses, which
 * RFC 5952 §5 writes with the dotted quad (::ffff:192.0.2.1) and the URL serializer in hex (::ffff:c000:201).
 */
function oracle(b: Uint8Array): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff)
    return `::ffff:${b.subarray(12).join('.')}`;
  const words = [...Array(8)].map((_, i) => ((b[2 * i]! << 8) | b[2 * i + 1]!).toString(16));
  return new URL(`http://[${words.join(':')}]`).hostname.slice(1, -1);
}

function bytes6(s: string): number[] {
  const out = new Uint8Array(16);
  assert.ok(parseIpv6(s, 0, s.length, out), s);
  return [...out];
}

describe('wire: prefixes and addresses', () => {
  it('formats IPv6 as RFC 5952 (zero runs, leftmost longest, no single-word ::)', () => {
    const cases: [number[], string][] = [
      [[], '::'],
      [[15, 1], '::1'],
      [[0, 0x20, 1, 0x0d, 0xb8], '2001:db8::'],
      [[0, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1], '2001:db8::1:0:0:1'],
      [[0, 0x20, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1], '2001:0:0:1::1'],
      [[0, 0x20, 1, 0x0d, 0xb8, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1], '2001:db8:0:1:1:1:1:1'],
      [[10, 0xff, 0xff], '::ffff:0.0.0.0'], // IPv4-mapped (§5); fast-check found it as a counterexample
      [[10, 0xff, 0xff, 192, 0, 2, 1], '::ffff:192.0.2.1'],
    ];
    for (const [spec, text] of cases) {
      const b = new Uint8Array(16);
      for (let i = 1; i < spec.length; i++) b[i - 1 + (spec[0] ?? 0)] = spec[i]!;
      assert.equal(formatIpv6(b, 0), text);
      assert.equal(formatIpv6(b, 0), oracle(b));
    }
  });

  it('formats like the oracle and parses back, for arbitrary addresses', () => {
    const sparse = fc
      .array(fc.constantFrom(0, 0, 0, 1, 0xff), { minLength: 16, maxLength: 16 })
      .map((a) => Uint8Array.from(a));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ minLength: 16, maxLength: 16 }), sparse), (b) => {
        const text = formatIpv6(b, 0);
        assert.equal(text, oracle(b));
        assert.deepEqual(bytes6(text), [...b]);
      }),
      { numRuns: 500 },
    );
  });

  it('parses every IPv6 text form and rejects malformed ones', () => {
    assert.deepEqual(bytes6('::ffff:192.0.2.1').slice(10), [0xff, 0xff, 192, 0, 2, 1]);
    assert.deepEqual(bytes6('2001:DB8::A'), bytes6('2001:db8::a'));
    assert.deepEqual(bytes6('1:2:3:4:5:6:7:8'), [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
    const out = new Uint8Array(16);
    for (const bad of [
      ':',
      ':1',
      '1:',
      '1:::2',
      '1::2::3',
      '12345::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      'g::',
      '::1.2.3',
      '1:2:3:4:5:6:7:1.2.3.4',
    ]) {
      assert.equal(parseIpv6(bad, 0, bad.length, out), false, bad);
    }
  });

  it('parses dotted quads strictly', () => {
    assert.equal(parseIpv4('255.255.255.255'), 0xffffffff);
    assert.equal(parseIpv4('10.0.0.1'), 0x0a000001);
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.0.0.0',
      '1..2.3',
      '1.2.3.',
      'a.b.c.d',
      '1.2.3.4/8',
      '0001.0.0.0',
    ]) {
      assert.equal(parseIpv4(bad), -1, bad);
    }
  });

  it('decodes NLRI with host bits cleared, and reports bad lengths and overruns', () => {
    const out: string[] = [];
    assert.equal(decodeIpv4Prefixes(Buffer.from([20, 10, 1, 0xff, 0, 32, 1, 2, 3, 4]), 0, 10, out), undefined);
    assert.deepEqual(out, ['10.1.240.0/20', '0.0.0.0/0', '1.2.3.4/32']);
    assert.equal(decodeIpv4Prefixes(Buffer.from([33, 1, 2, 3, 4, 5]), 0, 6, []), 'prefix-length-invalid');
    assert.equal(decodeIpv4Prefixes(Buffer.from([25, 1, 2, 3]), 0, 4, []), 'prefix-overrun');
    const v6: string[] = [];
    assert.equal(decodeIpv6Prefixes(Buffer.from([17, 0x20, 0x01, 0xff, 0]), 0, 4, v6), undefined);
    assert.deepEqual(v6, ['2001:8000::/17']);
    assert.equal(decodeIpv6Prefixes(Buffer.from([129, ...new Array(17).fill(0)]), 0, 18, []), 'prefix-length-invalid');
  });

  it('writes prefixes with host bits cleared, and stops at the limit', () => {
    const b = Buffer.alloc(8);
    assert.equal(writePrefix(b, 0, 8, '10.1.255.7/20'), 4);
    assert.deepEqual([...b.subarray(0, 4)], [20, 10, 1, 0xf0]);
    assert.equal(writePrefix(b, 0, 8, '2001:db8::/32'), 5);
    assert.equal(writePrefix(b, 4, 8, '2001:db8::/32'), -1);
    assert.equal(writePrefix(b, 0, 8, '0.0.0.0/0'), 1);
    assert.throws(() => writePrefix(b, 0, 8, '10.0.0.0/8', 2), { code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT' });
  });
});
