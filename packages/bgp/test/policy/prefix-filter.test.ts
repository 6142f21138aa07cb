import assert from 'node:assert/strict';
import { BgpError } from '../../src/errors.js';
import { PrefixFilter, type PrefixRule } from '../../src/policy/prefix-filter.js';

function f(rules: PrefixRule[], defaultAction?: 'permit' | 'deny'): PrefixFilter {
  return new PrefixFilter(defaultAction ? { rules, defaultAction } : { rules });
}

describe('PrefixFilter', () => {
  // [rule, prefix, matches]
  const cases: [Omit<PrefixRule, 'action'>, string, boolean][] = [
    // no ge/le: exact length only
    [{ prefix: '10.244.0.0/16' }, '10.244.0.0/16', true],
    [{ prefix: '10.244.0.0/16' }, '10.244.1.0/24', false],
    [{ prefix: '10.244.0.0/16' }, '10.0.0.0/8', false],
    // le only: from the rule's length to le
    [{ prefix: '10.244.0.0/16', le: 24 }, '10.244.0.0/16', true],
    [{ prefix: '10.244.0.0/16', le: 24 }, '10.244.7.0/24', true],
    [{ prefix: '10.244.0.0/16', le: 24 }, '10.244.7.128/25', false],
    // ge only: from ge to the family maximum
    [{ prefix: '10.244.0.0/16', ge: 24 }, '10.244.6.0/23', false],
    [{ prefix: '10.244.0.0/16', ge: 24 }, '10.244.7.0/24', true],
    [{ prefix: '10.244.0.0/16', ge: 24 }, '10.244.7.7/32', true],
    // ge and le: inclusive both ends
    [{ prefix: '10.244.0.0/16', ge: 20, le: 24 }, '10.244.16.0/20', true],
    [{ prefix: '10.244.0.0/16', ge: 20, le: 24 }, '10.244.0.0/19', false],
    [{ prefix: '10.244.0.0/16', ge: 20, le: 24 }, '10.244.16.0/25', false],
    // outside the rule's prefix, whatever the length
    [{ prefix: '10.244.0.0/16', le: 32 }, '10.245.0.0/24', false],
    [{ prefix: '10.244.0.0/15', le: 32 }, '10.245.0.0/24', true],
    // default route and everything
    [{ prefix: '0.0.0.0/0' }, '0.0.0.0/0', true],
    [{ prefix: '0.0.0.0/0' }, '10.0.0.0/8', false],
    [{ prefix: '0.0.0.0/0', le: 32 }, '192.0.2.1/32', true],
    // IPv6
    [{ prefix: '2001:db8::/32', ge: 48, le: 64 }, '2001:db8:1::/48', true],
    [{ prefix: '2001:db8::/32', ge: 48, le: 64 }, '2001:db8:1:2::/64', true],
    [{ prefix: '2001:db8::/32', ge: 48, le: 64 }, '2001:db8:1:2::/80', false],
    [{ prefix: '2001:db8::/32', ge: 48, le: 64 }, '2001:db9:1::/48', false],
    [{ prefix: '2001:db8:0:8000::/49', le: 128 }, '2001:db8:0:7fff::/64', false],
    [{ prefix: '2001:db8:0:8000::/49', le: 128 }, '2001:db8:0:8fff::/64', true],
    [{ prefix: '::/0', le: 128 }, '2001:db8::/32', true],
    // families never mix
    [{ prefix: '::/0', le: 128 }, '10.0.0.0/8', false],
    [{ prefix: '0.0.0.0/0', le: 32 }, '2001:db8::/32', false],
  ];
  for (const [rule, prefix, matches] of cases) {
    it(`${rule.prefix} ge ${rule.ge ?? '-'} le ${rule.le ?? '-'} ${matches ? 'matches' : 'does not match'} ${prefix}`, () => {
      assert.equal(f([{ ...rule, action: 'permit' }]).evaluate(prefix), matches ? 'permit' : 'deny');
      assert.equal(f([{ ...rule, action: 'deny' }], 'permit').evaluate(prefix), matches ? 'deny' : 'permit');
    });
  }

  it('the first matching rule decides; no match falls to the default (deny unless told)', () => {
    const filter = f([
      { prefix: '10.244.1.0/24', action: 'deny' },
      { prefix: '10.244.0.0/16', le: 24, action: 'permit' },
    ]);
    assert.equal(filter.evaluate('10.244.1.0/24'), 'deny');
    assert.equal(filter.evaluate('10.244.2.0/24'), 'permit');
    assert.equal(filter.evaluate('192.0.2.0/24'), 'deny');
    assert.equal(filter.permits('10.244.2.0/24'), true);
    assert.equal(f([], 'permit').evaluate('192.0.2.0/24'), 'permit');
    assert.equal(PrefixFilter.permitAll().permits('2001:db8::/32'), true);
    assert.equal(PrefixFilter.denyAll().permits('2001:db8::/32'), false);
  });

  it('malformed prefixes on the data path are denied, never thrown', () => {
    const filter = f([{ prefix: '0.0.0.0/0', le: 32, action: 'permit' }], 'permit');
    assert.equal(filter.evaluate('10.0.0.1/8'), 'deny');
    assert.equal(filter.evaluate('garbage'), 'deny');
    for (const bad of [
      '010.0.0.0/8',
      '10.0.0.0/08',
      '10.0.0.0/',
      '10.0.0/8',
      '10.0.0.0.0/8',
      '10.0.0.0/33',
      '10.0.0.256/32',
      '10.0.0.0/8/8',
      '.10.0.0/8',
      '10.0.0.0/-1',
      '10.0.0.0/1000',
    ]) {
      assert.equal(filter.evaluate(bad), 'deny', bad);
    }
    for (const good of ['0.0.0.0/0', '255.255.255.255/32', '10.0.0.0/8', '192.0.2.128/25'])
      assert.equal(filter.evaluate(good), 'permit', good);
  });

  it('rejects bad rules with errors naming the rule', () => {
    const bad: [PrefixRule, RegExp][] = [
      [{ prefix: '10.0.0.0/8', ge: 7, action: 'permit' }, /rule 2 \("10.0.0.0\/8"\): ge 7 must be an integer in 8..32/],
      [{ prefix: '10.0.0.0/8', le: 33, action: 'permit' }, /le 33 must be an integer in 8..32/],
      [{ prefix: '10.0.0.0/8', ge: 24, le: 16, action: 'permit' }, /ge 24 is greater than le 16/],
      [{ prefix: '10.0.0.0/8', ge: 8.5, action: 'permit' }, /ge 8.5/],
      [{ prefix: '10.0.0.1/8', action: 'permit' }, /host bits set/],
      [{ prefix: '2001:db8::/32', le: 129, action: 'permit' }, /le 129 must be an integer in 32..128/],
      [{ prefix: '10.0.0.0/8', action: 'allow' as 'permit' }, /action must be permit or deny/],
      [{ prefix: '10.0.0.0/8', community: '65536:1', action: 'deny' }, /community "65536:1" is not ASN:VALUE/],
      [{ prefix: '10.0.0.0/8', largeCommunity: '1:2', action: 'deny' }, /largeCommunity "1:2" is not GLOBAL:LOCAL1/],
    ];
    for (const [rule, msg] of bad) {
      assert.throws(
        () => f([{ prefix: '192.0.2.0/24', action: 'permit' }, rule]),
        (e: unknown) =>
          e instanceof BgpError &&
          e.code === 'ERR_GANNET_BGP_INVALID_POLICY' &&
          msg.test(e.message) &&
          /^rule 2 /.test(e.message),
        String(msg),
      );
    }
    assert.throws(() => new PrefixFilter({ rules: [], defaultAction: 'maybe' as 'deny' }), /defaultAction/);
  });

  describe('rules on communities', () => {
    const rules: PrefixRule[] = [
      { prefix: '10.0.0.0/8', le: 32, community: '65000:666', action: 'deny' },
      { prefix: '10.0.0.0/8', le: 32, largeCommunity: '65000:0:666', action: 'deny' },
      { prefix: '2001:db8::/32', le: 128, community: 'no-export', action: 'deny' },
      { prefix: '0.0.0.0/0', le: 32, action: 'permit' },
      { prefix: '::/0', le: 128, action: 'permit' },
    ];
    const filter = f(rules);
    const tagged = { communities: [0xfde80001, 0xfde8029a] }; // 65000:1, 65000:666

    it('a rule naming a community matches only routes that carry it', () => {
      assert.equal(filter.evaluate('10.1.0.0/16', tagged), 'deny');
      assert.equal(filter.evaluate('10.1.0.0/16', { communities: [0xfde80001] }), 'permit');
      assert.equal(filter.evaluate('10.1.0.0/16', {}), 'permit');
      assert.equal(filter.evaluate('10.1.0.0/16'), 'permit'); // no attributes: such rules never match
      assert.equal(filter.evaluate('192.168.0.0/16', tagged), 'permit'); // the prefix must match too
      // the allocation-free IPv4 path agrees
      assert.equal(filter.permitsIPv4(0x0a010000, 16, tagged), false);
      assert.equal(filter.permitsIPv4(0x0a010000, 16, { communities: [1] }), true);
    });

    it('large communities compare all three parts', () => {
      assert.equal(filter.evaluate('10.2.0.0/16', { largeCommunities: [[65000, 0, 666]] }), 'deny');
      assert.equal(filter.evaluate('10.2.0.0/16', { largeCommunities: [[65000, 1, 666]] }), 'permit');
      assert.equal(filter.evaluate('10.2.0.0/16', { largeCommunities: [[65000, 0, 667]] }), 'permit');
    });

    it('IPv6 and well-known names', () => {
      assert.equal(filter.evaluate('2001:db8:1::/48', { communities: [0xffffff01] }), 'deny');
      assert.equal(filter.evaluate('2001:db8:1::/48', { communities: [0xffffff02] }), 'permit');
    });

    it('a rule with both needs both', () => {
      const both = f([{ prefix: '0.0.0.0/0', le: 32, community: '1:1', largeCommunity: '1:1:1', action: 'permit' }]);
      assert.equal(both.evaluate('10.0.0.0/8', { communities: [0x10001] }), 'deny');
      assert.equal(both.evaluate('10.0.0.0/8', { communities: [0x10001], largeCommunities: [[1, 1, 1]] }), 'permit');
    });
  });
});
