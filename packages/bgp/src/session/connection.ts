// The socket behind an interface: the session only needs write/end/destroy and data/drain/close events. The real
// implementation is node:net (TCP_NODELAY, bound to a local address; TCP-MD5 and TTL through SocketOptions); tests
// use the in-memory pair in memory-net.ts.
import { EventEmitter } from 'node:events';
import net from 'node:net';
import { type IpFamily, nativeSocketOptions, peerFamily, type SocketOptions, socketFd } from './socket-options.js';

/**
 * What a peer's TCP connection needs beyond Node.js's defaults: a TCP-MD5 key (RFC 2385), the TTL / hop limit we
 * send (1 for eBGP single-hop, 255 for GTSM) and the least we accept (GTSM, RFC 5082). Empty: nothing is set.
 */
export interface TransportSecurity {
  md5Key?: Buffer;
  ttl?: number;
  minTtl?: number;
}

export interface Connection {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  /** Queues bytes; false when the kernel/peer buffer is full (wait for 'drain'). */
  write(data: Buffer): boolean;
  /** Flushes what was written, then closes. */
  end(): void;
  /** Closes at once. */
  destroy(): void;
  on(event: 'data', fn: (chunk: Buffer) => void): this;
  on(event: 'drain', fn: () => void): this;
  on(event: 'close', fn: () => void): this;
  on(event: 'error', fn: (err: Error) => void): this;
  /** Sets the TTL and minimum TTL of an accepted connection (its MD5 key came from the listener). Throws BgpError. */
  secure?(security: TransportSecurity): void;
}

export interface ConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
  /** Set on the socket before it connects. */
  security?: TransportSecurity;
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
  /**
   * Sets (key) or removes (undefined) the TCP-MD5 key for connections from a peer address, or from every address of
   * a prefix (prefixLength). Accepted connections inherit the key. Throws BgpError.
   */
  setMd5Key?(address: string, key: Buffer | undefined, prefixLength?: number): void;
}

/** Opens outgoing connections and listens for incoming ones; injected into the speaker. */
export interface ConnectionFactory {
  /** Resolves once connected; rejects with the socket error (e.g. ECONNREFUSED). */
  connect(opts: ConnectOptions): Promise<Connection>;
  listen(opts: { address: string; port: number }, onConnection: (conn: Connection) => void): Promise<Listener>;
}

/** Wraps a node:net socket as a Connection. */
class TcpConnection extends EventEmitter implements Connection {
  constructor(
    private readonly socket: net.Socket,
    private readonly socketOptions: () => SocketOptions,
  ) {
    super();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.emit('data', chunk));
    socket.on('drain', () => this.emit('drain'));
    socket.on('close', () => this.emit('close'));
    socket.on('error', (err) => this.emit('error', err));
  }
  get remoteAddress(): string {
    return normalizeAddress(this.socket.remoteAddress ?? '');
  }
  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }
  get localAddress(): string {
    return normalizeAddress(this.socket.localAddress ?? '');
  }
  write(data: Buffer): boolean {
    if (this.socket.destroyed) return true;
    return this.socket.write(data);
  }
  end(): void {
    this.socket.end();
    // Do not wait for the peer's FIN forever.
    setTimeout(() => this.socket.destroy(), 2_000).unref();
  }
  destroy(): void {
    this.socket.destroy();
  }
  secure(security: TransportSecurity): void {
    if (security.ttl === undefined && security.minTtl === undefined) return;
    const so = this.socketOptions();
    const fd = socketFd(this.socket);
    const family = peerFamily(this.socket.remoteAddress ?? '');
    if (security.ttl !== undefined) so.setTtl(fd, family, security.ttl);
    if (security.minTtl !== undefined) so.setMinTtl(fd, family, security.minTtl);
  }
}

function needsOptions(s: TransportSecurity | undefined): s is TransportSecurity {
  return s !== undefined && (s.md5Key !== undefined || s.ttl !== undefined || s.minTtl !== undefined);
}

/** A socket with the options set before connect: the fd is made by the addon, then wrapped (not yet connected). */
function securedSocket(so: SocketOptions, host: string, security: TransportSecurity): net.Socket {
  const family: IpFamily = net.isIP(host) === 6 ? 6 : 4;
  const fd = so.createTcpSocket(family);
  try {
    if (security.md5Key !== undefined) so.setMd5Key(fd, host, security.md5Key);
    if (security.ttl !== undefined) so.setTtl(fd, family, security.ttl);
    if (security.minTtl !== undefined) so.setMinTtl(fd, family, security.minTtl);
  } catch (err) {
    so.close(fd);
    throw err;
  }
  return new net.Socket({ fd });
}

/** IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) as plain IPv4. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Connections over node:net. `socketOptions` is called only when a peer needs TCP-MD5 or a TTL (default: the
 * gannet-sockopt addon, loaded then), so iBGP without a password never loads it.
 */
export function createTcpConnectionFactory(
  socketOptions: () => SocketOptions = nativeSocketOptions,
): ConnectionFactory {
  return {
    connect(opts) {
      return new Promise((resolve, reject) => {
        const options: net.NetConnectOpts = { host: opts.host, port: opts.port, noDelay: true };
        if (opts.localAddress) options.localAddress = opts.localAddress;
        let socket: net.Socket;
        try {
          socket = needsOptions(opts.security)
            ? securedSocket(socketOptions(), opts.host, opts.security).connect(options)
            : net.connect(options);
        } catch (err) {
          reject(err);
          return;
        }
        const onError = (err: Error) => {
          socket.destroy();
          reject(err);
        };
        socket.once('error', onError);
        socket.once('connect', () => {
          socket.off('error', onError);
          resolve(new TcpConnection(socket, socketOptions));
        });
      });
    },
    listen(opts, onConnection) {
      return new Promise((resolve, reject) => {
        const server = net.createServer({ noDelay: true }, (socket) =>
          onConnection(new TcpConnection(socket, socketOptions)),
        );
        server.once('error', reject);
        server.listen({ host: opts.address, port: opts.port }, () => {
          server.off('error', reject);
          const addr = server.address();
          const port = typeof addr === 'object' && addr ? addr.port : opts.port;
          resolve({
            port,
            close: () => new Promise<void>((res) => server.close(() => res())),
            setMd5Key: (address, key, prefixLength) =>
              socketOptions().setMd5Key(socketFd(server), address, key, prefixLength),
          });
        });
      });
    },
  };
}

export const tcpConnectionFactory: ConnectionFactory = createTcpConnectionFactory();
