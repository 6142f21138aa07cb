// The static `advertise:` list (standalone) and the Kubernetes selection that lands in the same field: originated
// and exported by default like the pod CIDRs, never blackholed, changed live without touching the pod CIDRs.
import assert from 'node:assert/strict';
import { PrefixFilter } from '@gannet/bgp';
import { Agent } from '../src/agent.js';
import { parseConfig } from '../src/config/load-config.js';
import { ConfigError } from '../src/errors.js';
import { silentLogger } from '../src/log.js';
import { FakeRoutes, FakeSpeaker } from './fakes.js';

const CONFIG = (advertise: string) => `
nodeName: node1
asn: 64512
routerId: 172.30.0.1
podCIDRs: [10.244.1.0/24]
clusterCIDRs: [10.244.0.0/16]
nodeStateFile: /dev/null/gannet/state.json
${advertise}
peers:
  - { address: 172.30.0.254, asn: 65000 }
`;

function setup(text: string) {
  const speaker = new FakeSpeaker();
  const routes = new FakeRoutes();
  const agent = new Agent(parseConfig(text), { speaker, routes, logger: silentLogger(), writeState: () => {} });
  return { agent, speaker, routes };
}

describe('controller: advertise (Service addresses)', () => {
  it('originates and exports the advertise list beside the pod CIDRs, without a blackhole for it', async () => {
    const { agent, speaker, routes } = setup(CONFIG('advertise: [198.51.100.7/32, 10.96.0.0/12, 2001:db8:1b::7/128]'));
    await agent.start();
    assert.deepEqual(speaker.origins, ['10.244.1.0/24', '198.51.100.7/32', '10.96.0.0/12', '2001:db8:1b::7/128']);
    assert.deepEqual(routes.desired, [{ dst: '10.244.1.0/24', type: 'blackhole', nexthops: [] }]);
    const tor = speaker.peerSets.at(-1)![0]!;
    const out = new PrefixFilter({ rules: tor.export });
    for (const p of ['198.51.100.7/32', '10.96.0.0/12', '2001:db8:1b::7/128', '10.244.1.0/24']) {
      assert.equal(out.evaluate(p), 'permit', p);
    }
    assert.equal(out.evaluate('198.51.100.8/32'), 'deny');
  });

  it('a new list is applied live: origins and export change, the pod CIDRs stay', async () => {
    const { agent, speaker } = setup(CONFIG('advertise: [198.51.100.7/32]'));
    await agent.start();
    const next = parseConfig(CONFIG('advertise: [198.51.100.8/32]'));
    assert.equal(agent.reconfigure(next), true);
    assert.deepEqual(speaker.origins, ['10.244.1.0/24', '198.51.100.8/32']);
    const out = new PrefixFilter({ rules: speaker.peerSets.at(-1)![0]!.export });
    assert.equal(out.evaluate('198.51.100.7/32'), 'deny');
    assert.equal(out.evaluate('198.51.100.8/32'), 'permit');
    assert.equal(agent.reconfigure(parseConfig(CONFIG(''))), true);
    assert.deepEqual(speaker.origins, ['10.244.1.0/24']);
  });

  it('refuses a list entry that is no CIDR, naming the key', () => {
    assert.throws(
      () => parseConfig(CONFIG('advertise: [198.51.100.7]')),
      (e: unknown) => e instanceof ConfigError && /advertise\[0\]/.test(e.message),
    );
    assert.throws(() => parseConfig(CONFIG('advertise: 198.51.100.7/32')), /advertise: must be a list/);
  });
});
