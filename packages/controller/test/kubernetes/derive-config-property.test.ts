// Properties of the derivation that make "no flaps" hold whatever order the API server lists objects in.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { type ClusterSnapshot, deriveAgentConfig } from '../../src/kubernetes/derive-config.js';
import type { BgpPeerObject, NodeObject } from '../../src/kubernetes/resources.js';
import { bgpPeer, node } from './helpers.js';

const arbNodes = fc
  .uniqueArray(fc.integer({ min: 2, max: 250 }), { minLength: 0, maxLength: 30 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.constantFrom('a', 'b', 'c'), { minLength: ids.length, maxLength: ids.length }),
    ),
  )
  .map(([ids, racks]) => [
    node('self', '10.0.0.1', ['10.244.1.0/24'], { rack: 'a' }) as NodeObject,
    ...ids.map((i, k) => node(`n${i}`, `10.0.0.${i}`, [`10.244.${i}.0/24`], { rack: racks[k]! }) as NodeObject),
  ]);

const arbPeers = fc
  .uniqueArray(fc.integer({ min: 1, max: 40 }), { maxLength: 8 })
  .chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.constantFrom('', 'rack == a', 'rack in (b, c)', '!rack'), {
        minLength: ids.length,
        maxLength: ids.length,
      }),
    ),
  )
  .map(([ids, selectors]) =>
    ids.map(
      (i, k) =>
        bgpPeer(`p${i}`, { peerAddress: `192.0.2.${i}`, asn: 65000 + i, nodeSelector: selectors[k] }) as BgpPeerObject,
    ),
  );

function snap(nodes: NodeObject[], peers: BgpPeerObject[]): ClusterSnapshot {
  return {
    nodeName: 'self',
    nodes,
    peers,
    configurations: [{ metadata: { name: 'default' }, spec: { clusterCIDRs: ['10.244.0.0/16'] } }],
    apiListen: '127.0.0.1:9179',
    listenAddress: '0.0.0.0',
  };
}

describe('kubernetes/deriveAgentConfig properties', () => {
  it('the config does not depend on the order of the lists', () => {
    fc.assert(
      fc.property(arbNodes, arbPeers, fc.infiniteStream(fc.nat()), (nodes, peers, seeds) => {
        const shuffle = <T>(xs: T[]) =>
          xs
            .map((x) => ({ x, k: seeds.next().value as number }))
            .sort((a, b) => a.k - b.k)
            .map((p) => p.x);
        const a = deriveAgentConfig(snap(nodes, peers)).config;
        const b = deriveAgentConfig(snap(shuffle(nodes), shuffle(peers))).config;
        assert.deepEqual(b, a);
      }),
      { numRuns: 200 },
    );
  });

  it('a node leaving removes exactly its mesh peer and changes nothing else', () => {
    fc.assert(
      fc.property(arbNodes, arbPeers, fc.nat(), (nodes, peers, pick) => {
        fc.pre(nodes.length > 1);
        const gone = nodes[1 + (pick % (nodes.length - 1))]!;
        const before = deriveAgentConfig(snap(nodes, peers)).config!;
        const after = deriveAgentConfig(
          snap(
            nodes.filter((n) => n !== gone),
            peers,
          ),
        ).config!;
        const removed = before.peers.filter((p) => !after.peers.some((q) => JSON.stringify(q) === JSON.stringify(p)));
        assert.deepEqual(
          removed.map((p) => p.source),
          [`mesh:${gone.metadata!.name}`],
        );
        assert.equal(after.peers.length, before.peers.length - 1);
        const { peers: _a, ...restBefore } = before;
        const { peers: _b, ...restAfter } = after;
        assert.deepEqual(restAfter, restBefore);
      }),
      { numRuns: 200 },
    );
  });

  it('BGPPeers apply exactly where their selector matches our labels', () => {
    fc.assert(
      fc.property(arbNodes, arbPeers, (nodes, peers) => {
        const config = deriveAgentConfig(snap(nodes, peers)).config!;
        const applied = config.peers.filter((p) => p.source?.startsWith('BGPPeer/')).map((p) => p.source);
        // our labels: rack=a (see arbNodes)
        const expected = peers
          .filter((p) => ['', 'rack == a'].includes(p.spec!.nodeSelector!))
          .map((p) => `BGPPeer/${p.metadata!.name}`)
          .sort();
        assert.deepEqual([...applied].sort(), expected);
      }),
      { numRuns: 200 },
    );
  });
});
