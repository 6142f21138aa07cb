// The rig of the NodeStatusWriter tests: the fake API server with our Node in it, a fake clock, the writer.
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import {
  NodeStatusWriter,
  type NodeStatusWriterOptions,
  type SessionStatus,
} from '../../src/kubernetes/node-status-writer.js';
import { FakeApiServer } from './fake-apiserver.js';
import { CountingBackoff, FakeClock, kubeConfigFor, node, RESOURCES } from './helpers.js';

export const PLURAL = 'gannetnodestatuses';

export function session(address: string, state = 'Established', over: Partial<SessionStatus> = {}): SessionStatus {
  return {
    address,
    asn: 64512,
    state,
    uptimeSeconds: 42,
    lastError: null,
    prefixesReceived: 1,
    prefixesAccepted: 1,
    prefixesAdvertised: 1,
    ...over,
  };
}

export const report = (sessions: SessionStatus[], advertisedPrefixes = ['10.244.1.0/24']) => ({
  sessions,
  advertisedPrefixes,
  asn: 64512,
  routerId: '172.30.0.1',
});

export interface StatusRig {
  server: FakeApiServer;
  clock: FakeClock;
  writer: NodeStatusWriter;
  errors: KubernetesError[];
  /** The uid of node1 as the server has it now (what KubernetesSource.nodeUid would read from its copy). */
  uid: () => string | undefined;
}

export async function statusRig(over: Partial<NodeStatusWriterOptions> = {}): Promise<StatusRig> {
  const server = await FakeApiServer.start(RESOURCES);
  server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
  const clock = new FakeClock();
  const uid = () => server.get('nodes', 'node1')?.metadata.uid as string | undefined;
  const writer = new NodeStatusWriter({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node1',
    nodeUid: uid,
    clock,
    wallClock: () => clock.now(),
    backoff: new CountingBackoff(2000),
    minIntervalMs: 5000,
    heartbeatMs: 60_000,
    ...over,
  });
  const errors: KubernetesError[] = [];
  writer.on('error', (e) => errors.push(e));
  return { server, clock, writer, errors, uid };
}
