import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import type { BfdStateEvent } from '../../src/bfd/bfd-manager.js';
import { BfdWorker } from '../../src/bfd/bfd-worker.js';

async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Resolves with the first event that matches, or rejects after `ms`. */
function next(w: BfdWorker, match: (e: BfdStateEvent) => boolean, ms = 15_000): Promise<BfdStateEvent> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no such BFD state event')), ms);
    const on = (e: BfdStateEvent) => {
      if (!match(e)) return;
      clearTimeout(t);
      w.off('state', on);
      resolve(e);
    };
    w.on('state', on);
  });
}

describe('BfdWorker (BFD on a worker thread, UDP on loopback)', function () {
  this.timeout(40_000);

  it('brings a session Up with another worker, reports status, sees the peer’s AdminDown, and closes', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const logs: string[] = [];
    const logger = {
      debug() {},
      info: (m: string) => logs.push(m),
      warn: (m: string) => logs.push(m),
      error: (m: string) => logs.push(m),
    };
    const a = new BfdWorker({ listen: { address: '127.0.0.1', port: pa }, peerPort: pb, statusIntervalMs: 50, logger });
    const b = new BfdWorker({ listen: { address: '127.0.0.1', port: pb }, peerPort: pa, statusIntervalMs: 50 });
    try {
      await a.start();
      await b.start();
      assert.equal(a.status('127.0.0.1'), undefined);
      const upA = next(a, (e) => e.to === 'Up');
      const upB = next(b, (e) => e.to === 'Up');
      a.set({ peer: '127.0.0.1', minTxMs: 50, minRxMs: 50 });
      assert.equal(a.status('127.0.0.1')?.state, 'Down', 'known before the worker reports');
      b.set({ peer: '127.0.0.1', minTxMs: 50, minRxMs: 50 });
      await Promise.all([upA, upB]);
      for (let i = 0; i < 500 && a.status('127.0.0.1')?.state !== 'Up'; i++)
        await new Promise((r) => setTimeout(r, 20));
      const s = a.status('127.0.0.1');
      assert.equal(s?.state, 'Up');
      assert.ok((s?.packetsIn ?? 0) > 0 && (s?.localDiscr ?? 0) > 0);
      const down = next(a, (e) => e.to === 'Down');
      b.adminDown('127.0.0.1', true);
      const ev = await down;
      assert.equal(ev.peerAdminDown, true);
      assert.equal(ev.diag, 'neighbor-signaled-session-down');
      assert.ok(logs.includes('bfd Up'), logs.join(', '));
    } finally {
      await a.close();
      await b.close();
    }
    assert.equal(a.status('127.0.0.1')?.state, 'AdminDown', 'closing took the session AdminDown');
  });
});
