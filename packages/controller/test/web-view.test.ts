// The web view: the live feed (one sampler, only changed sections sent), the page and the event stream over a real
// fastify server, and the policies shown per pod (read off the applied model).
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { FakeClock } from '@gannet/core/testing';
import type { NetworkPolicy, PodInfo } from '@gannet/policy';
import { MemoryNftRunner } from '@gannet/policy/testing';
import type { RouteSummary, RouteView } from '../src/agent.js';
import { buildApi } from '../src/api/server.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import type { PolicyInputSource, PolicyObjects } from '../src/network-policy/input-source.js';
import { PolicyEngine } from '../src/network-policy/policy-engine.js';
import type { PeerStatus } from '../src/ports.js';
import { LiveFeed, type PodView, type Section, type WebSource } from '../src/web/live-feed.js';
import { peerStatus } from './fakes.js';

class Source implements WebSource {
  peerList: PeerStatus[] = [peerStatus()];
  routes: RouteView[] = [{ prefix: '10.244.2.0/24', nexthops: ['172.30.0.2'], source: 'bgp', installed: true }];
  podList: PodView[] = [
    { ips: ['10.244.1.2', 'fd00:244:1::2'], namespace: 'x', name: 'a', ingress: ['x/deny-all'], egress: [] },
  ];
  isReady = true;
  ready() {
    return this.isReady;
  }
  notReady() {
    return this.isReady ? [] : ['BGP initial sync'];
  }
  peers() {
    return this.peerList;
  }
  routeViews() {
    return this.routes;
  }
  routeSummary(): RouteSummary {
    return {
      routes: this.routes.length + 1,
      local: 1,
      bgp: this.routes.length,
      installed: this.routes.length + 1,
      failed: 0,
    };
  }
  nodeName() {
    return 'node1';
  }
  pods() {
    return this.podList;
  }
}

function recorder() {
  const got: [Section, unknown][] = [];
  return { got, client: { send: (e: Section, d: string) => got.push([e, JSON.parse(d)]) } };
}

function metricsFor(src: Source) {
  return createMetrics({
    peers: () => src.peers(),
    routes: () => ({ desired: 1, installed: 1, failed: 0, applies: 1, errors: 0, lastApplySeconds: 0 }),
    ipam: () => undefined,
  });
}

async function turns(clock: FakeClock, ms: number) {
  for (let i = 0; i < 5; i++) {
    clock.advance(ms / 5);
    await new Promise((r) => setImmediate(r));
  }
}

describe('controller: web view', () => {
  it('a page connecting gets every section; afterwards only what changed, from one sampler for all pages', async () => {
    const clock = new FakeClock();
    const src = new Source();
    const feed = new LiveFeed(src, 100, clock);
    const a = recorder();
    const b = recorder();
    const offA = feed.subscribe(a.client);
    assert.deepEqual(
      a.got.map(([e]) => e),
      ['node', 'peers', 'routes', 'pods', 'policy'],
    );
    const offB = feed.subscribe(b.client);
    a.got.length = 0;
    b.got.length = 0;
    const before = feed.samples;
    await turns(clock, 500);
    assert.equal(a.got.length, 0, 'nothing changed: nothing sent');
    assert.ok(feed.samples - before <= 6, `one sampler for both pages (${feed.samples - before} samples in 500 ms)`);
    src.peerList = [peerStatus({ state: 'Active', lastError: 'hold timer expired' })];
    await turns(clock, 200);
    assert.deepEqual(
      a.got.map(([e]) => e),
      ['peers'],
    );
    assert.equal((a.got[0]![1] as { state: string }[])[0]!.state, 'Active');
    assert.deepEqual(b.got, a.got);
    src.isReady = false;
    await turns(clock, 200);
    assert.deepEqual(a.got.at(-1), ['node', { name: 'node1', ready: false, notReady: ['BGP initial sync'] }]);
    offA();
    offB();
    const idle = feed.samples;
    await turns(clock, 1000);
    assert.equal(feed.samples, idle, 'no page open: no sampling');
  });

  it('serves the page and streams the sections as server-sent events; a change arrives without a reload', async () => {
    const src = new Source();
    const app = buildApi(src, metricsFor(src));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    try {
      const page = await fetch(`${base}/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-type') ?? '', /text\/html/);
      const html = await page.text();
      assert.match(html, /new EventSource\('api\/v1\/events'\)/);
      assert.doesNotMatch(html, /https?:\/\//, 'nothing fetched from elsewhere');
      const ac = new AbortController();
      const res = await fetch(`${base}/api/v1/events`, { signal: ac.signal });
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const reader = res.body!.getReader();
      let text = '';
      const until = async (re: RegExp) => {
        for (let i = 0; i < 100 && !re.test(text); i++) {
          const { value, done } = await reader.read();
          if (done) break;
          text += new TextDecoder().decode(value);
        }
        assert.match(text, re);
      };
      await until(/event: policy\ndata: null\n\n/);
      assert.match(text, /event: node\ndata: \{"name":"node1","ready":true/);
      assert.match(text, /event: pods\ndata: \[\{"ips":\["10.244.1.2","fd00:244:1::2"\]/);
      src.peerList = [peerStatus({ state: 'Idle' })];
      await until(/"state":"Idle"/);
      ac.abort();
    } finally {
      await app.close(); // must not wait for the open stream
    }
  });

  it('closing the API ends open streams instead of waiting for them', async () => {
    const src = new Source();
    const app = buildApi(src, metricsFor(src));
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/api/v1/events`);
    const reader = res.body!.getReader();
    await reader.read();
    await app.close();
    let done = false;
    for (let i = 0; i < 50 && !done; i++) done = (await reader.read()).done;
    assert.equal(done, true);
  });

  it('lists, per local pod, the NetworkPolicies selecting it for ingress and for egress', async () => {
    const clock = new FakeClock();
    const objs: PolicyObjects = {};
    const source: PolicyInputSource = {
      name: 'manual',
      start: () => {},
      objects: () => objs,
      problems: () => [],
      stop: () => {},
    };
    const pod = (name: string, ip: string, labels: Record<string, string>): PodInfo => ({
      namespace: 'x',
      name,
      ips: [ip],
      labels,
      local: true,
    });
    const policy = (name: string, types: ('Ingress' | 'Egress')[], sel: Record<string, string>): NetworkPolicy => ({
      metadata: { namespace: 'x', name },
      spec: { podSelector: { matchLabels: sel }, policyTypes: types },
    });
    objs.pods = [pod('a', '10.244.1.2', { app: 'web' }), pod('b', '10.244.1.3', { app: 'db' })];
    objs.policies = [
      policy('web.deny', ['Ingress'], { app: 'web' }),
      policy('db-lockdown', ['Ingress', 'Egress'], { app: 'db' }),
    ];
    const engine = new PolicyEngine({
      nft: new MemoryNftRunner(),
      sources: [source],
      settings: { nodeAddresses: ['172.30.0.1'], clusterCidrs: ['10.244.0.0/16'], natOutgoing: true, natExclude: [] },
      logger: silentLogger(),
      clock,
      debounceMs: 10,
    });
    await engine.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(10);
      await new Promise((r) => setImmediate(r));
    }
    await engine.idle();
    const sel = engine.selection();
    assert.deepEqual(sel.get('10.244.1.2'), { ingress: ['x/web.deny'], egress: [] });
    assert.deepEqual(sel.get('10.244.1.3'), { ingress: ['x/db-lockdown'], egress: ['x/db-lockdown'] });
    await engine.stop();
  });
});
