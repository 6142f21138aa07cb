import assert from 'node:assert/strict';
import { formatIpv4, maskIpv4, parseIpv4, parseIpv4Prefix, parsePrefixLength } from '../src/index.js';

describe('core ipv4', () => {
  const accept: [string, number][] = [
    ['0.0.0.0', 0],
    ['10.0.0.1', 0x0a000001],
    ['192.168.100.7', 0xc0a86407],
    ['255.255.255.255', 0xffffffff],
    ['1.20.100.0', 0x01146400],
  ];
  for (const [text, value] of accept) {
    it(`accepts ${text}`, () => {
      assert.equal(parseIpv4(text), value);
      assert.equal(formatIpv4(value), text);
    });
  }
  const reject = [
    '',
    '010.0.0.1', // leading zero: octal to inet_aton
    '10.0.0.01',
    '00.0.0.0',
    '256.1.1.1',
    '1.1.1.256',
    '1000.1.1.1',
    '1.1.1',
    '1.1.1.1.1',
    '1..1.1',
    '.1.1.1',
    '1.1.1.',
    ' 1.1.1.1',
    '1.1.1.1 ',
    '+1.1.1.1',
    '0x1.1.1.1',
    '1.1.1.1/32',
    '::1',
  ];
  for (const text of reject) {
    it(`refuses ${JSON.stringify(text)}`, () => assert.equal(parseIpv4(text), -1));
  }
  it('parses a slice of a string', () => {
    assert.equal(parseIpv4('x10.0.0.1/8', 1, 9), 0x0a000001);
  });
  it('masks words', () => {
    assert.equal(maskIpv4(0xffffffff, 0), 0);
    assert.equal(maskIpv4(0xffffffff, 8), 0xff000000);
    assert.equal(maskIpv4(0x0a0b0c0d, 32), 0x0a0b0c0d);
    assert.equal(maskIpv4(0x0a0b0c0d, 40), 0x0a0b0c0d);
  });
  it('reads prefix lengths strictly', () => {
    assert.equal(parsePrefixLength('/24', 1, 3, 32), 24);
    assert.equal(parsePrefixLength('/0', 1, 2, 32), 0);
    for (const t of ['/024', '/33', '/', '/2x', '/1000']) assert.equal(parsePrefixLength(t, 1, t.length, 32), -1, t);
    assert.equal(parsePrefixLength('/128', 1, 4, 128), 128);
  });
  const prefixes: [string, number][] = [
    ['10.244.1.0/24', 0x0af40100 * 64 + 24],
    ['0.0.0.0/0', 0],
    ['1.2.3.4/32', 0x01020304 * 64 + 32],
    ['128.0.0.0/1', 0x80000000 * 64 + 1],
  ];
  for (const [text, key] of prefixes) {
    it(`keys prefix ${text}`, () => assert.equal(parseIpv4Prefix(text), key));
  }
  for (const text of [
    '10.244.1.1/24',
    '10.0.0.0/024',
    '10.0.0.0/33',
    '10.0.0.0',
    '010.0.0.0/8',
    '::/0',
    '1.2.3.4/',
    '1.2.3.0/2x',
    '1.2.3/24',
    '1.2.3.4.0/32',
    '256.0.0.0/8',
  ]) {
    it(`refuses prefix ${JSON.stringify(text)}`, () => assert.equal(parseIpv4Prefix(text), -1));
  }
});
