// NodeStatusWriter writing through the real @kubernetes/client-node to the fake API server: what it writes, when.
import assert from 'node:assert/strict';
import { eventually, settle } from './helpers.js';
import { PLURAL, report, type StatusRig, session, statusRig } from './status-rig.js';

describe('kubernetes/NodeStatusWriter against the fake API server', function () {
  this.timeout(10_000);
  let r: StatusRig | undefined;
  afterEach(async () => {
    r?.writer.stop();
    await r?.server.close();
    r = undefined;
  });

  it('applies the node status object with every session, owned by the Node, in one request', async () => {
    r = await statusRig();
    r.writer.update(
      report([
        session('172.30.0.3', 'Active', { uptimeSeconds: 0, lastError: 'connect ECONNREFUSED', prefixesReceived: 0 }),
        session('172.30.0.2', 'Established', { uptimeSeconds: 3600 }),
      ]),
    );
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const obj = r.server.get(PLURAL, 'node1')!;
    assert.deepEqual(obj.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'node1', uid: r.uid() }]);
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
      r.server.calls.map((c) => [c.verb, c.status, c.patchType, c.fieldManager]),
      [['patch', 201, 'application/apply-patch+yaml', 'gannet']],
    );
    assert.deepEqual(
      obj.metadata.managedFields.map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`),
      ['gannet/Apply'],
    );
  });

  it('writes a session’s BFD state, why it last went down and its downs (and nothing else of BFD)', async () => {
    r = await statusRig();
    const bfd = {
      state: 'Down' as const,
      remoteState: 'Up' as const,
      localDiag: 'control-detection-time-expired',
      remoteDiag: 'none',
      txIntervalMs: 100,
      detectTimeMs: 300,
      uptimeSeconds: 0,
      downs: 1,
    };
    r.writer.update(report([{ ...session('172.30.0.2', 'Idle'), bfd }, session('172.30.0.3', 'Established')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const sessions = r.server.get(PLURAL, 'node1')!.status.sessions;
    assert.deepEqual(sessions[0].bfd, { state: 'Down', localDiag: 'control-detection-time-expired', downs: 1 });
    assert.equal('bfd' in sessions[1], false);
  });

  it('is rate-limited: a burst of updates becomes one write of the newest status', async () => {
    r = await statusRig();
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
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].state, 'Established');
    assert.equal(r.server.calls.length, 2);
  });

  it('skips a write when only uptimes changed, and refreshes it at the heartbeat by itself', async () => {
    r = await statusRig();
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    r.clock.advance(10_000);
    r.writer.update(report([session('172.30.0.2', 'Established', { uptimeSeconds: 52 })]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.skipped, 1));
    await settle(30);
    assert.equal(r.writer.stats.writes, 1);
    r.clock.advance(50_000); // the heartbeat is due: the report held back is written without a new update()
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].uptimeSeconds, 52);
  });

  it('a change after a skipped write goes out at the rate limit, not at the heartbeat', async () => {
    r = await statusRig();
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    r.clock.advance(5000);
    r.writer.update(report([session('172.30.0.2', 'Established', { uptimeSeconds: 47 })]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.skipped, 1)); // held back for the heartbeat
    r.writer.update(report([session('172.30.0.2', 'Idle')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].state, 'Idle');
  });

  it('keeps the newest status through an outage, reports once, and writes it when the API is back', async () => {
    r = await statusRig();
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

  it('on 429 waits for the Retry-After the server asked for, not its shorter backoff', async () => {
    r = await statusRig();
    r.server.failNext('patch', PLURAL, 429, { retryAfter: 7 });
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.failures, 1));
    r.clock.advance(6999); // the backoff (2 s) is long over
    await settle(30);
    assert.equal(r.writer.stats.writes, 0);
    r.clock.advance(1);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    assert.deepEqual(
      r.server.calls.map((c) => c.status),
      [429, 201],
    );
  });

  it('reports 403 as a forbidden error naming the call', async () => {
    r = await statusRig();
    r.server.forbid('patch', PLURAL);
    r.writer.update(report([]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.errors.length, 1));
    assert.equal(r.errors[0]!.code, 'ERR_GANNET_K8S_FORBIDDEN');
    assert.match(r.errors[0]!.message, /^apply gannetnodestatuses\/node1: forbidden \(HTTP 403\)/);
  });

  it('flush() writes at once, rate limit aside', async () => {
    r = await statusRig();
    r.writer.update(report([session('172.30.0.2')]));
    await r.writer.flush();
    assert.equal(r.writer.stats.writes, 1);
    r.writer.update(report([session('172.30.0.2', 'Idle')]));
    await r.writer.flush();
    assert.equal(r.writer.stats.writes, 2);
    assert.equal(r.server.get(PLURAL, 'node1')!.status.sessions[0].state, 'Idle');
  });
});
