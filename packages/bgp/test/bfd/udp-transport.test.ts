import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import {
  BFD_SOURCE_PORT_MAX,
  BFD_SOURCE_PORT_MIN,
  type BfdDatagram,
  udpBfdTransport,
} from '../../src/bfd/transport.js';
import { attachTtlFilter } from '../../src/bfd/ttl-filter.js';

/** A free UDP port on loopback. */
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('udpBfdTransport (RFC 5881 on loopback)', function () {
  // Real sockets on a shared, loaded machine: bounded waits well above what delivery takes (a few ms).
  this.timeout(30_000);
  it('sends from one source port in 49152–65535 per session and delivers with the source address', async () => {
    const [pa, pb] = [await freePort(), await freePort()];
    const got: BfdDatagram[] = [];
    const errors: Error[] = [];
    const a = await udpBfdTransport({ listen: { address: '127.0.0.1', port: pa }, peerPort: pb })(() => {});
    const b = await udpBfdTransport({
      listen: { address: '127.0.0.1', port: pb },
      peerPort: pa,
      onError: (e) => errors.push(e),
    })((d) => got.push(d));
    try {
      a.send('127.0.0.1', '127.0.0.1', Buffer.from('one'));
      for (let i = 0; i < 1000 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
      a.send('127.0.0.1', '127.0.0.1', Buffer.from('two'));
      for (let i = 0; i < 1000 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(
        got.map((d) => d.data.toString()),
        ['one', 'two'],
      );
      assert.equal(got[0]?.from, '127.0.0.1');
      const port = got[0]?.fromPort ?? 0;
      assert.ok(port >= BFD_SOURCE_PORT_MIN && port <= BFD_SOURCE_PORT_MAX, `source port ${port}`);
      assert.equal(got[1]?.fromPort, port, 'the same source port for the whole session');
      assert.deepEqual(errors, []);
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('reports a listen address it cannot bind as an error', async () => {
    await assert.rejects(
      udpBfdTransport({ listen: { address: '192.0.2.123', port: 3784 } })(() => {}),
      /EADDRNOTAVAIL/,
    );
  });

  it('with the TTL filter, takes only datagrams sent with TTL 255 (RFC 5881 §5): IPv4, IPv6, IPv4 on a dual-stack socket', async () => {
    for (const [family, address, listenAddress] of [
      ['udp4', '127.0.0.1', '127.0.0.1'],
      ['udp6', '::1', '::1'],
      ['udp4', '127.0.0.1', '::'],
    ] as const) {
      const got: string[] = [];
      const errors: Error[] = [];
      const s = dgram.createSocket(family);
      await new Promise<void>((r) => s.bind(0, address, r));
      const port = s.address().port;
      await new Promise<void>((r) => s.close(() => r()));
      const t = await udpBfdTransport({
        listen: { address: listenAddress, port },
        receiveFilter: (rx) => attachTtlFilter(rx, 255),
        onError: (e) => errors.push(e),
      })((d) => got.push(d.data.toString()));
      const tx = dgram.createSocket(family);
      try {
        await new Promise<void>((r) => tx.bind(0, address, r));
        for (const ttl of [254, 1, 255]) {
          tx.setTTL(ttl);
          await new Promise<void>((r, j) => tx.send(`ttl ${ttl}`, port, address, (e) => (e ? j(e) : r())));
        }
        // Loopback keeps the order: once 'ttl 255' (sent last) is in, the others would have been before it.
        for (let i = 0; i < 1000 && !got.includes('ttl 255'); i++) await new Promise((r) => setTimeout(r, 5));
        assert.deepEqual(errors, []);
        assert.deepEqual(got, ['ttl 255'], family);
      } finally {
        tx.close();
        await t.close();
      }
    }
  });

  it('reports a receive filter that fails and runs without it', async () => {
    const errors: Error[] = [];
    const port = await freePort();
    const t = await udpBfdTransport({
      listen: { address: '127.0.0.1', port },
      receiveFilter: () => {
        throw new Error('no addon');
      },
      onError: (e) => errors.push(e),
    })(() => {});
    await t.close();
    assert.deepEqual(
      errors.map((e) => e.message),
      ['no addon'],
    );
  });
});
