// SocketOptions in memory, for unit tests: descriptors are numbers handed out from 1000, options are remembered per
// descriptor with the same checks as the real one, and `fail` makes the next call of a named method throw as the
// kernel would (e.g. ENOPROTOOPT from a kernel without TCP-MD5).
import { BgpError } from '../errors.js';
import { checkMd5, type IpFamily, NativeSocketOptions, type SocketOptions } from './socket-options.js';

export interface MemorySocketState {
  family: IpFamily;
  /** TCP-MD5 keys by 'address' or 'address/prefixLength'. */
  md5: Map<string, Buffer>;
  ttl: { 4: number; 6: number };
  minTtl: { 4: number; 6: number };
  closed: boolean;
}

export class MemorySocketOptions implements SocketOptions {
  readonly sockets = new Map<number, MemorySocketState>();
  private nextFd = 1000;
  private readonly failures = new Map<string, string>();
  /** The checks of the real implementation (argument validation), over this in-memory "kernel". */
  private readonly checked: NativeSocketOptions;

  constructor() {
    const state = (fd: number): MemorySocketState => {
      const s = this.sockets.get(fd);
      if (!s || s.closed) throw Object.assign(new Error('Bad file descriptor'), { code: 'EBADF' });
      return s;
    };
    const maybeFail = (method: string) => {
      const code = this.failures.get(method);
      if (code === undefined) return;
      this.failures.delete(method);
      throw Object.assign(new Error(`${method} failed`), { code });
    };
    this.checked = new NativeSocketOptions({
      socket: (family) => {
        maybeFail('createTcpSocket');
        const fd = this.nextFd++;
        this.sockets.set(fd, {
          family: family as IpFamily,
          md5: new Map(),
          ttl: { 4: 64, 6: 64 },
          minTtl: { 4: 0, 6: 0 },
          closed: false,
        });
        return fd;
      },
      close: (fd) => {
        state(fd).closed = true;
      },
      md5: (fd, address, prefixLength, key) => {
        maybeFail('setMd5Key');
        const s = state(fd);
        const k = prefixLength < 0 ? address : `${address}/${prefixLength}`;
        if (key.length === 0) s.md5.delete(k);
        else s.md5.set(k, Buffer.from(key));
      },
      setTtl: (fd, family, ttl) => {
        maybeFail('setTtl');
        state(fd).ttl[family as IpFamily] = ttl;
      },
      getTtl: (fd, family) => state(fd).ttl[family as IpFamily],
      setMinTtl: (fd, family, minTtl) => {
        maybeFail('setMinTtl');
        state(fd).minTtl[family as IpFamily] = minTtl;
      },
      getMinTtl: (fd, family) => state(fd).minTtl[family as IpFamily],
    });
  }

  /** The next call of `method` throws a BgpError whose cause has this errno code. */
  fail(method: 'createTcpSocket' | 'setMd5Key' | 'setTtl' | 'setMinTtl', code: string): void {
    this.failures.set(method, code);
  }

  /** The state of a descriptor (throws when unknown). */
  socket(fd: number): MemorySocketState {
    const s = this.sockets.get(fd);
    if (!s) throw new BgpError('socket-option', `no memory socket ${fd}`);
    return s;
  }

  createTcpSocket(family: IpFamily): number {
    return this.checked.createTcpSocket(family);
  }
  close(fd: number): void {
    this.checked.close(fd);
  }
  setMd5Key(fd: number, address: string, key: Buffer | undefined, prefixLength?: number): void {
    checkMd5(address, key, prefixLength);
    this.checked.setMd5Key(fd, address, key, prefixLength);
  }
  setTtl(fd: number, family: IpFamily, ttl: number): void {
    this.checked.setTtl(fd, family, ttl);
  }
  getTtl(fd: number, family: IpFamily): number {
    return this.checked.getTtl(fd, family);
  }
  setMinTtl(fd: number, family: IpFamily, minTtl: number): void {
    this.checked.setMinTtl(fd, family, minTtl);
  }
  getMinTtl(fd: number, family: IpFamily): number {
    return this.checked.getMinTtl(fd, family);
  }
}
