import assert from 'node:assert/strict';
import { type BfdPacket, decodeBfdPacket, encodeBfdPacket } from '../../src/bfd/packet.js';

// An Up packet with Poll set, as FRR's bfdd sends when it changes its timers: annotated field by field.
const UP_POLL = [
  0x20, // Vers 1 (001) | Diag 0
  0xe8, // Sta Up (11) | P 1 | F 0 | C 1 | A 0 | D 0 | M 0
  3, // Detect Mult
  24, // Length
  0x00,
  0x00,
  0x00,
  0x2a, // My Discriminator 42
  0x12,
  0x34,
  0x56,
  0x78, // Your Discriminator 0x12345678
  0x00,
  0x01,
  0x86,
  0xa0, // Desired Min TX 100,000 µs
  0x00,
  0x04,
  0x93,
  0xe0, // Required Min RX 300,000 µs
  0x00,
  0x00,
  0x00,
  0x00, // Required Min Echo RX 0 (no Echo)
];
const UP_POLL_PACKET: BfdPacket = {
  version: 1,
  diag: 0,
  state: 'Up',
  poll: true,
  final: false,
  cpi: true,
  auth: false,
  demand: false,
  multipoint: false,
  detectMult: 3,
  myDiscr: 42,
  yourDiscr: 0x12345678,
  desiredMinTxUs: 100_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 0,
};

// A Down packet after a detection timeout: Diag 1, Your Discriminator 0, 1 s slow timers.
const DOWN_DIAG1 = [
  0x21, // Vers 1 | Diag 1 (Control Detection Time Expired)
  0x40, // Sta Down (01), no flags
  5, // Detect Mult
  24, // Length
  0xff,
  0xff,
  0xff,
  0xfe, // My Discriminator 4294967294
  0,
  0,
  0,
  0, // Your Discriminator 0 (allowed in Down)
  0x00,
  0x0f,
  0x42,
  0x40, // Desired Min TX 1,000,000 µs
  0x00,
  0x00,
  0xc3,
  0x50, // Required Min RX 50,000 µs
  0,
  0,
  0,
  0, // Echo
];

function roundTrip(bytes: number[], packet: BfdPacket): void {
  assert.deepEqual([...encodeBfdPacket(packet)], bytes);
  assert.deepEqual(decodeBfdPacket(Buffer.from(bytes)), { ok: true, packet });
}

describe('BFD control packet codec (RFC 5880 §4.1)', () => {
  it('encodes and decodes an Up packet with Poll and C both ways', () => {
    roundTrip(UP_POLL, UP_POLL_PACKET);
  });

  it('encodes and decodes a Down packet with a diagnostic and no Your Discriminator', () => {
    roundTrip(DOWN_DIAG1, {
      ...UP_POLL_PACKET,
      diag: 1,
      state: 'Down',
      poll: false,
      cpi: false,
      detectMult: 5,
      myDiscr: 0xfffffffe,
      yourDiscr: 0,
      desiredMinTxUs: 1_000_000,
      requiredMinRxUs: 50_000,
    });
  });

  it('encodes Final, Demand, AdminDown and Init', () => {
    const admin = encodeBfdPacket({ ...UP_POLL_PACKET, state: 'AdminDown', poll: false, final: true, diag: 7 });
    assert.equal(admin[0], 0x27);
    assert.equal(admin[1], 0x18); // Sta 00 | F | C
    const init = encodeBfdPacket({ ...UP_POLL_PACKET, state: 'Init', poll: false, cpi: false, demand: true });
    assert.equal(init[1], 0x82); // Sta 10 | D
  });

  it('refuses to encode Poll with Final, and authentication', () => {
    assert.throws(() => encodeBfdPacket({ ...UP_POLL_PACKET, final: true }), /Poll and Final/);
    assert.throws(() => encodeBfdPacket({ ...UP_POLL_PACKET, auth: true }), /authentication/);
  });

  it('accepts trailing bytes beyond Length and a Length that covers them', () => {
    assert.equal(decodeBfdPacket(Buffer.from([...UP_POLL, 0, 0])).ok, true);
  });

  const cases: [string, number[], string][] = [
    ['a short datagram', UP_POLL.slice(0, 23), 'too-short'],
    ['version 0', [0x00, ...UP_POLL.slice(1)], 'bad-version'],
    ['version 2', [0x40, ...UP_POLL.slice(1)], 'bad-version'],
    ['Length 23', [...UP_POLL.slice(0, 3), 23, ...UP_POLL.slice(4)], 'bad-length'],
    ['Length 25 with the A bit set (26 needed)', [0x20, 0xec, 3, 25, ...UP_POLL.slice(4)], 'bad-length'],
    ['Length beyond the payload', [...UP_POLL.slice(0, 3), 40, ...UP_POLL.slice(4)], 'length-exceeds-payload'],
    ['Detect Mult 0', [0x20, 0xe8, 0, ...UP_POLL.slice(3)], 'zero-detect-mult'],
    ['the Multipoint bit', [0x20, 0xe9, ...UP_POLL.slice(2)], 'multipoint'],
    ['My Discriminator 0', [...UP_POLL.slice(0, 4), 0, 0, 0, 0, ...UP_POLL.slice(8)], 'zero-my-discriminator'],
    [
      'Your Discriminator 0 in state Up',
      [...UP_POLL.slice(0, 8), 0, 0, 0, 0, ...UP_POLL.slice(12)],
      'zero-your-discriminator-when-up',
    ],
    [
      'Your Discriminator 0 in state Init',
      [0x20, 0x80, ...UP_POLL.slice(2, 8), 0, 0, 0, 0, ...UP_POLL.slice(12)],
      'zero-your-discriminator-when-up',
    ],
    [
      'the A bit (no authentication configured)',
      [0x20, 0xec, 3, 26, ...UP_POLL.slice(4), 1, 2],
      'authentication-not-supported',
    ],
  ];
  for (const [what, bytes, reason] of cases) {
    it(`discards ${what} (${reason})`, () => {
      assert.deepEqual(decodeBfdPacket(Buffer.from(bytes)), { ok: false, reason });
    });
  }
});
