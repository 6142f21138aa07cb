// A route reflector and its clients as whole speakers on the in-memory network: routes cross the reflector with the
// next hop of their originator, and two reflectors in one cluster do not loop routes between them.
import assert from 'node:assert/strict';
import { BgpConfigError } from '../../src/errors.js';
import { Lab, settle, state } from './harness.js';

const ASN = 64512;

describe('speaker: route reflection (RFC 4456)', () => {
  let lab: Lab;
  beforeEach(() => {
    lab = new Lab();
  });
  afterEach(async () => {
    await lab.stopAll();
  });

  it('three clients learn each other’s routes through the reflector, next hop unchanged', async () => {
    const rr = lab.node('192.0.2.100', {
      asn: ASN,
      routerId: '10.0.0.100',
      routeReflector: { clusterId: '10.255.0.1' },
    });
    const clients = [1, 2, 3].map((i) => lab.node(`192.0.2.${i}`, { asn: ASN, routerId: `10.0.0.${i}` }));
    for (const c of clients) {
      rr.speaker.addPeer({ address: c.address, asn: ASN, passive: true, routeReflectorClient: true });
      c.speaker.addPeer({ address: rr.address, asn: ASN });
      c.speaker.originate(`10.244.${c.address.split('.')[3]}.0/24`);
    }
    await rr.speaker.start();
    for (const c of clients) await c.speaker.start();
    await settle();
    for (const c of clients) assert.equal(state(c, rr.address), 'Established');
    for (const c of clients) {
      for (const o of clients) {
        if (o === c) continue;
        const prefix = `10.244.${o.address.split('.')[3]}.0/24`;
        assert.deepEqual(
          c.best.get(prefix)?.nexthops,
          [o.address],
          `${c.address} reaches ${prefix} via its originator`,
        );
        const r = c.speaker.routes().find((x) => x.prefix === prefix);
        assert.equal(r?.best.source, 'ibgp');
      }
    }
    // Withdrawn at the origin: gone everywhere.
    clients[0]?.speaker.withdrawOrigin('10.244.1.0/24');
    await settle();
    assert.equal(clients[1]?.best.get('10.244.1.0/24')?.withdrawn, true);
    assert.equal(clients[2]?.best.get('10.244.1.0/24')?.withdrawn, true);
  });

  it('two reflectors of one cluster peered as non-clients: each client route arrives once, no loop', async () => {
    const opts = { asn: ASN, routeReflector: { clusterId: '10.255.0.1' } };
    const r1 = lab.node('192.0.2.101', { ...opts, routerId: '10.0.0.101' });
    const r2 = lab.node('192.0.2.102', { ...opts, routerId: '10.0.0.102' });
    const c1 = lab.node('192.0.2.1', { asn: ASN, routerId: '10.0.0.1' });
    const c2 = lab.node('192.0.2.2', { asn: ASN, routerId: '10.0.0.2' });
    r1.speaker.addPeer({ address: r2.address, asn: ASN });
    r2.speaker.addPeer({ address: r1.address, asn: ASN, passive: true });
    for (const r of [r1, r2]) {
      for (const c of [c1, c2]) {
        r.speaker.addPeer({ address: c.address, asn: ASN, passive: true, routeReflectorClient: true });
        c.speaker.addPeer({ address: r.address, asn: ASN });
      }
    }
    c1.speaker.originate('10.244.1.0/24');
    for (const n of [r2, r1, c1, c2]) await n.speaker.start();
    await settle();
    // c2 has the route from both reflectors (ECMP over one next hop), r1 and r2 each from c1 and from each other.
    assert.deepEqual(c2.best.get('10.244.1.0/24')?.nexthops, ['192.0.2.1']);
    const fromR2 = r1.speaker.peers().find((p) => p.address === r2.address);
    // r2 reflected c1's route to r1 with the shared cluster ID, so r1 ignored it as a loop.
    assert.equal(fromR2?.prefixesReceived, 1);
    assert.equal(fromR2?.prefixesAccepted, 0);
    const c1route = c1.speaker.routes().find((x) => x.prefix === '10.244.1.0/24');
    assert.equal(c1route?.best.source, 'local', 'c1 never takes its own route back (ORIGINATOR_ID)');
  });

  it('refuses a client peer when the speaker is no reflector', () => {
    const n = lab.node('192.0.2.1', { asn: ASN, routerId: '10.0.0.1' });
    assert.throws(
      () => n.speaker.addPeer({ address: '192.0.2.2', asn: ASN, routeReflectorClient: true }),
      BgpConfigError,
    );
    assert.throws(
      () => lab.node('192.0.2.3', { asn: ASN, routerId: '10.0.0.3', routeReflector: { clusterId: 'x' } }),
      /routeReflector\.clusterId/,
    );
  });
});
