import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { BgpWireError, encodeMessage, MessageFramer } from '../../src/wire/index.js';
import type { BgpMessage } from '../../src/wire/types.js';
import { OPTS4 } from './vectors.js';

const MESSAGES: BgpMessage[] = [
  {
    type: 'open',
    version: 4,
    myAs: 65001,
    holdTime: 90,
    bgpId: '192.0.2.1',
    capabilities: [{ code: 2, name: 'route-refresh' }],
  },
  { type: 'keepalive' },
  {
    type: 'update',
    withdrawn: ['10.0.0.0/8'],
    attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65001] }], nextHop: '192.0.2.1' },
    nlri: ['10.244.1.0/24', '10.244.2.0/24'],
  },
  { type: 'keepalive' },
  { type: 'notification', code: 6, subcode: 2, data: Buffer.from('bye') },
];
const STREAM = Buffer.concat(MESSAGES.map((m) => encodeMessage(m, OPTS4)));
const FRAMES = MESSAGES.map((m) => encodeMessage(m, OPTS4).toString('hex'));

describe('wire: MessageFramer', () => {
  it('the stream split at every offset gives the same messages', () => {
    for (let cut = 0; cut <= STREAM.length; cut++) {
      const f = new MessageFramer();
      const got = [...f.push(STREAM.subarray(0, cut)), ...f.push(STREAM.subarray(cut))];
      assert.deepEqual(
        got.map((b) => b.toString('hex')),
        FRAMES,
        `cut at ${cut}`,
      );
      assert.equal(f.buffered, 0);
    }
  });

  it('the stream split at every pair of offsets gives the same messages', () => {
    for (let a = 0; a <= STREAM.length; a += 3) {
      for (let b = a; b <= STREAM.length; b++) {
        const f = new MessageFramer();
        const got = [...f.push(STREAM.subarray(0, a)), ...f.push(STREAM.subarray(a, b)), ...f.push(STREAM.subarray(b))];
        assert.equal(got.length, FRAMES.length, `cuts at ${a}, ${b}`);
        assert.equal(got.map((x) => x.toString('hex')).join(), FRAMES.join());
      }
    }
  });

  it('one octet at a time', () => {
    const f = new MessageFramer();
    const got: string[] = [];
    for (const byte of STREAM) {
      for (const m of f.push(Buffer.from([byte]))) got.push(m.toString('hex'));
      assert.ok(f.buffered <= 4096);
    }
    assert.deepEqual(got, FRAMES);
  });

  it('checks the header as soon as it is complete, then stays failed', () => {
    const f = new MessageFramer();
    const bad = Buffer.from(STREAM);
    bad[19 + 5] = 0; // in the KEEPALIVE after the OPEN: marker broken
    const openLen = encodeMessage(MESSAGES[0]!, OPTS4).length;
    bad.fill(0, openLen, openLen + 1);
    assert.equal(f.push(bad.subarray(0, openLen + 10)).length, 1); // the OPEN, header of the next not yet complete
    assert.throws(
      () => f.push(bad.subarray(openLen + 10, openLen + 19)),
      (e: unknown) => e instanceof BgpWireError && e.notification.code === 1 && e.notification.subcode === 1,
    );
    assert.throws(() => f.push(Buffer.alloc(0)), BgpWireError);
    assert.equal(f.buffered, 0);
  });

  it('refuses a 4097-octet UPDATE until extended messages are negotiated', () => {
    const big = Buffer.alloc(4097);
    big.fill(0xff, 0, 16);
    big.writeUInt16BE(4097, 16);
    big[18] = 2;
    assert.throws(
      () => new MessageFramer().push(big.subarray(0, 19)),
      (e: unknown) =>
        e instanceof BgpWireError && e.notification.subcode === 2 && e.notification.data.readUInt16BE(0) === 4097,
    );
    const f = new MessageFramer();
    f.maxLength = 65535;
    assert.equal(f.extendedMessage, true);
    assert.deepEqual(f.push(big.subarray(0, 100)), []);
    assert.equal(f.push(big.subarray(100)).length, 1);
    const g = new MessageFramer({ extendedMessage: true });
    assert.equal(g.maxLength, 65535);
  });

  it('returns nothing and buffers nothing for an empty chunk', () => {
    const f = new MessageFramer();
    assert.deepEqual(f.push(Buffer.alloc(0)), []);
    assert.equal(f.buffered, 0);
  });
});
