// BFD on a worker thread: the main thread's side. The worker (bfd-worker-main.ts) runs a BfdManager over UDP on its
// own event loop, so a main loop held by other work (decoding a full table, a kernel sync, a garbage collection of
// the main heap) does not delay BFD packets: measured in e2e/bench/bfd-ingest.bench.ts, the main loop stalls up to
// ~1 s while 100,000 prefixes arrive, longer than a 300 ms detection time. State changes come back as messages;
// status() answers from the last snapshot the worker posted (at most statusIntervalMs old).
import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../session/peer-session.js';
import type { BfdManagerEvents, BfdPeerOptions, BfdSessionStatus, BfdStateEvent } from './bfd-manager.js';
import type { BfdService } from './bfd-service.js';

/** Where the worker's code is: the compiled entry's URL (default), or its source (a single executable's asset). */
export type BfdWorkerSource = { url: URL } | { code: string };

export interface BfdWorkerOptions {
  source?: BfdWorkerSource;
  /** The UDP transport's listen address and destination port (defaults: [::]:3784 and 3784). */
  listen?: { address: string; port: number };
  peerPort?: number;
  /** How often the worker posts session status (default 1000 ms). */
  statusIntervalMs?: number;
  /** Accept only packets with TTL 255 (RFC 5881 §5; a BPF filter through the gannet-sockopt addon). Default true. */
  ttlCheck?: boolean;
  logger?: Logger;
}

/** @internal the worker's start-up data */
export interface BfdWorkerData {
  gannetBfdWorker: true;
  listen?: { address: string; port: number };
  peerPort?: number;
  statusIntervalMs: number;
  ttlCheck: boolean;
}

/** @internal messages to the worker */
export type BfdToWorker =
  | { op: 'set'; options: BfdPeerOptions }
  | { op: 'remove'; peer: string }
  | { op: 'admin'; peer: string; down: boolean }
  | { op: 'close' };

/** @internal messages from the worker */
export type BfdFromWorker =
  | { type: 'state'; event: BfdStateEvent }
  | { type: 'status'; statuses: BfdSessionStatus[] }
  | { type: 'log'; level: keyof Logger; message: string; meta: object }
  | { type: 'closed' };

/** The compiled worker entry next to this module (not available inside a bundle: pass `source` there). */
export function bfdWorkerUrl(): URL {
  return new URL('./bfd-worker-main.js', import.meta.url);
}

const noopLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** A session before the worker has reported it. */
function pending(peer: string): BfdSessionStatus {
  return {
    peer,
    state: 'Down',
    localDiag: 'none',
    remoteDiag: 'none',
    remoteState: 'Down',
    localDiscr: 0,
    remoteDiscr: 0,
    txIntervalMs: 0,
    detectTimeMs: 0,
    uptimeSeconds: 0,
    downs: 0,
    downsByDiag: {},
    packetsIn: 0,
    packetsOut: 0,
  };
}

export class BfdWorker extends EventEmitter<BfdManagerEvents> implements BfdService {
  private worker: Worker | undefined;
  private started = false;
  private readonly wanted = new Map<string, BfdPeerOptions>();
  private readonly admin = new Map<string, boolean>();
  private statuses = new Map<string, BfdSessionStatus>();
  private closed: Promise<void> | undefined;
  private readonly log: Logger;

  constructor(private readonly options: BfdWorkerOptions = {}) {
    super();
    this.log = options.logger ?? noopLogger;
  }

  async start(): Promise<void> {
    this.started = true;
    this.spawn();
  }

  /** The worker starts with the first session: an agent without BFD peers runs no thread. */
  private spawn(): void {
    if (!this.started || this.worker || this.wanted.size === 0) return;
    const data: BfdWorkerData = {
      gannetBfdWorker: true,
      statusIntervalMs: this.options.statusIntervalMs ?? 1000,
      ttlCheck: this.options.ttlCheck !== false,
    };
    if (this.options.listen) data.listen = this.options.listen;
    if (this.options.peerPort !== undefined) data.peerPort = this.options.peerPort;
    const source = this.options.source ?? { url: bfdWorkerUrl() };
    const w =
      'url' in source
        ? new Worker(source.url, { workerData: data })
        : new Worker(source.code, { eval: true, workerData: data });
    w.unref(); // the agent's life is its own business, not this thread's
    w.on('message', (m: BfdFromWorker) => this.message(m));
    w.on('error', (err) => this.log.error('bfd worker failed', { error: err.message }));
    w.on('exit', (code) => {
      if (this.worker !== w) return;
      this.worker = undefined;
      this.statuses = new Map();
      if (this.closed === undefined) this.log.error('bfd worker exited', { code });
    });
    this.worker = w;
    for (const o of this.wanted.values()) this.post({ op: 'set', options: o });
    for (const [peer, down] of this.admin) this.post({ op: 'admin', peer, down });
  }

  private post(m: BfdToWorker): void {
    this.worker?.postMessage(m);
  }

  private message(m: BfdFromWorker): void {
    switch (m.type) {
      case 'state':
        this.emit('state', m.event);
        break;
      case 'status':
        this.statuses = new Map(m.statuses.map((s) => [s.peer, s]));
        break;
      case 'log':
        this.log[m.level](m.message, m.meta);
        break;
      case 'closed':
        break;
    }
  }

  set(o: BfdPeerOptions): void {
    this.wanted.set(o.peer, o);
    if (this.worker) this.post({ op: 'set', options: o });
    else this.spawn();
  }

  remove(peer: string): void {
    this.wanted.delete(peer);
    this.admin.delete(peer);
    this.statuses.delete(peer);
    this.post({ op: 'remove', peer });
  }

  adminDown(peer: string, down: boolean): void {
    this.admin.set(peer, down);
    this.post({ op: 'admin', peer, down });
  }

  status(peer: string): BfdSessionStatus | undefined {
    if (!this.wanted.has(peer)) return undefined;
    return this.statuses.get(peer) ?? pending(peer);
  }

  /** Ends the sessions (AdminDown to each peer), waits for the worker to say so (at most 2 s), and ends it. */
  close(): Promise<void> {
    this.started = false;
    const w = this.worker;
    if (!w) return Promise.resolve();
    this.closed ??= (async () => {
      const done = new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 2_000);
        w.on('message', (m: BfdFromWorker) => {
          if (m.type === 'closed') {
            clearTimeout(t);
            resolve();
          }
        });
        w.once('exit', () => {
          clearTimeout(t);
          resolve();
        });
      });
      this.post({ op: 'close' });
      await done;
      this.worker = undefined;
      await w.terminate();
      this.closed = undefined;
    })();
    return this.closed;
  }
}
