// TCP-MD5, TTL / GTSM and dynamic neighbours in memory: what each connection carries (MemoryNetwork records the key
// and TTLs, and drops a connection whose keys differ as the kernel would), the listener's keys, a session that
// never comes up with a wrong password and says why, and peers accepted from a range that go away with their session.
import assert from 'node:assert/strict';
import { dynamicPeerOptions, matchRange, parseRange, rangeAcceptsAsn } from '../../src/dynamic-peers.js';
import { BgpConfigError, BgpError } from '../../src/errors.js';
import { isMultihop, transportSecurity } from '../../src/peer-transport.js';
import type { ConnectionFactory } from '../../src/session/connection.js';
import type { MemoryConnection } from '../../src/session/memory-net.js';
import { createSpeaker } from '../../src/speaker.js';
import { encodeMessage } from '../../src/wire/index.js';
import { Lab, permitPods, settle, state } from './harness.js';

describe('peer transport: TCP-MD5, TTL, GTSM (in memory)', () => {
  let lab: Lab;
  beforeEach(() => {
    lab = new Lab();
  });
  afterEach(async () => {
    await lab.stopAll();
  });

  it('eBGP is single-hop (TTL 1) unless ebgpMultihop; GTSM sends 255 and accepts 256 − hops; iBGP keeps the system TTL', () => {
    assert.deepEqual(transportSecurity(65001, { asn: 65002 }), { ttl: 1 });
    assert.deepEqual(transportSecurity(65001, { asn: 65002, ebgpMultihop: 3 }), { ttl: 3 });
    assert.deepEqual(transportSecurity(65001, { asn: 65002, ttlSecurity: true }), { ttl: 255, minTtl: 255 });
    assert.deepEqual(transportSecurity(65001, { asn: 65002, ttlSecurity: true, ebgpMultihop: 2 }), {
      ttl: 255,
      minTtl: 254,
    });
    assert.deepEqual(transportSecurity(65001, { asn: 65001 }), {});
    assert.deepEqual(transportSecurity(65001, { asn: 65001, ttlSecurity: true }), { ttl: 255, minTtl: 255 });
    assert.deepEqual(transportSecurity(65001, { asn: 65001, password: 'pw' }).md5Key, Buffer.from('pw'));
    assert.equal(isMultihop({ asn: 1, ebgpMultihop: 2 }), true);
    assert.equal(isMultihop({ asn: 1 }), false);
  });

  it('bad values are refused naming the peer and key, never echoing a password', async () => {
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    const long = 'p'.repeat(81);
    assert.throws(
      () => a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, password: long }),
      (e: Error) => {
        assert.ok(e instanceof BgpConfigError);
        assert.match(e.message, /peer 192\.0\.2\.2: password is 81 bytes, TCP-MD5 takes at most 80/);
        assert.ok(!e.message.includes(long));
        return true;
      },
    );
    // 80 bytes of UTF-8, not 80 characters
    assert.throws(() => a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, password: 'é'.repeat(41) }), /82 bytes/);
    assert.throws(() => a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, password: '' }), /non-empty/);
    assert.throws(() => a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, ebgpMultihop: 0 }), /1\.\.255, got 0/);
    assert.throws(() => a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, ebgpMultihop: 256 }), /1\.\.255/);
    assert.throws(
      () => a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, ttlSecurity: 'yes' as never }),
      /ttlSecurity must be true or false/,
    );
  });

  async function md5Pair(passwordA: string | undefined, passwordB: string | undefined, counters?: () => object) {
    const a = lab.node('192.0.2.1', {
      asn: 65001,
      routerId: '10.0.0.1',
      ...(counters ? { tcpMd5Counters: counters as () => Record<string, number> } : {}),
    });
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2' });
    a.speaker.addPeer({
      address: '192.0.2.2',
      asn: 65002,
      import: permitPods,
      export: permitPods,
      ...(passwordA ? { password: passwordA } : {}),
    });
    b.speaker.addPeer({
      address: '192.0.2.1',
      asn: 65001,
      passive: true,
      import: permitPods,
      export: permitPods,
      ...(passwordB ? { password: passwordB } : {}),
    });
    await b.speaker.start();
    await a.speaker.start();
    await settle();
    return { a, b };
  }

  it('TCP-MD5: the same password both sides comes up; key on the outgoing socket and on the listener, TTL 1 both ways', async () => {
    const { a, b } = await md5Pair('s3cret-pw', 's3cret-pw');
    assert.equal(state(a, '192.0.2.2'), 'Established');
    assert.equal(state(b, '192.0.2.1'), 'Established');
    const [out, accepted] = lab.net.connections as MemoryConnection[];
    assert.deepEqual(out?.security, { md5Key: Buffer.from('s3cret-pw'), ttl: 1 });
    assert.deepEqual(
      accepted?.security,
      { md5Key: Buffer.from('s3cret-pw'), ttl: 1 },
      'key from the listener, TTL set',
    );
    const pa = a.speaker.peers()[0];
    assert.deepEqual(pa?.transport, { md5: true, ttl: 1 });
    assert.ok(!JSON.stringify(a.speaker.peers()).includes('s3cret'), 'never the password in peers()');
  });

  it('TCP-MD5: a wrong password (or none on one side) never comes up, and lastError and the log say why', async () => {
    let failures = 0;
    const { a, b } = await md5Pair('right', 'wrong', () => ({ TCPMD5Failure: failures, TCPMD5NotFound: 0 }));
    failures = 3; // the kernel counted mis-signed segments meanwhile
    await lab.advance(65_000);
    assert.notEqual(state(a, '192.0.2.2'), 'Established');
    assert.notEqual(state(b, '192.0.2.1'), 'Established');
    assert.ok(lab.net.md5Drops >= 2, `dropped ${lab.net.md5Drops}`);
    const err = a.speaker.peers()[0]?.lastError ?? '';
    assert.match(err, /TCP-MD5: the kernel dropped segments .*TCPMD5Failure \+3 \(signed with another password\)/);
    assert.ok(!err.includes('right') && !err.includes('wrong'));
    await lab.stopAll();

    lab = new Lab();
    const one = await md5Pair('only-a', undefined);
    await lab.advance(35_000);
    assert.notEqual(state(one.a, '192.0.2.2'), 'Established');
    assert.match(one.a.speaker.peers()[0]?.lastError ?? '', /TCP-MD5: no answer .* drops it silently/);
  });

  it('the listener keeps one key per configured peer with a password: set, changed, removed with the peer', async () => {
    const { a, b } = await md5Pair('pw-1', 'pw-1');
    a.speaker.setPeers([
      { address: '192.0.2.2', asn: 65002, password: 'pw-2', import: permitPods, export: permitPods },
      { address: '192.0.2.3', asn: 65003, password: 'pw-3' },
    ]);
    await settle();
    // b still has pw-1: the changed key resets the session, which cannot come back
    await lab.advance(35_000);
    assert.notEqual(state(b, '192.0.2.1'), 'Established');
    a.speaker.setPeers([{ address: '192.0.2.3', asn: 65003 }]);
    await settle();
    assert.deepEqual(a.speaker.peers()[0]?.transport, { md5: false, ttl: 1 });
  });

  it('ebgpMultihop lifts the connected check on next hops; single-hop eBGP keeps it', async () => {
    const mk = async (multihop?: number) => {
      const l = new Lab();
      const a = l.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
      const b = l.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2', isConnected: () => false });
      a.speaker.addPeer({ address: '192.0.2.2', asn: 65002, import: permitPods, export: permitPods });
      b.speaker.addPeer({
        address: '192.0.2.1',
        asn: 65001,
        passive: true,
        import: permitPods,
        export: permitPods,
        ...(multihop ? { ebgpMultihop: multihop } : {}),
      });
      await b.speaker.start();
      await a.speaker.start();
      await settle();
      a.speaker.originate('10.244.1.0/24');
      await settle();
      const got = b.best.has('10.244.1.0/24');
      const conn = (l.net.connections as MemoryConnection[])[1];
      await l.stopAll();
      return { got, ttl: conn?.security.ttl };
    };
    assert.deepEqual(await mk(), { got: false, ttl: 1 });
    assert.deepEqual(await mk(2), { got: true, ttl: 2 });
  });
});

describe('dynamic neighbours (peer ranges)', () => {
  let lab: Lab;
  beforeEach(() => {
    lab = new Lab();
  });
  afterEach(async () => {
    await lab.stopAll();
  });

  it('matching: the most specific range, IPv4 and IPv6, nothing outside; AS exact or in a range', () => {
    const ranges = [
      parseRange({ prefix: '172.30.0.0/16', asn: 65000 }),
      parseRange({ prefix: '172.30.1.0/24', asnRange: { min: 65100, max: 65199 } }),
      parseRange({ prefix: '2001:db8:30::/64', asn: 65000 }),
    ];
    assert.equal(matchRange(ranges, '172.30.1.7')?.opts.prefix, '172.30.1.0/24');
    assert.equal(matchRange(ranges, '172.30.9.7')?.opts.prefix, '172.30.0.0/16');
    assert.equal(matchRange(ranges, '2001:db8:30::5')?.opts.prefix, '2001:db8:30::/64');
    assert.equal(matchRange(ranges, '172.31.0.1'), undefined);
    assert.equal(matchRange(ranges, '2001:db8:31::5'), undefined);
    assert.equal(matchRange(ranges, 'not-an-address'), undefined);
    const r = ranges[1]!.opts;
    assert.equal(rangeAcceptsAsn(r, 65100), true);
    assert.equal(rangeAcceptsAsn(r, 65200), false);
    assert.deepEqual(dynamicPeerOptions({ ...r, holdTime: 9, limit: 3 }, '172.30.1.7', 65150), {
      address: '172.30.1.7',
      asn: 65150,
      holdTime: 9,
      passive: true,
    });
  });

  it('bad ranges are refused naming the range and key', () => {
    assert.throws(() => parseRange({ prefix: '172.30.0.1/24', asn: 1 }), /host bits/);
    assert.throws(() => parseRange({ prefix: '172.30.0.0/24' }), /exactly one of asn and asnRange/);
    assert.throws(
      () => parseRange({ prefix: '172.30.0.0/24', asn: 1, asnRange: { min: 1, max: 2 } }),
      /exactly one of asn and asnRange/,
    );
    assert.throws(() => parseRange({ prefix: '172.30.0.0/24', asnRange: { min: 9, max: 2 } }), /min is above/);
    assert.throws(() => parseRange({ prefix: '172.30.0.0/24', asn: 1, limit: 0 }), /limit must be/);
    const a = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    assert.throws(() => a.speaker.setPeerRanges([{ prefix: '192.0.2.0/24', asn: 65002, holdTime: 2 }]), /holdTime/);
    assert.throws(
      () =>
        a.speaker.setPeerRanges([
          { prefix: '192.0.2.0/24', asn: 65002 },
          { prefix: '192.0.2.0/24', asn: 65003 },
        ]),
      /listed twice/,
    );
  });

  async function rangeLab(range: Parameters<typeof parseRange>[0], clients: { address: string; asn: number }[]) {
    const hub = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    hub.speaker.setPeerRanges([range]);
    await hub.speaker.start();
    const nodes = clients.map((c, i) => {
      const n = lab.node(c.address, { asn: c.asn, routerId: `10.0.0.${i + 2}`, listen: false });
      n.speaker.addPeer({ address: '192.0.2.1', asn: 65001, import: permitPods, export: permitPods });
      return n;
    });
    for (const n of nodes) await n.speaker.start();
    await settle();
    return { hub, nodes };
  }

  it('accepts peers from a range with the AS of their OPEN, lists them, and removes them when their session ends', async () => {
    const { hub, nodes } = await rangeLab(
      { prefix: '192.0.2.0/24', asnRange: { min: 65100, max: 65199 }, import: permitPods, export: permitPods },
      [
        { address: '192.0.2.10', asn: 65110 },
        { address: '192.0.2.11', asn: 65111 },
        { address: '198.51.100.1', asn: 65120 },
      ],
    );
    const peers = hub.speaker.peers();
    assert.deepEqual(
      peers.map((p) => [p.address, p.asn, p.state, p.dynamic]),
      [
        ['192.0.2.10', 65110, 'Established', '192.0.2.0/24'],
        ['192.0.2.11', 65111, 'Established', '192.0.2.0/24'],
      ],
      'the one outside the range is refused',
    );
    assert.equal(state(nodes[0]!, '192.0.2.1'), 'Established');
    assert.notEqual(state(nodes[2]!, '192.0.2.1'), 'Established');
    nodes[0]!.speaker.originate('10.244.10.0/24');
    await settle();
    assert.deepEqual(hub.best.get('10.244.10.0/24')?.nexthops, ['192.0.2.10']);
    // a configured peer list leaves dynamic peers alone
    hub.speaker.setPeers([]);
    await settle();
    assert.equal(hub.speaker.peers().length, 2);
    await nodes[0]!.speaker.stop();
    await settle();
    assert.deepEqual(
      hub.speaker.peers().map((p) => p.address),
      ['192.0.2.11'],
      'gone with its session',
    );
    assert.equal(hub.best.get('10.244.10.0/24')?.withdrawn, true, 'and its routes with it');
  });

  it('refuses an AS outside the range and connections beyond the limit', async () => {
    const { hub, nodes } = await rangeLab({ prefix: '192.0.2.0/24', asn: 65100, limit: 1 }, [
      { address: '192.0.2.10', asn: 65100 },
      { address: '192.0.2.11', asn: 65100 },
      { address: '192.0.2.12', asn: 65999 },
    ]);
    assert.deepEqual(
      hub.speaker.peers().map((p) => p.address),
      ['192.0.2.10'],
    );
    assert.notEqual(state(nodes[1]!, '192.0.2.1'), 'Established');
    assert.notEqual(state(nodes[2]!, '192.0.2.1'), 'Established');
  });

  it('a range with a password keys the listener for the whole prefix; a client without it is dropped', async () => {
    const hub = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    hub.speaker.setPeerRanges([{ prefix: '192.0.2.0/24', asn: 65100, password: 'range-pw' }]);
    await hub.speaker.start();
    const good = lab.node('192.0.2.10', { asn: 65100, routerId: '10.0.0.10', listen: false });
    good.speaker.addPeer({ address: '192.0.2.1', asn: 65001, password: 'range-pw' });
    const bad = lab.node('192.0.2.11', { asn: 65100, routerId: '10.0.0.11', listen: false });
    bad.speaker.addPeer({ address: '192.0.2.1', asn: 65001 });
    await good.speaker.start();
    await bad.speaker.start();
    await settle();
    assert.equal(state(good, '192.0.2.1'), 'Established');
    assert.notEqual(state(bad, '192.0.2.1'), 'Established');
    assert.equal(hub.speaker.peers()[0]?.transport?.md5, true);
    assert.ok(lab.net.md5Drops >= 1);
  });
});

describe('peer transport: fault paths (in memory)', () => {
  let lab: Lab;
  beforeEach(() => {
    lab = new Lab();
  });
  afterEach(async () => {
    await lab.stopAll();
  });

  /** The hub's factory, with its listener's setMd5Key and its accepted connections' secure() failing on demand. */
  function faultyHub(faults: { md5?: boolean; secure?: boolean }) {
    const logs: { level: string; message: string; meta?: object }[] = [];
    const log = (level: string) => (message: string, meta?: object) => void logs.push({ level, message, meta });
    const logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
    const base = lab.net.factory('192.0.2.1');
    const factory: ConnectionFactory = {
      connect: (o) => base.connect(o),
      listen: async (o, on) => {
        const l = await base.listen(o, (conn) => {
          if (faults.secure)
            (conn as MemoryConnection).secure = () => {
              throw new BgpError('socket-option', 'IP_TTL: Operation not permitted (EPERM)');
            };
          on(conn);
        });
        if (faults.md5)
          l.setMd5Key = () => {
            throw new BgpError('socket-option', 'TCP-MD5 key for 192.0.2.2: Protocol not available (ENOPROTOOPT)');
          };
        return l;
      },
    };
    const hub = createSpeaker({
      asn: 65001,
      routerId: '10.0.0.1',
      listen: { address: '192.0.2.1', port: 179 },
      clock: lab.clock,
      defer: lab.clock.defer,
      connect: factory,
      random: () => 0.5,
      logger,
    });
    return { hub, logs };
  }

  it('a key the kernel refuses on the listener is logged with the peer and the error, never the key', async () => {
    const { hub, logs } = faultyHub({ md5: true });
    hub.addPeer({ address: '192.0.2.2', asn: 65002, password: 'never-logged', passive: true });
    await hub.start();
    await settle();
    const e = logs.find((l) => l.message === 'TCP-MD5 key not set on the listening socket');
    assert.deepEqual(e?.meta, {
      peer: '192.0.2.2',
      error: 'TCP-MD5 key for 192.0.2.2: Protocol not available (ENOPROTOOPT)',
    });
    assert.ok(!JSON.stringify(logs).includes('never-logged'));
    await hub.stop();
  });

  it('an accepted connection whose TTL cannot be set is refused (and logged), the session stays down', async () => {
    const { hub, logs } = faultyHub({ secure: true });
    hub.addPeer({ address: '192.0.2.2', asn: 65002, passive: true });
    await hub.start();
    const b = lab.node('192.0.2.2', { asn: 65002, routerId: '10.0.0.2', listen: false });
    b.speaker.addPeer({ address: '192.0.2.1', asn: 65001 });
    await b.speaker.start();
    await settle();
    assert.notEqual(hub.peers()[0]?.state, 'Established');
    assert.ok(logs.some((l) => l.message === 'connection refused: its TTL could not be set'));
    await hub.stop();
  });

  it('a connection from a range that sends no OPEN in 10 s, or another message first, is closed; no peer is made', async () => {
    const hub = lab.node('192.0.2.1', { asn: 65001, routerId: '10.0.0.1' });
    hub.speaker.setPeerRanges([{ prefix: '192.0.2.0/24', asn: 65100 }]);
    await hub.speaker.start();
    const client = lab.net.factory('192.0.2.50');
    const silent = (await client.connect({ host: '192.0.2.1', port: 179 })) as MemoryConnection;
    await settle();
    assert.equal(silent.closed, false, 'waiting for its OPEN');
    await lab.advance(10_000);
    assert.equal(silent.closed, true, 'closed after 10 s');
    const keepalive = (await client.connect({ host: '192.0.2.1', port: 179 })) as MemoryConnection;
    keepalive.write(encodeMessage({ type: 'keepalive' }, { fourOctetAs: true, extendedMessage: false }));
    await settle();
    assert.equal(keepalive.closed, true, 'a KEEPALIVE first is not an OPEN');
    assert.deepEqual(hub.speaker.peers(), []);
  });
});
