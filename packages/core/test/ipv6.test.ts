import assert from 'node:assert/strict';
import { canonicalIp, formatIpv6, parseIpv6 } from '../src/index.js';

function bytes(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

function parse(text: string): Uint8Array | undefined {
  const out = new Uint8Array(16);
  return parseIpv6(text, 0, text.length, out) ? out : undefined;
}

describe('core ipv6', () => {
  // [text, the 16 octets in hex]
  const accept: [string, string][] = [
    ['::', '00000000000000000000000000000000'],
    ['::1', '00000000000000000000000000000001'],
    ['1::', '00010000000000000000000000000000'],
    ['2001:db8::1', '20010db8000000000000000000000001'],
    ['2001:DB8:0:0:0:0:0:1', '20010db8000000000000000000000001'],
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '20010db8000000000000000000000001'],
    ['1:2:3:4:5:6:7:8', '00010002000300040005000600070008'],
    ['1:2:3:4:5:6:7::', '00010002000300040005000600070000'],
    ['::2:3:4:5:6:7:8', '00000002000300040005000600070008'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201'],
    ['64:ff9b::192.0.2.33', '0064ff9b0000000000000000c0000221'],
    ['1:2:3:4:5:6:1.2.3.4', '00010002000300040005000601020304'],
    ['fe80::abcd:ef01', 'fe8000000000000000000000abcdef01'],
  ];
  for (const [text, hex] of accept) {
    it(`accepts ${text}`, () => assert.deepEqual(parse(text), bytes(hex)));
  }
  const reject = [
    '',
    ':',
    ':::',
    '1::2::3',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:8::',
    ':1:2:3:4:5:6:7',
    '1:2:3:4:5:6:7:',
    'g::1',
    '::ffff:010.0.0.1',
    '::ffff:256.0.0.1',
    '::1.2.3',
    '1:2:3:4:5:6:7:1.2.3.4',
    'fe80::1%eth0',
    '::1/128',
    '1.2.3.4',
  ];
  for (const text of reject) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parse(text), undefined));
  }
  // RFC 5952 §4 and §5 (and the examples of §2).
  const rfc5952: [string, string][] = [
    ['2001:db8:0:0:0:0:2:1', '2001:db8::2:1'], // §4.2.1 shortest: :: for the longest run
    ['2001:db8:0000:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // §4.2.2 no :: for one 16-bit 0 field
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // §4.2.3 the longest run
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // §4.2.3 the first of equal runs
    ['2001:DB8::ABCD', '2001:db8::abcd'], // §4.3 lower case
    ['2001:0db8::0001', '2001:db8::1'], // §4.1 no leading zeros
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['0:0:0:0:0:ffff:c000:201', '::ffff:192.0.2.1'], // §5 IPv4-mapped
    ['fe80:0:0:0:0:0:0:1', 'fe80::1'],
    ['1:0:1:0:1:0:1:0', '1:0:1:0:1:0:1:0'],
  ];
  for (const [text, canonical] of rfc5952) {
    it(`writes ${text} as ${canonical}`, () => {
      const b = parse(text);
      assert.ok(b);
      assert.equal(formatIpv6(b), canonical);
      assert.equal(canonicalIp(text), canonical);
      assert.equal(canonicalIp(canonical), canonical);
    });
  }
  it('parses into and formats from an offset', () => {
    const buf = new Uint8Array(20).fill(7);
    assert.ok(parseIpv6('x2001:db8::1', 1, 12, buf, 2));
    assert.equal(formatIpv6(buf, 2), '2001:db8::1');
    assert.equal(buf[0], 7);
    assert.equal(buf[18], 7);
  });
});
