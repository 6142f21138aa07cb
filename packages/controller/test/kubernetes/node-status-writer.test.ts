// NodeStatusWriter writing through the real @kubernetes/client-node to the fake API server.
import assert from 'node:assert/strict';
import type { KubernetesError } from '../../src/kubernetes/kubernetes-error.js';
import { NodeStatusWriter, type SessionStatus } from '../../src/kubernetes/node-status-writer.js';
import { FakeApiServer } from './fake-apiserver.js';
import { CountingBackoff, eventually, FakeClock, kubeConfigFor, RESOURCES, settle } from './helpers.js';

const PLURAL = 'gannetnodestatuses';

function session(address: string, state = 'Established', over: Partial<SessionStatus> = {}): SessionStatus {
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

interface Rig {
  server: FakeApiServer;
  clock: FakeClock;
  writer: NodeStatusWriter;
  errors: KubernetesError[];
}

async function rig(opts: { nodeUid?: string } = {}): Promise<Rig> {
  const server = await FakeApiServer.start(RESOURCES);
  const clock = new FakeClock();
  const writer = new NodeStatusWriter({
    kubeConfig: kubeConfigFor(server.url),
    nodeName: 'node1',
    clock,
    backoff: new CountingBackoff(2000),
    minIntervalMs: 5000,
    heartbeatMs: 60_000,
    ...(opts.nodeUid ? { nodeUid: opts.nodeUid } : {}),
  });
  const errors: KubernetesError[] = [];
  writer.on('error', (e) => errors.push(e));
  return { server, clock, writer, errors };
}

const report = (sessions: SessionStatus[], advertisedPrefixes = ['10.244.1.0/24']) => ({
  sessions,
  advertisedPrefixes,
  asn: 64512,
  routerId: '172.30.0.1',
});

describe('kubernetes/NodeStatusWriter against the fake API server', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.writer.stop();
    await r?.server.close();
    r = undefined;
  });

  it('creates the node status object with every session, owned by the Node', async () => {
    r = await rig({ nodeUid: 'uid-node1' });
    r.writer.update(
      report([
        session('172.30.0.3', 'Active', { uptimeSeconds: 0, lastError: 'connect ECONNREFUSED', prefixesReceived: 0 }),
        session('172.30.0.2', 'Established', { uptimeSeconds: 3600 }),
      ]),
    );
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const obj = r.server.get(PLURAL, 'node1')!;
    assert.deepEqual(obj.metadata.ownerReferences, [
      { apiVersion: 'v1', kind: 'Node', name: 'node1', uid: 'uid-node1' },
    ]);
    assert.equal(obj.kind, 'GannetNodeStatus');
    assert.deepEqual(obj.status, {
      node: 'node1',
      asn: 64512,
      routerId: '172.30.0.1',
      sessionsEstablished: 1,
      sessionsTotal: 2,
      prefixesAccepted: 2,
      advertisedCount: 1,
      summary: '172.30.0.2=Established(60m,1pfx) 172.30.0.3=Active',
      lastError: '172.30.0.3: connect ECONNREFUSED',
      sessions: [
        { ...session('172.30.0.2', 'Established', { uptimeSeconds: 3600 }) },
        {
          ...session('172.30.0.3', 'Active', {
            uptimeSeconds: 0,
            lastError: 'connect ECONNREFUSED',
            prefixesReceived: 0,
          }),
        },
      ],
      advertisedPrefixes: ['10.244.1.0/24'],
      updatedAt: new Date(r.clock.now()).toISOString(),
    });
    assert.deepEqual(
      r.server.calls.map((c) => `${c.verb} ${c.status}`),
      ['get 404', 'create 201'],
    );
  });

  it('is rate-limited: a burst of updates becomes one write of the newest status', async () => {
    r = await rig();
    r.writer.update(report([session('172.30.0.2', 'Connect')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    for (const state of ['OpenSent', 'OpenConfirm', 'Established', 'Idle', 'Established']) {
      r.writer.update(report([session('172.30.0.2', state)]));
    }
    r.clock.advance(4999);
    await settle(30);
    assert.equal(r.writer.stats.writes, 1, 'nothing before the interval is over');
    r.clock.advance(1);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    await settle(30);
    assert.equal(r.writer.stats.writes, 2);
    const status = r.server.get(PLURAL, 'node1')!.status;
    assert.equal(status.sessions[0].state, 'Established');
    assert.equal(r.server.calls.filter((c) => c.verb === 'update').length, 1);
  });

  it('skips a write when only uptimes changed, until the heartbeat', async () => {
    r = await rig();
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    r.clock.advance(10_000);
    r.writer.update(report([session('172.30.0.2', 'Established', { uptimeSeconds: 52 })]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.skipped, 1));
    r.clock.advance(50_000);
    r.writer.update(report([session('172.30.0.2', 'Established', { uptimeSeconds: 102 })]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].uptimeSeconds, 102);
  });

  it('retries on 409 Conflict with the current resourceVersion', async () => {
    r = await rig();
    r.writer.update(report([session('172.30.0.2', 'Active')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    // someone else (an admin, a previous pod of ours) touched the object: our resourceVersion is stale
    const other = r.server.get(PLURAL, 'node1')!;
    r.server.put(PLURAL, { ...other, metadata: { ...other.metadata, labels: { touched: 'yes' } } });
    r.clock.advance(5000);
    r.writer.update(report([session('172.30.0.2', 'Established')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    assert.equal(r.writer.stats.conflicts, 1);
    assert.deepEqual(
      r.server.calls.slice(2).map((c) => `${c.verb} ${c.status}`),
      ['update 409', 'get 200', 'update 200'],
    );
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].state, 'Established');
    assert.deepEqual(r.errors, []);
  });

  it('recreates the object when it was deleted under us', async () => {
    r = await rig();
    r.writer.update(report([session('172.30.0.2', 'Active')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    r.server.remove(PLURAL, 'node1');
    r.clock.advance(5000);
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    assert.deepEqual(
      r.server.calls.slice(2).map((c) => `${c.verb} ${c.status}`),
      ['update 404', 'get 404', 'create 201'],
    );
  });

  it('gives up after its conflict retries and tries again later', async () => {
    r = await rig();
    r.writer.update(report([session('172.30.0.2')]));
    for (let i = 0; i < 6; i++) r.server.failNext('create', PLURAL, 409);
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_STATUS_WRITE');
    assert.match(r.errors[0]!.message, /write gannetnodestatuses\/node1: still conflicting after 6 attempts/);
    r.clock.advance(5000);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
  });

  it('keeps the newest status through an outage, reports once, and writes it when the API is back', async () => {
    r = await rig();
    await r.server.outage();
    r.writer.update(report([session('172.30.0.2', 'Active')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_UNREACHABLE');
    r.writer.update(report([session('172.30.0.2', 'Established')]));
    for (let i = 0; i < 5; i++) {
      r.clock.advance(5000);
      await eventually(() => assert.equal(r!.writer.stats.failures, i + 2));
    }
    assert.equal(r.errors.length, 1, 'one report for the whole outage');
    await r.server.restore();
    r.clock.advance(5000);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].state, 'Established');
  });

  it('reports 403 as a forbidden error naming the call', async () => {
    r = await rig();
    r.server.forbid('create', PLURAL);
    r.writer.update(report([]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_FORBIDDEN');
    assert.match(r.errors[0]!.message, /^write gannetnodestatuses\/node1: forbidden \(HTTP 403\)/);
  });

  it('flush() writes at once, rate limit aside', async () => {
    r = await rig();
    r.writer.update(report([session('172.30.0.2')]));
    await r.writer.flush();
    assert.equal(r.writer.stats.writes, 1);
    r.writer.update(report([session('172.30.0.2', 'Idle')]));
    await r.writer.flush();
    assert.equal(r.writer.stats.writes, 2);
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].state, 'Idle');
  });
});
