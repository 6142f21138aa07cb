// startKubernetesMode: what `gannet agent --kubernetes` runs, against the fake API server.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AgentConfig } from '../../src/config/types.js';
import type { SessionStatus } from '../../src/kubernetes/node-status-writer.js';
import { fetchPeersFromApi, type KubernetesMode, startKubernetesMode } from '../../src/kubernetes/start.js';
import { FakeApiServer } from './fake-apiserver.js';
import { CountingBackoff, eventually, FakeClock, kubeConfigFor, node, RESOURCES } from './helpers.js';

class MemoryLogger {
  readonly lines: string[] = [];
  info(m: string) {
    this.lines.push(`info ${m}`);
  }
  warn(m: string) {
    this.lines.push(`warn ${m}`);
  }
  error(m: string) {
    this.lines.push(`error ${m}`);
  }
}

const SESSION: SessionStatus = {
  address: '172.30.0.2',
  asn: 64512,
  state: 'Established',
  uptimeSeconds: 5,
  lastError: null,
  prefixesReceived: 1,
  prefixesAccepted: 1,
  prefixesAdvertised: 1,
};

describe('kubernetes/startKubernetesMode', function () {
  this.timeout(10_000);
  let server: FakeApiServer;
  let mode: KubernetesMode | undefined;
  let clock: FakeClock;
  let log: MemoryLogger;
  beforeEach(async () => {
    server = await FakeApiServer.start(RESOURCES);
    server.put('nodes', node('node1', '172.30.0.1', ['10.244.1.0/24']));
    server.put('nodes', node('node2', '172.30.0.2', ['10.244.2.0/24']));
    clock = new FakeClock();
    log = new MemoryLogger();
  });
  afterEach(async () => {
    mode?.stop();
    mode = undefined;
    await server.close();
  });

  const start = (fetchPeers: (c: AgentConfig) => Promise<SessionStatus[]>, env = { NODE_NAME: 'node1' }) =>
    startKubernetesMode({
      logger: log,
      kubeConfig: kubeConfigFor(server.url),
      env,
      clock,
      backoff: () => new CountingBackoff(),
      statusIntervalMs: 5000,
      fetchPeers,
    });

  it('gives the first config, pushes later ones, and writes the agent status to GannetNodeStatus', async () => {
    let polls = 0;
    mode = await start(async () => {
      polls++;
      return [SESSION];
    });
    assert.equal(mode.config.nodeName, 'node1');
    assert.deepEqual(
      mode.config.peers.map((p) => p.source),
      ['mesh:node2'],
    );
    const pushed: AgentConfig[] = [];
    mode.subscribe((c) => pushed.push(c));
    server.put('nodes', node('node3', '172.30.0.3', ['10.244.3.0/24']));
    await eventually(() => assert.equal(pushed.length, 1));
    assert.equal(pushed[0]!.peers.length, 2);

    // the poll timer fires, the (async) poll hands the status to the writer, whose timer then fires
    await eventually(() => {
      clock.advance(0);
      assert.ok(server.get('gannetnodestatuses', 'node1'));
    });
    const obj = server.get('gannetnodestatuses', 'node1')!;
    assert.equal(obj.metadata.ownerReferences[0].uid, server.get('nodes', 'node1')!.metadata.uid);
    assert.deepEqual(obj.status.sessions, [SESSION]);
    assert.deepEqual(obj.status.advertisedPrefixes, ['10.244.1.0/24']);
    assert.equal(obj.status.routerId, '172.30.0.1');
    assert.ok(log.lines.some((l) => l.startsWith('info kubernetes mode: synced')));

    mode.stop();
    const before = polls;
    clock.advance(60_000);
    assert.equal(polls, before, 'no polling after stop()');
  });

  it('logs an unreachable status API once, and recovers', async () => {
    let fail = true;
    mode = await start(async () => {
      if (fail) throw new Error('connect ECONNREFUSED 127.0.0.1:9179');
      return [SESSION];
    });
    for (let i = 0; i < 4; i++) {
      clock.advance(5000);
      await new Promise((r) => setImmediate(r));
    }
    assert.equal(log.lines.filter((l) => l.startsWith('warn cannot read the agent status')).length, 1);
    fail = false;
    clock.advance(5000);
    await new Promise((r) => setImmediate(r));
    await eventually(() => {
      clock.advance(0);
      assert.ok(server.get('gannetnodestatuses', 'node1'));
    });
  });

  it('logs invalid objects as warnings and API failures as errors', async () => {
    mode = await start(async () => []);
    server.put('bgppeers', { metadata: { name: 'bad' }, spec: { peerAddress: 'nope', asn: 1 } });
    await eventually(() => assert.ok(log.lines.some((l) => l.startsWith('warn BGPPeer/bad: spec.peerAddress'))));
    await server.outage();
    await eventually(() => assert.ok(log.lines.some((l) => /^error watch nodes: API server unreachable/.test(l))));
  });

  it('fails at once without NODE_NAME, and with a clear error on RBAC 403', async () => {
    await assert.rejects(
      start(async () => [], {} as { NODE_NAME: string }),
      /NODE_NAME is not set/,
    );
    server.forbid('list', 'bgpconfigurations');
    await assert.rejects(
      start(async () => []),
      /list bgpconfigurations: forbidden \(HTTP 403\)/,
    );
  });
});

describe('kubernetes/fetchPeersFromApi', () => {
  let http: Server;
  let body = '[]';
  let status = 200;
  let port = 0;
  before(async () => {
    http = createServer((req, res) => {
      assert.equal(req.url, '/api/v1/peers');
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    });
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
    port = (http.address() as { port: number }).port;
  });
  after(() => new Promise<void>((r) => http.close(() => r())));

  const cfg = (listen: string) => ({ api: { listen } }) as AgentConfig;

  it('reads the sessions (0.0.0.0 means this host)', async () => {
    body = JSON.stringify([SESSION]);
    status = 200;
    assert.deepEqual(await fetchPeersFromApi(cfg(`0.0.0.0:${port}`)), [SESSION]);
  });

  it('rejects a non-list answer and an HTTP error', async () => {
    body = '{"peers":[]}';
    await assert.rejects(fetchPeersFromApi(cfg(`127.0.0.1:${port}`)), /is not a list/);
    status = 503;
    await assert.rejects(fetchPeersFromApi(cfg(`127.0.0.1:${port}`)), /HTTP 503/);
  });
});
