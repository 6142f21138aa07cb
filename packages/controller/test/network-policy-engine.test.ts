import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@gannet/core/testing';
import type { NetworkPolicy, PodInfo } from '@gannet/policy';
import { MemoryNftRunner } from '@gannet/policy/testing';
import { buildApi } from '../src/api/server.js';
import { parseConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { PolicyFileSource } from '../src/network-policy/file-source.js';
import type { PolicyInputSource, PolicyObjects } from '../src/network-policy/input-source.js';
import { PolicyEngine, type PolicySettings } from '../src/network-policy/policy-engine.js';
import { policySettings } from '../src/network-policy/settings.js';

const SETTINGS: PolicySettings = {
  nodeAddresses: ['172.30.0.1'],
  clusterCidrs: ['10.244.0.0/16'],
  natOutgoing: true,
  natExclude: [],
};

/** A source the test drives by hand. */
class ManualSource implements PolicyInputSource {
  readonly name = 'manual';
  objs: PolicyObjects = {};
  isSynced = true;
  issues: string[] = [];
  private changed: () => void = () => {};
  start(changed: () => void) {
    this.changed = changed;
  }
  set(o: PolicyObjects) {
    this.objs = o;
    this.changed();
  }
  objects() {
    return this.objs;
  }
  synced() {
    return this.isSynced;
  }
  problems() {
    return this.issues;
  }
  stop() {}
}

const denyAll = (ns: string, name = 'deny-all'): NetworkPolicy => ({
  metadata: { namespace: ns, name },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});
const pod = (name: string, ip: string, labels: Record<string, string> = {}): PodInfo => ({
  namespace: 'x',
  name,
  ips: [ip],
  labels,
  local: true,
});

/** Lets the engine's timers fire and its applies (promises) settle. */
async function settle(clock: FakeClock, ms = 100) {
  for (let i = 0; i < 10; i++) {
    clock.advance(ms / 10);
    await new Promise((r) => setImmediate(r));
  }
}

function rig(opts: { sources?: PolicyInputSource[] } = {}) {
  const clock = new FakeClock();
  const nft = new MemoryNftRunner();
  const source = new ManualSource();
  const engine = new PolicyEngine({
    nft,
    sources: opts.sources ?? [source],
    settings: SETTINGS,
    logger: silentLogger(),
    clock,
    debounceMs: 20,
    retryMs: { initial: 1000, max: 4000 },
  });
  return { clock, nft, source, engine };
}

describe('controller: network policy engine', () => {
  it('applies egress NAT with no policy at all, then reports ready', async () => {
    const { clock, nft, engine } = rig();
    await engine.start();
    assert.deepEqual(engine.notReady(), ['network policy: not applied yet']);
    await settle(clock);
    assert.equal(nft.scripts.length, 1);
    assert.match(nft.scripts[0]!, /masquerade/);
    assert.deepEqual(engine.notReady(), []);
    const s = engine.status();
    assert.equal(s.applied, true);
    assert.equal(s.natOutgoing, true);
    assert.equal(s.policies, 0);
    assert.equal(s.applies, 1);
  });

  it('debounces a burst of changes into one delta, and counts selected pods', async () => {
    const { clock, nft, source, engine } = rig();
    await engine.start();
    await settle(clock);
    source.set({ pods: [pod('a', '10.244.1.2')] });
    source.set({ pods: [pod('a', '10.244.1.2'), pod('b', '10.244.1.3')] });
    source.set({ pods: [pod('a', '10.244.1.2'), pod('b', '10.244.1.3')], policies: [denyAll('x')] });
    await settle(clock);
    assert.equal(nft.scripts.length, 2, 'the three changes made one transaction');
    const s = engine.status();
    assert.equal(s.policies, 1);
    assert.equal(s.selectedPods, 2);
    assert.equal(s.localPods, 2);
    assert.ok(s.rules > 0);
  });

  it('a change during an apply runs one more apply after it (never two at once)', async () => {
    const { clock, source } = rig();
    let inFlight = 0;
    let most = 0;
    const slow = new MemoryNftRunner();
    const run = slow.run.bind(slow);
    slow.run = async (script) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      return run(script);
    };
    const e = new PolicyEngine({ nft: slow, sources: [source], settings: SETTINGS, logger: silentLogger(), clock });
    await e.start();
    clock.advance(1);
    source.set({ policies: [denyAll('x')] });
    clock.advance(100);
    source.set({ policies: [denyAll('x'), denyAll('y')] });
    clock.advance(100);
    // the runner's own 5 ms are real time: wait for them, moving the engine's clock meanwhile
    for (let i = 0; i < 200 && e.status().policies !== 2; i++) {
      clock.advance(20);
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.equal(most, 1);
    assert.equal(e.status().policies, 2);
    await e.stop();
  });

  it('nft missing: not ready with the reason, retried with backoff, ready once nft works', async () => {
    const { clock, nft, engine } = rig();
    nft.missing = true;
    await engine.start();
    await settle(clock);
    assert.match(engine.notReady()[0]!, /^network policy: not applied: cannot run nft/);
    assert.equal(engine.status().applied, false);
    assert.equal(engine.status().applyErrors, 1);
    await settle(clock, 900);
    assert.equal(engine.status().applyErrors, 1, 'no retry before the first backoff (1 s)');
    await settle(clock, 200);
    assert.equal(engine.status().applyErrors, 2);
    nft.missing = false;
    await settle(clock, 2100);
    assert.deepEqual(engine.notReady(), []);
    assert.equal(engine.status().applied, true);
    assert.equal(engine.status().lastError, null);
  });

  it('an input the compiler refuses keeps the last good ruleset and names object and field', async () => {
    const { clock, nft, source, engine } = rig();
    await engine.start();
    source.set({ policies: [denyAll('x')] });
    await settle(clock);
    const before = nft.scripts.length;
    const bad: NetworkPolicy = {
      metadata: { namespace: 'x', name: 'bad' },
      spec: { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
    };
    source.set({ policies: [denyAll('x'), bad] });
    await settle(clock);
    assert.equal(nft.scripts.length, before, 'nothing sent to nft');
    assert.match(engine.notReady()[0]!, /NetworkPolicy x\/bad: spec\.ingress\[0\]\.from\[0\]\.ipBlock\.cidr/);
    assert.equal(engine.status().policies, 1, 'the applied ruleset is still the last good one');
    source.set({ policies: [denyAll('x')] });
    await settle(clock);
    assert.deepEqual(engine.notReady(), []);
  });

  it('waits for every source to be synced before its first apply; reports the sources’ problems', async () => {
    const { clock, nft, source, engine } = rig();
    source.isSynced = false;
    source.issues = ['p.yaml:3: NetworkPolicy x/y: spec.podSelector: must be a mapping'];
    await engine.start();
    await settle(clock);
    assert.equal(nft.scripts.length, 0, 'nothing applied: the previous table (if any) stays');
    assert.deepEqual(engine.notReady(), [
      'network policy: waiting for manual',
      'network policy: manual: p.yaml:3: NetworkPolicy x/y: spec.podSelector: must be a mapping',
    ]);
    source.isSynced = true;
    source.issues = [];
    source.set({});
    await settle(clock);
    assert.equal(nft.scripts.length, 1);
  });

  it('stop leaves the table in the kernel and stops applying', async () => {
    const { clock, nft, source, engine } = rig();
    await engine.start();
    await settle(clock);
    await engine.stop();
    source.set({ policies: [denyAll('x')] });
    await settle(clock);
    assert.equal(nft.scripts.length, 1);
    assert.ok(await nft.listTable(), 'table inet gannet is still there');
    assert.equal(clock.pending(), 0, 'no timer left');
  });

  it('reconfigure: natOutgoing false rewrites the table without the postrouting chain', async () => {
    const { clock, nft, engine } = rig();
    await engine.start();
    await settle(clock);
    engine.reconfigure({ ...SETTINGS, natOutgoing: false });
    await settle(clock);
    assert.equal(nft.scripts.length, 2);
    assert.doesNotMatch((await nft.listTable())!, /masquerade/);
    assert.equal(engine.status().natOutgoing, false);
  });

  it('status API /api/v1/policy, /readyz and /metrics', async () => {
    const { clock, source, engine } = rig();
    await engine.start();
    source.set({ policies: [denyAll('x')], pods: [pod('a', '10.244.1.2')] });
    await settle(clock);
    const metrics = createMetrics({
      peers: () => [],
      routes: () => ({ desired: 0, installed: 0, failed: 0, applies: 0, errors: 0, lastApplySeconds: 0 }),
      ipam: () => undefined,
      policy: () => engine.status(),
    });
    const app = buildApi(
      { ready: () => true, peers: () => [], policy: () => engine.status(), ...routesStub() },
      metrics,
    );
    const r = await app.inject('/api/v1/policy');
    assert.equal(r.statusCode, 200);
    const body = r.json();
    assert.equal(body.policies, 1);
    assert.equal(body.selectedPods, 1);
    assert.deepEqual(body.sources, [{ name: 'manual', synced: true, problems: [] }]);
    const m = (await app.inject('/metrics')).body;
    assert.match(m, /^gannet_policy_policies 1$/m);
    assert.match(m, /^gannet_policy_selected_pods 1$/m);
    assert.match(m, /^gannet_policy_apply_errors 0$/m);
    assert.match(m, /^gannet_policy_last_apply_seconds \d/m);
    await app.close();
    const none = buildApi({ ready: () => true, peers: () => [], ...routesStub() }, createMetrics(metricsStub()));
    assert.equal((await none.inject('/api/v1/policy')).statusCode, 404);
    await none.close();
  });
});

describe('controller: policy files source', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-polfiles-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const policyYaml = (name: string) =>
    `apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: ${name}, namespace: x}\nspec:\n  podSelector: {}\n`;

  it('reads the files, keeps the last good objects after a bad edit, and names file, line, object, field', () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(
      file,
      `${policyYaml('a')}---\napiVersion: v1\nkind: Namespace\nmetadata: {name: x, labels: {t: "1"}}\n`,
    );
    const src = new PolicyFileSource({ files: [file], watch: false, clock: new FakeClock() });
    let changes = 0;
    src.start(() => changes++);
    assert.equal(changes, 1);
    assert.equal(src.synced(), true);
    assert.deepEqual(
      src.objects().policies!.map((p) => p.metadata.name),
      ['a'],
    );
    assert.deepEqual(src.objects().namespaces, [{ name: 'x', labels: { t: '1' } }]);
    writeFileSync(file, `${policyYaml('a')}  ingress:\n  - ports: [{port: "a-very-long-port-name"}]\n`);
    src.reload();
    assert.equal(changes, 2);
    assert.equal(src.problems().length, 1);
    assert.match(src.problems()[0]!, /p\.yaml:7: NetworkPolicy x\/a: spec\.ingress\[0\]\.ports\[0\]\.port: /);
    assert.match(src.problems()[0]!, /last good policies stay/);
    assert.deepEqual(
      src.objects().policies!.map((p) => p.metadata.name),
      ['a'],
    );
    src.reload();
    assert.equal(changes, 2, 'an unchanged file is no change');
    src.stop();
  });

  it('a missing file: not synced until it appears; a policy in two files is reported', () => {
    const a = join(dir, 'a.yaml');
    const b = join(dir, 'b.yaml');
    writeFileSync(a, policyYaml('p'));
    const clock = new FakeClock();
    const src = new PolicyFileSource({ files: [a, b], watch: false, clock, pollMs: 1000 });
    src.start(() => {});
    assert.equal(src.synced(), false);
    assert.match(src.problems()[0]!, /^cannot read .*b\.yaml: ENOENT/);
    writeFileSync(b, policyYaml('p'));
    clock.advance(1000);
    assert.equal(src.synced(), true);
    assert.deepEqual(src.problems(), [`NetworkPolicy x/p is defined in both ${a} and ${b}: the first one counts`]);
    assert.equal(src.objects().policies!.length, 1);
    src.stop();
    assert.equal(clock.pending(), 0);
  });

  it('follows the file through fs.watch (a rename over it, as editors and the lab do)', async () => {
    const file = join(dir, 'p.yaml');
    writeFileSync(file, policyYaml('a'));
    const src = new PolicyFileSource({ files: [file], pollMs: 60_000 });
    let changed!: () => void;
    const seen = new Promise<void>((r) => (changed = r));
    src.start(() => changed());
    await seen;
    const next = new Promise<void>((r) => (changed = r));
    writeFileSync(join(dir, '.tmp'), policyYaml('b'));
    const { renameSync } = await import('node:fs');
    renameSync(join(dir, '.tmp'), file);
    await Promise.race([next, new Promise((_, rej) => setTimeout(() => rej(new Error('no change seen')), 3000))]);
    assert.equal(src.objects().policies![0]!.metadata.name, 'b');
    src.stop();
  });
});

describe('controller: policy settings from the config', () => {
  it('clusterCIDRs (IPv4), node and peer addresses, natOutgoing default on, natExclude', () => {
    const c = parseConfig(
      'nodeName: n1\nasn: 64512\nrouterId: 172.30.0.1\npodCIDRs: [10.244.1.0/24]\nclusterCIDRs: [10.244.0.0/16, "fd00::/48"]\n' +
        'peers: [{address: 172.30.0.254, asn: 65000}]\nnatExclude: [192.168.0.0/16]\n',
    );
    assert.deepEqual(policySettings(c, ['172.30.0.1', '10.0.0.9']), {
      nodeAddresses: ['172.30.0.1', '10.0.0.9', '172.30.0.254'],
      clusterCidrs: ['10.244.0.0/16'],
      natOutgoing: true,
      natExclude: ['192.168.0.0/16'],
    });
  });

  it('no clusterCIDRs: the pod CIDRs count as the cluster; natOutgoing false turns NAT off', () => {
    const c = parseConfig(
      'nodeName: n1\nasn: 64512\nrouterId: 172.30.0.1\npodCIDRs: [10.244.1.0/24]\nnatOutgoing: false\n',
    );
    const s = policySettings(c, []);
    assert.deepEqual(s.clusterCidrs, ['10.244.1.0/24']);
    assert.equal(s.natOutgoing, false);
  });
});

function routesStub() {
  return {
    routeViews: () => [],
    prepareRoutes: async () => {},
    routeSummary: () => ({ routes: 0, local: 0, bgp: 0, installed: 0, failed: 0 }),
  };
}

function metricsStub() {
  return {
    peers: () => [],
    routes: () => ({ desired: 0, installed: 0, failed: 0, applies: 0, errors: 0, lastApplySeconds: 0 }),
    ipam: () => undefined,
  };
}
