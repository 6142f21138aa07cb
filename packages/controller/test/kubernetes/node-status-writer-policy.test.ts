// NodeStatusWriter: the NetworkPolicy state in status.policy (schema-valid through the fake server's CRD admission),
// refused NetworkPolicies listed with object and field (bounded), and what counts as a change.
import assert from 'node:assert/strict';
import type { NodePolicyReport } from '../../src/kubernetes/node-status-writer.js';
import { eventually, settle } from './helpers.js';
import { schemaOf } from './manifests.js';
import { validate } from './openapi-validator.js';
import { PLURAL, report, type StatusRig, session, statusRig } from './status-rig.js';

const policy = (over: Partial<NodePolicyReport> = {}): NodePolicyReport => ({
  applied: true,
  policies: 3,
  selectedPods: 7,
  rules: 12,
  lastApplyMs: 25.4,
  applyErrors: 0,
  lastError: null,
  rejected: [],
  ...over,
});

const rejection = (i: number) => ({
  policy: `ns${String(i).padStart(2, '0')}/web`,
  message: `NetworkPolicy ns${i}/web: spec.ingress[0].ports[0].port: port name "a-very-long-port-name" must be 1 to 15 characters long`,
  keptLastGood: i % 2 === 0,
});

describe('kubernetes/NodeStatusWriter: status.policy', function () {
  this.timeout(10_000);
  let r: StatusRig | undefined;
  afterEach(async () => {
    r?.writer.stop();
    await r?.server.close();
    r = undefined;
  });

  it('writes the policy state, schema-valid; without a policy report there is no status.policy', async () => {
    r = await statusRig();
    r.writer.update(report([session('172.30.0.2')]));
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    assert.equal(r.server.get(PLURAL, 'node1')!.status.policy, undefined);
    r.writer.update({ ...report([session('172.30.0.2')]), policy: policy({ rejected: [rejection(1)] }) });
    r.clock.advance(5000);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    const stored = r.server.get(PLURAL, 'node1')!;
    assert.deepEqual(stored.status.policy, {
      applied: true,
      policies: 3,
      selectedPods: 7,
      rules: 12,
      lastApplyMs: 25,
      applyErrors: 0,
      rejectedCount: 1,
      rejected: [rejection(1)],
    });
    assert.deepEqual(validate(schemaOf('GannetNodeStatus'), stored), []);
  });

  it('a failed apply: applied false, the error and the count', async () => {
    r = await statusRig();
    const failed = policy({
      applied: false,
      applyErrors: 2,
      lastError: `nft refused the ruleset: ${'x'.repeat(2000)}`,
    });
    r.writer.update({ ...report([]), policy: failed });
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const p = r.server.get(PLURAL, 'node1')!.status.policy;
    assert.equal(p.applied, false);
    assert.equal(p.applyErrors, 2);
    assert.equal(p.lastError.length, 1024, 'clipped to what the schema allows');
  });

  it('lists at most maxRejected refused policies (first by namespace/name), counts them all', async () => {
    r = await statusRig({ maxRejected: 5 });
    const rejected = Array.from({ length: 30 }, (_, i) => rejection(29 - i));
    r.writer.update({ ...report([]), policy: policy({ rejected }) });
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    const stored = r.server.get(PLURAL, 'node1')!;
    assert.equal(stored.status.policy.rejectedCount, 30);
    assert.deepEqual(
      stored.status.policy.rejected.map((x: { policy: string }) => x.policy),
      ['ns00/web', 'ns01/web', 'ns02/web', 'ns03/web', 'ns04/web'],
    );
    assert.deepEqual(validate(schemaOf('GannetNodeStatus'), stored), []);
  });

  it("the last apply's duration alone is no reason to write; a new refusal is", async () => {
    r = await statusRig();
    r.writer.update({ ...report([]), policy: policy() });
    r.clock.advance(0);
    await eventually(() => assert.equal(r!.writer.stats.writes, 1));
    r.writer.update({ ...report([]), policy: policy({ lastApplyMs: 31 }) });
    r.clock.advance(5000);
    await eventually(() => assert.equal(r!.writer.stats.skipped, 1));
    r.writer.update({ ...report([]), policy: policy({ lastApplyMs: 31, rejected: [rejection(3)] }) });
    r.clock.advance(5000);
    await eventually(() => assert.equal(r!.writer.stats.writes, 2));
    await settle(30);
    const p = r.server.get(PLURAL, 'node1')!.status.policy;
    assert.equal(p.lastApplyMs, 31);
    assert.equal(p.rejectedCount, 1);
  });
});
