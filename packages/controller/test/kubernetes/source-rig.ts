// The rig of the KubernetesSource tests: a seeded fake API server, a fake clock, and the source under test.
import assert from 'node:assert/strict';
import type { AgentConfig, PeerConfig } from '../../src/config/types.js';
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import { KubernetesSource, type KubernetesSourceOptions } from '../../src/kubernetes/kubernetes-source.js';
import { FakeApiServer } from './fake-apiserver.js';
import { bgpPeer, CountingBackoff, eventually, FakeClock, kubeConfigFor, node, RESOURCES } from './helpers.js';

export interface Rig {
  server: FakeApiServer;
  clock: FakeClock;
  source: KubernetesSource;
  configs: AgentConfig[];
  errors: KubernetesError[];
}

export const TOR = bgpPeer('tor-a', {
  peerAddress: '192.0.2.1',
  asn: 65000,
  nodeSelector: 'rack == a',
  holdTime: 30,
  maxPrefixes: 500,
  gracefulRestart: false,
});

function seed(server: FakeApiServer): void {
  server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24'], { rack: 'a' }));
  server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24'], { rack: 'a' }));
  server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24'], { rack: 'b' }));
  server.put('bgpconfigurations', {
    metadata: { name: 'default' },
    spec: { asn: 64512, clusterCIDRs: ['10.244.0.0/16'] },
  });
  server.put('bgppeers', TOR);
}

export async function rig(
  opts: {
    seed?: boolean;
    start?: boolean;
    resources?: typeof RESOURCES;
    /** Options of the source under test (over the rig's). */
    source?: Partial<KubernetesSourceOptions>;
    /** The server's watch timeouts run on the rig's fake clock too. */
    serverClock?: boolean;
  } = {},
): Promise<Rig> {
  const clock = new FakeClock();
  const server = await FakeApiServer.start(opts.resources ?? RESOURCES, opts.serverClock ? { clock } : {});
  if (opts.seed !== false) seed(server);
  const source = new KubernetesSource({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node1',
    clock,
    backoff: () => new CountingBackoff(1000),
    relistDelayMs: 0, // relist at once after 410 unless a test looks at the delay
    ...opts.source,
  });
  const configs: AgentConfig[] = [];
  const errors: KubernetesError[] = [];
  source.on('config', (c) => configs.push(c));
  source.on('error', (e) => errors.push(e));
  if (opts.start !== false) {
    await source.start();
    await eventually(() => assert.equal(server.watchCount(), 3), 'three watches');
  }
  return { server, clock, source, configs, errors };
}

export const byAddress = (c: AgentConfig) => new Map(c.peers.map((p) => [p.address, p]));

/** The peers that differ between two configs: added, removed, changed (by address). */
export function peerDiff(a: AgentConfig, b: AgentConfig): { added: string[]; removed: string[]; changed: string[] } {
  const pa = byAddress(a);
  const pb = byAddress(b);
  const same = (x: PeerConfig, y: PeerConfig) => JSON.stringify(x) === JSON.stringify(y);
  return {
    added: [...pb.keys()].filter((k) => !pa.has(k)),
    removed: [...pa.keys()].filter((k) => !pb.has(k)),
    changed: [...pb.keys()].filter((k) => pa.has(k) && !same(pa.get(k)!, pb.get(k)!)),
  };
}
