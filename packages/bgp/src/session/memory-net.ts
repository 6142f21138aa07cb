// In-memory connections for tests: a duplex pair with a bounded buffer (so backpressure is real), and a network of
// listeners keyed by address so two speakers can talk to each other without sockets.
import { EventEmitter } from 'node:events';
import { type Defer, ipPrefixContains, parseIp, parseIpPrefix } from '@gannet/core';
import type { Connection, ConnectionFactory, ConnectOptions, Listener, TransportSecurity } from './connection.js';

export class MemoryConnection extends EventEmitter implements Connection {
  peer!: MemoryConnection;
  closed = false;
  /** Bytes written but not yet delivered (delivery is deferred, see `defer`). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  /** Everything this side wrote, for assertions. */
  readonly written: Buffer[] = [];
  /** The TTLs (and, outgoing, the MD5 key) set on this end, for assertions. */
  security: TransportSecurity = {};

  constructor(
    readonly localAddress: string,
    readonly remoteAddress: string,
    readonly remotePort: number,
    private readonly highWaterMark = 64 * 1024,
    /** Where delivery runs: the microtask queue by default, FakeClock.defer in tests that drain it themselves. */
    private readonly defer: Defer = (fn) => queueMicrotask(fn),
  ) {
    super();
  }

  write(data: Buffer): boolean {
    if (this.closed) return true;
    this.written.push(data);
    this.pending.push(data);
    this.pendingBytes += data.length;
    this.schedule();
    return this.pendingBytes < this.highWaterMark;
  }

  /** This side stopped reading (pause()): what the other side writes stays in its buffer, as with a full TCP window. */
  paused = false;

  /** Stops reading: the other side's writes back up until resume(). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.peer.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.defer(() => {
      this.scheduled = false;
      if (this.peer.paused && !this.peer.closed) return; // resumed by peer.resume()
      const chunks = this.pending;
      const wasFull = this.pendingBytes >= this.highWaterMark;
      this.pending = [];
      this.pendingBytes = 0;
      if (!this.peer.closed) for (const c of chunks) this.peer.deliver(c);
      if (wasFull && !this.closed) this.emit('drain');
    });
  }

  /** Received bytes wait here until someone reads (like a socket's receive buffer). */
  private inbox: Buffer[] = [];

  private deliver(chunk: Buffer): void {
    if (this.listenerCount('data') === 0) this.inbox.push(chunk);
    else this.emit('data', chunk);
  }

  override on(event: string | symbol, fn: (...args: never[]) => void): this {
    super.on(event, fn as (...args: unknown[]) => void);
    if (event === 'data' && this.inbox.length > 0) {
      const held = this.inbox;
      this.inbox = [];
      this.defer(() => {
        for (const c of held) this.emit('data', c);
      });
    }
    if (event === 'close' && this.closed) this.defer(() => this.emit('close')); // closed before anyone listened
    return this;
  }

  end(): void {
    // Deliver what is queued, then close both sides.
    this.defer(() => this.defer(() => this.destroy()));
  }

  secure(security: TransportSecurity): void {
    this.security = { ...this.security, ...security };
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    this.emit('close');
    this.defer(() => this.peer.destroy());
  }
}

/** Two connected ends: what `a` writes, `b` receives and vice versa. */
export function memoryConnectionPair(
  a = { address: '192.0.2.1', port: 50000 },
  b = { address: '192.0.2.2', port: 179 },
  highWaterMark?: number,
  defer?: Defer,
): [MemoryConnection, MemoryConnection] {
  const x = new MemoryConnection(a.address, b.address, b.port, highWaterMark, defer);
  const y = new MemoryConnection(b.address, a.address, a.port, highWaterMark, defer);
  x.peer = y;
  y.peer = x;
  return [x, y];
}

/**
 * A set of in-memory hosts. network.factory(address) is the ConnectionFactory of the host with that address:
 * its connect() reaches the listener registered by another host's factory, or fails with ECONNREFUSED.
 */
export class MemoryNetwork {
  /** `defer` runs every connection's delivery (default: the microtask queue); pass FakeClock.defer to drain it. */
  constructor(private readonly defer?: Defer) {}

  private readonly listeners = new Map<string, { accept: (conn: Connection) => void; keys: Map<string, Buffer> }>();
  private nextPort = 40000;
  /** Every connection made, for tests that want to cut or inspect them. */
  readonly connections: MemoryConnection[] = [];
  /**
   * Connection attempts dropped for TCP-MD5 as the kernel would (the SYN signed with another key, or signed where
   * none is expected, or unsigned where one is): the connect fails with ETIMEDOUT.
   */
  md5Drops = 0;

  /** The listener's key for a client address: exact, else the longest prefix holding it. */
  private static listenerKey(keys: Map<string, Buffer>, address: string): Buffer | undefined {
    const exact = keys.get(address);
    if (exact) return exact;
    const a = parseIp(address);
    let best: { length: number; key: Buffer } | undefined;
    for (const [name, key] of keys) {
      const p = name.includes('/') ? parseIpPrefix(name) : undefined;
      if (a && p && ipPrefixContains(p, a) && (!best || p.length > best.length)) best = { length: p.length, key };
    }
    return best?.key;
  }

  factory(address: string): ConnectionFactory {
    return {
      connect: async (opts: ConnectOptions) => {
        await Promise.resolve();
        const listener = this.listeners.get(`${opts.host}:${opts.port}`);
        if (!listener)
          throw Object.assign(new Error(`connect ECONNREFUSED ${opts.host}:${opts.port}`), { code: 'ECONNREFUSED' });
        const from = opts.localAddress ?? address;
        const theirKey = MemoryNetwork.listenerKey(listener.keys, from);
        const myKey = opts.security?.md5Key;
        if ((theirKey || myKey) && !(theirKey && myKey && theirKey.equals(myKey))) {
          this.md5Drops++;
          throw Object.assign(new Error(`connect ETIMEDOUT ${opts.host}:${opts.port}`), { code: 'ETIMEDOUT' });
        }
        const accept = listener.accept;
        const [mine, theirs] = memoryConnectionPair(
          { address: from, port: this.nextPort++ },
          { address: opts.host, port: opts.port },
          undefined,
          this.defer,
        );
        if (opts.security) mine.security = { ...opts.security };
        if (theirKey) theirs.security = { md5Key: theirKey };
        this.connections.push(mine, theirs);
        accept(theirs);
        return mine;
      },
      listen: async (opts, onConnection) => {
        const key = `${address}:${opts.port}`;
        const keys = new Map<string, Buffer>();
        this.listeners.set(key, { accept: onConnection, keys });
        const listener: Listener = {
          port: opts.port,
          close: async () => {
            this.listeners.delete(key);
          },
          setMd5Key: (peer, md5Key, prefixLength) => {
            const name = prefixLength === undefined ? peer : `${peer}/${prefixLength}`;
            if (md5Key && md5Key.length > 0) keys.set(name, Buffer.from(md5Key));
            else keys.delete(name);
          },
        };
        return listener;
      },
    };
  }
}
