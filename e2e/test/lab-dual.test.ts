// The lab with --ip-family dual and ipv6, with FRR, BIRD 2 and the router-less mesh: every pod reaches every pod on
// another node at each of its addresses over routes learned by BGP (one session per family), and an agent killed
// (SIGKILL) or stopped (SIGTERM) under 10 ms ping and ping6 loses no packet; a deleted pod frees both its addresses.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { IpamStore, ipamUsage } from '@gannet/cni';
import type { LabOptions } from '@gannet/controller';
import { gannetRoutes, ipIn, monitorRoutes, TestLab } from '../src/lab-fixture.js';
import { describeLost, type Pinger, type PingStats, pingBurst, startPinger } from '../src/lab-pinger.js';
import { sleep, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

/** The agent's IPv6 routes in a node, one normalized line each, sorted. */
function gannetRoutes6(ns: string): string[] {
  return ipIn(ns, '-6', 'route', 'show', 'proto', 'gannet')
    .split('\n')
    .map((l) =>
      l
        .trim()
        .replace(/\s+/g, ' ')
        .replace(/ metric \d+ pref \S+$/, ''),
    )
    .filter(Boolean)
    .sort();
}

function snapshot(t: TestLab): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const n of t.plan.nodes) out[n.name] = [...gannetRoutes(n.ns), ...gannetRoutes6(n.ns)];
  return out;
}

/** Kill or stop node1's agent under 10 ms pings (both families out of it and into it), restart it: no loss. */
async function restartUnderTraffic(t: TestLab, signal: NodeJS.Signals): Promise<void> {
  const node = t.node('node1');
  const mine = t.pods('node1')[0]!;
  const other = t.pods('node2')[0]!;
  const before = snapshot(t);
  const pairs: [string, string, string][] = [
    [mine.ns, other.ip, `${mine.id} → ${other.ip}`],
    [other.ns, mine.ip, `${other.id} → ${mine.ip}`],
  ];
  if (mine.ip6 && other.ip6) {
    pairs.push([mine.ns, other.ip6, `${mine.id} → ${other.ip6}`], [other.ns, mine.ip6, `${other.id} → ${mine.ip6}`]);
  }
  const flows: { what: string; pinger: Pinger }[] = pairs.map(([ns, to, what]) => ({
    what,
    pinger: startPinger(ns, to),
  }));
  const results: { what: string; stats: PingStats }[] = [];
  const monitors = await Promise.all(t.plan.nodes.map(async (n) => ({ node: n.name, m: await monitorRoutes(n.ns) })));
  const events: { node: string; lines: string[] }[] = [];
  try {
    await sleep(500);
    await t.lab.stopAgent(node, signal);
    await sleep(3000);
    assert.deepEqual(snapshot(t), before, `routes while the agent is down after ${signal}`);
    t.lab.startAgent(node);
    await waitFor(
      'the restarted agent to be Established on every session again',
      async () => (await t.peerStates('node1')).every((s) => s === 'Established'),
      { timeoutMs: 40_000, intervalMs: 300 },
    );
    await waitFor('the routes to be as before', () => JSON.stringify(snapshot(t)) === JSON.stringify(before), {
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    await sleep(1500); // past the peers' End-of-RIB and our stale sweep
    assert.deepEqual(snapshot(t), before, 'routes after the restart');
  } finally {
    for (const f of flows) results.push({ what: f.what, stats: await f.pinger.stop() });
    for (const { node: n, m } of monitors) events.push({ node: n, lines: await m.stop() });
  }
  for (const { node: n, lines } of events) {
    const ours = lines.filter((l) => l.includes('proto gannet'));
    assert.deepEqual(ours, [], `route events of ours in ${n} during the restart`);
  }
  for (const { what, stats } of results) {
    assert.ok(stats.transmitted >= 200, `${what}: only ${stats.transmitted} pings sent`);
    assert.deepEqual(stats.lost, [], `${what}: ${describeLost(stats.lost)} of ${stats.transmitted}`);
  }
}

const cases: { family: 'dual' | 'ipv6'; router: LabOptions['router']; restarts: boolean }[] = [
  { family: 'dual', router: 'frr', restarts: true },
  { family: 'dual', router: 'bird', restarts: false },
  { family: 'dual', router: 'none', restarts: true },
  { family: 'ipv6', router: 'frr', restarts: true },
  { family: 'ipv6', router: 'bird', restarts: false },
  { family: 'ipv6', router: 'none', restarts: false },
];

for (const c of cases) {
  describe(`lab e2e: --ip-family ${c.family}, router ${c.router}`, function () {
    this.timeout(120_000);
    let t: TestLab;

    before(async function () {
      requireRoot(this);
      t = new TestLab({ nodes: 3, router: c.router, podsPerNode: 1, ipFamily: c.family });
      await t.up(90_000);
    });
    after(async () => {
      await t?.destroy();
    });

    it('has one session per family and peer Established on every node', async () => {
      const perFamily = c.router === 'none' ? 2 : 1;
      for (const node of t.plan.nodes) {
        assert.equal(node.peers.length, perFamily * (c.family === 'dual' ? 2 : 1));
        assert.deepEqual(
          await t.peerStates(node.name),
          node.peers.map(() => 'Established'),
        );
      }
    });

    it('delivers a 10 ms ping burst to every pod on another node at each of its addresses, without loss', () => {
      const pods = t.lab.state.pods;
      let flows = 0;
      for (const a of pods) {
        for (const b of pods.filter((x) => x.node !== a.node)) {
          for (const addr of [b.ip, b.ip6].filter((x): x is string => !!x)) {
            const s = pingBurst(a.ns, addr, 10);
            assert.equal(s.transmitted, 10, `${a.id} → ${addr}`);
            assert.deepEqual(s.lost, [], `${a.id} → ${addr}: ${describeLost(s.lost)}`);
            flows++;
          }
        }
      }
      assert.equal(flows, 6 * (c.family === 'dual' ? 2 : 1));
      if (c.family === 'ipv6') assert.ok(pods.every((p) => p.ip.includes(':') && p.ip6 === undefined));
    });

    it("installs an IPv6 blackhole for the node's own pod CIDR and each other node's via an IPv6 next hop", () => {
      for (const node of t.plan.nodes) {
        const own6 = node.podCIDR6 ?? node.podCIDR;
        const routes = gannetRoutes6(node.ns);
        assert.ok(routes.includes(`blackhole ${own6} dev lo`), `${node.name}: ${routes.join(' | ')}`);
        for (const o of t.plan.nodes.filter((x) => x !== node)) {
          const theirs = o.podCIDR6 ?? o.podCIDR;
          assert.ok(
            routes.some((r) =>
              new RegExp(`^${theirs.replaceAll('.', '\\.')} via fd00:172:30::[0-9a-f]+ dev eth0`).test(r),
            ),
            `${node.name} → ${theirs}: ${routes.join(' | ')}`,
          );
        }
        if (c.family === 'ipv6') assert.deepEqual(gannetRoutes(node.ns), [], 'no IPv4 route in an IPv6-only lab');
      }
    });

    if (c.restarts) {
      it('loses no packet (ping and ping6) when the agent is killed (SIGKILL) and restarted', async () => {
        await restartUnderTraffic(t, 'SIGKILL');
      });
      it('loses no packet (ping and ping6) when the agent is stopped (SIGTERM) and restarted', async () => {
        await restartUnderTraffic(t, 'SIGTERM');
      });
    }

    if (c.family === 'dual' && c.router === 'frr') {
      it('frees both addresses of a deleted pod', async () => {
        const node = t.node('node3');
        const pod = t.pods('node3')[0]!;
        const dir = join(t.lab.nodeDir(node), 'ipam');
        const usage = (podCIDR: string) => ipamUsage({ dataDir: dir, network: 'gannet', podCIDR }).used;
        const container = `${t.plan.options.name}-${pod.id}`;
        const claims = () =>
          new IpamStore(dir, 'gannet')
            .list()
            .filter((r) => r.containerId === container)
            .map((r) => r.address)
            .sort();
        assert.deepEqual(claims(), [pod.ip, pod.ip6].sort());
        const before = [usage(node.podCIDR), usage(node.podCIDR6!)];
        await t.lab.deletePod(pod.id);
        assert.deepEqual(claims(), []);
        assert.deepEqual([usage(node.podCIDR), usage(node.podCIDR6!)], [before[0]! - 1, before[1]! - 1]);
        assert.equal(ipIn(node.ns, '-6', 'route', 'show', `${pod.ip6}/128`), '', 'the IPv6 host route is gone');
      });
    }
  });
}
