// NodeStatusWriter as one writer among others on a real cluster: other tools' fields, the Node's uid changing under
// it, the garbage collector, and a mesh large enough that every session listed would near etcd's request limit.
import assert from 'node:assert/strict';
import { eventually, node, settle } from './helpers.js';
import { PLURAL, report, type StatusRig, session, statusRig } from './status-rig.js';

const MERGE = { 'content-type': 'application/merge-patch+json' };

describe('kubernetes/NodeStatusWriter: ownership, garbage collection, size', function () {
  this.timeout(10_000);
  let r: StatusRig | undefined;
  afterEach(async () => {
    r?.writer.stop();
    await r?.server.close();
    r = undefined;
  });

  it("keeps other tools' labels and annotations: it applies only the fields it owns", async () => {
    r = await statusRig();
    r.writer.update(report([session('172.30.0.2', 'Active')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    // `kubectl label` / `kubectl annotate` (merge patches under their own field managers)
    const res = await fetch(`${r.server.url}/apis/gannet.dev/v1/${PLURAL}/node1?fieldManager=kubectl-label`, {
      method: 'PATCH',
      headers: MERGE,
      body: JSON.stringify({ metadata: { labels: { team: 'net' }, annotations: { 'example.com/ticket': '42' } } }),
    });
    assert.equal(res.status, 200);
    r.clock.advance(5000);
    r.writer.update(report([session('172.30.0.2', 'Established')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    const obj = r.server.get(PLURAL, 'node1')!;
    assert.deepEqual(obj.metadata.labels, { 'app.kubernetes.io/part-of': 'gannet', team: 'net' });
    assert.deepEqual(obj.metadata.annotations, { 'example.com/ticket': '42' });
    assert.equal(obj.status.sessions[0].state, 'Established');
    assert.deepEqual(
      obj.metadata.managedFields
        .map((m: { manager: string; operation: string }) => `${m.manager}/${m.operation}`)
        .sort(),
      ['gannet/Apply', 'kubectl-label/Update'],
    );
  });

  it('a Node deleted and registered again: the next write carries the new uid, no create/collect loop', async () => {
    r = await statusRig();
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const oldUid = r.uid();
    r.server.remove('nodes', 'node1'); // the node is deleted: the garbage collector takes its status with it
    await eventually(() => assert.equal(r!.server.get(PLURAL, 'node1'), undefined), 'status collected');
    r.server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24'])); // and registers again
    assert.notEqual(r.uid(), oldUid);
    // several rounds of changes and heartbeats: each write must stay
    for (let i = 0; i < 4; i++) {
      r.clock.advance(60_000);
      r.writer.update(report([session('172.30.0.2', i % 2 ? 'Established' : 'Active')]));
      r.clock.advance(0);
      await eventually(() => assert.equal(r!.writer.stats.writes, i + 2));
      await settle(20); // let the garbage collector run
      const obj = r.server.get(PLURAL, 'node1');
      assert.ok(obj, `round ${i}: the status survived the garbage collector`);
      assert.equal(obj.metadata.ownerReferences[0].uid, r.uid());
    }
    assert.deepEqual(r.server.collected, [`${PLURAL}/node1`], 'collected once, with the deleted Node');
  });

  it('the old behaviour for contrast: a fixed owner uid makes every write collected again', async () => {
    r = await statusRig();
    const fixed = r.uid()!;
    r.writer.stop();
    r = await statusRig({ nodeUid: fixed }); // a fresh cluster: its node1 has another uid than `fixed`
    for (let i = 0; i < 3; i++) {
      r.clock.advance(60_000);
      r.writer.update(report([session('172.30.0.2', i % 2 ? 'Established' : 'Active')]));
      r.clock.advance(0);
      await eventually(() => assert.equal(r!.writer.stats.writes, i + 1));
      await eventually(() => assert.equal(r!.server.collected.length, i + 1), 'collected');
    }
  });

  it('writes nothing while its Node is unknown, and writes once it is listed', async () => {
    let known = false;
    r = await statusRig({ nodeUid: () => (known ? r?.uid() : undefined) });
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    r.clock.advance(5000);
    await settle(30);
    assert.equal(r.server.calls.length, 0);
    assert.ok(r.writer.stats.waitingForNode >= 2);
    known = true;
    r.clock.advance(5000);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    assert.equal(r.server.get(PLURAL, 'node1')!.metadata.ownerReferences[0].uid, r.uid());
  });

  it('bounds the session list in a large mesh: counts per state and the sessions not Established', async () => {
    r = await statusRig({ maxSessions: 100 });
    const sessions = Array.from({ length: 5000 }, (_, i) =>
      session(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, i % 1000 === 7 ? 'Active' : 'Established'),
    );
    sessions[3] = session(sessions[3]!.address, 'Idle', { lastError: 'hold timer expired' });
    r.writer.update(report(sessions));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const obj = r.server.get(PLURAL, 'node1')!;
    assert.equal(obj.status.sessionsTotal, 5000);
    assert.equal(obj.status.sessionsEstablished, 4994);
    assert.deepEqual(obj.status.sessionCounts, { Active: 5, Established: 4994, Idle: 1 });
    assert.equal(obj.status.sessionsOmitted, 4994);
    assert.deepEqual(obj.status.sessions.map((s: { state: string }) => s.state).sort(), [
      'Active',
      'Active',
      'Active',
      'Active',
      'Active',
      'Idle',
    ]);
    assert.equal(obj.status.summary, 'Active=5 Established=4994 Idle=1');
    assert.equal(obj.status.lastError, '10.0.0.3: hold timer expired');
    const bytes = JSON.stringify(obj).length;
    assert.ok(bytes < 16_384, `object is ${bytes} bytes`);
    // and when every one of them is down, the list stops at the cap
    r.clock.advance(5000);
    r.writer.update(report(sessions.map((s) => ({ ...s, state: 'Connect' }))));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    const down = r.server.get(PLURAL, 'node1')!;
    assert.equal(down.status.sessions.length, 100);
    assert.equal(down.status.sessionsOmitted, 4900);
    assert.ok(JSON.stringify(down).length < 40_000);
  });
});
