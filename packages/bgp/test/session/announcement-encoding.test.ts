// The session's IPv4 announcements with the attribute block encoded once per attribute object: the same bytes as
// the general UPDATE encoder, on 4-octet and 2-octet sessions, for one prefix and for more than one message's worth.
import assert from 'node:assert/strict';
import { MessageCodec } from '../../src/session/message-codec.js';
import { announcement } from '../../src/session/outbound.js';
import type { PathAttributes } from '../../src/wire/types.js';

describe('session: IPv4 announcements with a shared attribute block', () => {
  const attrs: PathAttributes = Object.freeze({
    origin: 0,
    asPath: [{ type: 'sequence', asns: [4200000001, 65001] }],
    nextHop: '172.30.0.11',
    localPref: 100,
    originatorId: '172.30.0.11',
    clusterList: ['10.255.0.1'],
    communities: [0xfde80064],
  }) as PathAttributes;
  const many = Array.from({ length: 2000 }, (_, i) => `10.${100 + (i >> 8)}.${i & 255}.0/24`);

  for (const fourOctetAs of [true, false]) {
    it(`the same bytes as encodeUpdate(announcement) (${fourOctetAs ? '4' : '2'}-octet AS)`, () => {
      const codec = new MessageCodec();
      codec.configure({ fourOctetAs, extendedMessage: false });
      for (const prefixes of [['10.244.1.0/24'], many]) {
        const a = { afi: 1, attributes: attrs, nextHop: '172.30.0.11', linkLocalNextHop: undefined, prefixes };
        const fast = codec.encodeIpv4Announcement(attrs, prefixes);
        const general = codec.encodeUpdate(announcement(a));
        assert.deepEqual(
          fast.map((b) => b.toString('hex')),
          general.map((b) => b.toString('hex')),
        );
        assert.equal(fast.length, prefixes.length === 1 ? 1 : general.length);
      }
    });
  }

  it('sessions with other AS sizes share the attribute object, not the bytes', () => {
    const four = new MessageCodec();
    four.configure({ fourOctetAs: true, extendedMessage: false });
    const two = new MessageCodec();
    two.configure({ fourOctetAs: false, extendedMessage: false });
    const a = four.encodeIpv4Announcement(attrs, ['10.244.1.0/24'])[0]!;
    const b = two.encodeIpv4Announcement(attrs, ['10.244.1.0/24'])[0]!;
    assert.notEqual(a.toString('hex'), b.toString('hex'));
    assert.equal(four.encodeIpv4Announcement(attrs, ['10.244.1.0/24'])[0]!.toString('hex'), a.toString('hex'));
  });
});
