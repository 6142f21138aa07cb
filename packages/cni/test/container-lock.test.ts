import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { breakStale, lockContainer, processStart, removeStaleLocks } from '../src/container-lock.js';
import { CniError } from '../src/errors.js';

describe('container lock', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gannet-lock-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const lockFile = () => join(dir, '.lock-ctr');

  it('holds a file with our PID and start time while held, and leaves nothing behind after release', () => {
    const unlock = lockContainer(dir, 'ctr');
    const [pid, start, nonce] = readFileSync(lockFile(), 'utf8').trim().split(' ');
    assert.equal(Number(pid), process.pid);
    assert.equal(start, processStart('self'));
    assert.match(start ?? '', /^\d+$/);
    assert.ok(nonce);
    unlock();
    assert.deepEqual(readdirSync(dir), []);
  });

  it('a live holder makes the next one wait, then answer code 11 at the timeout (never hang)', () => {
    const unlock = lockContainer(dir, 'ctr');
    let t = 0;
    const sleeps: number[] = [];
    assert.throws(
      () =>
        lockContainer(dir, 'ctr', {
          now: () => t,
          sleep: (ms) => {
            sleeps.push(ms);
            t += ms;
          },
          timeoutMs: 100,
        }),
      (e: unknown) =>
        e instanceof CniError && e.code === 11 && /another ADD or DEL for container ctr \(PID \d+\)/.test(e.message),
    );
    assert.ok(sleeps.length > 3 && Math.max(...sleeps) <= 20, `backoff ${sleeps}`);
    assert.ok(existsSync(lockFile()), 'the holder keeps its lock');
    unlock();
    assert.deepEqual(readdirSync(dir), [], 'the waiter left no temp file');
  });

  it('a waiter gets the lock as soon as the holder releases it', () => {
    const unlock = lockContainer(dir, 'ctr');
    let waited = 0;
    const second = lockContainer(dir, 'ctr', {
      sleep: () => {
        waited++;
        unlock();
      },
    });
    assert.equal(waited, 1);
    assert.equal(Number(readFileSync(lockFile(), 'utf8').split(' ')[0]), process.pid);
    second();
    assert.deepEqual(readdirSync(dir), []);
  });

  it("a dead holder's lock is broken at once; a recycled PID (another start time) counts as dead", () => {
    writeFileSync(lockFile(), '2147483646 12345 deadbeef\n'); // no such PID
    lockContainer(dir, 'ctr', { timeoutMs: 0 })();
    writeFileSync(lockFile(), `${process.pid} 1 recycled\n`); // our PID, but a process that started at tick 1
    lockContainer(dir, 'ctr', { timeoutMs: 0 })();
    writeFileSync(lockFile(), 'garbage\n'); // a damaged record has no live holder
    lockContainer(dir, 'ctr', { timeoutMs: 0 })();
    assert.deepEqual(readdirSync(dir), []);
  });

  it('breaking a stale lock never removes a live lock that replaced it, nor lets release drop another lock', () => {
    writeFileSync(lockFile(), '1 2 live\n');
    breakStale(lockFile(), '2147483646 3 stale\n', 'x'); // what we read was stale; what is there now is not
    assert.equal(readFileSync(lockFile(), 'utf8'), '1 2 live\n');
    assert.deepEqual(readdirSync(dir), ['.lock-ctr'], 'the moved copy is gone');
    const unlock = lockContainer(dir, 'other');
    writeFileSync(join(dir, '.lock-other'), '1 2 someone else\n');
    unlock();
    assert.equal(readFileSync(join(dir, '.lock-other'), 'utf8'), '1 2 someone else\n');
  });

  it('creates a missing store once; an unwritable place is code 5 with the errno kept', () => {
    const store = join(dir, 'a', 'b');
    let made = 0;
    const unlock = lockContainer(store, 'ctr', {
      mkdir: () => {
        made++;
        mkdirSync(store, { recursive: true });
      },
    });
    unlock();
    assert.equal(made, 1);
    assert.deepEqual(readdirSync(store), []);
    const file = join(dir, 'x');
    writeFileSync(file, '');
    assert.throws(
      () => lockContainer(join(file, 'store'), 'ctr'),
      (e: unknown) => e instanceof CniError && e.code === 5 && (e.cause as NodeJS.ErrnoException).code === 'ENOTDIR',
    );
  });

  it('GC removes the locks of dead holders and of dead breakers, and keeps live ones', () => {
    writeFileSync(join(dir, '.lock-dead'), '2147483646 1 a\n');
    writeFileSync(join(dir, '.lock-live'), `${process.pid} ${processStart('self')} b\n`);
    writeFileSync(join(dir, '.lock-x.stale-2147483646-c'), '1 2 c\n');
    writeFileSync(join(dir, '10.0.0.2'), 'ctr\neth0\n');
    removeStaleLocks(dir, readdirSync(dir));
    assert.deepEqual(readdirSync(dir).sort(), ['.lock-live', '10.0.0.2']);
  });

  it('excludes every other holder: 4 threads × 50 read-yield-write increments lose no update', async function () {
    this.timeout(30_000);
    writeFileSync(join(dir, 'counter'), '0');
    const workers = Array.from(
      { length: 4 },
      () =>
        new Promise((resolve, reject) => {
          const w = new Worker(new URL('./lock-worker.js', import.meta.url), { workerData: { dir, rounds: 50 } });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    );
    await Promise.all(workers);
    assert.equal(readFileSync(join(dir, 'counter'), 'utf8'), '200');
    assert.deepEqual(readdirSync(dir), ['counter']);
  });
});
