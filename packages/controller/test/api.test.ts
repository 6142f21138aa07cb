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
    await app.close();
  });

  it('unknown paths are 404', async () => {
    const { app } = await setup();
    assert.equal((await app.inject('/api/v1/nothing')).statusCode, 404);
    await app.close();
  });
});
