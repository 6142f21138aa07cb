// The socket behind an interface: the session only needs write/end/destroy and data/drain/close events. The real
// implementation is node:net (TCP_NODELAY, bound to a local address); tests use the in-memory pair in memory-net.ts.
import { EventEmitter } from 'node:events';
import net from 'node:net';

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
}

export interface ConnectOptions {
  host: string;
  port: number;
  localAddress?: string;
}

export interface Listener {
  readonly port: number;
  close(): Promise<void>;
}

/** Opens outgoing connections and listens for incoming ones; injected into the speaker. */
export interface ConnectionFactory {
  /** Resolves once connected; rejects with the socket error (e.g. ECONNREFUSED). */
  connect(opts: ConnectOptions): Promise<Connection>;
  listen(opts: { address: string; port: number }, onConnection: (conn: Connection) => void): Promise<Listener>;
}

/** Wraps a node:net socket as a Connection. */
class TcpConnection extends EventEmitter implements Connection {
  constructor(private readonly socket: net.Socket) {
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
}

/** IPv4-mapped IPv6 addresses (::ffff:192.0.2.1) as plain IPv4. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export const tcpConnectionFactory: ConnectionFactory = {
  connect(opts) {
    return new Promise((resolve, reject) => {
      const options: net.NetConnectOpts = { host: opts.host, port: opts.port, noDelay: true };
      if (opts.localAddress) options.localAddress = opts.localAddress;
      const socket = net.connect(options);
      const onError = (err: Error) => {
        socket.destroy();
        reject(err);
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new TcpConnection(socket));
      });
    });
  },
  listen(opts, onConnection) {
    return new Promise((resolve, reject) => {
      const server = net.createServer({ noDelay: true }, (socket) => onConnection(new TcpConnection(socket)));
      server.once('error', reject);
      server.listen({ host: opts.address, port: opts.port }, () => {
        server.off('error', reject);
        const addr = server.address();
        const port = typeof addr === 'object' && addr ? addr.port : opts.port;
        resolve({ port, close: () => new Promise<void>((res) => server.close(() => res())) });
      });
    });
  },
};
