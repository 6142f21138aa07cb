import assert from 'node:assert/strict';
import { PrefixFilter, type PrefixRule } from '@gannet/bgp';
import { Agent, identityChanges } from '../src/agent.js';
import { parseConfig } from '../src/config/load-config.js';
import type { AgentConfig } from '../src/config/types.js';
import { silentLogger } from '../src/log.js';
import { FakeRoutes, FakeSpeaker } from './fakes.js';

/** The speaker's own evaluation of a rule list (first match decides, no match denies). */
const evaluate = (rules: PrefixRule[], prefix: string) => new PrefixFilter({ rules }).evaluate(prefix);

const CONFIG = `
nodeName: node1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
nodeStateFile: /dev/null/gannet/state.json
peers:
  - { address: 172.30.0.254, asn: 65000 }
  - { address: 172.30.0.2, asn: 64512, holdTime: 9 }
`;

function setup(text = CONFIG) {
  const speaker = new FakeSpeaker();
  const routes = new FakeRoutes();
  const states: { path: string; state: unknown }[] = [];
  const agent = new Agent(parseConfig(text), {
    speaker,
    routes,
    logger: silentLogger(),
    writeState: (path, state) => states.push({ path, state }),
  });
  return { agent, speaker, routes, states };
}

describe('controller: agent', () => {
  it('starts: writes node state, originates pod CIDRs, installs a blackhole for them, configures peers', async () => {
    const { agent, speaker, routes, states } = setup();
    await agent.start();
    assert.deepEqual(states, [
      { path: '/dev/null/gannet/state.json', state: { nodeName: 'node1', podCIDRs: ['10.244.1.0/24'] } },
    ]);
    assert.ok(routes.started && speaker.running);
    assert.deepEqual(speaker.origins, ['10.244.1.0/24']);
    assert.deepEqual(routes.desired, [{ dst: '10.244.1.0/24', type: 'blackhole', nexthops: [] }]);
    const peers = speaker.peerSets.at(-1)!;
    assert.deepEqual(
      peers.map((p) => [p.address, p.asn, p.holdTime, p.maxPrefixes, p.gracefulRestart]),
      [
        ['172.30.0.254', 65000, undefined, 10000, true],
        ['172.30.0.2', 64512, 9, 10000, true],
      ],
    );
  });

  it('resolves the default import and export policy per the contract', async () => {
    const { agent, speaker } = setup();
    await agent.start();
    const peer = speaker.peerSets.at(-1)![0]!;
    const imp = (p: string) => evaluate(peer.import, p);
    assert.equal(imp('10.244.2.0/24'), 'permit', 'another node block');
    assert.equal(imp('10.244.0.0/16'), 'permit', 'the cluster aggregate');
    assert.equal(imp('10.244.1.0/24'), 'deny', 'our own pod CIDR');
    assert.equal(imp('10.244.1.128/25'), 'deny', 'part of our own pod CIDR');
    assert.equal(imp('10.244.2.7/32'), 'deny', 'longer than the block length (a pod or node address)');
    assert.equal(imp('10.96.0.0/12'), 'deny', 'outside clusterCIDRs');
    assert.equal(imp('0.0.0.0/0'), 'deny', 'default route');
    const exp = (p: string) => evaluate(peer.export, p);
    assert.equal(exp('10.244.1.0/24'), 'permit');
    assert.equal(exp('10.244.2.0/24'), 'deny', 'never one peer’s route to another');
  });

  it('without clusterCIDRs accepts nothing', async () => {
    const { agent, speaker } = setup(CONFIG.replace('clusterCIDRs: [10.244.0.0/16]\n', ''));
    await agent.start();
    const peer = speaker.peerSets.at(-1)![0]!;
    assert.equal(evaluate(peer.import, '10.244.2.0/24'), 'deny');
  });

  it('turns best-path changes into kernel routes, with ECMP sets and withdrawals, never over its own CIDR', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    speaker.emitBest([
      { prefix: '10.244.2.0/24', nexthops: ['172.30.0.2'] },
      { prefix: '10.244.3.0/24', nexthops: ['172.30.0.4', '172.30.0.3'] },
      { prefix: '10.244.1.0/24', nexthops: ['172.30.0.9'] },
    ]);
    assert.deepEqual(routes.desired, [
      { dst: '10.244.1.0/24', type: 'blackhole', nexthops: [] },
      { dst: '10.244.2.0/24', type: 'unicast', nexthops: ['172.30.0.2'] },
      { dst: '10.244.3.0/24', type: 'unicast', nexthops: ['172.30.0.3', '172.30.0.4'] },
    ]);
    speaker.emitBest([{ prefix: '10.244.2.0/24', nexthops: [] }]);
    assert.deepEqual(
      routes.desired.map((r) => r.dst),
      ['10.244.1.0/24', '10.244.3.0/24'],
    );
    const view = agent.routes();
    assert.deepEqual(
      view.map((r) => [r.prefix, r.source, r.nexthops.length]),
      [
        ['10.244.1.0/24', 'local', 0],
        ['10.244.1.0/24', 'bgp', 1],
        ['10.244.3.0/24', 'bgp', 2],
      ],
    );
  });

  it('sweeps stale kernel routes only after the initial sync, and is ready only then', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    assert.equal(routes.initialDone, false);
    assert.equal(agent.ready(), false);
    speaker.emitInitialSync();
    assert.equal(routes.initialDone, true);
    assert.equal(agent.ready(), true);
    routes.isSynced = false;
    assert.equal(agent.ready(), false, 'not ready while the kernel does not match');
  });

  it('applies a whole table a slice per turn of the event loop, in order, and sweeps stale routes only after it', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    const prefix = (i: number) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
    const table = Array.from({ length: 12_000 }, (_, i) => ({ prefix: prefix(i), nexthops: ['10.0.0.2'] }));
    speaker.emitBest(table);
    speaker.emitBest([{ prefix: prefix(11_999), nexthops: [] }]); // arrives after: must win
    speaker.emitInitialSync();
    assert.equal(routes.desired.length, 1 + 5000, 'the first slice at once, the rest later');
    assert.equal(routes.initialDone, false, 'no sweep while best paths wait to be applied');
    assert.equal(agent.ready(), false);
    for (let i = 0; i < 10 && !routes.initialDone; i++) await new Promise((r) => setImmediate(r));
    assert.equal(routes.initialDone, true);
    assert.equal(routes.desired.length, 1 + 11_999);
    assert.ok(!routes.desired.some((r) => r.dst === prefix(11_999)), 'the later withdrawal applied last');
    assert.equal(agent.ready(), true);
  });

  it('a prefix withdrawn and announced again in one batch stays in the kernel (the last change counts)', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    speaker.emitBest([{ prefix: '10.244.7.0/24', nexthops: ['10.0.0.2'] }]);
    speaker.emitBest([
      { prefix: '10.244.7.0/24', nexthops: [] },
      { prefix: '10.244.7.0/24', nexthops: ['10.0.0.3'] },
      { prefix: '10.244.8.0/24', nexthops: ['10.0.0.2'] },
      { prefix: '10.244.8.0/24', nexthops: [] },
    ]);
    assert.deepEqual(
      routes.desired.filter((r) => r.type === 'unicast'),
      [{ dst: '10.244.7.0/24', type: 'unicast', nexthops: ['10.0.0.3'] }],
    );
  });

  it('drops best paths still waiting when it stops (the next agent adopts the kernel routes)', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    speaker.emitBest(
      Array.from({ length: 12_000 }, (_, i) => ({ prefix: `10.200.${i >> 8}.${i & 255}/32`, nexthops: ['10.0.0.2'] })),
    );
    await agent.stop();
    await new Promise((r) => setImmediate(r));
    assert.equal(routes.desired.length, 1 + 5000);
  });

  it('starts as a restarting speaker when our routes survived in the kernel (graceful restart)', async () => {
    const fresh = setup();
    await fresh.agent.start();
    assert.equal(fresh.speaker.restarting, false);
    const again = setup();
    again.routes.adopted = 12;
    await again.agent.start();
    assert.equal(again.speaker.restarting, true);
  });

  it('stops gracefully: no NOTIFICATION, kernel routes left in place', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    await agent.stop();
    assert.equal(speaker.stoppedGracefully, true);
    assert.ok(routes.stopped);
    assert.notEqual(routes.desired.length, 0, 'nothing withdrawn from the kernel');
  });

  it('keeps learned routes in the kernel when the stopping speaker withdraws them (its sessions close)', async () => {
    const { agent, speaker, routes } = setup();
    await agent.start();
    speaker.emitBest([{ prefix: '10.244.2.0/24', nexthops: ['172.30.0.2'] }]);
    const before = JSON.stringify(routes.desired);
    assert.match(before, /10\.244\.2\.0\/24/);
    // as the real speaker does on a graceful stop: the closed sessions' paths go, reported as withdrawals
    speaker.stop = async (opts) => {
      speaker.emitBest([{ prefix: '10.244.2.0/24', nexthops: [] }]);
      speaker.stoppedGracefully = opts.graceful;
    };
    await agent.stop();
    assert.equal(JSON.stringify(routes.desired), before, 'the learned route stays desired until the next agent');
  });

  it('reconfigures peers and pod CIDRs in place; refuses identity changes', async () => {
    const { agent, speaker, routes, states } = setup();
    await agent.start();
    const next: AgentConfig = parseConfig(
      CONFIG.replace('holdTime: 9', 'holdTime: 30').replace('[10.244.1.0/24]', '[10.244.1.0/24, 10.244.9.0/24]'),
    );
    assert.equal(agent.reconfigure(next), true);
    const peers = speaker.peerSets.at(-1)!;
    assert.equal(peers[1]!.holdTime, 30);
    assert.deepEqual(speaker.origins, ['10.244.1.0/24', '10.244.9.0/24']);
    assert.equal(states.length, 2, 'node state rewritten');
    assert.deepEqual(
      routes.desired.filter((r) => r.type === 'blackhole').map((r) => r.dst),
      ['10.244.1.0/24', '10.244.9.0/24'],
    );
    const before = speaker.peerSets.length;
    assert.equal(agent.reconfigure(parseConfig(CONFIG.replace('asn: 64512\nrouterId', 'asn: 64513\nrouterId'))), false);
    assert.equal(speaker.peerSets.length, before, 'identity change applies nothing');
  });

  it('says what is missing before ready: not started, BGP initial sync, kernel routes', async () => {
    const { agent, speaker, routes } = setup();
    assert.deepEqual(agent.notReady(), ['agent not started']);
    await agent.start();
    routes.isSynced = false;
    assert.deepEqual(agent.notReady(), [
      'BGP initial sync not done (End-of-RIB from every peer, or gracefulRestart.deferralTime)',
      'kernel routes not synced',
    ]);
    speaker.emitInitialSync();
    assert.deepEqual(agent.notReady(), ['kernel routes not synced']);
    routes.isSynced = true;
    assert.deepEqual(agent.notReady(), []);
  });

  it('all or nothing: a speaker that cannot start stops the kernel routes (and itself) again', async () => {
    const { agent, speaker, routes } = setup();
    let stops = 0;
    speaker.start = async () => {
      speaker.running = true;
      throw Object.assign(new Error('listen EADDRINUSE: address already in use 0.0.0.0:179'), { code: 'EADDRINUSE' });
    };
    const stop = speaker.stop.bind(speaker);
    speaker.stop = async (o) => {
      stops++;
      await stop(o);
    };
    await assert.rejects(agent.start(), /EADDRINUSE/);
    assert.equal(routes.started, true);
    assert.equal(routes.stopped, true, 'the kernel routes’ helpers stopped');
    assert.equal(speaker.running, false);
    assert.equal(stops, 1);
    assert.notEqual(routes.desired.length, 0, 'nothing withdrawn from the kernel');
    assert.equal(agent.ready(), false);
    await agent.stop(); // a stop after a failed start does nothing more
    assert.equal(stops, 1);
  });

  it('a kernel that cannot be listed fails the start before the speaker runs', async () => {
    const { agent, speaker, routes } = setup();
    routes.start = async () => {
      throw new Error('ip: cannot open netlink socket');
    };
    await assert.rejects(agent.start(), /netlink/);
    assert.equal(speaker.running, false);
    assert.equal(routes.stopped, true);
  });

  it('identity changes are named for the log', () => {
    const a = parseConfig(CONFIG);
    const b = parseConfig(CONFIG.replace('asn: 64512\nrouterId: 172.30.0.1', 'asn: 64513\nrouterId: 172.30.0.9'));
    assert.deepEqual(identityChanges(a, b), ['asn 64512 → 64513', 'routerId 172.30.0.1 → 172.30.0.9']);
    assert.deepEqual(identityChanges(a, { ...a, listen: { address: '0.0.0.0', port: 1179 } }), [
      'listen {"address":"0.0.0.0","port":179} → {"address":"0.0.0.0","port":1179}',
    ]);
    assert.deepEqual(identityChanges(a, { ...a, peers: [] }), []);
  });

  it('keeps running when the node state file cannot be written', async () => {
    const speaker = new FakeSpeaker();
    const routes = new FakeRoutes();
    const agent = new Agent(parseConfig(CONFIG), { speaker, routes, logger: silentLogger() });
    await agent.start(); // the real writer: /dev/null is not a directory, even for root
    assert.ok(speaker.running);
  });
});
