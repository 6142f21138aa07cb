// The socket options behind their interface, in memory: argument checks (shared with the real addon's wrapper),
// keys set and removed per address and prefix, errors that name the option and never the key, and socketFd.
import assert from 'node:assert/strict';
import { isGannetError } from '@gannet/core';
import { BgpConfigError } from '../../src/errors.js';
import { MemorySocketOptions } from '../../src/session/memory-socket-options.js';
import { NativeSocketOptions, peerFamily, socketFd } from '../../src/session/socket-options.js';

describe('socket options (in memory)', () => {
  it('keys per peer and per prefix, set and removed; removing an absent key is no error', () => {
    const so = new MemorySocketOptions();
    const fd = so.createTcpSocket(6);
    so.setMd5Key(fd, '192.0.2.2', Buffer.from('s3cret'));
    so.setMd5Key(fd, '2001:db8::2', Buffer.from('other'));
    so.setMd5Key(fd, '172.30.0.0', Buffer.from('range'), 24);
    assert.deepEqual([...so.socket(fd).md5.keys()], ['192.0.2.2', '2001:db8::2', '172.30.0.0/24']);
    so.setMd5Key(fd, '192.0.2.2', undefined);
    so.setMd5Key(fd, '192.0.2.9', Buffer.alloc(0));
    assert.deepEqual([...so.socket(fd).md5.keys()], ['2001:db8::2', '172.30.0.0/24']);
  });

  it('TTL and minimum TTL per family, read back', () => {
    const so = new MemorySocketOptions();
    const fd = so.createTcpSocket(4);
    so.setTtl(fd, 4, 1);
    so.setTtl(fd, 6, 255);
    so.setMinTtl(fd, 4, 254);
    assert.equal(so.getTtl(fd, 4), 1);
    assert.equal(so.getTtl(fd, 6), 255);
    assert.equal(so.getMinTtl(fd, 4), 254);
    assert.equal(so.getMinTtl(fd, 6), 0);
  });

  it('bad arguments are BgpConfigErrors naming what is wrong, never the key', () => {
    const so = new MemorySocketOptions();
    const fd = so.createTcpSocket(4);
    const long = 'k'.repeat(81);
    assert.throws(
      () => so.setMd5Key(fd, '192.0.2.2', Buffer.from(long)),
      (e: Error) => {
        assert.ok(e instanceof BgpConfigError);
        assert.match(e.message, /81 bytes, at most 80/);
        assert.ok(!e.message.includes(long));
        return true;
      },
    );
    assert.doesNotThrow(() => so.setMd5Key(fd, '192.0.2.2', Buffer.from('k'.repeat(80))));
    assert.throws(() => so.setMd5Key(fd, 'peer.example', Buffer.from('x')), /not an IP address/);
    assert.throws(() => so.setMd5Key(fd, '172.30.0.0', Buffer.from('x'), 33), /prefix length .* 0\.\.32/);
    assert.throws(() => so.setMd5Key(fd, '2001:db8::', Buffer.from('x'), 129), /0\.\.128/);
    assert.throws(() => so.setTtl(fd, 4, 0), /TTL must be an integer in 1\.\.255, got 0/);
    assert.throws(() => so.setTtl(fd, 4, 256), /1\.\.255/);
    assert.throws(() => so.setMinTtl(fd, 4, -1), /minimum TTL must be an integer in 0\.\.255/);
    assert.throws(() => so.setTtl(fd, 5 as 4, 1), /family must be 4 or 6/);
    assert.throws(() => so.setTtl(-1, 4, 1), /not a file descriptor/);
  });

  it("the kernel's refusal is a BgpError naming the option, with the errno code (ENOPROTOOPT: no TCP-MD5)", () => {
    const so = new MemorySocketOptions();
    const fd = so.createTcpSocket(4);
    so.fail('setMd5Key', 'ENOPROTOOPT');
    assert.throws(
      () => so.setMd5Key(fd, '192.0.2.2', Buffer.from('s3cret')),
      (e: Error) => {
        assert.ok(isGannetError(e, 'ERR_GANNET_BGP_SOCKET_OPTION'));
        assert.match(e.message, /^TCP-MD5 key for 192\.0\.2\.2: .*\(ENOPROTOOPT\)$/);
        assert.ok(!e.message.includes('s3cret'));
        return true;
      },
    );
    so.fail('setMinTtl', 'EINVAL');
    assert.throws(() => so.setMinTtl(fd, 6, 255), /^Error: IPV6_MINHOPCOUNT: .*\(EINVAL\)$|IPV6_MINHOPCOUNT/);
    so.close(fd);
    assert.throws(() => so.getTtl(fd, 4), /EBADF/);
  });

  it('the wrapper passes the addon what C expects (-1 for no prefix, an empty Buffer to remove)', () => {
    const calls: unknown[][] = [];
    const so = new NativeSocketOptions({
      socket: () => 7,
      close: () => {},
      md5: (...a) => void calls.push(['md5', ...a]),
      setTtl: (...a) => void calls.push(['setTtl', ...a]),
      getTtl: () => 1,
      setMinTtl: (...a) => void calls.push(['setMinTtl', ...a]),
      getMinTtl: () => 0,
    });
    so.setMd5Key(7, '192.0.2.2', Buffer.from('k'));
    so.setMd5Key(7, '192.0.2.2', undefined);
    so.setMd5Key(7, '172.30.0.0', Buffer.from('k'), 24);
    so.setTtl(7, 6, 255);
    so.setMinTtl(7, 4, 254);
    assert.deepEqual(calls, [
      ['md5', 7, '192.0.2.2', -1, Buffer.from('k')],
      ['md5', 7, '192.0.2.2', -1, Buffer.alloc(0)],
      ['md5', 7, '172.30.0.0', 24, Buffer.from('k')],
      ['setTtl', 7, 6, 255],
      ['setMinTtl', 7, 4, 254],
    ]);
  });

  it('peerFamily: IPv4 and IPv4-mapped are 4, IPv6 is 6', () => {
    assert.equal(peerFamily('192.0.2.1'), 4);
    assert.equal(peerFamily('::ffff:192.0.2.1'), 4);
    assert.equal(peerFamily('2001:db8::1'), 6);
  });

  it('socketFd refuses a socket without a descriptor', () => {
    assert.throws(() => socketFd({} as never), /no file descriptor/);
  });
});
