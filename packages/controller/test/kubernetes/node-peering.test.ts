// Kubernetes mode's node-to-node peering: the full mesh, route reflectors chosen by routeReflectorSelector, and the
// mesh switched off above nodeToNodeMeshMaxNodes.
import assert from 'node:assert/strict';
import { type ClusterSnapshot, deriveAgentConfig } from '../../src/kubernetes/derive-config.js';
import type { BgpConfigurationSpec, NodeObject } from '../../src/kubernetes/resources.js';
import { reflectorExportRules, resolvePeer } from '../../src/policy.js';
import { bgpPeer, node } from './helpers.js';

const RR = { 'gannet.dev/route-reflector': 'true' };

/** Five nodes n1..n5 (10.0.0.1..5); n4 and n5 carry the reflector label when `labelled`. */
function nodes(labelled = true): NodeObject[] {
  return [1, 2, 3, 4, 5].map(
    (i) => node(`n${i}`, `10.0.0.${i}`, [`10.244.${i}.0/24`], labelled && i >= 4 ? RR : {}) as NodeObject,
  );
}

function derive(self: string, spec: BgpConfigurationSpec, list = nodes(), peers: ClusterSnapshot['peers'] = []) {
  return deriveAgentConfig({
    nodeName: self,
    nodes: list,
    peers,
    configurations: [{ metadata: { name: 'default' }, spec }],
    apiListen: '127.0.0.1:9179',
    listenAddress: '0.0.0.0',
  });
}

const SELECTOR = 'gannet.dev/route-reflector == true';

describe('kubernetes: node peering (mesh, route reflectors)', () => {
  it('no selector: the full mesh, as before', () => {
    const d = derive('n1', {});
    assert.deepEqual(
      d.config?.peers.map((p) => [p.address, p.source]),
      [2, 3, 4, 5].map((i) => [`10.0.0.${i}`, `mesh:n${i}`]),
    );
    assert.equal(d.config?.routeReflector, undefined);
  });

  it('a client node peers with the reflectors only, as a plain iBGP peer', () => {
    const d = derive('n1', { routeReflectorSelector: SELECTOR });
    assert.deepEqual(d.problems, []);
    assert.deepEqual(d.config?.peers, [
      { address: '10.0.0.4', asn: 64512, localAddress: '10.0.0.1', source: 'rr:n4' },
      { address: '10.0.0.5', asn: 64512, localAddress: '10.0.0.1', source: 'rr:n5' },
    ]);
    assert.equal(d.config?.routeReflector, undefined);
  });

  it('a reflector peers with every node: the others as clients, the other reflector as a non-client', () => {
    const d = derive('n4', { routeReflectorSelector: SELECTOR, routeReflectorClusterId: '10.255.0.1' });
    const c = d.config!;
    assert.deepEqual(c.routeReflector, { clusterId: '10.255.0.1' });
    assert.deepEqual(
      c.peers.map((p) => [p.address, p.source, p.routeReflectorClient ?? false]),
      [
        ['10.0.0.1', 'rr-client:n1', true],
        ['10.0.0.2', 'rr-client:n2', true],
        ['10.0.0.3', 'rr-client:n3', true],
        ['10.0.0.5', 'rr:n5', false],
      ],
    );
    // Its default export to every iBGP node reflects what import accepted; the speaker decides who gets what.
    for (const p of c.peers) assert.deepEqual(resolvePeer(c, p).export, reflectorExportRules());
    assert.equal(resolvePeer(c, c.peers[0]!).routeReflectorClient, true);
    // Without routeReflectorClusterId each reflector uses its own router ID.
    assert.deepEqual(derive('n4', { routeReflectorSelector: SELECTOR }).config?.routeReflector, {});
  });

  it('reflectors replace the mesh even with nodeToNodeMesh false; no labelled node: the mesh stays', () => {
    const off = derive('n1', { routeReflectorSelector: SELECTOR, nodeToNodeMesh: false });
    assert.deepEqual(
      off.config?.peers.map((p) => p.address),
      ['10.0.0.4', '10.0.0.5'],
    );
    const none = derive('n1', { routeReflectorSelector: SELECTOR }, nodes(false));
    assert.equal(none.config?.peers.length, 4);
    assert.ok(none.config?.peers.every((p) => p.source?.startsWith('mesh:')));
  });

  it('above nodeToNodeMeshMaxNodes without reflectors the mesh is off, and says so', () => {
    const d = derive('n1', { nodeToNodeMeshMaxNodes: 4 });
    assert.deepEqual(d.config?.peers, []);
    assert.deepEqual(
      d.problems.map((p) => p.message),
      [
        'BGPConfiguration/default: 5 nodes exceed spec.nodeToNodeMeshMaxNodes (4) and no node matches ' +
          'spec.routeReflectorSelector: the node-to-node mesh is off',
      ],
    );
    assert.equal(derive('n1', { nodeToNodeMeshMaxNodes: 5 }).config?.peers.length, 4, 'at the limit: still a mesh');
    // With reflectors the limit does not matter.
    assert.equal(derive('n1', { nodeToNodeMeshMaxNodes: 2, routeReflectorSelector: SELECTOR }).config?.peers.length, 2);
  });

  it('a node with another ASN (nodeASNs) is an eBGP peer of the reflector, never a client', () => {
    const d = derive('n4', { routeReflectorSelector: SELECTOR, nodeASNs: [{ node: 'n1', asn: 65001 }] });
    const n1 = d.config?.peers.find((p) => p.address === '10.0.0.1');
    assert.equal(n1?.asn, 65001);
    assert.equal(n1?.routeReflectorClient, undefined);
  });

  it('an explicit BGPPeer for a reflector’s address still wins over the derived session', () => {
    const peer = bgpPeer('rr-n4', { peerAddress: '10.0.0.4', asn: 64512, holdTime: 9 });
    const d = derive('n1', { routeReflectorSelector: SELECTOR }, nodes(), [peer as never]);
    assert.equal(d.config?.peers.find((p) => p.address === '10.0.0.4')?.holdTime, 9);
  });

  it('bad fields are reported and ignored (no node reflects, no limit, router-ID clusters)', () => {
    const d = derive('n4', {
      routeReflectorSelector: 'gannet.dev/route-reflector in (true',
      routeReflectorClusterId: '10.255.0',
      nodeToNodeMeshMaxNodes: 0,
    });
    assert.equal(d.config?.routeReflector, undefined);
    assert.equal(d.config?.peers.length, 4);
    assert.equal(d.problems.length, 3);
    assert.match(d.problems[0]!.message, /spec\.routeReflectorSelector: .*no node reflects/);
    assert.match(d.problems[1]!.message, /spec\.routeReflectorClusterId must be a dotted quad/);
    assert.match(d.problems[2]!.message, /spec\.nodeToNodeMeshMaxNodes must be an integer >= 1/);
  });

  it('a node that becomes a reflector changes identity (the agent restarts), its clients only change peers', async () => {
    const { identityChanges } = await import('../../src/agent.js');
    const before = derive('n4', {}).config!;
    const after = derive('n4', { routeReflectorSelector: SELECTOR }).config!;
    assert.deepEqual(identityChanges(before, after), ['routeReflector undefined → {}']);
    const c1 = derive('n1', {}).config!;
    const c2 = derive('n1', { routeReflectorSelector: SELECTOR }).config!;
    assert.deepEqual(identityChanges(c1, c2), []);
  });
});
