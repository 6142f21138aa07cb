// IpRouteTable and its batch helper against fake `ip` scripts: the line attribution, the sentinel, the fault paths
// (helper dies, hangs, cannot start; dumps interrupted). No root and no kernel: the real kernel is in e2e/.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IpRouteTable, normalizeRoute, type RouteOp, type RoutesError } from '../src/index.js';
import { LineSplitter } from '../src/ip-batch-helper.js';

let dir: string;

/** Writes an executable sh script standing in for `ip`. */
function fakeIp(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

// Behaves like `ip -force -batch -`: counts lines, fails lines that contain "bad" or "gone", and the sentinel.
const BATCH = `n=0
while IFS= read -r line; do
  n=$((n+1))
  case "$line" in
    *gone*) echo "RTNETLINK answers: No such process" >&2; echo "Command failed -:$n" >&2 ;;
    *dup*) echo "RTNETLINK answers: File exists" >&2; echo "Command failed -:$n" >&2 ;;
    *10.9.*) echo "Error: Nexthop has invalid gateway." >&2; echo "Command failed -:$n" >&2 ;;
    gannet-sentinel-*) echo "Object \\"$line\\" is unknown, try \\"ip help\\"." >&2; echo "Command failed -:$n" >&2 ;;
    *die*) exit 3 ;;
  esac
done`;

const route = (dst: string, via = '192.0.2.1') => normalizeRoute({ dst, type: 'unicast', nexthops: [{ via }] });
const ops = (...items: [RouteOp['op'], string][]): RouteOp[] => items.map(([op, dst]) => ({ op, route: route(dst) }));

describe('LineSplitter', () => {
  it('splits chunks into lines at any boundary and keeps the tail', () => {
    const s = new LineSplitter();
    assert.deepEqual(s.push('ab'), []);
    assert.deepEqual(s.push('c\nde\n\nf'), ['abc', 'de', '']);
    assert.deepEqual(s.push('g\n'), ['fg']);
  });
});

describe('IpRouteTable (fake ip)', () => {
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-routes-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('attributes each failure to its line, across batches on one helper process', async () => {
    const t = new IpRouteTable({ ip: fakeIp('ip-batch', BATCH) });
    try {
      const r1 = await t.batch(ops(['add', '10.1.0.0/24'], ['add', '10.9.0.0/24'], ['add', '10.2.0.0/24']), 71);
      assert.deepEqual(r1, [{ ok: true }, { ok: false, reason: 'Error: Nexthop has invalid gateway.' }, { ok: true }]);
      const pid = t.helperPid;
      const r2 = await t.batch(ops(['add', '10.9.1.0/24'], ['replace', '10.3.0.0/24']), 71);
      assert.deepEqual(r2, [{ ok: false, reason: 'Error: Nexthop has invalid gateway.' }, { ok: true }]);
      assert.equal(t.helperPid, pid, 'the same helper served both batches');
      assert.deepEqual(await t.batch([], 71), []);
      assert.deepEqual(await t.replace(route('10.4.0.0/24'), 71), { ok: true });
    } finally {
      await t.close();
    }
  });

  it('pipelines concurrent batches and keeps each failure with its own batch and line', async () => {
    const t = new IpRouteTable({ ip: fakeIp('ip-pipe', BATCH) });
    try {
      const [a, b, c] = await Promise.all([
        t.batch(ops(['add', '10.1.0.0/24'], ['add', '10.9.1.0/24']), 71),
        t.batch(ops(['add', '10.9.2.0/24'], ['add', '10.2.0.0/24'], ['add', '10.9.3.0/24']), 71),
        t.batch(ops(['add', '10.3.0.0/24']), 71),
      ]);
      const bad = { ok: false, reason: 'Error: Nexthop has invalid gateway.' };
      assert.deepEqual(a, [{ ok: true }, bad]);
      assert.deepEqual(b, [bad, { ok: true }, bad]);
      assert.deepEqual(c, [{ ok: true }]);
    } finally {
      await t.close();
    }
  });

  it('counts deleting a route that is gone as done, and explains an add that collides', async () => {
    const t = new IpRouteTable({ ip: fakeIp('ip-batch2', BATCH) });
    try {
      assert.deepEqual(await t.remove(normalizeRoute({ dst: '10.5.0.0/24', type: 'blackhole', nexthops: [] }), 71), {
        ok: true,
      });
      const gone = normalizeRoute({
        dst: '10.5.0.0/24',
        type: 'unicast',
        nexthops: [{ via: '192.0.2.1', dev: 'gone' }],
      });
      assert.deepEqual(await t.remove(gone, 71), { ok: true });
      const dup = normalizeRoute({ dst: '10.6.0.0/24', type: 'unicast', nexthops: [{ via: '192.0.2.1', dev: 'dup' }] });
      const [r] = await t.batch([{ op: 'add', route: dup }], 71);
      assert.ok(r && !r.ok && /File exists \(another route holds 10\.6\.0\.0\/24 metric 0\)/.test(r.reason));
    } finally {
      await t.close();
    }
  });

  it('rejects the batch when the helper dies, and starts a new helper for the next one', async () => {
    const t = new IpRouteTable({ ip: fakeIp('ip-batch3', BATCH) });
    try {
      const dying = normalizeRoute({
        dst: '10.7.0.0/24',
        type: 'unicast',
        nexthops: [{ via: '192.0.2.1', dev: 'die' }],
      });
      await assert.rejects(
        t.batch([{ op: 'add', route: dying }], 71),
        (e: RoutesError) => e.code === 'ERR_GANNET_ROUTES_HELPER_EXITED' && /status 3/.test(e.message),
      );
      assert.deepEqual(await t.batch(ops(['add', '10.8.0.0/24']), 71), [{ ok: true }]);
    } finally {
      await t.close();
    }
  });

  it('kills a helper that hangs and rejects the batch', async () => {
    const t = new IpRouteTable({ ip: fakeIp('ip-hang', 'exec cat > /dev/null'), batchTimeoutMs: 50 });
    try {
      await assert.rejects(t.batch(ops(['add', '10.1.0.0/24']), 71), /gave no answer within/);
    } finally {
      await t.close();
    }
  });

  it('rejects when ip cannot be run at all, and after close', async () => {
    const t = new IpRouteTable({ ip: join(dir, 'no-such-ip') });
    await assert.rejects(t.batch(ops(['add', '10.1.0.0/24']), 71), /could not run/);
    await assert.rejects(t.list(254, 71), (e: RoutesError) => e.code === 'ERR_GANNET_ROUTES_LIST_FAILED');
    await t.close();
    await assert.rejects(
      t.batch(ops(['add', '10.1.0.0/24']), 71),
      (e: RoutesError) => e.code === 'ERR_GANNET_ROUTES_CLOSED',
    );
    assert.throws(() => new IpRouteTable({ netns: 'bad name' }), /bad network namespace name/);
  });

  it('lists both families with table and protocol in the arguments, dropping other protocols', async () => {
    const log = join(dir, 'list-args');
    const ip = fakeIp(
      'ip-list',
      `printf "%s\\n" "$*" >> ${log}
case "$*" in
  *-6*) echo '[{"dst":"2001:db8::/64","gateway":"2001:db8::1","dev":"v0","metric":1024,"flags":[]}]' ;;
  *) echo '[{"dst":"10.1.0.0/24","gateway":"192.0.2.1","dev":"v0","flags":[]},{"dst":"10.2.0.0/24","gateway":"192.0.2.1","protocol":"4","flags":[]}]' ;;
esac`,
    );
    const t = new IpRouteTable({ ip, netns: 'gnt-x' });
    const routes = await t.list(100, 71);
    assert.deepEqual(
      routes.map((r) => `${r.dst} ${r.table} ${r.metric}`),
      ['10.1.0.0/24 100 0', '2001:db8::/64 100 1024'],
    );
    const { readFileSync } = await import('node:fs');
    const calls = readFileSync(log, 'utf8').trim().split('\n').sort();
    assert.deepEqual(calls, [
      '-n gnt-x -j -N -6 route show table 100 proto 71',
      '-n gnt-x -j -N route show table 100 proto 71',
    ]);
    await t.close();
  });

  it('retries interrupted dumps and ENOBUFS, and gives up with the reason after listAttempts', async () => {
    // One counter per family: list() dumps IPv4 and IPv6 in parallel.
    const count = join(dir, 'count');
    const reset = (n: number) => {
      writeFileSync(`${count}4`, `${n}`);
      writeFileSync(`${count}6`, `${n}`);
    };
    reset(0);
    const ip = fakeIp(
      'ip-flaky',
      `f=${count}4; case "$*" in *-6*) f=${count}6 ;; esac
n=$(cat $f); n=$((n+1)); echo $n > $f
if [ $n -le 2 ]; then echo "Dump was interrupted and may be inconsistent." >&2; exit 1; fi
if [ $n -le 3 ]; then echo "netlink receive error No buffer space available (105)" >&2; exit 1; fi
echo '[]'`,
    );
    const t = new IpRouteTable({ ip, listAttempts: 5 });
    assert.deepEqual(await t.list(254, 71), []);
    reset(-10);
    const t2 = new IpRouteTable({ ip, listAttempts: 2 });
    await assert.rejects(t2.list(254, 71), /Dump was interrupted/);
    const bad = new IpRouteTable({ ip: fakeIp('ip-badjson', 'echo "[{"'), listAttempts: 2 });
    await assert.rejects(bad.list(254, 71), /unreadable JSON/);
    const err = new IpRouteTable({ ip: fakeIp('ip-err', 'echo "Error: argument is wrong" >&2; exit 2') });
    await assert.rejects(err.list(7, 71), /argument is wrong/);
    const none = new IpRouteTable({
      ip: fakeIp('ip-notable', 'echo "Error: ipv6: FIB table does not exist." >&2; exit 2'),
    });
    assert.deepEqual(await none.list(7, 71), [], 'a table not created yet is empty');
    await none.close();
    await Promise.all([t.close(), t2.close(), bad.close(), err.close()]);
  });

  it('pauses the monitor during a large batch, then restarts it and reports the pause as lost', async () => {
    const ip = fakeIp(
      'ip-quiet',
      `case "$*" in
  *monitor*) exec sleep 30 ;;
  *) ${BATCH.replace(/\n/g, '\n  ')} ;;
esac`,
    );
    const t = new IpRouteTable({ ip, quietBatchOps: 2 });
    try {
      const events: string[] = [];
      const stop = t.watch((ev) => events.push(ev.kind === 'lost' ? `lost: ${ev.reason}` : 'route'));
      const first = t.monitorPid;
      assert.ok(first !== undefined);
      await t.batch(ops(['add', '10.1.0.0/24']), 71);
      assert.equal(t.monitorPid, first, 'a small batch leaves the monitor alone');
      const big = t.batch(ops(['add', '10.2.0.0/24'], ['add', '10.3.0.0/24']), 71);
      assert.equal(t.monitorPid, undefined, 'paused while the large batch runs');
      await big;
      await new Promise((r) => setImmediate(r));
      assert.ok(t.monitorPid !== undefined && t.monitorPid !== first, 'a new monitor runs');
      assert.deepEqual(events, ['lost: route monitor paused during a batch of 2 routes']);
      stop();
    } finally {
      await t.close();
    }
  });

  it('turns monitor lines into events, reports a dead monitor as lost, and restarts it', async () => {
    const count = join(dir, 'mcount');
    writeFileSync(count, '0');
    const ip = fakeIp(
      'ip-monitor',
      `n=$(cat ${count}); n=$((n+1)); echo $n > ${count}
echo "Deleted 10.3.0.0/24 via 192.0.2.4 dev v0 proto 71 "
echo "netlink receive error No buffer space available (105)" >&2
if [ $n -ge 2 ]; then exec sleep 30; fi`,
    );
    const t = new IpRouteTable({ ip });
    const events: string[] = [];
    let resolveSecond: () => void = () => {};
    const second = new Promise<void>((r) => {
      resolveSecond = r;
    });
    const stop = t.watch((ev) => {
      events.push(ev.kind === 'route' ? `${ev.deleted ? 'del' : 'add'} ${ev.dst} ${ev.protocol}` : 'lost');
      if (events.filter((e) => e.startsWith('del')).length === 2) resolveSecond();
    });
    await second;
    assert.ok(events.includes('lost'));
    assert.ok(t.monitorPid !== undefined, 'the monitor runs again');
    stop();
    assert.equal(t.monitorPid, undefined, 'the last unsubscribe stops the monitor');
    await t.close();
  });
});
