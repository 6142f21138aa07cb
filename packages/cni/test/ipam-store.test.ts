import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { CniCode, CniError } from '../src/errors.js';
import { IpamStore, ipamUsage } from '../src/ipam-store.js';
import { checkPodCidr, type PodCidr } from '../src/pod-cidr.js';

function prefix(text: string): PodCidr {
  const p = checkPodCidr(text);
  if (typeof p === 'string') throw new Error(p);
  return p;
}
const who = (id: string, ifname = 'eth0') => ({ containerId: id, ifname });
/** A whole allocation, as ADD makes it: claim, then done(). */
function take(store: IpamStore, w: { containerId: string; ifname: string }, r: PodCidr): string {
  const a = store.allocate(w, r);
  a.done();
  return a.address;
}
const ip = (a: string) => a;
const parseIpv4 = (a: string) => a;

describe('ipam: IpamStore on real files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-ipam-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the pod (namespace, name, uid) with the claim; claims without it (older files) still parse', () => {
    const store = new IpamStore(dir, 'net');
    const r = prefix('10.244.1.0/24');
    store.allocate(who('a'), r, { namespace: 'x', name: 'a', uid: 'u-1' }).done();
    store.allocate(who('b'), r, { namespace: 'y', name: 'b' }).done();
    assert.equal(readFileSync(join(dir, 'net', '10.244.1.2'), 'utf8'), 'a\neth0\nx\na\nu-1\n');
    writeFileSync(join(dir, 'net', '10.244.1.9'), 'old\neth0\n'); // written before pods were recorded
    assert.deepEqual(
      store.list().sort((p, q) => (p.address < q.address ? -1 : 1)),
      [
        {
          address: parseIpv4('10.244.1.2'),
          containerId: 'a',
          ifname: 'eth0',
          pod: { namespace: 'x', name: 'a', uid: 'u-1' },
        },
        { address: parseIpv4('10.244.1.3'), containerId: 'b', ifname: 'eth0', pod: { namespace: 'y', name: 'b' } },
        { address: parseIpv4('10.244.1.9'), containerId: 'old', ifname: 'eth0' },
      ],
    );
    assert.equal(store.allocate(who('a'), r, { namespace: 'z', name: 'other' }).existing, true, 'a repeated ADD');
    assert.deepEqual(store.release(who('old')), [parseIpv4('10.244.1.9')]);
  });

  it('skips the network, first and broadcast addresses', () => {
    const r = prefix('10.244.1.0/24');
    assert.deepEqual([r.first, r.last, r.count], [2, 254, 253]);
    assert.equal(prefix('10.0.0.0/30').count, 1);
  });

  it('hands out addresses round-robin, one file per address naming the owner', () => {
    const store = new IpamStore(dir, 'net');
    const r = prefix('10.244.1.0/24');
    const a = store.allocate(who('a'), r);
    assert.deepEqual([a.address, a.existing], [parseIpv4('10.244.1.2'), false]);
    a.done();
    assert.equal(ip(take(store, who('b'), r)), '10.244.1.3');
    assert.equal(readFileSync(join(dir, 'net', '10.244.1.3'), 'utf8'), 'b\neth0\n');
    store.release(who('a'));
    // round-robin: the freed .2 is not reused before the range wraps
    assert.equal(ip(take(store, who('c'), r)), '10.244.1.4');
    assert.deepEqual(
      readdirSync(join(dir, 'net')).sort(),
      ['10.244.1.3', '10.244.1.4', 'last_reserved_ip.0'],
      'no temp file left behind',
    );
  });

  it('returns the same address for a repeated allocation of the same (container, ifname)', () => {
    const store = new IpamStore(dir, 'net');
    const r = prefix('10.244.1.0/24');
    const first = take(store, who('a'), r);
    const again = store.allocate(who('a'), r);
    assert.deepEqual([again.address, again.existing], [first, true]);
    assert.notEqual(take(store, who('a', 'net1'), r), first, 'another ifname is another attachment');
    assert.deepEqual(store.find(who('a')), [first]);
    assert.deepEqual(store.find(who('zzz')), []);
  });

  it('wraps around and fails with code 11 when the range is full', () => {
    const store = new IpamStore(dir, 'net');
    const r = prefix('10.9.0.0/29'); // .2 … .6: 5 addresses
    const got = ['a', 'b', 'c', 'd', 'e'].map((id) => ip(take(store, who(id), r)));
    assert.deepEqual(got, ['10.9.0.2', '10.9.0.3', '10.9.0.4', '10.9.0.5', '10.9.0.6']);
    assert.throws(
      () => store.allocate(who('f'), r),
      (err: unknown) =>
        err instanceof CniError &&
        err.code === CniCode.TryAgainLater &&
        /no free address in pod CIDR 10\.9\.0\.0\/29: all 5 addresses are reserved/.test(err.message),
    );
    store.release(who('c'));
    assert.equal(ip(take(store, who('f'), r)), '10.9.0.4', 'wraps to the only free address');
    assert.deepEqual(store.usage(r), { used: 5, free: 0, total: 5 });
  });

  it('release and gc tolerate a missing store and already released addresses', () => {
    const store = new IpamStore(join(dir, 'never'), 'net');
    assert.deepEqual(store.release(who('a')), []);
    assert.deepEqual(store.gc([]), { released: [], kept: [] });
    assert.deepEqual(store.usage(prefix('10.0.0.0/24')), { used: 0, free: 253, total: 253 });
  });

  it('gc releases what is not in the valid list, damaged claims included', () => {
    const store = new IpamStore(dir, 'net');
    const r = prefix('10.244.1.0/24');
    for (const id of ['a', 'b', 'c']) take(store, who(id), r);
    writeFileSync(join(dir, 'net', '10.244.1.200'), ''); // a claim whose content a power loss ate
    const { released } = store.gc([who('b'), who('gone')]);
    assert.deepEqual(released.map((x) => `${x.containerId}:${ip(x.address)}`).sort(), [
      ':10.244.1.200',
      'a:10.244.1.2',
      'c:10.244.1.4',
    ]);
    assert.deepEqual(
      store.list().map((x) => x.containerId),
      ['b'],
    );
  });

  it('removes temp files of dead processes (a crash mid-allocation), keeps those of live ones', () => {
    const alive = new Set([4242]);
    const store = new IpamStore(dir, 'net', (pid) => alive.has(pid));
    mkdirSync(join(dir, 'net'));
    writeFileSync(join(dir, 'net', '.tmp-999999-dead'), 'x\neth0\n');
    writeFileSync(join(dir, 'net', '.tmp-4242-live'), 'y\neth0\n');
    take(store, who('a'), prefix('10.244.1.0/24'));
    assert.deepEqual(readdirSync(join(dir, 'net')).sort(), ['.tmp-4242-live', '10.244.1.2', 'last_reserved_ip.0']);
    alive.clear();
    store.gc([who('a')]);
    assert.deepEqual(readdirSync(join(dir, 'net')).sort(), ['10.244.1.2', 'last_reserved_ip.0']);
  });

  it('gc leaves the claim of an ADD still in flight alone, and takes it once that ADD process is dead', () => {
    const alive = new Set([process.pid]);
    const store = new IpamStore(dir, 'net', (pid) => alive.has(pid));
    const r = prefix('10.244.1.0/24');
    const inFlight = store.allocate(who('new'), r);
    assert.deepEqual(store.gc([]).released, [], 'not in the runtime list yet, but its ADD is running');
    assert.deepEqual(store.find(who('new')), [inFlight.address]);
    inFlight.done();
    assert.deepEqual(
      store.gc([]).released.map((x) => x.containerId),
      ['new'],
    );
    store.allocate(who('crashed'), r); // never done(): the process "dies"
    alive.clear();
    assert.deepEqual(
      store.gc([]).released.map((x) => x.containerId),
      ['crashed'],
    );
    assert.deepEqual(readdirSync(join(dir, 'net')), ['last_reserved_ip.0'], 'the dead temp went too');
  });

  it('gc keeps a claim whose cleanup fails, and goes on with the others', () => {
    const store = new IpamStore(dir, 'net');
    const r = prefix('10.244.1.0/24');
    for (const id of ['a', 'b', 'c']) take(store, who(id), r);
    const { released, kept } = store.gc([], (x) => {
      if (x.containerId === 'b') throw new Error('veth busy');
    });
    assert.deepEqual(
      released.map((x) => x.containerId),
      ['a', 'c'],
    );
    assert.deepEqual(
      kept.map((k) => [k.reservation.containerId, (k.error as Error).message]),
      [['b', 'veth busy']],
    );
    assert.deepEqual(
      store.list().map((x) => x.containerId),
      ['b'],
    );
  });

  it('release removes temp files of dead processes too', () => {
    const alive = new Set([process.pid]);
    const store = new IpamStore(dir, 'net', (pid) => alive.has(pid));
    store.allocate(who('a'), prefix('10.244.1.0/24'));
    alive.clear();
    assert.equal(store.release(who('a')).length, 1);
    assert.deepEqual(readdirSync(join(dir, 'net')), ['last_reserved_ip.0']);
  });

  it('ignores a damaged hint and reservations outside the range', () => {
    const store = new IpamStore(dir, 'net');
    mkdirSync(join(dir, 'net'));
    writeFileSync(join(dir, 'net', 'last_reserved_ip.0'), 'garbage');
    writeFileSync(join(dir, 'net', '10.99.0.5'), 'old\neth0\n');
    const r = prefix('10.244.1.0/24');
    assert.equal(ip(take(store, who('a'), r)), '10.244.1.2');
    assert.deepEqual(store.usage(r), { used: 1, free: 252, total: 253 });
    assert.deepEqual(ipamUsage({ dataDir: dir, network: 'net', podCIDR: '10.244.1.0/24' }), {
      used: 1,
      free: 252,
      total: 253,
    });
    assert.throws(() => ipamUsage({ dataDir: dir, network: 'net', podCIDR: 'x' }), /IPv4 or IPv6 prefix/);
  });

  it('reports an unwritable store as an I/O failure (code 5)', () => {
    writeFileSync(join(dir, 'file'), '');
    const store = new IpamStore(join(dir, 'file'), 'net'); // dataDir is a file: nothing can be created below it
    assert.throws(
      () => store.allocate(who('a'), prefix('10.244.1.0/24')),
      (err: unknown) => err instanceof CniError && err.code === CniCode.IoFailure && /cannot/.test(err.message),
    );
  });

  it('never hands out an address twice: 200 allocations racing in 8 threads', async function () {
    this.timeout(30_000);
    const ids = Array.from({ length: 200 }, (_, i) => `c${i}`);
    const shares = Array.from({ length: 8 }, (_, w) => ids.filter((_, i) => i % 8 === w));
    const results = await Promise.all(
      shares.map(
        (share) =>
          new Promise<{ got: [string, string][]; errors: string[] }>((resolve, reject) => {
            const worker = new Worker(new URL('./ipam-worker.js', import.meta.url), {
              workerData: { dataDir: dir, ids: share, cidr: '10.244.0.0/24' },
            });
            worker.once('message', resolve);
            worker.once('error', reject);
          }),
      ),
    );
    assert.deepEqual(
      results.flatMap((r) => r.errors),
      [],
    );
    const got = results.flatMap((r) => r.got);
    assert.equal(got.length, 200);
    assert.equal(new Set(got.map(([, a]) => a)).size, 200, 'all addresses distinct');
    const store = new IpamStore(dir, 'net');
    for (const [id, address] of got) assert.deepEqual(store.find(who(id)), [address], `${id} owns its address on disk`);
    assert.equal(store.list().length, 200);
    assert.deepEqual(
      readdirSync(join(dir, 'net')).filter((n) => n.startsWith('.tmp')),
      [],
    );
  });
});

describe('ipam: IPv6 and dual-stack', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-ipam6-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('hands out IPv6 addresses round-robin as RFC 5952 file names, with a hint of their own', () => {
    const store = new IpamStore(dir, 'net');
    const v6 = prefix('fd00:10:244:1::/64');
    const v4 = prefix('10.244.1.0/24');
    assert.equal(take(store, who('a'), v6), 'fd00:10:244:1::2');
    assert.equal(take(store, who('a'), v4), '10.244.1.2', 'the same attachment: one claim per family');
    assert.equal(take(store, who('b'), v6), 'fd00:10:244:1::3');
    assert.equal(readFileSync(join(dir, 'net', 'fd00:10:244:1::3'), 'utf8'), 'b\neth0\n');
    store.release(who('b'));
    assert.equal(take(store, who('c'), v6), 'fd00:10:244:1::4', 'round-robin: the freed ::3 is not reused first');
    assert.equal(take(store, who('c'), v4), '10.244.1.3', 'the IPv4 hint is not moved by IPv6 claims');
    assert.deepEqual(store.find(who('a')).sort(), ['10.244.1.2', 'fd00:10:244:1::2']);
    assert.deepEqual(readdirSync(join(dir, 'net')).sort(), [
      '10.244.1.2',
      '10.244.1.3',
      'fd00:10:244:1::2',
      'fd00:10:244:1::4',
      'last_reserved_ip.0',
      'last_reserved_ip.1',
    ]);
    assert.deepEqual(store.usage(v6), { used: 2, free: 2 ** 32 - 3 - 2, total: 2 ** 32 - 3 });
    assert.deepEqual(store.usage(v4), { used: 2, free: 251, total: 253 });
    assert.deepEqual(store.release(who('a')).sort(), ['10.244.1.2', 'fd00:10:244:1::2'], 'DEL frees both');
  });

  it('a repeated allocation finds the existing IPv6 claim; another attachment gets the next', () => {
    const store = new IpamStore(dir, 'net');
    const v6 = prefix('fd00::/64');
    const first = take(store, who('a'), v6);
    const again = store.allocate(who('a'), v6);
    assert.deepEqual([again.address, again.existing], [first, true]);
    assert.equal(take(store, who('a', 'net1'), v6), 'fd00::3');
  });

  it('IPv6 exhaustion: a full /120 fails with code 11 naming the CIDR; the IPv4 side is unaffected', function () {
    this.timeout(20_000); // 254 allocations, each reading the store (~1.3 s idle)
    const store = new IpamStore(dir, 'net');
    const v6 = prefix('fd00::/120');
    const got = new Set<string>();
    for (let i = 0; i < 253; i++) got.add(take(store, who(`c${i}`), v6));
    assert.equal(got.size, 253);
    assert.ok(!got.has('fd00::') && !got.has('fd00::1') && !got.has('fd00::ff'));
    assert.throws(
      () => store.allocate(who('full'), v6),
      (err: unknown) =>
        err instanceof CniError &&
        err.code === CniCode.TryAgainLater &&
        /no free address in pod CIDR fd00::\/120: all 253 addresses are reserved/.test(err.message),
    );
    assert.deepEqual(store.usage(v6), { used: 253, free: 0, total: 253 });
    assert.equal(take(store, who('full'), prefix('10.0.0.0/24')), '10.0.0.2');
    store.release(who('c100'));
    assert.equal(take(store, who('full'), v6), 'fd00::66', 'wraps to the freed address');
  });

  it('crash recovery: an IPv6 claim of a dead ADD is kept while it lives, freed by GC after; DEL frees it too', () => {
    const alive = new Set([process.pid]);
    const store = new IpamStore(dir, 'net', (pid) => alive.has(pid));
    const v4 = prefix('10.244.1.0/24');
    const v6 = prefix('fd00::/64');
    // a dual-stack ADD that dies between its two claims: the IPv4 one done, the IPv6 one in flight
    take(store, who('crashed'), v4);
    store.allocate(who('crashed'), v6); // never done()
    assert.deepEqual(
      store.gc([]).released.map((r) => r.address),
      ['10.244.1.2'],
      'the in-flight IPv6 claim stays',
    );
    alive.clear(); // the ADD process is gone
    assert.deepEqual(
      store.gc([]).released.map((r) => r.address),
      ['fd00::2'],
    );
    assert.deepEqual(
      readdirSync(join(dir, 'net')).filter((n) => n.startsWith('.tmp')),
      [],
    );
    // the same crash, then the runtime's DEL
    take(store, who('again'), v4);
    store.allocate(who('again'), v6);
    assert.deepEqual(store.release(who('again')).sort(), ['10.244.1.3', 'fd00::3']);
    assert.deepEqual(store.list(), []);
  });

  it('a repeated ADD after a crash between the families reuses the first claim and adds the second', () => {
    const store = new IpamStore(dir, 'net');
    const v4 = prefix('10.244.1.0/24');
    const v6 = prefix('fd00::/64');
    take(store, who('a'), v4);
    const again4 = store.allocate(who('a'), v4);
    const new6 = store.allocate(who('a'), v6);
    assert.deepEqual([again4.existing, new6.existing, new6.address], [true, false, 'fd00::2']);
    new6.done();
    assert.deepEqual(store.release(who('a'), ['fd00::2']), ['fd00::2'], 'release of named addresses only');
    assert.deepEqual(store.find(who('a')), ['10.244.1.2']);
  });

  it('ipamUsage reads an IPv6 pod CIDR; a bad one is code 7', () => {
    const store = new IpamStore(dir, 'net');
    take(store, who('a'), prefix('fd00::/120'));
    assert.deepEqual(ipamUsage({ dataDir: dir, network: 'net', podCIDR: 'fd00::/120' }), {
      used: 1,
      free: 252,
      total: 253,
    });
    assert.throws(
      () => ipamUsage({ dataDir: dir, network: 'net', podCIDR: 'fd00::/124' }),
      (err: unknown) => err instanceof CniError && err.code === 7,
    );
  });
});
