import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import {
  type BgpWireError,
  decodeMessage,
  encodeMessage,
  MessageFramer,
  shutdownCommunication,
  shutdownNotification,
} from '../../src/wire/index.js';
import { bothWays, frame, OPTS2, OPTS4, u16, u32 } from './vectors.js';

describe('wire: KEEPALIVE, NOTIFICATION, ROUTE-REFRESH', () => {
  it('KEEPALIVE is a bare header', () => {
    bothWays(frame(4), { type: 'keepalive' });
  });

  it('NOTIFICATION carries code, subcode, data', () => {
    bothWays(
      frame(
        3,
        6, // code: Cease
        2, // subcode: Administrative Shutdown
        4,
        0x6f,
        0x66,
        0x66, // data: RFC 8203 shutdown communication, length 4 "off"... kept opaque
      ),
      { type: 'notification', code: 6, subcode: 2, data: Buffer.from([4, 0x6f, 0x66, 0x66]) },
    );
    bothWays(frame(3, 4, 0), { type: 'notification', code: 4, subcode: 0, data: Buffer.alloc(0) });
  });

  it('ROUTE-REFRESH: AFI, subtype, SAFI (normal, BoRR, EoRR)', () => {
    for (const subtype of [0, 1, 2]) {
      bothWays(
        frame(
          5,
          ...u16(2), // AFI IPv6
          subtype, // RFC 7313 message subtype
          1, // SAFI unicast
        ),
        { type: 'route-refresh', afi: 2, safi: 1, subtype },
      );
    }
  });
});

describe('wire: OPEN', () => {
  it('with every capability we know, in one optional parameter', () => {
    const bytes = frame(
      1,
      4, // version
      ...u16(23456), // My AS: AS_TRANS
      ...u16(90), // hold time
      ...[192, 0, 2, 1], // BGP identifier
      34, // optional parameters length
      2, // parameter type: capabilities
      32, // parameter length
      ...[1, 4, ...u16(1), 0, 1], // multiprotocol IPv4 unicast
      ...[1, 4, ...u16(2), 0, 1], // multiprotocol IPv6 unicast
      ...[2, 0], // route refresh
      ...[70, 0], // enhanced route refresh
      ...[65, 4, ...u32(4200000001)], // four-octet AS
      ...[6, 0], // extended message
      ...[64, 6, 0xc0 | 0x00, 120, ...u16(1), 1, 0x80], // graceful restart: R, N, 120 s, IPv4 unicast with F
    );
    bothWays(bytes, {
      type: 'open',
      version: 4,
      myAs: 23456,
      holdTime: 90,
      bgpId: '192.0.2.1',
      capabilities: [
        { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
        { code: 1, name: 'multiprotocol', afi: 2, safi: 1 },
        { code: 2, name: 'route-refresh' },
        { code: 70, name: 'enhanced-route-refresh' },
        { code: 65, name: 'four-octet-as', asn: 4200000001 },
        { code: 6, name: 'extended-message' },
        {
          code: 64,
          name: 'graceful-restart',
          restartState: true,
          notification: true,
          restartTime: 120,
          families: [{ afi: 1, safi: 1, forwardingState: true }],
        },
      ],
    });
  });

  it('RFC 9072 extended optional parameters when the capabilities need more than 255 octets', () => {
    const caps = Array.from({ length: 30 }, (_, i) => ({
      code: 200 + i,
      name: 'unknown' as const,
      value: Buffer.alloc(7, i),
    }));
    const capBytes = caps.flatMap((c) => [c.code, 7, ...c.value]); // 270 octets
    const bytes = frame(
      1,
      ...[4, ...u16(65001), ...u16(90), 192, 0, 2, 1], // version, My AS, hold time, BGP identifier
      255, // Non-Ext OP Len: 255
      255, // Non-Ext OP Type: 255, so what follows is the extended form
      ...u16(3 + capBytes.length), // Extended Opt. Parm. Length
      2, // parameter type: capabilities
      ...u16(capBytes.length), // 2-octet parameter length
      ...capBytes,
    );
    bothWays(bytes, { type: 'open', version: 4, myAs: 65001, holdTime: 90, bgpId: '192.0.2.1', capabilities: caps });
    // A peer may use the extended form for few capabilities, and split them over several parameters.
    const small = frame(
      1,
      4,
      ...u16(65001),
      ...u16(90),
      192,
      0,
      2,
      1,
      255,
      255,
      ...u16(10),
      2,
      ...u16(2),
      2,
      0,
      2,
      ...u16(2),
      6,
      0,
    );
    assert.deepEqual(decodeMessage(small, OPTS4).message, {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 90,
      bgpId: '192.0.2.1',
      capabilities: [
        { code: 2, name: 'route-refresh' },
        { code: 6, name: 'extended-message' },
      ],
    });
  });

  it('without optional parameters', () => {
    bothWays(frame(1, 4, ...u16(65001), ...u16(0), 10, 0, 0, 1, 0), {
      type: 'open',
      version: 4,
      myAs: 65001,
      holdTime: 0,
      bgpId: '10.0.0.1',
      capabilities: [],
    });
  });
});

describe('wire: UPDATE basics', () => {
  it('IPv4 announcement with ORIGIN, AS_PATH, NEXT_HOP', () => {
    const bytes = frame(
      2,
      ...u16(0), // withdrawn routes length
      ...u16(24), // total path attribute length
      ...[0x40, 1, 1, 0], // ORIGIN IGP
      ...[0x40, 2, 10, 2, 2, ...u32(65001), ...u32(65002)], // AS_PATH: sequence of 2
      ...[0x40, 3, 4, 192, 0, 2, 1], // NEXT_HOP
      ...[24, 10, 244, 1], // 10.244.1.0/24
      ...[32, 10, 0, 0, 1], // 10.0.0.1/32
    );
    bothWays(bytes, {
      type: 'update',
      withdrawn: [],
      attributes: { origin: 0, asPath: [{ type: 'sequence', asns: [65001, 65002] }], nextHop: '192.0.2.1' },
      nlri: ['10.244.1.0/24', '10.0.0.1/32'],
    });
  });

  it('IPv4 withdrawal', () => {
    bothWays(frame(2, ...u16(4), 24, 10, 244, 1, ...u16(0)), {
      type: 'update',
      withdrawn: ['10.244.1.0/24'],
      attributes: {},
      nlri: [],
    });
  });

  it('2-octet AS_PATH on a 2-octet session', () => {
    const bytes = frame(
      2,
      ...u16(0),
      ...u16(11),
      ...[0x40, 1, 1, 2], // ORIGIN INCOMPLETE
      ...[0x40, 2, 4, 2, 1, ...u16(65001)], // AS_PATH sequence [65001]
      ...[0x40, 3, 4, 192, 0, 2, 1].slice(0, 0),
    );
    bothWays(
      bytes,
      {
        type: 'update',
        withdrawn: [],
        attributes: { origin: 2, asPath: [{ type: 'sequence', asns: [65001] }] },
        nlri: [],
      },
      OPTS2,
    );
  });
});

describe('wire: message size limits when encoding', () => {
  it('refuses an UPDATE over 4096 octets unless extended messages were negotiated, and an OPEN over 4096 always', () => {
    const nlri = Array.from({ length: 1100 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    const big = {
      type: 'update' as const,
      withdrawn: [],
      attributes: { origin: 0 as const, asPath: [], nextHop: '192.0.2.1' },
      nlri,
    };
    assert.throws(() => encodeMessage(big, OPTS4), { code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT' });
    assert.equal(encodeMessage(big, { ...OPTS4, extendedMessage: true }).length, 23 + 14 + 1100 * 4);
    const caps = Array.from({ length: 20 }, (_, i) => ({
      code: 100 + i,
      name: 'unknown' as const,
      value: Buffer.alloc(250),
    }));
    const open = { type: 'open' as const, version: 4, myAs: 1, holdTime: 90, bgpId: '192.0.2.1', capabilities: caps };
    assert.throws(() => encodeMessage(open, { ...OPTS4, extendedMessage: true }), {
      code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT',
    });
  });
});

describe('wire: header errors', () => {
  it('bad marker → 1/1', () => {
    const b = frame(4);
    b[3] = 0;
    assert.throws(
      () => decodeMessage(b, OPTS4),
      (e: BgpWireError) => e.notification.code === 1 && e.notification.subcode === 1,
    );
  });
  it('framer returns whole messages', () => {
    const f = new MessageFramer();
    const all = Buffer.concat([frame(4), encodeMessage({ type: 'keepalive' }, OPTS4)]);
    assert.equal(f.push(all).length, 2);
  });
});

describe('wire: shutdown communication (RFC 9003)', () => {
  it('Cease/2 with a length-prefixed UTF-8 text, both ways', () => {
    const msg = shutdownNotification('maintenance ✓');
    bothWays(
      frame(
        3,
        6, // Cease
        2, // Administrative Shutdown
        15, // length of the UTF-8 text
        ...Buffer.from('maintenance ✓', 'utf8'),
      ),
      msg,
    );
    assert.equal(shutdownCommunication(msg), 'maintenance ✓');
    assert.equal(shutdownCommunication(shutdownNotification('reboot\n', 4)), 'reboot ');
  });

  it('ignores a missing, overrunning or non-UTF-8 text, and other codes', () => {
    const n = (code: number, subcode: number, ...data: number[]) => ({
      type: 'notification' as const,
      code,
      subcode,
      data: Buffer.from(data),
    });
    assert.equal(shutdownCommunication(n(6, 2)), undefined);
    assert.equal(shutdownCommunication(n(6, 2, 0)), undefined);
    assert.equal(shutdownCommunication(n(6, 2, 5, 0x61)), undefined);
    assert.equal(shutdownCommunication(n(6, 2, 2, 0xc3, 0x28)), undefined);
    assert.equal(shutdownCommunication(n(6, 3, 1, 0x61)), undefined);
    assert.equal(shutdownCommunication(n(4, 2, 1, 0x61)), undefined);
    assert.throws(() => shutdownNotification('x'.repeat(256)), { code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT' });
    assert.throws(() => shutdownNotification('x', 3), { code: 'ERR_GANNET_BGP_WIRE_INVALID_ARGUMENT' });
  });
});
