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
});
