import assert from 'node:assert/strict';
import { parseLabelSelector } from '../../src/kubernetes/label-selector.js';

describe('kubernetes/parseLabelSelector', () => {
  const labels = { rack: 'a', zone: 'eu-1', 'node-role.kubernetes.io/worker': '' };
  const cases: [string, boolean][] = [
    ['', true],
    ['all()', true],
    ['rack == a', true],
    ['rack=a', true],
    ['rack = b', false],
    ['rack != b', true],
    ['missing != b', true],
    ['rack in (a, b)', true],
    ['rack in (b,c)', false],
    ['rack notin (b, c)', true],
    ['missing notin (b)', true],
    ['rack', true],
    ['!rack', false],
    ['!missing', true],
    ['node-role.kubernetes.io/worker', true],
    ['node-role.kubernetes.io/worker ==', true],
    ['rack ==', false],
    ['rack == a, zone in (eu-1, eu-2), !gpu', true],
    ['rack == a, zone == us-1', false],
  ];
  for (const [text, want] of cases) {
    it(`"${text}" → ${want}`, () => assert.equal(parseLabelSelector(text).matches(labels), want));
  }

  it('treats missing labels as an empty set', () => {
    assert.equal(parseLabelSelector('rack').matches(undefined), false);
    assert.equal(parseLabelSelector('').matches(undefined), true);
  });

  for (const bad of ['rack in (a', 'rack in ()', 'a b c', 'rack == a,', '-bad == x', 'rack == a b', 'x in ((a))']) {
    it(`rejects "${bad}" with a message naming the selector`, () => {
      assert.throws(
        () => parseLabelSelector(bad),
        (e: Error & { code?: string }) =>
          e.code === 'ERR_GANNET_K8S_INVALID_OBJECT' && e.message.startsWith(`invalid node selector "${bad.trim()}"`),
      );
    });
  }
});
