import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import {
  BFD_SOURCE_PORT_MAX,
  BFD_SOURCE_PORT_MIN,
  type BfdDatagram,
  udpBfdTransport,
} from '../../src/bfd/transport.js';

/** A free UDP port on loopback. */
async function freePort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('udpBfdTransport (RFC 5881 on loopback)', () => {
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
      for (let i = 0; i < 200 && got.length < 1; i++) await new Promise((r) => setTimeout(r, 5));
      a.send('127.0.0.1', '127.0.0.1', Buffer.from('two'));
      for (let i = 0; i < 200 && got.length < 2; i++) await new Promise((r) => setTimeout(r, 5));
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
});
