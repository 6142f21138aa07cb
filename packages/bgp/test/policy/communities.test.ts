import assert from 'node:assert/strict';
import { BgpConfigError } from '../../src/errors.js';
import {
  formatCommunity,
  formatLargeCommunity,
  parseCommunity,
  parseLargeCommunity,
  tryParseCommunity,
  tryParseLargeCommunity,
  WellKnownCommunity,
} from '../../src/policy/communities.js';

describe('policy: communities as text', () => {
  it('ASN:VALUE ↔ a 32-bit value, both halves 0..65535', () => {
    const cases: [string, number][] = [
      ['65000:100', 0xfde80064],
      ['0:0', 0],
      ['1:2', 0x00010002],
      ['65535:65279', 0xfffffeff],
    ];
    for (const [text, value] of cases) {
      assert.equal(parseCommunity(text), value, text);
      assert.equal(formatCommunity(value), text);
    }
  });

  it('the well-known communities by name, either spelling; formatted by their name', () => {
    assert.equal(parseCommunity('no-export'), 0xffffff01);
    assert.equal(parseCommunity('NO_EXPORT'), 0xffffff01);
    assert.equal(parseCommunity('no-advertise'), 0xffffff02);
    assert.equal(parseCommunity('no-export-subconfed'), 0xffffff03);
    assert.equal(parseCommunity('local-AS'), 0xffffff03); // FRR's spelling
    assert.equal(parseCommunity('65535:65281'), WellKnownCommunity.NO_EXPORT); // numeric works too
    assert.equal(parseCommunity('blackhole'), 0xffff029a); // 65535:666, RFC 7999
    assert.equal(formatCommunity(0xffffff01), 'no-export');
    assert.equal(formatCommunity(0xffffff03), 'no-export-subconfed');
    assert.equal(formatCommunity(0xffff0000), 'graceful-shutdown');
  });

  it('refuses anything else with a message that says the format', () => {
    for (const bad of ['', '65000', '65536:1', '1:65536', '-1:1', '1:2:3', ' 1:2', '01:2', '1.5:2', 'no-such', 'a:b']) {
      assert.equal(tryParseCommunity(bad), undefined, bad);
      assert.throws(
        () => parseCommunity(bad),
        (e: Error) => e instanceof BgpConfigError && /ASN:VALUE/.test(e.message),
      );
    }
    assert.equal(tryParseCommunity(7 as unknown as string), undefined);
  });

  it('large communities GLOBAL:LOCAL1:LOCAL2, each 0..4294967295', () => {
    assert.deepEqual(parseLargeCommunity('65000:1:2'), [65000, 1, 2]);
    assert.deepEqual(parseLargeCommunity('4294967295:0:4294967295'), [4294967295, 0, 4294967295]);
    assert.equal(formatLargeCommunity([4200000000, 1, 2]), '4200000000:1:2');
    for (const bad of ['1:2', '1:2:3:4', '4294967296:1:2', '1::2', 'x:1:2', '']) {
      assert.equal(tryParseLargeCommunity(bad), undefined, bad);
      assert.throws(() => parseLargeCommunity(bad), /GLOBAL:LOCAL1:LOCAL2/);
    }
  });
});
