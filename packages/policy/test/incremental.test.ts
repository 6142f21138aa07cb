import assert from 'node:assert/strict';
import { compileChecked } from '../src/compile.js';
import { updatePods } from '../src/incremental.js';
import { type NamespaceInfo, type PodInfo, PolicyApplier, type PolicyModel, renderDelta } from '../src/index.js';
import { MemoryNftRunner, netpol, TRUTH_TABLE, worldInput, worldPods } from '../src/testing/index.js';
import { checkInput } from '../src/validate-input.js';

/** A model as comparable data: set elements sorted, chains as JSON. */
function shape(m: PolicyModel): unknown {
  const sets = [...m.sets].map(([n, s]) => [n, s.type, [...s.elements].map(([k, v]) => `${k}=${v}`).sort()]);
  const chains = [...m.chains].map(([n, c]) => [n, JSON.stringify(c)]);
  return { sets: sets.sort(), chains: chains.sort(), stats: m.stats };
}

/** An nft delta as a sorted list of single operations (one per element), to compare scripts made differently. */
function ops(script: string): string[] {
  const out: string[] = [];
  for (const line of script.split('\n').filter(Boolean)) {
    const m = /^(add|delete) element inet gannet (\S+) \{ (.*) \}$/.exec(line);
    if (m) for (const e of m[3]!.split(', ')) out.push(`${m[1]} ${m[2]} ${e}`);
    else out.push(line);
  }
  return out.sort();
}

/** A small deterministic PRNG (mulberry32), so a failing sequence can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const allPolicies = TRUTH_TABLE.flatMap((c, i) =>
  c.policies.map((p) => netpol(p.metadata.namespace, `${p.metadata.name}-${i}`, p.spec)),
);

describe('pod-only changes (incremental path) give the same model as a full compile', () => {
  for (const seed of [1, 2, 3, 4, 5]) {
    it(`random adds, removals, relabels, moves and host-network flips (seed ${seed})`, () => {
      const rand = rng(seed);
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
      let pods: PodInfo[] = worldPods().map((p, i) => ({ ...p, local: i % 3 !== 2 }));
      let prevIn = checkInput(worldInput(allPolicies, { pods }));
      let prev = compileChecked(prevIn);
      let fast = 0;
      for (let step = 0; step < 60; step++) {
        const op = Math.floor(rand() * 5);
        pods = [...pods];
        const ns = pick(['x', 'y', 'z']);
        if (op === 0 || pods.length < 3) {
          const n = 10 + step;
          pods.push({
            namespace: ns,
            name: `n${n}`,
            labels: { pod: pick(['a', 'b', 'c', 'd']) },
            ips: [`10.244.9.${n}`],
            ports: worldPods()[0]!.ports ?? [],
            local: rand() < 0.7,
          });
        } else if (op === 1) {
          pods.splice(Math.floor(rand() * pods.length), 1);
        } else if (op === 2) {
          const i = Math.floor(rand() * pods.length);
          pods[i] = { ...pods[i]!, labels: { pod: pick(['a', 'b', 'c', 'd']) } };
        } else if (op === 3) {
          const i = Math.floor(rand() * pods.length);
          pods[i] = { ...pods[i]!, local: !pods[i]!.local, hostNetwork: rand() < 0.2 };
        } else {
          const i = Math.floor(rand() * pods.length);
          pods[i] = { ...pods[i]!, ips: [`10.244.8.${step}`], ports: rand() < 0.5 ? [] : (pods[i]!.ports ?? []) };
        }
        const nextIn = checkInput(worldInput(allPolicies, { pods }));
        const before = structuredClone(prev);
        const inc = updatePods(prev, prevIn, nextIn);
        const full = compileChecked(nextIn);
        if (inc) {
          fast++;
          assert.deepEqual(shape(inc.model), shape(full), `step ${step} (op ${op})`);
          assert.equal(renderDelta(full, inc.model), '');
          // The script made from the recorded changes does what comparing the models would.
          assert.deepEqual(ops(inc.script), ops(renderDelta(before, full)), `step ${step} (op ${op}) script`);
        }
        prev = inc?.model ?? full;
        prevIn = nextIn;
      }
      assert.ok(fast >= 50, `${fast} of 60 steps took the incremental path`);
    });
  }

  it('policy, namespace or option changes take the full path', () => {
    const pods = worldPods();
    const a = checkInput(worldInput(allPolicies, { pods }));
    const m = compileChecked(a);
    assert.equal(updatePods(m, a, checkInput(worldInput(allPolicies.slice(1), { pods }))), undefined);
    assert.equal(updatePods(m, a, checkInput(worldInput(allPolicies, { natOutgoing: false }))), undefined);
    const namespaces: NamespaceInfo[] = [
      { name: 'x', labels: { ns: 'x', extra: '1' } },
      { name: 'y', labels: { ns: 'y' } },
      { name: 'z', labels: { ns: 'z' } },
    ];
    assert.equal(updatePods(m, a, checkInput(worldInput(allPolicies, { namespaces }))), undefined);
    assert.deepEqual(updatePods(m, a, checkInput(worldInput(allPolicies, { pods }))), { model: m, script: '' });
  });

  it('a pod taking an address another pod still has takes the full path', () => {
    const pods = worldPods();
    const a = checkInput(worldInput(allPolicies, { pods }));
    const m = compileChecked(a);
    const dup = [...pods, { ...pods[0]!, name: 'twin' }];
    assert.equal(updatePods(m, a, checkInput(worldInput(allPolicies, { pods: dup }))), undefined);
  });

  it('the applier uses it: a pod added is a small delta without a full compile', async () => {
    const applier = new PolicyApplier(new MemoryNftRunner());
    const pods = worldPods();
    await applier.apply(worldInput(allPolicies, { pods }));
    const pod = { namespace: 'x', name: 'new', labels: { pod: 'a' }, ips: ['10.244.7.7'], local: true };
    const r = await applier.apply(worldInput(allPolicies, { pods: [...pods, pod] }));
    assert.equal(r.mode, 'delta');
    assert.equal(r.incremental, true);
    assert.ok(r.scriptLines < 40, `${r.scriptLines} lines`);
  });
});
