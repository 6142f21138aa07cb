// BFD (RFC 5880/5881) between the Gannet agent and FRR (bfdd) or BIRD 2 (protocol bfd), in namespaces: the sessions
// come up; a silent link failure (everything dropped, link up) takes both routes out of both kernels in under a
// second with 100 ms × 3 while the hold time is 90 s; Admin-Down from FRR leaves the BGP session alone (RFC 5882 §3.2).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeBfdPacket } from '@gannet/bgp';
import {
  hasKernelRoute,
  heal,
  NODE_ADDR,
  NODE_PREFIX,
  type Node,
  ROUTER_PREFIX,
  type Router,
  RouteWatch,
  silentCut,
  startAgentNode,
  startBirdRouter,
  startFrrRouter,
  type Timers,
  twoNamespaces,
} from '../src/bfd-rig.js';
import { type Netns, sleep, TestNet, waitFor } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

const FAST: Timers = { minRxMs: 100, minTxMs: 100, multiplier: 3 };
const FORGED = '192.0.2.9';

/** Sends BFD Down packets from FORGED (source port 49200) to the node with this TTL, from the router's namespace. */
function sendDown(ns: Netns, ttl: number): void {
  const packet = encodeBfdPacket({
    version: 1,
    diag: 0,
    state: 'Down',
    poll: false,
    final: false,
    cpi: false,
    auth: false,
    demand: false,
    multipoint: false,
    detectMult: 3,
    myDiscr: 4242,
    yourDiscr: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 1_000_000,
    requiredMinEchoRxUs: 0,
  }).toString('hex');
  const script = `const s = require('node:dgram').createSocket('udp4');
s.bind(49200, '${FORGED}', () => { s.setTTL(${ttl}); let n = 0;
  const go = () => s.send(Buffer.from('${packet}', 'hex'), 3784, '${NODE_ADDR}', () => (++n < 5 ? setTimeout(go, 100) : s.close()));
  go(); });`;
  ns.run(process.execPath, ['-e', script], { timeoutMs: 10_000 });
}

for (const kind of ['frr', 'bird'] as const) {
  describe(`e2e: BFD between the agent and ${kind === 'frr' ? 'FRR bfdd' : 'BIRD 2'}`, function () {
    this.timeout(90_000);
    let net: TestNet;
    let dir: string;
    let nodeNs: Netns;
    let routerNs: Netns;
    let router: Router;
    let node: Node;

    const bothUp = async () => {
      await waitFor(
        'BGP Established and BFD Up on both sides',
        async () => {
          const p = await node.peer();
          return p.state === 'Established' && p.bfd?.state === 'Up' && router.bfdUp() && router.hasNodeRoute();
        },
        { timeoutMs: 40_000, intervalMs: 200 },
      );
      await waitFor('the router’s prefix in our kernel', () => hasKernelRoute(nodeNs, ROUTER_PREFIX), {
        timeoutMs: 10_000,
      });
    };

    before(async function () {
      requireRoot(this);
      dir = mkdtempSync(join(tmpdir(), 'gnt-bfd-e2e-'));
      net = new TestNet(`bfd${kind}`);
      ({ node: nodeNs, router: routerNs } = twoNamespaces(net));
      router = kind === 'frr' ? await startFrrRouter(net, routerNs, FAST) : await startBirdRouter(net, routerNs, FAST);
      // A second BFD peer with no BFD speaker behind it: the TTL test sends its packets by hand.
      routerNs.ip('addr', 'add', `${FORGED}/24`, 'dev', 'rtr0');
      node = await startAgentNode(net, nodeNs, dir, {
        bfd: FAST,
        holdTime: 90,
        extraPeers: [`{ address: ${FORGED}, asn: 65000, passive: true, bfd: { enabled: true } }`],
      });
      await bothUp();
    });

    after(async () => {
      if (routerNs) heal(routerNs);
      await router?.stop();
      await net?.cleanup();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('BFD is Up with the agreed 100 ms × 3 timers', async () => {
      const p = (await node.peer()) as { bfd?: { state: string; detectTimeMs?: number; txIntervalMs?: number } };
      assert.equal(p.bfd?.state, 'Up');
      await waitFor(
        'the Poll Sequence to settle the fast timers',
        async () => {
          const q = (await node.peer()) as { bfd?: { detectTimeMs?: number } };
          return q.bfd?.detectTimeMs === 300;
        },
        { timeoutMs: 5_000 },
      );
    });

    it('a silently dropping link takes both routes out of both kernels in under 1 s (hold time 90 s)', async () => {
      const ours = new RouteWatch(nodeNs);
      const theirs = new RouteWatch(routerNs);
      try {
        await Promise.all([ours.ready(), theirs.ready()]);
        const routerHasKernelRoute = hasKernelRoute(routerNs, NODE_PREFIX);
        const t0 = silentCut(routerNs);
        const goneHere = ours.gone(ROUTER_PREFIX, 10_000);
        const goneThere = routerHasKernelRoute ? theirs.gone(NODE_PREFIX, 10_000) : undefined;
        const here = (await goneHere) - t0;
        const there = goneThere ? (await goneThere) - t0 : undefined;
        await waitFor('the router drops our route from BGP', () => !router.hasNodeRoute(), { timeoutMs: 5_000 });
        const p = await node.peer();
        assert.notEqual(p.state, 'Established');
        assert.equal(p.bfd?.state, 'Down');
        assert.equal(p.bfd?.localDiag, 'control-detection-time-expired');
        console.log(
          `      ${kind}: router's route gone from our kernel after ${here.toFixed(0)} ms` +
            (there !== undefined ? `; ours from the router's kernel after ${there.toFixed(0)} ms` : ''),
        );
        assert.ok(here < 1000, `our kernel: ${here.toFixed(0)} ms`);
        if (there !== undefined) assert.ok(there < 1000, `router kernel: ${there.toFixed(0)} ms`);
      } finally {
        ours.close();
        theirs.close();
        heal(routerNs);
      }
      // The link heals: BFD and BGP come back by themselves.
      await bothUp();
    });

    if (kind === 'frr') {
      it('takes BFD packets only with TTL 255 (RFC 5881 §5): TTL 254 is dropped by the kernel, 255 is heard', async () => {
        // A Down packet from the peer takes our Down session to Init (RFC 5880 §6.8.6), if it is let in.
        const forged = async () => (await node.peers?.())?.find((p) => p.address === FORGED)?.bfd?.state;
        assert.equal(await forged(), 'Down');
        sendDown(routerNs, 254);
        await sleep(1_500); // the status the worker posts is at most 1 s old
        assert.equal(await forged(), 'Down', 'packets with TTL 254 never reached the session');
        sendDown(routerNs, 255);
        await waitFor('the TTL 255 packets heard (Init)', async () => (await forged()) === 'Init', {
          timeoutMs: 5_000,
        });
      });

      it('Admin-Down from FRR takes our BFD Down but not the BGP session (RFC 5882 §3.2); no shutdown brings it back', async () => {
        router.bfdShutdown(true);
        try {
          await waitFor('our BFD Down by the peer’s AdminDown', async () => (await node.peer()).bfd?.state === 'Down', {
            timeoutMs: 5_000,
          });
          const p = await node.peer();
          assert.equal(p.bfd?.localDiag, 'neighbor-signaled-session-down');
          // FRR 8.4 sends AdminDown with diag 0 rather than 7 (Administratively Down): the state is what counts.
          assert.equal((p.bfd as { remoteState?: string } | undefined)?.remoteState, 'AdminDown');
          await sleep(1_000);
          assert.equal((await node.peer()).state, 'Established');
          assert.ok(hasKernelRoute(nodeNs, ROUTER_PREFIX), 'the router’s route stays');
        } finally {
          router.bfdShutdown(false);
        }
        await waitFor('BFD Up again', async () => (await node.peer()).bfd?.state === 'Up', { timeoutMs: 10_000 });
      });
    }
  });
}
