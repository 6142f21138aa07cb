// routeReflector / routeReflectorClient from the config file through the agent's policy to the speaker's peers: the
// export decisions (a reflector's default export to iBGP passes on what import accepted; eBGP keeps own pod CIDRs).
import assert from 'node:assert/strict';
import { identityChanges } from '../src/agent.js';
import { parseConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { defaultExportRules, reflectorExportRules, resolvePeer } from '../src/policy.js';

const config = (top: string, peers: string) => `nodeName: rr1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
${top}
peers:
${peers}
`;

const PEERS = `  - { address: 172.30.0.11, asn: 64512, routeReflectorClient: true }
  - { address: 172.30.0.12, asn: 64512 }
  - { address: 172.30.0.254, asn: 65000 }`;

describe('controller: route reflector config', () => {
  it('parses routeReflector and routeReflectorClient; the peer flag reaches the speaker', () => {
    const c = parseConfig(config('routeReflector: { clusterId: 10.255.0.1 }', PEERS));
    assert.deepEqual(c.routeReflector, { clusterId: '10.255.0.1' });
    assert.equal(c.peers[0]?.routeReflectorClient, true);
    assert.equal(resolvePeer(c, c.peers[0]!).routeReflectorClient, true);
    assert.equal('routeReflectorClient' in resolvePeer(c, c.peers[1]!), false);
    assert.deepEqual(parseConfig(config('routeReflector: {}', PEERS)).routeReflector, {});
  });

  it('export decisions: a reflector passes on everything to iBGP (clients and not), own pod CIDRs to eBGP', () => {
    const c = parseConfig(config('routeReflector: {}', PEERS));
    const [client, nonClient, ebgp] = c.peers.map((p) => resolvePeer(c, p));
    assert.deepEqual(client?.export, reflectorExportRules());
    assert.deepEqual(nonClient?.export, reflectorExportRules());
    assert.deepEqual(ebgp?.export, [{ prefix: '10.244.1.0/24', action: 'permit' }]);
    // The import defaults are untouched: the reflector only reflects what they accept.
    assert.deepEqual(client?.import, resolvePeer({ ...c, routeReflector: undefined }, c.peers[1]!).import);
  });

  it('export decisions: without routeReflector, iBGP peers get own pod CIDRs only; explicit rules always win', () => {
    const c = parseConfig(config('', '  - { address: 172.30.0.12, asn: 64512 }'));
    assert.deepEqual(resolvePeer(c, c.peers[0]!).export, defaultExportRules(c));
    const rules = [{ prefix: '10.244.0.0/16', le: 24, action: 'permit' as const }];
    const rr = parseConfig(config('routeReflector: {}', '  - { address: 172.30.0.12, asn: 64512 }'));
    assert.deepEqual(resolvePeer(rr, { ...rr.peers[0]!, export: rules }).export, rules);
  });

  it('refuses a client flag without routeReflector, on an eBGP peer, and a bad clusterId, naming the key', () => {
    const cases: [string, string, RegExp][] = [
      ['', '  - { address: 172.30.0.11, asn: 64512, routeReflectorClient: true }', /needs routeReflector/],
      ['routeReflector: {}', '  - { address: 172.30.0.11, asn: 65000, routeReflectorClient: true }', /iBGP peer/],
      ['routeReflector: { clusterId: 10.1 }', PEERS, /routeReflector\.clusterId/],
      ['routeReflector: { clusterId: "10.1" }', PEERS, /routeReflector\.clusterId.*dotted-quad/],
      ['routeReflector: { clusterId: 1 }', PEERS, /routeReflector\.clusterId/],
      ['routeReflector: { cluster: 10.0.0.1 }', PEERS, /unknown key/],
      ['routeReflector: {}', '  - { address: 172.30.0.11, asn: 64512, routeReflectorClient: yes }', /true or false/],
    ];
    for (const [top, peers, re] of cases) {
      assert.throws(
        () => parseConfig(config(top, peers)),
        (e: unknown) => e instanceof ConfigError && re.test(e.message),
        `${top} / ${peers}`,
      );
    }
  });

  it('turning reflection on or off is an identity change (the speaker restarts with it)', () => {
    const off = parseConfig(config('', '  - { address: 172.30.0.12, asn: 64512 }'));
    const on = parseConfig(config('routeReflector: { clusterId: 10.255.0.1 }', PEERS));
    assert.deepEqual(identityChanges(off, on), ['routeReflector undefined → {"clusterId":"10.255.0.1"}']);
    assert.deepEqual(identityChanges(on, on), []);
  });
});
