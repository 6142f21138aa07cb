// The gannet-sockopt addon on the real kernel, over loopback only (127.0.0.0/8 and ::1): TCP-MD5 keys on a
// connecting socket made by the addon and wrapped in net.Socket, and on a dual-stack listener (IPv4 peers as
// IPv4-mapped keys, prefixes); a wrong or missing key never connects, and the kernel counts why; TTL and GTSM's
// minimum TTL (a listener answering with TTL 64 to a client that demands 255 is never connected).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { type IpFamily, nativeSocketOptions, socketFd } from '@gannet/bgp';

const so = nativeSocketOptions();

/** A listener on [::]:0 (or 127.0.0.1) answering 'hi' to each connection; `onListen` sets options on its fd. */
async function listener(host: string, onListen: (fd: number) => void = () => {}): Promise<net.Server> {
  const server = net.createServer((s) => {
    s.on('error', () => {});
    s.end('hi');
  });
  await new Promise<void>((res) => server.listen({ host, port: 0 }, res));
  onListen(socketFd(server));
  return server;
}

/** Connects with options set on the fd before connect; resolves 'hi', or 'timeout' after `ms`, or the error code. */
function tryConnect(
  host: string,
  port: number,
  family: IpFamily,
  before: (fd: number) => void,
  ms = 1_500,
): Promise<string> {
  const fd = so.createTcpSocket(family);
  try {
    before(fd);
  } catch (err) {
    so.close(fd);
    throw err;
  }
  const s = new net.Socket({ fd });
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      s.destroy();
      resolve('timeout');
    }, ms);
    s.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(e.code ?? e.message);
    });
    s.on('data', (d) => {
      clearTimeout(timer);
      s.destroy();
      resolve(String(d));
    });
    s.connect({ host, port });
  });
}

/** TcpExt MD5 counters (nstat: absolute values of this namespace, its history file left alone). */
function md5Counters(): Record<string, number> {
  const out = execFileSync('nstat', ['-asz', 'TcpExtTCPMD5*'], { encoding: 'utf8' });
  const counters: Record<string, number> = {};
  for (const m of out.matchAll(/^(TcpExtTCPMD5\w+)\s+(\d+)/gm)) counters[m[1] ?? ''] = Number(m[2]);
  return counters;
}

describe('socket options on the real kernel (loopback)', function () {
  this.timeout(20_000);
  const servers: net.Server[] = [];
  afterEach(() => {
    for (const s of servers.splice(0)) s.close();
  });

  it('TCP-MD5: same key both ends connects (IPv4 peer on a dual-stack listener, IPv6), no key or a wrong key never does', async () => {
    const key = Buffer.from('gannet-md5-test');
    const s6 = await listener('::', (fd) => {
      so.setMd5Key(fd, '127.0.0.1', key);
      so.setMd5Key(fd, '::1', key);
    });
    servers.push(s6);
    const port = (s6.address() as net.AddressInfo).port;
    assert.equal(await tryConnect('127.0.0.1', port, 4, (fd) => so.setMd5Key(fd, '127.0.0.1', key)), 'hi');
    assert.equal(await tryConnect('::1', port, 6, (fd) => so.setMd5Key(fd, '::1', key)), 'hi');
    const before = md5Counters();
    assert.equal(await tryConnect('127.0.0.1', port, 4, () => {}), 'timeout');
    assert.equal(
      await tryConnect('127.0.0.1', port, 4, (fd) => so.setMd5Key(fd, '127.0.0.1', Buffer.from('wrong'))),
      'timeout',
    );
    const after = md5Counters();
    // the listener dropped the unsigned SYN (TCPMD5NotFound) and the mis-signed one (TCPMD5Failure)
    assert.ok((after.TcpExtTCPMD5NotFound ?? 0) > (before.TcpExtTCPMD5NotFound ?? 0), JSON.stringify(after));
    assert.ok((after.TcpExtTCPMD5Failure ?? 0) > (before.TcpExtTCPMD5Failure ?? 0), JSON.stringify(after));
  });

  it('TCP-MD5 by prefix (TCP_MD5SIG_EXT) on an IPv4 listener; a removed key lets unsigned connections in again', async () => {
    const key = Buffer.from('range-key');
    let lfd = -1;
    const s4 = await listener('127.0.0.1', (fd) => {
      lfd = fd;
      so.setMd5Key(fd, '127.0.0.0', key, 8);
    });
    servers.push(s4);
    const port = (s4.address() as net.AddressInfo).port;
    assert.equal(await tryConnect('127.0.0.1', port, 4, (fd) => so.setMd5Key(fd, '127.0.0.1', key)), 'hi');
    assert.equal(await tryConnect('127.0.0.1', port, 4, () => {}, 800), 'timeout');
    so.setMd5Key(lfd, '127.0.0.0', undefined, 8);
    assert.equal(await tryConnect('127.0.0.1', port, 4, () => {}), 'hi');
  });

  it('TTL and minimum TTL: read back; a client demanding 255 never hears a listener sending 64, hears one sending 255', async () => {
    const fd = so.createTcpSocket(6);
    so.setTtl(fd, 4, 1);
    so.setTtl(fd, 6, 255);
    so.setMinTtl(fd, 4, 254);
    so.setMinTtl(fd, 6, 255);
    assert.deepEqual(
      [so.getTtl(fd, 4), so.getTtl(fd, 6), so.getMinTtl(fd, 4), so.getMinTtl(fd, 6)],
      [1, 255, 254, 255],
    );
    so.close(fd);
    const plain = await listener('127.0.0.1');
    const gtsm = await listener('127.0.0.1', (lfd) => so.setTtl(lfd, 4, 255));
    servers.push(plain, gtsm);
    const port = (s: net.Server) => (s.address() as net.AddressInfo).port;
    assert.equal(await tryConnect('127.0.0.1', port(plain), 4, (c) => so.setMinTtl(c, 4, 255), 800), 'timeout');
    assert.equal(await tryConnect('127.0.0.1', port(gtsm), 4, (c) => so.setMinTtl(c, 4, 255)), 'hi');
    const gtsm6 = await listener('::1', (lfd) => so.setTtl(lfd, 6, 255));
    servers.push(gtsm6);
    assert.equal(await tryConnect('::1', port(gtsm6), 6, (c) => so.setMinTtl(c, 6, 255)), 'hi');
  });

  it('a UDP socket (node:dgram) has a descriptor for TTL and minimum TTL (the BFD use)', async () => {
    const u = dgram.createSocket('udp4');
    await new Promise<void>((res) => u.bind(0, '127.0.0.1', res));
    try {
      const fd = socketFd(u);
      so.setTtl(fd, 4, 255);
      so.setMinTtl(fd, 4, 255);
      assert.equal(so.getMinTtl(fd, 4), 255);
    } finally {
      u.close();
    }
  });

  it("the kernel's errors carry the option's name and code", () => {
    assert.throws(() => so.setTtl(999_999, 4, 1), /IP_TTL: .*\(EBADF\)/);
  });
});
