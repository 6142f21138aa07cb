import assert from 'node:assert/strict';
import { MaxPrefixGuard, maxPrefixData } from '../../src/policy/max-prefix.js';

describe('MaxPrefixGuard', () => {
  it('warns at the threshold once, re-arms below it, and reports exceeding once', () => {
    const g = new MaxPrefixGuard('192.0.2.1', { limit: 100, warningPercent: 80 });
    assert.equal(g.warnAt, 80);
    assert.equal(g.check(1, 1, 79), undefined);
    assert.equal(g.check(1, 1, 80)?.type, 'max-prefix-warning');
    assert.equal(g.check(1, 1, 90), undefined);
    assert.equal(g.check(1, 1, 10), undefined);
    assert.equal(g.check(1, 1, 85)?.type, 'max-prefix-warning');
    assert.equal(g.check(2, 1, 85)?.type, 'max-prefix-warning', 'families are independent');
    assert.equal(g.exceeded(1), false);
    const e = g.check(1, 1, 101);
    assert.equal(e?.type, 'max-prefix-exceeded');
    assert.equal(g.exceeded(1), true);
    assert.equal(g.check(1, 1, 150), undefined);
    g.reset();
    assert.equal(g.exceeded(1), false);
    assert.equal(g.check(1, 1, 101)?.type, 'max-prefix-exceeded');
  });

  it('jumping straight over the limit does not warn afterwards', () => {
    const g = new MaxPrefixGuard('p', { limit: 10 });
    assert.equal(g.check(1, 1, 50)?.type, 'max-prefix-exceeded');
    assert.equal(g.check(1, 1, 9), undefined);
  });

  it('encodes RFC 4486 data: AFI, SAFI, limit (4 octets)', () => {
    assert.deepEqual(maxPrefixData(2, 1, 0x01020304), Buffer.from([0, 2, 1, 1, 2, 3, 4]));
    assert.deepEqual(maxPrefixData(1, 1, 2 ** 40), Buffer.from([0, 1, 1, 0xff, 0xff, 0xff, 0xff]));
  });
});
