// BGPPeer TCP-MD5 passwords from Secrets: read by GET from the agent's namespace, filled into the emitted config;
// a peer whose password cannot be read is left out and reported (never peered without it), and a rotated password
// is picked up on the next read (every minute).
import assert from 'node:assert/strict';
import { CORE_SECRETS } from './fake-apiserver.js';
import { bgpPeer, eventually, RESOURCES } from './helpers.js';
import { byAddress, type Rig, rig } from './source-rig.js';

const secret = (name: string, data: Record<string, string>) => ({
  metadata: { namespace: 'gannet-system', name },
  data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
});
const md5Peer = (name: string, address: string, ref: { name: string; key: string }) =>
  bgpPeer(name, { peerAddress: address, asn: 65000, password: { secretKeyRef: ref } });

describe('kubernetes/KubernetesSource: BGPPeer passwords from Secrets', function () {
  this.timeout(10_000);
  let r: Rig | undefined;
  afterEach(async () => {
    r?.source.stop();
    await r?.server.close();
    r = undefined;
  });

  it('fills the password in from the Secret key, with GET of that Secret only; a rotated one is read a minute later', async () => {
    r = await rig({ start: false, resources: [...RESOURCES, CORE_SECRETS] });
    r.server.put('secrets', secret('tor-md5', { password: 'first\n' }));
    r.server.put('bgppeers', md5Peer('tor-md5', '192.0.2.9', { name: 'tor-md5', key: 'password' }));
    await r.source.start();
    await eventually(() => assert.equal(byAddress(r!.configs.at(-1)!).get('192.0.2.9')?.password, 'first'));
    const p = byAddress(r.configs.at(-1)!).get('192.0.2.9')!;
    assert.deepEqual(p.passwordSecretRef, { namespace: 'gannet-system', name: 'tor-md5', key: 'password' });
    const gets = r.server.calls.filter((c) => c.resource === 'secrets');
    assert.ok(gets.length >= 1 && gets.every((c) => c.verb === 'get'), JSON.stringify(gets));
    assert.deepEqual(r.errors, []);
    r.server.put('secrets', secret('tor-md5', { password: 'second' }));
    r.clock.advance(60_000);
    await eventually(() => assert.equal(byAddress(r!.configs.at(-1)!).get('192.0.2.9')?.password, 'second'));
  });

  it('no such Secret, no such key, or a bad password: the peer is left out and reported, the others apply; never the password in a message', async () => {
    r = await rig({ start: false, resources: [...RESOURCES, CORE_SECRETS] });
    r.server.put('secrets', secret('long', { password: 'x'.repeat(81) }));
    r.server.put('secrets', secret('other-key', { pw: 'hidden-value' }));
    r.server.put('bgppeers', md5Peer('missing', '192.0.2.10', { name: 'nope', key: 'password' }));
    r.server.put('bgppeers', md5Peer('wrong-key', '192.0.2.11', { name: 'other-key', key: 'password' }));
    r.server.put('bgppeers', md5Peer('too-long', '192.0.2.12', { name: 'long', key: 'password' }));
    await r.source.start();
    await eventually(() => assert.equal(r!.errors.length, 3));
    const messages = r.errors.map((e) => e.message).sort();
    assert.match(
      messages[0]!,
      /BGPPeer\/missing: spec\.password: Secret gannet-system\/nope key password: no such Secret; the peer is left out/,
    );
    assert.match(messages[1]!, /BGPPeer\/too-long: .*must be 1\.\.80 bytes on one line \(it is 81\)/);
    assert.match(messages[2]!, /BGPPeer\/wrong-key: .*no such key/);
    for (const m of messages) assert.ok(!m.includes('hidden-value') && !m.includes('xxxx'));
    const peers = byAddress(r.configs.at(-1)!);
    assert.ok(peers.has('192.0.2.1'), 'the rest applies');
    for (const a of ['192.0.2.10', '192.0.2.11', '192.0.2.12']) assert.ok(!peers.has(a), `${a} left out`);
    // the Secret appears: the peer joins
    r.server.put('secrets', secret('nope', { password: 'late' }));
    r.clock.advance(60_000);
    await eventually(() => assert.equal(byAddress(r!.configs.at(-1)!).get('192.0.2.10')?.password, 'late'));
  });

  it('forbidden (no Role in that namespace): reported as an RBAC problem, the peer left out', async () => {
    r = await rig({ start: false, resources: [...RESOURCES, CORE_SECRETS] });
    r.server.forbid('get', 'secrets');
    r.server.put('bgppeers', md5Peer('tor-md5', '192.0.2.9', { name: 'tor-md5', key: 'password' }));
    await r.source.start();
    await eventually(() => assert.ok(r!.errors.some((e) => /forbidden \(RBAC: get on that Secret\)/.test(e.message))));
    assert.ok(!byAddress(r.configs.at(-1)!).has('192.0.2.9'));
  });
});
