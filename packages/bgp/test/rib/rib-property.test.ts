// Property tests: random announce/withdraw/restart sequences from several peers. After every step the Loc-RIB must
// equal a from-scratch recomputation from the surviving paths, and replaying the emitted diffs must reproduce it.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { RibChange } from '../../src/rib/loc-rib.js';
import { Rib } from '../../src/rib/rib.js';
import type { PathAttributes } from '../../src/wire/types.js';
import { LOCAL_ASN } from './helpers.js';

const PEERS = [
  { address: '192.0.2.1', asn: 65001, routerId: '10.0.0.1' },
  { address: '192.0.2.2', asn: 65002, routerId: '10.0.0.2' },
  { address: '192.0.2.3', asn: 65001, routerId: '10.0.0.3', deny: '10.0.2.0/24' },
  { address: '192.0.2.4', asn: LOCAL_ASN, routerId: '10.0.0.4' },
] as const;
const PREFIXES = ['10.0.1.0/24', '10.0.2.0/24', '10.0.3.0/24', '2001:db8:1::/48', '2001:db8:2::/48'];
const afiOf = (p: string) => (p.includes(':') ? 2 : 1);
const VARIANTS = 8;

function variant(v: number, peerIndex: number): { attrs: PathAttributes; nh4: string; nh6: string } {
  const peer = PEERS[peerIndex] as (typeof PEERS)[number];
  const first = peer.asn === LOCAL_ASN ? 65009 : peer.asn;
  const attrs: PathAttributes = { origin: 0, asPath: [{ type: 'sequence', asns: [first] }] };
  let nh4: string = peer.address;
  let nh6 = `2001:db8::${peerIndex + 1}`;
  if (v === 1) attrs.asPath = [{ type: 'sequence', asns: [first, 100] }];
  if (v === 2) attrs.origin = 1;
  if (v === 3) attrs.med = 10;
  if (v === 4) attrs.med = 5;
  if (v === 5) attrs.asPath = [{ type: 'sequence', asns: [first, LOCAL_ASN] }]; // own-AS loop
  if (v === 6) attrs.localPref = 200;
  if (v === 7) {
    nh4 = '198.51.100.1'; // shared by several peers: one ECMP next hop
    nh6 = '2001:db8::99';
  }
  return { attrs, nh4, nh6 };
}

type Op =
  | { t: 'announce'; peer: number; prefixes: string[]; v: number }
  | { t: 'withdraw'; peer: number; prefixes: string[] }
  | { t: 'down'; peer: number; graceful: boolean }
  | { t: 'eor'; peer: number; afi: number }
  | { t: 'sweep'; peer: number }
  | { t: 'reach'; nh: string; up: boolean }
  | { t: 'originate'; prefix: string }
  | { t: 'unoriginate'; prefix: string };

const peerArb = fc.integer({ min: 0, max: PEERS.length - 1 });
const prefixesArb = fc.subarray(PREFIXES, { minLength: 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      t: fc.constant('announce' as const),
      peer: peerArb,
      prefixes: prefixesArb,
      v: fc.integer({ min: 0, max: VARIANTS - 1 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('withdraw' as const), peer: peerArb, prefixes: prefixesArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('down' as const), peer: peerArb, graceful: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('eor' as const), peer: peerArb, afi: fc.constantFrom(1, 2) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('sweep' as const), peer: peerArb }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('originate' as const), prefix: fc.constantFrom(...PREFIXES) }) },
  {
    weight: 1,
    arbitrary: fc.record({
      t: fc.constant('reach' as const),
      nh: fc.constantFrom('192.0.2.1', '198.51.100.1', '2001:db8::2', '2001:db8::99'),
      up: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('unoriginate' as const), prefix: fc.constantFrom(...PREFIXES) }) },
);

/** Next hops currently unreachable (the resolver's answers), shared by the Rib under test and the rebuilt one. */
let unreachable = new Set<string>();

function newRib(maxPaths: number): Rib {
  const rib = new Rib({
    localAsn: LOCAL_ASN,
    routerId: '10.0.0.254',
    maxPaths,
    isReachable: (nh) => !unreachable.has(nh),
  });
  for (const p of PEERS) {
    const rules = 'deny' in p ? [{ prefix: p.deny, action: 'deny' as const }] : [];
    rib.addPeer({
      address: p.address,
      asn: p.asn,
      importPolicy: { rules, defaultAction: 'permit' },
      exportPolicy: { rules: [], defaultAction: 'permit' },
    });
    rib.peerUp(p.address, { routerId: p.routerId, localAddress: '192.0.2.254', localAddress6: '2001:db8::fe' });
  }
  return rib;
}

/** The model: per peer, fresh and stale variant per prefix (only accepted announcements). */
class Model {
  fresh = PEERS.map(() => new Map<string, number>());
  stale = PEERS.map(() => new Map<string, number>());
  local = new Set<string>();

  apply(op: Op): void {
    if (op.t === 'announce') {
      const peer = PEERS[op.peer] as (typeof PEERS)[number];
      for (const p of op.prefixes) {
        this.stale[op.peer]?.delete(p);
        const denied = op.v === 5 || ('deny' in peer && peer.deny === p);
        if (denied) this.fresh[op.peer]?.delete(p);
        else this.fresh[op.peer]?.set(p, op.v);
      }
    } else if (op.t === 'withdraw') {
      for (const p of op.prefixes) {
        this.fresh[op.peer]?.delete(p);
        this.stale[op.peer]?.delete(p);
      }
    } else if (op.t === 'down') {
      this.stale[op.peer] = op.graceful ? (this.fresh[op.peer] as Map<string, number>) : new Map();
      this.fresh[op.peer] = new Map();
    } else if (op.t === 'eor') {
      for (const p of [...(this.stale[op.peer]?.keys() ?? [])]) if (afiOf(p) === op.afi) this.stale[op.peer]?.delete(p);
    } else if (op.t === 'sweep') {
      this.stale[op.peer] = new Map();
    } else if (op.t === 'reach') {
      // the resolver state lives in `unreachable`
    } else if (op.t === 'originate') {
      this.local.add(op.prefix);
    } else {
      this.local.delete(op.prefix);
    }
  }

  /** A Rib built from scratch with only the surviving paths. */
  rebuild(maxPaths: number): Rib {
    const rib = newRib(maxPaths);
    PEERS.forEach((peer, i) => {
      for (const m of [this.stale[i], this.fresh[i]]) {
        for (const [p, v] of m ?? []) {
          const { attrs, nh4, nh6 } = variant(v, i);
          rib.announce(peer.address, afiOf(p), [p], attrs, afiOf(p) === 1 ? nh4 : nh6);
        }
      }
    });
    for (const p of this.local) rib.originate(p);
    return rib;
  }
}

function run(rib: Rib, op: Op): RibChange[] {
  const peer = 'peer' in op ? (PEERS[op.peer] as (typeof PEERS)[number]) : undefined;
  switch (op.t) {
    case 'announce': {
      const { attrs, nh4, nh6 } = variant(op.v, op.peer);
      const out: RibChange[] = [];
      for (const afi of [1, 2]) {
        const ps = op.prefixes.filter((p) => afiOf(p) === afi);
        out.push(...rib.announce(peer?.address ?? '', afi, ps, attrs, afi === 1 ? nh4 : nh6).changes);
      }
      return out;
    }
    case 'withdraw':
      return [1, 2].flatMap((afi) =>
        rib.withdraw(
          peer?.address ?? '',
          afi,
          op.prefixes.filter((p) => afiOf(p) === afi),
        ),
      );
    case 'down': {
      const c = rib.peerDown(peer?.address ?? '', { graceful: op.graceful });
      rib.peerUp(peer?.address ?? '', {
        routerId: peer?.routerId ?? '',
        localAddress: '192.0.2.254',
        localAddress6: '2001:db8::fe',
      });
      return c;
    }
    case 'eor':
      return rib.endOfRib(peer?.address ?? '', op.afi);
    case 'sweep':
      return rib.sweepStale(peer?.address ?? '');
    case 'reach':
      if (op.up) unreachable.delete(op.nh);
      else unreachable.add(op.nh);
      return rib.refreshReachability();
    case 'originate':
      return rib.originate(op.prefix);
    case 'unoriginate':
      return rib.withdrawOrigin(op.prefix);
  }
}

function state(rib: Rib): Map<string, { from: string; attrs: PathAttributes; nexthops: readonly string[] }> {
  const m = new Map<string, { from: string; attrs: PathAttributes; nexthops: readonly string[] }>();
  for (const r of rib.routes())
    m.set(r.prefix, { from: r.best.source.address, attrs: r.best.attributes, nexthops: r.nexthops });
  return m;
}

describe('Rib properties (fast-check)', () => {
  for (const maxPaths of [1, 8]) {
    it(`maxPaths ${maxPaths}: Loc-RIB equals a from-scratch recomputation and replayed diffs reproduce it`, () => {
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 5, maxLength: 40, size: 'max' }), (ops) => {
          unreachable = new Set();
          const rib = newRib(maxPaths);
          const model = new Model();
          const replay = new Map<string, { from: string; attrs: PathAttributes; nexthops: readonly string[] }>();
          for (const op of ops) {
            for (const c of run(rib, op)) {
              const before = replay.get(c.prefix);
              assert.equal(c.oldBest?.source.address, before?.from, 'oldBest is what the last diff said');
              assert.ok(
                c.oldBest !== c.newBest || c.nexthops.join() !== (before?.nexthops ?? []).join(),
                'no diff without a change',
              );
              if (c.newBest)
                replay.set(c.prefix, {
                  from: c.newBest.source.address,
                  attrs: c.newBest.attributes,
                  nexthops: c.nexthops,
                });
              else replay.delete(c.prefix);
            }
            model.apply(op);
            const actual = state(rib);
            assert.deepEqual(replay, actual, 'diffs replayed');
            assert.deepEqual(actual, state(model.rebuild(maxPaths)), 'from scratch');
          }
        }),
        { numRuns: 150 },
      );
    });
  }

  it('Adj-RIB-Out: replayed outbound updates equal what is recorded as advertised, never a route back to its source', () => {
    fc.assert(
      fc.property(fc.array(opArb, { minLength: 5, maxLength: 30, size: 'max' }), (ops) => {
        unreachable = new Set();
        const rib = newRib(8);
        const sent = PEERS.map(() => new Map<string, string>());
        const drain = () => {
          PEERS.forEach((peer, i) => {
            const u = rib.takeOutbound(peer.address);
            for (const w of u.withdraw) for (const p of w.prefixes) sent[i]?.delete(p);
            for (const a of u.announce) for (const p of a.prefixes) sent[i]?.set(p, a.nextHop);
          });
        };
        for (const op of ops) {
          run(rib, op);
          if (op.t === 'down') sent[op.peer] = new Map(); // a new session starts from nothing
          drain();
          PEERS.forEach((peer, i) => {
            for (const p of PREFIXES) {
              const adv = rib.advertised(peer.address, afiOf(p), p);
              assert.equal(sent[i]?.get(p), adv?.nextHop, `${peer.address} ${p}`);
              const best = rib.lookup(afiOf(p), p)?.best;
              if (adv) assert.notEqual(best?.source.address, peer.address);
              if (best && best.source.kind === 'ibgp' && peer.asn === LOCAL_ASN) assert.equal(adv, undefined);
            }
          });
        }
      }),
      { numRuns: 100 },
    );
  });
});
