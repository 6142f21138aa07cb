// gannet explain: the report rendered for a person, and the API's answers to bad input.
import assert from 'node:assert/strict';
import type { PrefixReport } from '../src/agent.js';
import { buildApi } from '../src/api/server.js';
import { renderExplain } from '../src/cli/explain.js';
import { main } from '../src/cli/main.js';
import { createMetrics } from '../src/metrics.js';
import { StatusHub } from '../src/status-api.js';

const REPORT: PrefixReport = {
  prefix: '10.244.2.0/24',
  local: false,
  kernel: { desired: true, installed: false, error: 'Nexthop has invalid gateway' },
  bgp: {
    afi: 1,
    prefix: '10.244.2.0/24',
    decision: 'as-path',
    nexthops: ['172.30.0.2'],
    paths: [
      {
        peer: '172.30.0.254',
        source: 'ebgp',
        nextHop: '172.30.0.2',
        asPath: [65000, 65002],
        localPref: 100,
        med: 0,
        origin: 0,
        communities: ['65000:100'],
        stale: false,
        status: 'best',
        imported: 'import rule 2 (10.244.0.0/16 ge 16 le 24) says permit',
      },
      {
        peer: '172.30.0.253',
        source: 'ebgp',
        nextHop: '172.30.0.3',
        asPath: [65100, 65200, 65002],
        localPref: 100,
        med: 0,
        origin: 0,
        stale: true,
        status: 'lost',
        why: 'longer AS_PATH',
      },
      {
        peer: '172.30.0.9',
        source: 'ebgp',
        nextHop: '172.30.0.9',
        asPath: [65009],
        localPref: 100,
        med: 0,
        origin: 2,
        stale: false,
        status: 'rejected',
        why: 'import rule 1 (10.244.2.0/24 le 32) says deny',
      },
    ],
    exports: [
      { peer: '172.30.0.254', status: 'not-sent', why: 'learned from this peer (never sent back)' },
      { peer: '172.30.0.7', status: 'down' },
    ],
  },
};

describe('controller: gannet explain', () => {
  it('renders the kernel’s refusal, the decision, each path with why, and the exports', () => {
    const t = renderExplain(REPORT);
    assert.match(t, /^10\.244\.2\.0\/24: NOT in the kernel: the kernel refuses it: Nexthop has invalid gateway$/m);
    assert.match(t, /best path from 172\.30\.0\.254: shortest AS_PATH/);
    assert.match(t, /✓ best +from 172\.30\.0\.254 \(ebgp\) next hop 172\.30\.0\.2/);
    assert.match(t, /AS path 65000 65002, local-pref 100, MED 0, origin IGP, communities 65000:100/);
    assert.match(t, /accepted: import rule 2/);
    assert.match(t, /✗ lost .*\[stale: peer restarting\]\n.*\n +lost: longer AS_PATH/);
    assert.match(
      t,
      /✗ rejected +from 172\.30\.0\.9 .*\n.*origin incomplete\n +import rule 1 \(10\.244\.2\.0\/24 le 32\) says deny/,
    );
    assert.match(t, /172\.30\.0\.254: not sent — learned from this peer/);
    assert.match(t, /172\.30\.0\.7: no session/);
  });

  it('the API: 400 without a prefix or with a bad one, 503 before the agent runs; the CLI names the API it asked', async () => {
    const hub = new StatusHub();
    const app = buildApi(
      hub,
      createMetrics({
        peers: () => [],
        routes: () => hub.routesStatus(),
        ipam: () => undefined,
      }),
    );
    try {
      assert.equal((await app.inject('/api/v1/explain')).statusCode, 400);
      assert.equal((await app.inject('/api/v1/explain?prefix=10.244.2.0/24')).statusCode, 503);
      await app.listen({ host: '127.0.0.1', port: 0 });
      const port = (app.server.address() as { port: number }).port;
      const err: string[] = [];
      const io = { out: () => {}, err: (t: string) => err.push(t) };
      assert.equal(await main(['explain', '10.244.2.0/24', '--api', `http://127.0.0.1:${port}`], io), 1);
      assert.match(err.join(''), /the agent is not running yet/);
      assert.equal(await main(['explain'], io), 2);
      assert.equal(await main(['explain', '10.0.0.0/8', '--api', 'http://127.0.0.1:1'], io), 1);
      assert.match(err.join(''), /cannot reach the agent's status API at http:\/\/127\.0\.0\.1:1/);
    } finally {
      await app.close();
    }
  });
});
