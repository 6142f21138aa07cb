// The socket options Node.js cannot set: TCP-MD5 keys (RFC 2385), the TTL / hop limit we send (eBGP single-hop,
// GTSM's 255) and the least TTL / hop limit we accept (GTSM, RFC 5082: IP_MINTTL / IPV6_MINHOPCOUNT). Behind the
// SocketOptions interface: the real one (nativeSocketOptions) calls setsockopt through the gannet-sockopt addon
// (native/gannet-sockopt.c, loaded by native-addon.ts); MemorySocketOptions records what was set, for unit tests.
// Everything works on file descriptors; socketFd() finds the one under a node:net or node:dgram socket.
import type dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import net, { isIP } from 'node:net';
import { BgpConfigError, BgpError } from '../errors.js';
import { loadSockoptAddon, type SockoptAddon } from './native-addon.js';

/** The peer's address family: 4 (also IPv4-mapped peers on an IPv6 socket) or 6. */
export type IpFamily = 4 | 6;

/** Longest TCP-MD5 key the kernel takes (TCP_MD5SIG_MAXKEYLEN). */
export const MD5_MAX_KEY_BYTES = 80;

export interface SocketOptions {
  /** A new non-blocking, close-on-exec TCP socket, not connected: set options, then wrap it (new net.Socket({ fd })). */
  createTcpSocket(family: IpFamily): number;
  /** Closes a descriptor never handed to Node.js (after an option failed). */
  close(fd: number): void;
  /**
   * Sets the TCP-MD5 key for a peer (`prefixLength` absent) or for every address of a prefix (TCP_MD5SIG_EXT), on a
   * listening socket (accepted connections inherit it) or on a socket before connect. `key` undefined or empty
   * removes the key (no error when there was none). An IPv4 peer on an IPv6 (dual-stack) socket works.
   */
  setMd5Key(fd: number, address: string, key: Buffer | undefined, prefixLength?: number): void;
  /** The TTL (IPv4, IP_TTL) or hop limit (IPv6, IPV6_UNICAST_HOPS) of what the socket sends, 1..255. */
  setTtl(fd: number, family: IpFamily, ttl: number): void;
  getTtl(fd: number, family: IpFamily): number;
  /** The least TTL / hop limit accepted (IP_MINTTL / IPV6_MINHOPCOUNT), 0..255 (0: off); less is dropped silently. */
  setMinTtl(fd: number, family: IpFamily, minTtl: number): void;
  getMinTtl(fd: number, family: IpFamily): number;
}

function checkFamily(family: unknown): asserts family is IpFamily {
  if (family !== 4 && family !== 6) throw new BgpConfigError(`address family must be 4 or 6, got ${String(family)}`);
}

function checkByte(v: unknown, name: string, min: number): asserts v is number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > 255)
    throw new BgpConfigError(`${name} must be an integer in ${min}..255, got ${String(v)}`);
}

function checkFd(fd: unknown): asserts fd is number {
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd < 0)
    throw new BgpConfigError(`not a file descriptor: ${String(fd)}`);
}

/** Checks an MD5 key (bytes, 1..80) and prefix; throws BgpConfigError. Keys never appear in messages. */
export function checkMd5(address: string, key: Buffer | undefined, prefixLength?: number): void {
  const family = isIP(address);
  if (family === 0) throw new BgpConfigError(`TCP-MD5: not an IP address: ${JSON.stringify(address)}`);
  if (key !== undefined && key.length > MD5_MAX_KEY_BYTES)
    throw new BgpConfigError(`TCP-MD5 key for ${address} is ${key.length} bytes, at most ${MD5_MAX_KEY_BYTES}`);
  if (prefixLength !== undefined) {
    const max = family === 4 ? 32 : 128;
    if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > max)
      throw new BgpConfigError(`TCP-MD5 prefix length for ${address} must be 0..${max}, got ${prefixLength}`);
  }
}

/** Wraps the raw addon with argument checks and errors that name the option (and the errno code as cause). */
export class NativeSocketOptions implements SocketOptions {
  constructor(private readonly addon: SockoptAddon) {}

  private call<T>(what: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = (err as { code?: string }).code ?? 'EIO';
      throw new BgpError('socket-option', `${what}: ${(err as Error).message} (${code})`, { cause: err });
    }
  }

  createTcpSocket(family: IpFamily): number {
    checkFamily(family);
    return this.call('socket', () => this.addon.socket(family));
  }
  close(fd: number): void {
    checkFd(fd);
    this.call('close', () => this.addon.close(fd));
  }
  setMd5Key(fd: number, address: string, key: Buffer | undefined, prefixLength?: number): void {
    checkFd(fd);
    checkMd5(address, key, prefixLength);
    const what = `TCP-MD5 key for ${address}${prefixLength === undefined ? '' : `/${prefixLength}`}`;
    this.call(what, () => this.addon.md5(fd, address, prefixLength ?? -1, key ?? Buffer.alloc(0)));
  }
  setTtl(fd: number, family: IpFamily, ttl: number): void {
    checkFd(fd);
    checkFamily(family);
    checkByte(ttl, 'TTL', 1);
    this.call(family === 4 ? 'IP_TTL' : 'IPV6_UNICAST_HOPS', () => this.addon.setTtl(fd, family, ttl));
  }
  getTtl(fd: number, family: IpFamily): number {
    checkFd(fd);
    checkFamily(family);
    return this.call(family === 4 ? 'IP_TTL' : 'IPV6_UNICAST_HOPS', () => this.addon.getTtl(fd, family));
  }
  setMinTtl(fd: number, family: IpFamily, minTtl: number): void {
    checkFd(fd);
    checkFamily(family);
    checkByte(minTtl, 'minimum TTL', 0);
    this.call(family === 4 ? 'IP_MINTTL' : 'IPV6_MINHOPCOUNT', () => this.addon.setMinTtl(fd, family, minTtl));
  }
  getMinTtl(fd: number, family: IpFamily): number {
    checkFd(fd);
    checkFamily(family);
    return this.call(family === 4 ? 'IP_MINTTL' : 'IPV6_MINHOPCOUNT', () => this.addon.getMinTtl(fd, family));
  }
}

let native: NativeSocketOptions | undefined;

/**
 * The real socket options, loaded on first use (the addon file beside the compiled package, or the single
 * executable's asset). Throws BgpError ERR_GANNET_BGP_SOCKET_OPTIONS_UNAVAILABLE when the addon cannot be loaded.
 */
export function nativeSocketOptions(): SocketOptions {
  native ??= new NativeSocketOptions(loadSockoptAddon());
  return native;
}

/** The file descriptor under a node:net socket or server or a node:dgram socket (bound or connected), or throws. */
export function socketFd(s: net.Socket | net.Server | dgram.Socket): number {
  let handle: { fd?: number } | undefined;
  if (s instanceof net.Socket || s instanceof net.Server)
    handle = (s as unknown as { _handle?: { fd?: number } })._handle;
  else {
    // node:dgram keeps its handle in a symbol-keyed state object (its _handle getter is deprecated, DEP0112)
    for (const k of Object.getOwnPropertySymbols(s)) {
      const v = (s as unknown as Record<symbol, { handle?: { fd?: number } }>)[k];
      if (v && typeof v === 'object' && v.handle && typeof v.handle.fd === 'number') handle = v.handle;
    }
  }
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0)
    throw new BgpError('socket-option', 'socket has no file descriptor (not yet bound or connected, or closed)');
  return fd;
}

/**
 * The kernel's TCP-MD5 drop counters of this network namespace (/proc/net/netstat, TcpExt: TCPMD5NotFound,
 * TCPMD5Unexpected, TCPMD5Failure), or undefined when they cannot be read.
 */
export function readTcpMd5Counters(file = '/proc/net/netstat'): Record<string, number> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  const out: Record<string, number> = {};
  names.forEach((n, i) => {
    if (n.startsWith('TCPMD5')) out[n] = Number(values[i] ?? 0);
  });
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The family of a peer address as the socket options see it: IPv4 and IPv4-mapped IPv6 are 4. */
export function peerFamily(address: string): IpFamily {
  if (address.startsWith('::ffff:') && address.includes('.')) return 4;
  return isIP(address) === 6 ? 6 : 4;
}
