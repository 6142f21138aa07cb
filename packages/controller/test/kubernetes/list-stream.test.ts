// ListItemsParser: a list answer parsed item by item, whatever the chunk boundaries, equals JSON.parse of the whole.
import assert from 'node:assert/strict';
import { ListItemsParser } from '../../src/kubernetes/list-stream.js';
import { WatchClient } from '../../src/kubernetes/watch-client.js';
import { FakeApiServer } from './fake-apiserver.js';
import { apiPod, POLICY_RESOURCES } from './fake-pods.js';
import { kubeConfigFor } from './helpers.js';

/** A small deterministic generator (tests must not depend on Math.random). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function parseInChunks(text: string, cut: () => number, onItem?: (raw: unknown) => unknown) {
  const p = new ListItemsParser(onItem);
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(cut() * 40);
    p.write(text.slice(i, i + n));
    i += n;
  }
  return p.end();
}

const TRICKY = {
  kind: 'PodList',
  apiVersion: 'v1',
  metadata: { resourceVersion: '123', note: 'a "quoted" ]} [{ string \\ with "items":[1] inside' },
  items: [
    { metadata: { name: 'a', annotations: { x: '}]"{[', y: '\\"', items: '[{' } }, spec: { list: [[1, [2]], {}] } },
    { metadata: { name: 'ünïcødé-名前-😀' }, spec: { e: '', n: null, t: true, f: 1.5e3 } },
    {},
    { items: [{ nested: 'not top-level' }] },
  ],
};

describe('kubernetes/ListItemsParser', () => {
  it('equals JSON.parse for any chunking (200 random splits), strings with brackets, quotes, escapes, unicode', () => {
    const text = JSON.stringify(TRICKY, null, 1);
    const r = rng(7);
    for (let k = 0; k < 200; k++) assert.deepEqual(parseInChunks(text, r), TRICKY);
    assert.deepEqual(
      parseInChunks(JSON.stringify(TRICKY), () => 0),
      TRICKY,
      'one character at a time',
    );
  });

  it('items first or last, empty, null or missing; each item goes through onItem', () => {
    const seen: string[] = [];
    const out = parseInChunks(
      '{"items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}],"metadata":{"resourceVersion":"9"}}',
      () => 0.3,
      (raw) => {
        const name = (raw as { metadata: { name: string } }).metadata.name;
        seen.push(name);
        return name.toUpperCase();
      },
    );
    assert.deepEqual(out, { items: ['A', 'B'], metadata: { resourceVersion: '9' } });
    assert.deepEqual(seen, ['a', 'b']);
    assert.deepEqual(
      parseInChunks('{"items":[],"kind":"X"}', () => 0.5),
      { items: [], kind: 'X' },
    );
    assert.deepEqual(
      parseInChunks('{"items":null}', () => 0.5),
      { items: [] },
    );
    assert.deepEqual(
      parseInChunks('{"kind":"items","metadata":{}}', () => 0.5),
      {
        kind: 'items',
        metadata: {},
        items: [],
      },
    );
  });

  it('malformed or cut text throws', () => {
    assert.throws(() => parseInChunks('{"items":[{"a":1}', () => 0.5), /ends before/);
    assert.throws(() => parseInChunks('{"items":[{"a":}]}', () => 0.5), SyntaxError);
    assert.throws(() => parseInChunks('[1,2]', () => 0.5), /not a JSON object/);
    assert.throws(() => parseInChunks('{"kind":"x",}', () => 0.5), SyntaxError);
  });

  it('WatchClient.list with item: the same answer as without, each item transformed', async () => {
    const server = await FakeApiServer.start(POLICY_RESOURCES, { audit: false });
    try {
      for (let i = 0; i < 300; i++)
        server.put('pods', apiPod(`ns${i % 7}`, `p${i}`, { ips: [`10.244.${i >> 8}.${i & 255}`] }));
      const client = new WatchClient(kubeConfigFor(server.url));
      const whole = await client.list<{ items: { metadata: { name: string } }[]; metadata: unknown }>(
        '/api/v1/pods',
        {},
      );
      const streamed = await client.list<{ items: string[]; metadata: unknown }>(
        '/api/v1/pods',
        {},
        { item: (raw) => (raw as { metadata: { name: string } }).metadata.name },
      );
      assert.deepEqual(streamed.metadata, whole.metadata);
      assert.deepEqual(
        streamed.items,
        whole.items.map((p) => p.metadata.name),
      );
      assert.equal(streamed.items.length, 300);
      server.failNext('list', 'pods', 500);
      await assert.rejects(client.list('/api/v1/pods', {}, { item: (x) => x }), /injected 500/);
      client.destroy();
    } finally {
      await server.close();
    }
  });
});
