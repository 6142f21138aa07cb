import assert from 'node:assert/strict';
import { PolicyApplier, PolicyError } from '../src/index.js';
import { MemoryNftRunner, netpol, worldInput } from '../src/testing/index.js';

const deny = netpol('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] });

describe('PolicyApplier', () => {
  it('writes the full table first, then deltas, and nothing when nothing changed', async () => {
    const nft = new MemoryNftRunner();
    const applier = new PolicyApplier(nft);
    assert.equal((await applier.apply(worldInput([]))).mode, 'full');
    const r = await applier.apply(worldInput([deny]));
    assert.equal(r.mode, 'delta');
    assert.ok(r.scriptLines > 0);
    assert.equal((await applier.apply(worldInput([deny]))).mode, 'none');
    assert.equal(nft.scripts.length, 2);
    assert.match(nft.scripts[1]!, /add chain inet gannet pol\.x\.deny\.in/);
    assert.deepEqual(
      { ...applier.status(), lastApplyMs: 0 },
      {
        applied: true,
        policies: 1,
        selectedPods: 3,
        rules: applier.status().rules,
        lastApplyMs: 0,
        applyErrors: 0,
        lastError: undefined,
      },
    );
  });

  it('a bad policy is refused, nothing is sent, and the last good ruleset stays', async () => {
    const nft = new MemoryNftRunner();
    const applier = new PolicyApplier(nft);
    await applier.apply(worldInput([deny]));
    const before = applier.current();
    const bad = netpol('x', 'bad', { podSelector: {}, ingress: [{ ports: [{ port: 'much-too-long-name' }] }] });
    await assert.rejects(applier.apply(worldInput([deny, bad])), (e: unknown) => {
      assert.ok(e instanceof PolicyError);
      assert.equal(e.code, 'ERR_GANNET_POLICY_INVALID');
      assert.equal(e.object, 'NetworkPolicy x/bad');
      assert.equal(e.field, 'spec.ingress[0].ports[0].port');
      return true;
    });
    assert.equal(nft.scripts.length, 1);
    assert.equal(applier.current(), before);
    assert.equal(applier.status().applyErrors, 1);
    assert.match(applier.status().lastError!, /NetworkPolicy x\/bad/);
  });

  it('nft refusing a transaction is a typed error with its message; the next apply rewrites the whole table', async () => {
    const nft = new MemoryNftRunner();
    const applier = new PolicyApplier(nft);
    await applier.apply(worldInput([]));
    nft.failNext('Error: Could not process rule: No such file or directory');
    await assert.rejects(applier.apply(worldInput([deny])), (e: unknown) => {
      assert.ok(e instanceof PolicyError);
      assert.equal(e.code, 'ERR_GANNET_POLICY_NFT_FAILED');
      assert.match(e.nftMessage!, /Could not process rule/);
      return true;
    });
    assert.equal(applier.status().applied, false);
    assert.equal((await applier.apply(worldInput([deny]))).mode, 'full');
    assert.match((await nft.listTable())!, /chain pol\.x\.deny\.in/);
  });

  it('nft missing: ERR_GANNET_POLICY_NFT_MISSING', async () => {
    const nft = new MemoryNftRunner();
    nft.missing = true;
    await assert.rejects(new PolicyApplier(nft).apply(worldInput([])), { code: 'ERR_GANNET_POLICY_NFT_MISSING' });
  });

  it('remove() deletes only table inet gannet; applies are serialised', async () => {
    const nft = new MemoryNftRunner();
    const applier = new PolicyApplier(nft);
    const results = await Promise.all([
      applier.apply(worldInput([])),
      applier.apply(worldInput([deny])),
      applier.apply(worldInput([])),
    ]);
    assert.deepEqual(
      results.map((r) => r.mode),
      ['full', 'delta', 'delta'],
    );
    await applier.remove();
    assert.equal(nft.scripts.at(-1), 'add table inet gannet\ndelete table inet gannet\n');
    assert.equal(await nft.listTable(), undefined);
    assert.equal(applier.status().applied, false);
  });
});
