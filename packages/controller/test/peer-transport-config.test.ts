// TCP-MD5 passwords, TTL / GTSM and dynamic neighbours from the config file to the speaker: keys checked with their
// line, passwords never in an error, passwordFile read and its mode checked, ranges resolved with the agent's
// policy; and through the real speaker adapter on an in-memory network, the password never reaches /api/v1/peers
// or the metrics.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryNetwork } from '@gannet/bgp';
import { BgpSpeaker } from '../src/adapters/bgp-speaker.js';
import { Agent } from '../src/agent.js';
import { buildApi } from '../src/api/server.js';
import { loadConfigFile, parseConfig } from '../src/config/load-config.js';
import { configFileWarnings, rangeHolds } from '../src/config/peer-transport-config.js';
import { ConfigError } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import { createMetrics } from '../src/metrics.js';
import { resolvePeer, resolvePeerRange } from '../src/policy.js';
import { FakeRoutes, FakeSpeaker } from './fakes.js';

const head = `nodeName: n1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
peers:
`;

function fails(text: string, re: RegExp, secret?: string): void {
  assert.throws(
    () => parseConfig(text, 'gannet.yaml'),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError, String(e));
      assert.match(e.message, re);
      if (secret) assert.ok(!e.message.includes(secret), `the password leaked: ${e.message}`);
      return true;
    },
  );
}

describe('controller: TCP-MD5, TTL and GTSM per peer', () => {
  it('password, ebgpMultihop and ttlSecurity reach the speaker peer', () => {
    const c = parseConfig(
      `${head}  - { address: 172.30.0.254, asn: 65000, password: "s3cr t", ebgpMultihop: 2, ttlSecurity: true }\n`,
    );
    const p = resolvePeer(c, c.peers[0]!);
    assert.equal(p.password, 's3cr t');
    assert.equal(p.ebgpMultihop, 2);
    assert.equal(p.ttlSecurity, true);
    const none = parseConfig(`${head}  - { address: 172.30.0.254, asn: 65000 }\n`);
    const q = resolvePeer(none, none.peers[0]!);
    assert.equal('password' in q || 'ebgpMultihop' in q || 'ttlSecurity' in q, false);
  });

  it('bad values name the key and line, never the password', () => {
    const long = 'x'.repeat(81);
    fails(
      `${head}  - address: 172.30.0.254\n    asn: 65000\n    password: ${long}\n`,
      /gannet\.yaml:9: peers\[0\]\.password.*81 bytes, TCP-MD5 takes at most 80/s,
      long,
    );
    fails(`${head}  - { address: 172.30.0.254, asn: 65000, password: "" }\n`, /peers\[0\]\.password.*empty/);
    fails(
      `${head}  - { address: 172.30.0.254, asn: 65000, password: 1234 }\n`,
      /peers\[0\]\.password.*must be a string \(quote it\)/,
      '1234',
    );
    fails(`${head}  - { address: 172.30.0.254, asn: 65000, ebgpMultihop: 0 }\n`, /peers\[0\]\.ebgpMultihop.*1\.\.255/);
    fails(`${head}  - { address: 172.30.0.254, asn: 65000, ebgpMultihop: 256 }\n`, /peers\[0\]\.ebgpMultihop/);
    fails(
      `${head}  - { address: 172.30.0.254, asn: 65000, ttlSecurity: yes }\n`,
      /peers\[0\]\.ttlSecurity.*true or false/,
    );
    fails(
      `${head}  - { address: 172.30.0.254, asn: 65000, password: a, passwordFile: /x }\n`,
      /peers\[0\]\.passwordFile.*not both/,
    );
  });

  describe('passwordFile', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'gannet-pw-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('is read relative to the config file, one trailing newline dropped; the mode of files with passwords is checked', () => {
      writeFileSync(join(dir, 'tor.pw'), 'from-a-file\n', { mode: 0o600 });
      const cfg = join(dir, 'gannet.yaml');
      writeFileSync(
        cfg,
        `${head}  - { address: 172.30.0.254, asn: 65000, passwordFile: tor.pw }\n  - { address: 172.30.0.253, asn: 65000 }\n`,
        { mode: 0o644 },
      );
      const c = loadConfigFile(cfg);
      assert.equal(c.peers[0]?.password, 'from-a-file');
      assert.equal(c.peers[0]?.passwordFile, join(dir, 'tor.pw'));
      assert.deepEqual(configFileWarnings(cfg, c), [], 'the config holds no password, the file is 0600');
      chmodSync(join(dir, 'tor.pw'), 0o644);
      assert.deepEqual(configFileWarnings(cfg, c), [
        `${join(dir, 'tor.pw')} holds a TCP-MD5 password and every user can read it (mode 644): chmod o-r ${join(dir, 'tor.pw')}`,
      ]);
      // a password written in the config file itself: the config file's mode counts
      writeFileSync(cfg, `${head}  - { address: 172.30.0.254, asn: 65000, password: inline }\n`);
      chmodSync(cfg, 0o644);
      const d = loadConfigFile(cfg);
      assert.match(
        configFileWarnings(cfg, d)[0] ?? '',
        /gannet\.yaml holds a TCP-MD5 password and every user can read it \(mode 644\)/,
      );
      chmodSync(cfg, 0o640);
      assert.deepEqual(configFileWarnings(cfg, d), []);
    });

    it('a missing, empty, multi-line or too long file is an error naming the key', () => {
      const cfg = join(dir, 'gannet.yaml');
      const load = (content: string | undefined) => {
        if (content !== undefined) writeFileSync(join(dir, 'pw'), content);
        else rmSync(join(dir, 'pw'), { force: true });
        writeFileSync(cfg, `${head}  - { address: 172.30.0.254, asn: 65000, passwordFile: pw }\n`);
        return () => loadConfigFile(cfg);
      };
      assert.throws(load(undefined), /peers\[0\]\.passwordFile.*cannot read .*ENOENT/s);
      assert.throws(load(''), /peers\[0\]\.passwordFile.*is empty/s);
      assert.throws(load('two\nlines\n'), /line break/);
      assert.throws(load(`${'y'.repeat(90)}\n`), /90 bytes/);
    });
  });
});

describe('controller: dynamic neighbours (peers with prefix)', () => {
  it('a prefix entry becomes a range with the agent policy; asn or asnRange; limit', () => {
    const c = parseConfig(
      `${head}  - { prefix: 172.30.0.0/24, asnRange: { min: 65100, max: 65199 }, limit: 5, password: pw, ttlSecurity: true }\n  - { prefix: "2001:db8:30::/64", asn: 65000 }\n  - { address: 172.30.0.254, asn: 65000 }\n`,
    );
    assert.equal(c.peers.length, 1);
    assert.equal(c.peerRanges?.length, 2);
    const r = resolvePeerRange(c, c.peerRanges![0]!);
    assert.equal(r.prefix, '172.30.0.0/24');
    assert.deepEqual(r.asnRange, { min: 65100, max: 65199 });
    assert.equal(r.limit, 5);
    assert.equal(r.password, 'pw');
    assert.equal(r.ttlSecurity, true);
    assert.deepEqual(r.export, [{ prefix: '10.244.1.0/24', action: 'permit' }], 'own pod CIDRs out, as for a peer');
    assert.ok(r.import.length > 0);
    assert.equal(resolvePeerRange(c, c.peerRanges![1]!).asn, 65000);
    assert.equal(rangeHolds('172.30.0.0/24', '172.30.0.254'), true);
    assert.equal(rangeHolds('172.30.0.0/24', '172.30.1.1'), false);
  });

  it('bad ranges name the key and line', () => {
    fails(`${head}  - { prefix: 172.30.0.0/24 }\n`, /peers\[0\]\.asn.*give asn or asnRange/);
    fails(`${head}  - { prefix: 172.30.0.0/24, asn: 1, asnRange: { min: 1, max: 2 } }\n`, /give asn or asnRange/);
    fails(`${head}  - { prefix: 172.30.0.1/24, asn: 1 }\n`, /peers\[0\]\.prefix/);
    fails(`${head}  - { prefix: 172.30.0.0/24, asnRange: { min: 9, max: 2 } }\n`, /asnRange\.max.*9\.\./);
    fails(`${head}  - { prefix: 172.30.0.0/24, asn: 1, passive: true }\n`, /peers\[0\]\.passive.*unknown key/);
    fails(`${head}  - { prefix: 172.30.0.0/24, asn: 1, address: 172.30.0.1 }\n`, /unknown key/);
    fails(
      `${head}  - { prefix: 172.30.0.0/24, asn: 1 }\n  - { prefix: 172.30.0.0/24, asn: 2 }\n`,
      /gannet\.yaml:8: peers\[1\]\.prefix.*duplicate peer range/s,
    );
  });

  it('the agent hands the ranges to the speaker at start and on reload', async () => {
    const speaker = new FakeSpeaker();
    const c = parseConfig(`${head}  - { prefix: 172.30.0.0/24, asn: 65000 }\n`);
    const agent = new Agent(c, { speaker, routes: new FakeRoutes(), logger: silentLogger(), writeState: () => {} });
    await agent.start();
    assert.deepEqual(
      speaker.rangeSets.map((rs) => rs.map((r) => r.prefix)),
      [['172.30.0.0/24']],
    );
    agent.reconfigure(parseConfig(`${head}  - { address: 172.30.0.9, asn: 65000 }\n`));
    assert.deepEqual(speaker.rangeSets.at(-1), []);
    await agent.stop();
  });
});

describe('controller: secrets stay out of the status API and metrics', () => {
  it('a peer with a password over the real speaker adapter: /api/v1/peers and /metrics never show it', async () => {
    const net = new MemoryNetwork();
    const speaker = new BgpSpeaker({
      asn: 64512,
      routerId: '172.30.0.1',
      listen: { address: '172.30.0.1', port: 179 },
      restartTime: 120,
      deferralTime: 5,
      logger: silentLogger(),
      connect: net.factory('172.30.0.1'),
    });
    const c = parseConfig(
      `${head}  - { address: 172.30.0.254, asn: 65000, password: "do-not-show-me" }\n  - { prefix: 172.30.1.0/24, asn: 65001, password: "nor-me" }\n`,
    );
    const routes = new FakeRoutes();
    const agent = new Agent(c, { speaker, routes, logger: silentLogger(), writeState: () => {} });
    await agent.start();
    const metrics = createMetrics({ peers: () => agent.peers(), routes: () => routes.status(), ipam: () => undefined });
    const app = buildApi(agent, metrics);
    try {
      const peers = await app.inject('/api/v1/peers');
      assert.equal(peers.statusCode, 200);
      const body = peers.body;
      assert.match(body, /"transport":\{"md5":true,"ttl":1\}/, 'says a key is set');
      const text = `${body}${(await app.inject('/metrics')).body}${(await app.inject('/api/v1/status')).body}`;
      for (const secret of ['do-not-show-me', 'nor-me']) assert.ok(!text.includes(secret), `${secret} leaked`);
    } finally {
      await app.close();
      metrics.close();
      await agent.stop();
    }
  });
});
