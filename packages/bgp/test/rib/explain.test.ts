// Rib.explain: every path received for a prefix (best, ECMP, lost with the step, rejected with the reason), and per
// peer whether the best path is sent and why not.
import assert from 'node:assert/strict';
import { Rib } from '../../src/rib/rib.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { LOCAL_ASN } from './helpers.js';

const A = '192.0.2.1'; // eBGP, AS 65001
const B = '192.0.2.2'; // eBGP, AS 65002
const C = '192.0.2.4'; // eBGP, AS 65004: imports only 10.99.0.0/16
const I = '192.0.2.3'; // iBGP
const P = '10.244.1.0/24';
const permit = { rules: [], defaultAction: 'permit' as const };

function attrs(asns: number[], extra: PathAttributes = {}): PathAttributes {
  return { origin: 0, asPath: [{ type: 'sequence', asns }], ...extra };
}

function setup(): Rib {
  const rib = new Rib({ localAsn: LOCAL_ASN, routerId: '10.0.0.254' });
  rib.addPeer({ address: A, asn: 65001, importPolicy: permit, exportPolicy: permit });
  rib.addPeer({
    address: B,
    asn: 65002,
    importPolicy: permit,
    exportPolicy: { rules: [{ prefix: '10.244.0.0/16', le: 32, action: 'deny' }], defaultAction: 'permit' },
  });
  rib.addPeer({
    address: C,
    asn: 65004,
    importPolicy: { rules: [{ prefix: '10.99.0.0/16', le: 32, action: 'permit' }] },
    exportPolicy: permit,
  });
  rib.addPeer({ address: I, asn: LOCAL_ASN });
  rib.peerUp(A, { routerId: '10.0.0.1', localAddress: '192.0.2.254' });
  rib.peerUp(B, { routerId: '10.0.0.2', localAddress: '192.0.2.254' });
  rib.peerUp(C, { routerId: '10.0.0.4', localAddress: '192.0.2.254' });
  rib.peerUp(I, { routerId: '10.0.0.3', localAddress: '192.0.2.254' });
  return rib;
}

describe('Rib: explain a prefix', () => {
  it('the best path, a loser with the step it lost at, rejected paths with their reason, exports per peer', () => {
    const rib = setup();
    rib.announce(A, 1, [P], attrs([65001]), A);
    rib.announce(B, 1, [P], attrs([65002, 65010]), B); // longer AS_PATH
    rib.announce(C, 1, [P], attrs([65004]), C); // no import rule for it
    rib.announce(I, 1, [P], attrs([65001, LOCAL_ASN]), I); // our own AS in the path
    for (const a of [A, B, C, I]) rib.takeOutbound(a);
    const e = rib.explain(1, P);
    const by = (peer: string) => e.paths.find((p) => p.peer === peer)!;
    assert.equal(by(A).status, 'best');
    assert.deepEqual(by(A).asPath, [65001]);
    assert.equal(by(B).status, 'lost');
    assert.equal(by(B).why, 'longer AS_PATH');
    assert.equal(by(C).status, 'rejected');
    assert.equal(by(C).why, 'no import rule matches: default deny');
    assert.equal(by(I).status, 'rejected');
    assert.match(by(I).why!, /loop/);
    assert.equal(e.decision, 'as-path');
    assert.deepEqual(e.nexthops, [A]);
    const ex = (peer: string) => e.exports.find((x) => x.peer === peer)!;
    assert.deepEqual(ex(A), { peer: A, status: 'not-sent', why: 'learned from this peer (never sent back)' });
    assert.equal(ex(B).status, 'not-sent');
    assert.match(ex(B).why!, /export rule 1 \(10\.244\.0\.0\/16 le 32\) says deny/);
    assert.deepEqual(ex(C), { peer: C, status: 'sent' });
    assert.deepEqual(ex(I), { peer: I, status: 'sent' });
  });

  it('equal paths are ECMP; the import rule that denied a path is named; a peer without session is down', () => {
    const rib = setup();
    rib.addPeer({ address: '192.0.2.9', asn: 65009, importPolicy: permit, exportPolicy: permit });
    rib.setPolicy(A, {
      importPolicy: {
        rules: [
          { prefix: '10.244.0.0/16', le: 24, action: 'permit' },
          { prefix: '10.0.0.0/8', le: 32, action: 'deny' },
        ],
      },
    });
    rib.announce(A, 1, ['10.244.1.0/25'], attrs([65001]), A);
    let e = rib.explain(1, '10.244.1.0/25');
    assert.equal(e.paths[0]?.status, 'rejected');
    assert.equal(e.paths[0]?.why, 'import rule 2 (10.0.0.0/8 le 32) says deny');
    assert.equal(e.decision, undefined);
    rib.announce(A, 1, [P], attrs([65001]), A);
    rib.announce(B, 1, [P], attrs([65002]), B);
    e = rib.explain(1, P);
    assert.deepEqual(e.paths.map((p) => p.status).sort(), ['best', 'ecmp']);
    assert.equal(e.decision, 'multipath');
    assert.deepEqual(e.nexthops, [A, B]);
    assert.deepEqual(
      e.exports.find((x) => x.peer === '192.0.2.9'),
      { peer: '192.0.2.9', status: 'down' },
    );
  });
});
