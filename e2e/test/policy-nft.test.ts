// @gannet/policy on the real kernel: the compiled ruleset applied with nft in a node namespace that routes pod
// namespaces as Gannet does, with real TCP/UDP listeners and probes (e2e/src/policy-lab.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ExecNftRunner, PolicyApplier, PolicyError } from '@gannet/policy';
import { netpol, type Probe, TRUTH_TABLE, worldInput, worldIp, worldPods } from '@gannet/policy/testing';
import { NODE_UPLINK, OUTSIDE, PolicyLab } from '../src/policy-lab.js';
import { requireRoot } from '../src/root.js';

const OTHER_TABLE = `table inet other {
  set keep { type ipv4_addr; elements = { 10.244.1.1, 192.0.2.7 }; }
  chain keep-forward {
    type filter hook forward priority 10; policy accept;
    ip saddr @keep accept
  }
}
`;
const PORTS = [53, 54, 80, 81, 82];
const OUTSIDE_EXTRA = ['10.96.0.10', '192.168.101.5', '192.168.100.200'];

/** `nft -j list table` with handles dropped and sets' elements and the object list sorted: comparable across runs. */
function normalised(lab: PolicyLab): string {
  const j = JSON.parse(lab.nft('-j', 'list', 'table', 'inet', 'gannet')) as { nftables: Record<string, unknown>[] };
  const strip = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(strip);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v))
        if (k !== 'handle')
          o[k] = k === 'elem' ? (strip(x) as unknown[]).map((e) => JSON.stringify(e)).sort() : strip(x);
      return o;
    }
    return v;
  };
  return JSON.stringify(
    j.nftables
      .filter((o) => !('metainfo' in o))
      .map((o) => JSON.stringify(strip(o)))
      .sort(),
  );
}

describe('policy e2e: nftables NetworkPolicy enforcement and egress NAT on the real kernel', function () {
  this.timeout(120_000);
  let lab: PolicyLab;
  let applier: PolicyApplier;
  let otherBefore: string;

  before(async function () {
    requireRoot(this);
    if (spawnSync('nft', ['--version']).status !== 0)
      throw new Error('nft is missing: install Debian nftables (scripts/setup.sh)');
    lab = new PolicyLab(
      worldPods().map((p) => ({ key: `${p.namespace}/${p.name}`, ip: p.ips[0]! })),
      PORTS,
      OUTSIDE_EXTRA,
    );
    spawnSync('ip', ['netns', 'exec', lab.node.name, 'nft', '-f', '-'], { input: OTHER_TABLE });
    otherBefore = lab.nft('list', 'table', 'inet', 'other');
    await lab.start();
    applier = new PolicyApplier(new ExecNftRunner({ netns: lab.node.name }));
  });

  after(async () => {
    await lab?.cleanup();
  });

  const target = (x: string) => (x.includes('/') ? worldIp(x) : x);

  /**
   * A probe expected to be blocked waits 300 ms for an answer (local veths answer in well under 1 ms); one expected to
   * get through waits up to 3 s, so a slow machine does not turn "allowed" into "blocked".
   */
  function probe(from: string, to: string, proto: 'tcp' | 'udp', port: number, expectAllowed = true) {
    const agent = from.includes('/')
      ? lab.agents.get(from)!
      : lab.agents.get(from === NODE_UPLINK ? 'node' : 'outside')!;
    const localAddress = from.includes('/') || from === NODE_UPLINK ? undefined : from;
    return agent.request({ op: proto, host: target(to), port, localAddress, timeoutMs: expectAllowed ? 3000 : 300 });
  }

  it('agrees with the truth table on TCP and UDP (every case, applied as deltas)', async () => {
    const mismatches: string[] = [];
    let probes = 0;
    let first = true;
    for (const c of TRUTH_TABLE) {
      const r = await applier.apply(worldInput(c.policies));
      assert.equal(r.mode, first ? 'full' : 'delta', c.name);
      first = false;
      const todo = c.probes.filter(
        (p): p is Probe & [string, string, 'tcp' | 'udp', number, boolean] => p[2] !== 'sctp',
      );
      const got = await Promise.all(todo.map(([f, t, proto, port, want]) => probe(f, t, proto, port, want)));
      probes += todo.length;
      todo.forEach(([f, t, proto, port, want], i) => {
        if (got[i]!.ok !== want)
          mismatches.push(
            `${c.name}: ${f} -> ${t} ${proto}/${port} ${got[i]!.ok ? 'allowed' : `blocked (${got[i]!.error})`}, expected ${want ? 'allowed' : 'blocked'}`,
          );
      });
    }
    assert.deepEqual(mismatches, []);
    assert.ok(probes >= 80, `${probes} probes`);
  });

  it('the deltas left the kernel exactly as a full apply of the same input would', async () => {
    const afterDeltas = normalised(lab);
    const fresh = new PolicyApplier(new ExecNftRunner({ netns: lab.node.name }));
    assert.equal((await fresh.apply(worldInput(TRUTH_TABLE.at(-1)!.policies))).mode, 'full');
    assert.equal(normalised(lab), afterDeltas);
  });

  it('pod changes (relabel, removal, a new pod) are incremental deltas, enforced, and converge to a full apply', async () => {
    const allowB = netpol('x', 'allow-b', {
      podSelector: { matchLabels: { pod: 'a' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { pod: 'b' } } }], ports: [{ port: 'serve-80-tcp' }] }],
    });
    const pods = worldPods();
    await applier.apply(worldInput([allowB], { pods }));
    assert.equal((await probe('x/c', 'x/a', 'tcp', 80, false)).ok, false);
    const relabelled = pods.map((p) => (p.namespace === 'x' && p.name === 'c' ? { ...p, labels: { pod: 'b' } } : p));
    const r1 = await applier.apply(worldInput([allowB], { pods: relabelled }));
    assert.deepEqual([r1.mode, r1.incremental], ['delta', true]);
    assert.equal((await probe('x/c', 'x/a', 'tcp', 80)).ok, true, 'x/c relabelled pod=b is let in');
    const withoutB = relabelled.filter((p) => !(p.namespace === 'x' && p.name === 'b'));
    const r2 = await applier.apply(worldInput([allowB], { pods: withoutB }));
    assert.deepEqual([r2.mode, r2.incremental], ['delta', true]);
    assert.equal((await probe('x/b', 'x/a', 'tcp', 80, false)).ok, false, 'a deleted pod leaves the peer set');
    const newcomer = {
      namespace: 'x',
      name: 'd',
      labels: { pod: 'a' },
      ips: ['10.244.1.9'],
      ports: pods[0]!.ports,
      local: true,
    };
    const r3 = await applier.apply(worldInput([allowB], { pods: [...withoutB, newcomer] }));
    assert.deepEqual([r3.mode, r3.incremental], ['delta', true]);
    const afterDeltas = normalised(lab);
    const fresh = new PolicyApplier(new ExecNftRunner({ netns: lab.node.name }));
    assert.equal((await fresh.apply(worldInput([allowB], { pods: [...withoutB, newcomer] }))).mode, 'full');
    assert.equal(normalised(lab), afterDeltas);
    // Back to the world as it was, for the tests below (a full compile: the policies change).
    await applier.apply(worldInput([], { pods }));
  });

  it('the node reaches its own pods under deny-all (kubelet probes); pods do not', async () => {
    const denyAll = ['x', 'y', 'z'].map((ns) =>
      netpol(ns, 'deny-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
    );
    await applier.apply(worldInput(denyAll));
    assert.equal((await probe(NODE_UPLINK, 'x/a', 'tcp', 80)).ok, true);
    assert.equal((await probe(NODE_UPLINK, 'y/c', 'udp', 81)).ok, true);
    assert.equal((await probe('y/b', 'x/a', 'tcp', 80, false)).ok, false);
    assert.equal((await probe('x/a', 'x/a', 'tcp', 80)).ok, true, 'same-pod hairpin');
  });

  it('a policy added while a connection is open: the connection keeps flowing, new ones are refused; removed: allowed again', async () => {
    await applier.apply(worldInput([]));
    const client = lab.agents.get('x/b')!;
    assert.equal((await client.request({ op: 'open', conn: 'c1', host: worldIp('x/a'), port: 80 })).ok, true);
    assert.equal((await client.request({ op: 'echo', conn: 'c1' })).ok, true);
    await applier.apply(worldInput([netpol('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })]));
    assert.equal((await probe('x/b', 'x/a', 'tcp', 80, false)).ok, false, 'a new connection is refused');
    for (let i = 0; i < 3; i++)
      assert.equal((await client.request({ op: 'echo', conn: 'c1' })).ok, true, 'established keeps flowing');
    await applier.apply(worldInput([]));
    assert.equal((await probe('x/b', 'x/a', 'tcp', 80)).ok, true);
    assert.equal((await client.request({ op: 'echo', conn: 'c1' })).ok, true);
  });

  it('a restarted applier rewrites the table in one transaction: denied connections never get through meanwhile', async () => {
    const deny = [netpol('x', 'deny', { podSelector: {}, policyTypes: ['Ingress'] })];
    await applier.apply(worldInput(deny));
    const attempts: Promise<{ ok: boolean }>[] = [];
    let stop = false;
    const fire = (async () => {
      // Bounded: at most 2,000 attempts, one every 2 ms, until the restarts are done.
      for (let i = 0; i < 2000 && !stop; i++) {
        attempts.push(probe('y/b', 'x/a', 'tcp', 80, false));
        await new Promise((r) => setTimeout(r, 2));
      }
    })();
    const fullMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const restarted = new PolicyApplier(new ExecNftRunner({ netns: lab.node.name }));
      const r = await restarted.apply(worldInput(deny));
      assert.equal(r.mode, 'full');
      fullMs.push(r.nftMs);
    }
    stop = true;
    await fire;
    const results = await Promise.all(attempts);
    assert.ok(results.length >= 20, `${results.length} attempts`);
    assert.equal(
      results.filter((r) => r.ok).length,
      0,
      `of ${results.length} attempts during 5 full rewrites (nft ${fullMs.map((x) => x.toFixed(0)).join('/')} ms)`,
    );
    await applier.apply(worldInput([]));
  });

  it('egress NAT: the outside sees the node address; pod-to-pod keeps the pod address; natOutgoing false turns it off', async () => {
    await applier.apply(worldInput([], { nodeAddresses: [NODE_UPLINK] }));
    const tcp = await probe('x/a', OUTSIDE, 'tcp', 80);
    assert.equal(tcp.seen, NODE_UPLINK);
    assert.equal((await probe('y/c', '10.96.0.10', 'udp', 53)).seen, NODE_UPLINK);
    assert.equal((await probe('x/b', 'x/a', 'tcp', 80)).seen, worldIp('x/b'));
    assert.equal((await probe('x/a', 'z/c', 'udp', 81)).seen, worldIp('x/a'));
    // natExclude: that destination sees the pod address (the outside host routes the pod range back).
    await applier.apply(worldInput([], { nodeAddresses: [NODE_UPLINK], natExclude: ['10.96.0.0/12'] }));
    assert.equal((await probe('y/c', '10.96.0.10', 'udp', 53)).seen, worldIp('y/c'));
    assert.equal((await probe('y/c', OUTSIDE, 'udp', 53)).seen, NODE_UPLINK);
    await applier.apply(worldInput([], { natOutgoing: false }));
    assert.equal((await probe('x/a', OUTSIDE, 'tcp', 80)).seen, worldIp('x/a'));
  });

  it("nft failures are typed errors with nft's message, and change nothing", async () => {
    const before = normalised(lab);
    await assert.rejects(
      new ExecNftRunner({ netns: lab.node.name }).run('add rule inet gannet nowhere drop\n'),
      (e: unknown) => {
        assert.ok(e instanceof PolicyError);
        assert.equal(e.code, 'ERR_GANNET_POLICY_NFT_FAILED');
        assert.match(e.nftMessage!, /No such file or directory|Could not process rule/);
        return true;
      },
    );
    await assert.rejects(new ExecNftRunner({ netns: lab.node.name, nftPath: '/nonexistent/nft' }).run(''), {
      code: 'ERR_GANNET_POLICY_NFT_MISSING',
    });
    await assert.rejects(new ExecNftRunner({ nftPath: '/nonexistent/nft' }).listTable(), {
      code: 'ERR_GANNET_POLICY_NFT_MISSING',
    });
    assert.equal(normalised(lab), before);
  });

  it('other tables are untouched, and nothing of ours is left after remove()', async () => {
    assert.equal(lab.nft('list', 'table', 'inet', 'other'), otherBefore);
    await applier.remove();
    assert.equal(await new ExecNftRunner({ netns: lab.node.name }).listTable(), undefined);
    assert.deepEqual(lab.nft('list', 'tables').trim().split('\n'), ['table inet other']);
    assert.equal(lab.nft('list', 'table', 'inet', 'other'), otherBefore);
    await applier.remove(); // a second remove is a no-op, not an error
    assert.equal((await probe('y/b', 'x/a', 'tcp', 80)).ok, true);
  });
});
