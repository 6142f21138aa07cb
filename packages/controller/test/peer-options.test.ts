// Per-peer BGP options that pass from the config file through the agent's policy to the speaker.
import assert from 'node:assert/strict';
import { parseConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { resolvePeer } from '../src/policy.js';

const config = (peerExtra: string) => `nodeName: n1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
peers:
  - { address: 172.30.0.254, asn: 65000${peerExtra} }
`;

describe('controller: per-peer BGP options', () => {
  it('enforceFirstAs: false reaches the speaker peer (a route server); absent leaves the speaker default (on)', () => {
    const off = parseConfig(config(', enforceFirstAs: false'));
    assert.equal(off.peers[0]?.enforceFirstAs, false);
    assert.equal(resolvePeer(off, off.peers[0]!).enforceFirstAs, false);
    const absent = parseConfig(config(''));
    assert.equal(absent.peers[0]?.enforceFirstAs, undefined);
    assert.equal('enforceFirstAs' in resolvePeer(absent, absent.peers[0]!), false);
  });

  it('refuses a non-boolean enforceFirstAs, naming the key', () => {
    assert.throws(
      () => parseConfig(config(', enforceFirstAs: maybe')),
      (e: unknown) => e instanceof ConfigError && /peers\[0\]\.enforceFirstAs/.test(e.message),
    );
  });

  it('bfd: defaults 300/300/3, reaches the speaker peer, absent or disabled means no BFD', () => {
    const on = parseConfig(config(', bfd: { enabled: true }'));
    assert.deepEqual(on.peers[0]?.bfd, { enabled: true, minRxMs: 300, minTxMs: 300, multiplier: 3 });
    assert.deepEqual(resolvePeer(on, on.peers[0]!).bfd, { minRxMs: 300, minTxMs: 300, multiplier: 3 });
    const set = parseConfig(
      config(', bfd: { minRxMs: 100, minTxMs: 150, multiplier: 5, checkControlPlaneFailure: true }'),
    );
    assert.deepEqual(resolvePeer(set, set.peers[0]!).bfd, {
      minRxMs: 100,
      minTxMs: 150,
      multiplier: 5,
      checkControlPlaneFailure: true,
    });
    const off = parseConfig(config(', bfd: { enabled: false, minRxMs: 100 }'));
    assert.equal(off.peers[0]?.bfd?.enabled, false);
    assert.equal('bfd' in resolvePeer(off, off.peers[0]!), false);
    assert.equal('bfd' in resolvePeer(off, parseConfig(config('')).peers[0]!), false);
  });

  const bad: [string, RegExp][] = [
    [', bfd: { minRxMs: 5 }', /peers\[0\]\.bfd\.minRxMs/],
    [', bfd: { minTxMs: 100000 }', /peers\[0\]\.bfd\.minTxMs/],
    [', bfd: { multiplier: 0 }', /peers\[0\]\.bfd\.multiplier/],
    [', bfd: { enabled: yes please }', /peers\[0\]\.bfd\.enabled/],
    [', bfd: { interval: 100 }', /peers\[0\]\.bfd\.interval/],
    [', bfd: true', /peers\[0\]\.bfd/],
  ];
  for (const [extra, key] of bad) {
    it(`refuses${extra}, naming the key and the line`, () => {
      assert.throws(
        () => parseConfig(config(extra), 'gannet.yaml'),
        (e: unknown) => e instanceof ConfigError && key.test(e.message) && /gannet\.yaml:7/.test(e.message),
      );
    });
  }
});
