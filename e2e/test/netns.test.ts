import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { TestNet } from '../src/netns.js';
import { requireRoot } from '../src/root.js';

function listNetns(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

describe('e2e harness: TestNet', () => {
  before(function () {
    requireRoot(this);
  });

  it('builds two namespaces joined by a veth that ping each other, then removes exactly them', async () => {
    const net = new TestNet('h');
    const before = listNetns();
    try {
      const a = net.ns('a');
      const b = net.ns('b');
      assert.match(a.name, /^gnt-t[0-9a-f]{6}-h-a$/);
      net.link(a, 'va', b, 'vb', '192.0.2.1/30', '192.0.2.2/30');
      assert.ok(a.ping('192.0.2.2', 2), 'a pings b over the veth');
      assert.ok(!a.ping('192.0.2.99'), 'an address nobody has does not answer');
      assert.deepEqual(
        listNetns()
          .filter((n) => !before.includes(n))
          .sort(),
        [a.name, b.name].sort(),
      );
    } finally {
      await net.cleanup();
    }
    assert.deepEqual(listNetns().sort(), before.sort(), 'cleanup removed exactly what it made');
  });

  it('kills the processes it started by PID at cleanup', async () => {
    const net = new TestNet('p');
    const ns = net.ns('a');
    const proc = net.spawn(ns, 'sleep', ['30']);
    assert.ok(proc.pid > 0);
    await net.cleanup();
    const code = await proc.exited;
    assert.ok(code === 'SIGTERM' || code === 143 || typeof code === 'number', `exited with ${code}`);
    assert.throws(() => process.kill(proc.pid, 0), 'the process is gone');
  });
});
