// KubernetesSource's reflectors doing what client-go's do, against the fake API server: relists from the watch cache
// after 410 and after an API server restart, the consistent-read fallback, randomised watch timeouts, bookmarks at
// the end of a watch, and Retry-After on 429.
import assert from 'node:assert/strict';
import { eventually, node, settle } from './helpers.js';
import { type Rig, rig } from './source-rig.js';

const sum = (r: Rig, k: 'lists' | 'quorumLists' | 'relistsAfterGone' | 'bookmarks') =>
  Object.values(r.source.reflectors).reduce((n, x) => n + x.stats[k], 0);

/** A write none of the watched resources sees: every reflector's resourceVersion is now behind the server's. */
const bump = (r: Rig) => r.server.put('gannetnodestatuses', { metadata: { name: `bump-${r.server.resourceVersion}` } });

describe('kubernetes/KubernetesSource: reflectors as client-go does them', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
  });

  it('draws each watch timeout in [5, 10) minutes; the old behaviour asks every watch for 300 s', async () => {
    const draws = [0, 0.5, 0.999, 0.25, 0.75, 0.1];
    r = await rig({ source: { random: () => draws.shift() ?? 0 } });
    r.server.endWatches();
    r.clock.advance(10_000); // a clean end right after the start goes through backoff
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    const timeouts = r.server.calls.filter((c) => c.verb === 'watch').map((c) => c.timeoutSeconds!);
    assert.deepEqual(
      [...timeouts].sort((a, b) => a - b),
      [300, 330, 375, 450, 525, 599],
    );
    await r.server.close();
    r.source.stop();
    r = await rig({ source: { watchTimeoutJitter: false } });
    assert.deepEqual(
      r.server.calls.filter((c) => c.verb === 'watch').map((c) => c.timeoutSeconds),
      [300, 300, 300],
    );
  });

  it('an API server restart: watches come back from the watch cache, etcd is not read', async () => {
    r = await rig();
    r.server.put('nodes', node('node4', '172.30.0.4', ['10.244.4.0/24']));
    await eventually(() => assert.equal(r!.configs.length, 2));
    bump(r);
    r.server.restart();
    r.server.put('nodes', node('node5', '172.30.0.5', ['10.244.5.0/24'])); // a change while we reconnect
    await eventually(() => assert.equal(sum(r!, 'relistsAfterGone'), 3), 'every watch got 410 and relisted');
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    await eventually(() => assert.equal(r!.configs.length, 3), 'the change arrives');
    assert.equal(r.server.load.quorumLists, 0, 'no quorum read');
    const relists = r.server.calls.filter((c) => c.verb === 'list' && c.resourceVersion !== '0');
    assert.equal(relists.length, 3);
    assert.ok(relists.every((c) => c.resourceVersionMatch === 'NotOlderThan'));
  });

  it('relists after a 410 not at once but after 0.8–1.6 s, as client-go, so a restart does not bring every agent at once', async () => {
    r = await rig({ source: { relistDelayMs: 800, random: () => 0.5 } });
    bump(r);
    r.server.restart();
    await eventually(() => assert.equal(sum(r!, 'relistsAfterGone'), 3));
    r.clock.advance(1199);
    await settle(30);
    assert.equal(sum(r, 'lists'), 3, 'not before 800 × 1.5 ms');
    r.clock.advance(1);
    await eventually(() => assert.equal(sum(r!, 'lists'), 6));
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
  });

  it("the old behaviour (relistFrom 'quorum') reads etcd once per resource after the same restart", async () => {
    r = await rig({ source: { relistFrom: 'quorum' } });
    bump(r);
    r.server.restart();
    await eventually(() => assert.equal(sum(r!, 'relistsAfterGone'), 3));
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(r.server.load.quorumLists, 3);
    assert.equal(sum(r, 'quorumLists'), 3);
  });

  it('falls back to a consistent read when the cache cannot serve the resourceVersion (504 too large), once', async () => {
    r = await rig();
    r.server.failNext('list', 'nodes', 504, {
      details: { causes: [{ reason: 'ResourceVersionTooLarge', message: 'Too large resource version' }] },
    });
    bump(r);
    r.server.compact();
    r.server.dropWatches();
    await eventually(() => assert.equal(r!.server.load.quorumLists, 1), 'quorum read after the 504');
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.deepEqual(
      r.server.calls
        .filter((c) => c.verb === 'list' && c.resource === 'nodes')
        .map((c) => [c.status, c.resourceVersionMatch ?? c.resourceVersion ?? 'quorum']),
      [
        [200, '0'],
        [504, 'NotOlderThan'],
        [200, 'quorum'],
      ],
    );
    assert.deepEqual(r.errors, [], 'a fallback, not a failure');
    // the next relist goes to the cache again
    bump(r);
    r.server.compact();
    r.server.dropWatches(); // a second drop in a row goes through the backoff
    await eventually(() => assert.equal(r!.clock.pending(), 3));
    r.clock.advance(1000);
    await eventually(() => assert.equal(sum(r!, 'relistsAfterGone'), 6));
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(r.server.load.quorumLists, 1);
  });

  it('waits for the Retry-After of a 429 (list or watch) when it is longer than its backoff', async () => {
    r = await rig({ source: { random: () => 0 } }); // no spread: Retry-After exactly
    r.server.failNext('list', 'nodes', 429, { retryAfter: 20 });
    r.server.failNext('watch', 'bgppeers', 429, { retryAfter: 15 });
    bump(r);
    r.server.compact();
    r.server.dropWatches();
    await eventually(() => assert.equal(r!.server.watchCount(), 1), 'configurations back at once');
    await eventually(() => assert.equal(r!.clock.pending(), 2), 'nodes and peers wait');
    r.clock.advance(14_999);
    await settle(30);
    assert.equal(r.server.watchCount(), 1, 'not before Retry-After (the backoff is 1 s)');
    r.clock.advance(1);
    await eventually(() => assert.equal(r!.server.watchCount('bgppeers'), 1));
    r.clock.advance(4_999);
    await settle(30);
    assert.equal(r.server.watchCount('nodes'), 0);
    r.clock.advance(1);
    await eventually(() => assert.equal(r!.server.watchCount('nodes'), 1));
    assert.deepEqual(
      r.errors.map((e) => e.code),
      ['ERR_GANNET_K8S_UNREACHABLE', 'ERR_GANNET_K8S_UNREACHABLE'],
    );
  });

  it('spreads the agents a 429 turned away over [Retry-After, 1.25 × Retry-After)', async () => {
    r = await rig({ source: { random: () => 0.999 } });
    r.server.failNext('list', 'nodes', 429, { retryAfter: 20 });
    bump(r);
    r.server.compact();
    r.server.dropWatches();
    await eventually(() => assert.equal(r!.server.watchCount(), 2));
    await eventually(() => assert.equal(r!.clock.pending(), 1));
    r.clock.advance(24_994);
    await settle(30);
    assert.equal(r.server.watchCount('nodes'), 0, 'not before 20 s × (1 + 0.25 × 0.999) = 24.995 s');
    r.clock.advance(1);
    await eventually(() => assert.equal(r!.server.watchCount('nodes'), 1));
  });

  it('a watch ended by its timeout leaves a bookmark: resumed without a relist even after a compaction', async () => {
    r = await rig({ serverClock: true, source: { random: () => 0 } });
    r.server.put('bgppeers', { metadata: { name: 'x' }, spec: { peerAddress: '192.0.2.9', asn: 65009 } });
    await eventually(() => assert.equal(r!.source.reflectors.peers.items.size, 2));
    r.clock.advance(300_000); // every watch ends after its 300 s, each with a last bookmark
    await eventually(() => assert.equal(sum(r!, 'bookmarks'), 3));
    r.server.compact();
    await eventually(() => assert.equal(r!.server.watchCount(), 3));
    assert.equal(sum(r, 'lists'), 3, 'no relist');
    assert.equal(r.source.reflectors.nodes.resourceVersion, String(r.server.resourceVersion));
  });
});
