// ORIGINATOR_ID (type 9) and CLUSTER_LIST (type 10) of RFC 4456 §8 as annotated bytes, both ways, and their RFC 7606
// §7.9 / §7.10 error handling.
import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { decodeMessage, encodeMessage } from '../../src/wire/index.js';
import type { CodecOptions, PathAttributes, UpdateMessage } from '../../src/wire/types.js';
import { bothWays, frame, OPTS2, OPTS4, u16, u32 } from './vectors.js';

function attrsOnly(...attrs: number[]): Buffer {
  return frame(2, ...u16(0), ...u16(attrs.length), ...attrs);
}

function update(attributes: PathAttributes): UpdateMessage {
  return { type: 'update', withdrawn: [], attributes, nlri: [] };
}

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 0]; // empty (iBGP)
const NEXT_HOP = [0x40, 3, 4, 192, 0, 2, 1];
const GOOD = [...ORIGIN, ...AS_PATH, ...NEXT_HOP];
const NLRI = [24, 10, 244, 1]; // 10.244.1.0/24

function upd(attrs: number[], nlri: number[] = NLRI): Buffer {
  return frame(2, ...u16(0), ...u16(attrs.length), ...attrs, ...nlri);
}

function decode(bytes: Buffer, opts: CodecOptions = OPTS4) {
  const r = decodeMessage(bytes, opts);
  assert.equal(r.message.type, 'update');
  return { ...r, attributes: (r.message as UpdateMessage).attributes };
}

describe('wire: ORIGINATOR_ID and CLUSTER_LIST (RFC 4456 §8)', () => {
  it('ORIGINATOR_ID: optional non-transitive, 4 octets', () => {
    bothWays(
      attrsOnly(
        ...[0x80, 9, 4], // flags optional, type 9, length 4
        ...[172, 30, 0, 7], // 172.30.0.7
      ),
      update({ originatorId: '172.30.0.7' }),
    );
  });

  it('CLUSTER_LIST: optional non-transitive, one ID per 4 octets, order kept', () => {
    bothWays(
      attrsOnly(
        ...[0x80, 10, 12], // flags optional, type 10, length 12
        ...[10, 0, 0, 1], // most recent cluster first
        ...[10, 0, 0, 2],
        ...[255, 255, 255, 255],
      ),
      update({ clusterList: ['10.0.0.1', '10.0.0.2', '255.255.255.255'] }),
    );
  });

  it('both, in type-code order between COMMUNITIES (8) and MP_REACH_NLRI (14), on a 2-octet session too', () => {
    const bytes = attrsOnly(
      ...[0xc0, 8, 4, ...u32(0xfde80064)], // COMMUNITIES 65000:100
      ...[0x80, 9, 4, 192, 0, 2, 9], // ORIGINATOR_ID 192.0.2.9
      ...[0x80, 10, 4, 192, 0, 2, 1], // CLUSTER_LIST [192.0.2.1]
    );
    const msg = update({ communities: [0xfde80064], originatorId: '192.0.2.9', clusterList: ['192.0.2.1'] });
    bothWays(bytes, msg);
    bothWays(bytes, msg, OPTS2);
  });

  it('an empty CLUSTER_LIST is not encoded (it would be malformed)', () => {
    assert.equal(encodeMessage(update({ clusterList: [] }), OPTS4).toString('hex'), attrsOnly().toString('hex'));
  });
});

describe('wire: ORIGINATOR_ID and CLUSTER_LIST malformed (RFC 7606 §7.9, §7.10)', () => {
  const cases: { name: string; bytes: Buffer; opts?: CodecOptions; action: string; reasons: string[] }[] = [
    {
      name: 'ORIGINATOR_ID of 3 octets',
      bytes: upd([...GOOD, 0x80, 9, 3, 1, 2, 3]),
      action: 'treat-as-withdraw',
      reasons: ['originator-id-bad-length'],
    },
    {
      name: 'ORIGINATOR_ID of 8 octets',
      bytes: upd([...GOOD, 0x80, 9, 8, 1, 2, 3, 4, 5, 6, 7, 8]),
      action: 'treat-as-withdraw',
      reasons: ['originator-id-bad-length'],
    },
    {
      name: 'CLUSTER_LIST of 0 octets',
      bytes: upd([...GOOD, 0x80, 10, 0]),
      action: 'treat-as-withdraw',
      reasons: ['cluster-list-bad-length'],
    },
    {
      name: 'CLUSTER_LIST of 6 octets',
      bytes: upd([...GOOD, 0x80, 10, 6, 1, 2, 3, 4, 5, 6]),
      action: 'treat-as-withdraw',
      reasons: ['cluster-list-bad-length'],
    },
    {
      name: 'ORIGINATOR_ID flagged transitive (RFC 7606 §3.c)',
      bytes: upd([...GOOD, 0xc0, 9, 4, 1, 2, 3, 4]),
      action: 'treat-as-withdraw',
      reasons: ['originator-id-flags-invalid'],
    },
    {
      name: 'CLUSTER_LIST flagged well-known (RFC 7606 §3.c)',
      bytes: upd([...GOOD, 0x40, 10, 4, 1, 2, 3, 4]),
      action: 'treat-as-withdraw',
      reasons: ['cluster-list-flags-invalid'],
    },
    {
      name: 'ORIGINATOR_ID and CLUSTER_LIST from an eBGP peer: discarded, route kept',
      bytes: upd([...GOOD, 0x80, 9, 4, 1, 2, 3, 4, 0x80, 10, 4, 5, 6, 7, 8]),
      opts: { ...OPTS4, external: true },
      action: 'attribute-discard',
      reasons: ['originator-id-from-external', 'cluster-list-from-external'],
    },
    {
      name: 'a malformed CLUSTER_LIST from an eBGP peer is discarded too (never parsed)',
      bytes: upd([...GOOD, 0x80, 10, 3, 1, 2, 3]),
      opts: { ...OPTS4, external: true },
      action: 'attribute-discard',
      reasons: ['cluster-list-from-external'],
    },
    {
      name: 'a duplicate CLUSTER_LIST: the second discarded (RFC 7606 §3.g)',
      bytes: upd([...GOOD, 0x80, 10, 4, 1, 2, 3, 4, 0x80, 10, 4, 5, 6, 7, 8]),
      action: 'attribute-discard',
      reasons: ['duplicate-attribute'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const r = decode(c.bytes, c.opts);
      assert.equal(r.action, c.action);
      assert.deepEqual(
        r.errors.map((e) => e.reason),
        c.reasons,
      );
      if (c.action === 'attribute-discard' && c.opts?.external) {
        assert.equal(r.attributes.originatorId, undefined);
        assert.equal(r.attributes.clusterList, undefined);
        assert.deepEqual((r.message as UpdateMessage).nlri, ['10.244.1.0/24']);
      }
    });
  }

  it('the first of two CLUSTER_LISTs is the one kept', () => {
    const r = decode(upd([...GOOD, 0x80, 10, 4, 1, 2, 3, 4, 0x80, 10, 4, 5, 6, 7, 8]));
    assert.deepEqual(r.attributes.clusterList, ['1.2.3.4']);
  });
});
