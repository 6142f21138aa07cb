// Property tests: the word-based matcher agrees with a plain BigInt reference on random IPv4/IPv6 prefixes and
// rules, and IPv6 text round-trips through parse/format.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatIPv6, parseIPv6, tryParsePrefix } from '../../src/policy/ip-prefix.js';
import { PrefixFilter } from '../../src/policy/prefix-filter.js';

function toBig(words: readonly number[]): bigint {
  return words.reduce((acc, w) => (acc << 32n) | BigInt(w >>> 0), 0n);
}

function maskBig(v: bigint, len: number, bits: number): bigint {
  return len === 0 ? 0n : (v >> BigInt(bits - len)) << BigInt(bits - len);
}

function text(afi: 1 | 2, v: bigint, len: number): string {
  if (afi === 1) {
    const n = Number(v);
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}/${len}`;
  }
  const words = [0, 1, 2, 3].map((i) => Number((v >> BigInt(96 - 32 * i)) & 0xffffffffn));
  return `${formatIPv6(words)}/${len}`;
}

const prefixArb = (afi: 1 | 2) => {
  const bits = afi === 1 ? 32 : 128;
  return fc
    .record({ v: fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), len: fc.integer({ min: 0, max: bits }) })
    .map(({ v, len }) => ({ afi, v: maskBig(v, len, bits), len, bits }));
};

describe('prefix matching properties (fast-check)', () => {
  for (const afi of [1, 2] as const) {
    it(`IPv${afi === 1 ? 4 : 6}: PrefixFilter agrees with a BigInt reference`, () => {
      fc.assert(
        fc.property(prefixArb(afi), prefixArb(afi), fc.nat(), fc.nat(), fc.boolean(), (rule, cand, a, b, related) => {
          // Half the time derive the candidate from the rule so that containment actually happens.
          if (related && cand.len >= rule.len) {
            const hostMask = (1n << BigInt(rule.bits - rule.len)) - 1n;
            cand = { ...cand, v: maskBig(rule.v | (cand.v & hostMask), cand.len, cand.bits) };
          }
          const ge = rule.len + (a % (rule.bits - rule.len + 1));
          const le = ge + (b % (rule.bits - ge + 1));
          const filter = new PrefixFilter({
            rules: [{ prefix: text(afi, rule.v, rule.len), ge, le, action: 'permit' }],
          });
          const inside = cand.len >= rule.len && maskBig(cand.v, rule.len, rule.bits) === rule.v;
          const expected = inside && cand.len >= ge && cand.len <= le;
          assert.equal(filter.permits(text(afi, cand.v, cand.len)), expected);
        }),
        { numRuns: 2000 },
      );
    });
  }

  it('IPv6 parse ∘ format is the identity on words, and parsing the canonical text is stable', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(0, 0, 0, 1, 0xffff, 0x10000, 0xdeadbeef, 0xffffffff), { minLength: 4, maxLength: 4 }),
        (words) => {
          const t = formatIPv6(words);
          assert.deepEqual(
            parseIPv6(t),
            words.map((w) => w >>> 0),
          );
          assert.equal(tryParsePrefix(`${t}/128`)?.text, `${t}/128`);
          assert.equal(toBig(parseIPv6(t) ?? []), toBig(words));
        },
      ),
      { numRuns: 500 },
    );
  });
});
