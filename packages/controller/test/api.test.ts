import assert from 'node:assert/strict';
import { Agent } from '../src/agent.js';
import { buildApi } from '../src/api/server.js';
import { parseConfig } from '../src/config/load-config.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { FakeRoutes, FakeSpeaker, peerStatus } from './fakes.js';

async function setup() {
  const speaker = new FakeSpeaker();
  const routes = new FakeRoutes();
  const agent = new Agent(
    parseConfig(
      'nodeName: n1\nasn: 64512\nrouterId: 10.0.0.1\npodCIDRs: [10.244.1.0/24]\nclusterCIDRs: [10.244.0.0/16]\n',
    ),
    { speaker, routes, logger: silentLogger(), writeState: () => {} },
  );
  await agent.start();
  speaker.status = [
    peerStatus(),
    peerStatus({ address: '10.0.0.2', asn: 64512, state: 'Active', lastError: 'connection-refused', uptimeSeconds: 0 }),
  ];
  speaker.emitBest([{ prefix: '10.244.2.0/24', nexthops: ['10.0.0.2'] }]);
  const metrics = createMetrics({
    peers: () => agent.peers(),
    routes: () => routes.status(),
    ipam: () => ({ used: 5, free: 248 }),
  });
  metrics.observeApply(0.004);
  const app = buildApi(agent, metrics);
  return { app, agent, speaker, routes };
}

describe('controller: status API', () => {
  it('GET /healthz is ok; /readyz is 503 until the initial sync, then 200', async () => {
    const { app, speaker } = await setup();
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    const notReady = await app.inject('/readyz');
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json(), {
      status: 'not ready',
      missing: ['BGP initial sync not done (End-of-RIB from every peer, or gracefulRestart.deferralTime)'],
    });
    speaker.emitInitialSync();
    assert.equal((await app.inject('/readyz')).statusCode, 200);
    await app.close();
  });

  it('GET /api/v1/peers returns the contract fields with RFC 4271 state names', async () => {
    const { app } = await setup();
    const res = await app.inject('/api/v1/peers');
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), [
      {
        address: '172.30.0.254',
        asn: 65000,
        state: 'Established',
        uptimeSeconds: 42,
        lastError: null,
        prefixesReceived: 3,
        prefixesAccepted: 2,
        prefixesAdvertised: 1,
      },
      {
        address: '10.0.0.2',
        asn: 64512,
        state: 'Active',
        uptimeSeconds: 0,
        lastError: 'connection-refused',
        prefixesReceived: 3,
        prefixesAccepted: 2,
        prefixesAdvertised: 1,
      },
    ]);
    await app.close();
  });

  it('GET /api/v1/routes lists local and learned prefixes with install state', async () => {
    const { app, routes } = await setup();
    routes.failed = [{ dst: '10.244.2.0/24', reason: 'Nexthop has invalid gateway' }];
    assert.deepEqual((await app.inject('/api/v1/routes')).json(), [
      { prefix: '10.244.1.0/24', nexthops: [], source: 'local', installed: true },
      { prefix: '10.244.2.0/24', nexthops: ['10.0.0.2'], source: 'bgp', installed: false },
    ]);
    await app.close();
  });

  it('GET /api/v1/routes shows the AS path, communities and large communities of learned routes', async () => {
    const { app, speaker } = await setup();
    speaker.attributes.set('10.244.2.0/24', {
      asPath: [65000, 65000],
      communities: ['65000:100', 'no-export'],
      largeCommunities: ['65000:1:2'],
    });
    assert.deepEqual((await app.inject('/api/v1/routes')).json(), [
      { prefix: '10.244.1.0/24', nexthops: [], source: 'local', installed: true },
      {
        prefix: '10.244.2.0/24',
        nexthops: ['10.0.0.2'],
        source: 'bgp',
        installed: true,
        asPath: [65000, 65000],
        communities: ['65000:100', 'no-export'],
        largeCommunities: ['65000:1:2'],
      },
    ]);
    await app.close();
  });

  it('GET /metrics serves Prometheus text with peer, route and IPAM metrics', async () => {
    const { app } = await setup();
    const res = await app.inject('/metrics');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const body = res.body;
    assert.match(body, /gannet_bgp_peer_state\{peer="172\.30\.0\.254",asn="65000",state="Established"\} 1/);
    assert.match(body, /gannet_bgp_peer_state\{peer="10\.0\.0\.2",asn="64512",state="Established"\} 0/);
    assert.match(body, /gannet_bgp_session_flaps\{peer="172\.30\.0\.254",asn="65000"\} 1/);
    assert.match(body, /gannet_bgp_prefixes_accepted\{peer="172\.30\.0\.254",asn="65000"\} 2/);
    assert.match(body, /gannet_bgp_updates_received\{peer="172\.30\.0\.254",asn="65000"\} 7/);
    assert.match(body, /gannet_routes_installed 2/);
    assert.match(body, /gannet_routes_reconciles_total 1/);
    assert.match(body, /gannet_routes_reconcile_duration_seconds_bucket\{le="0\.005"\} 1/);
    assert.match(body, /gannet_ipam_addresses_used 5/);
    assert.match(body, /gannet_ipam_addresses_free 248/);
    assert.match(body, /gannet_process_resident_memory_bytes \d+/);
    assert.match(body, /gannet_nodejs_heap_size_used_bytes \d+/);
    assert.match(body, /gannet_event_loop_lag_seconds_bucket\{le="0\.1"\} \d+/);
    assert.match(body, /gannet_event_loop_busy_seconds_bucket\{le="0\.1"\} \d+/);
    await app.close();
  });

  it('GET /api/v1/routes pages with ?limit=&after= and a Link to the next page, in address order', async () => {
    const { app, speaker } = await setup();
    speaker.emitBest(
      ['10.244.10.0/24', '10.244.3.0/24', '10.244.0.0/24', '10.244.1.0/24'].map((prefix) => ({
        prefix,
        nexthops: ['10.0.0.3', '10.0.0.2'],
      })),
    );
    const all = (await app.inject('/api/v1/routes')).json() as { prefix: string; source: string }[];
    assert.deepEqual(
      all.map((r) => `${r.prefix} ${r.source}`),
      [
        '10.244.0.0/24 bgp',
        '10.244.1.0/24 local',
        '10.244.1.0/24 bgp',
        '10.244.2.0/24 bgp',
        '10.244.3.0/24 bgp',
        '10.244.10.0/24 bgp',
      ],
      'by address (10.244.3 before 10.244.10); a prefix both local and learned lists local first',
    );
    const first = await app.inject('/api/v1/routes?limit=2');
    assert.equal(first.statusCode, 200);
    assert.deepEqual(
      (first.json() as { prefix: string }[]).map((r) => r.prefix),
      ['10.244.0.0/24', '10.244.1.0/24', '10.244.1.0/24'],
      'a page never splits one prefix',
    );
    assert.equal(first.headers.link, '</api/v1/routes?limit=2&after=10.244.1.0%2F24>; rel="next"');
    const second = await app.inject('/api/v1/routes?limit=2&after=10.244.1.0%2F24');
    assert.deepEqual(
      (second.json() as { prefix: string }[]).map((r) => r.prefix),
      ['10.244.2.0/24', '10.244.3.0/24'],
    );
    const last = await app.inject('/api/v1/routes?limit=2&after=10.244.3.0/24');
    assert.deepEqual(
      (last.json() as { prefix: string }[]).map((r) => r.prefix),
      ['10.244.10.0/24'],
    );
    assert.equal(last.headers.link, undefined, 'no next page');
    assert.deepEqual((await app.inject('/api/v1/routes?after=10.244.10.0/24')).json(), []);
    assert.deepEqual(
      (await app.inject('/api/v1/routes?after=10.244.2.128/25')).json().length,
      2,
      'any prefix is a cursor',
    );
    await app.close();
  });

  it('GET /api/v1/routes refuses a bad limit or cursor with 400 and a message', async () => {
    const { app } = await setup();
    for (const q of [
      'limit=0',
      'limit=-1',
      'limit=abc',
      'limit=1.5',
      'limit=10001',
      'after=nonsense',
      'after=10.0.0.1/24',
    ]) {
      const res = await app.inject(`/api/v1/routes?${q}`);
      assert.equal(res.statusCode, 400, q);
      assert.match((res.json() as { error: string }).error, /^(limit|after): /, q);
    }
    await app.close();
  });

  it('GET /api/v1/routes/summary counts routes by source, installed and failed', async () => {
    const { app, routes } = await setup();
    routes.failed = [{ dst: '10.244.2.0/24', reason: 'Nexthop has invalid gateway' }];
    assert.deepEqual((await app.inject('/api/v1/routes/summary')).json(), {
      routes: 2,
      local: 1,
      bgp: 1,
      installed: 1,
      failed: 1,
    });
    await app.close();
  });

  it('unknown paths are 404', async () => {
    const { app } = await setup();
    assert.equal((await app.inject('/api/v1/nothing')).statusCode, 404);
    await app.close();
  });

  it('a peer with BFD shows its session in /api/v1/peers and in gannet_bfd_* metrics', async () => {
    const { app, speaker } = await setup();
    const bfd = {
      state: 'Down' as const,
      remoteState: 'Up' as const,
      localDiag: 'control-detection-time-expired',
      remoteDiag: 'none',
      txIntervalMs: 100,
      detectTimeMs: 300,
      uptimeSeconds: 0,
      downs: 2,
      downsByDiag: { 'control-detection-time-expired': 1, 'neighbor-signaled-session-down': 1 },
    };
    speaker.status = [peerStatus({ bfd }), peerStatus({ address: '10.0.0.2' })];
    const peers = (await app.inject('/api/v1/peers')).json();
    assert.deepEqual(peers[0].bfd, bfd);
    assert.equal('bfd' in peers[1], false);
    const body = (await app.inject('/metrics')).body;
    assert.match(body, /gannet_bfd_session_state\{peer="172\.30\.0\.254",asn="65000",state="Down"\} 1/);
    assert.match(body, /gannet_bfd_session_state\{peer="172\.30\.0\.254",asn="65000",state="Up"\} 0/);
    assert.match(body, /gannet_bfd_session_downs\{peer="172\.30\.0\.254",asn="65000"\} 2/);
    assert.match(body, /gannet_bfd_detect_time_seconds\{peer="172\.30\.0\.254",asn="65000"\} 0\.3/);
    assert.doesNotMatch(body, /gannet_bfd_session_state\{peer="10\.0\.0\.2"/);
    await app.close();
  });
});
