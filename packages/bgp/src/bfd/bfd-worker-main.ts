// The BFD worker thread's entry (see bfd-worker.ts): a BfdManager over UDP on the worker's own event loop, driven by
// messages from the main thread; it posts state changes at once, session status periodically, and its log lines.
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from '../session/peer-session.js';
import { BfdManager } from './bfd-manager.js';
import type { BfdFromWorker, BfdToWorker, BfdWorkerData } from './bfd-worker.js';
import { udpBfdTransport } from './transport.js';
import { attachTtlFilter } from './ttl-filter.js';

function run(port: NonNullable<typeof parentPort>, data: BfdWorkerData): void {
  const post = (m: BfdFromWorker) => port.postMessage(m);
  const log = (level: keyof Logger) => (message: string, meta?: object) =>
    post({ type: 'log', level, message, meta: meta ?? {} });
  const logger: Logger = { debug: log('debug'), info: log('info'), warn: log('warn'), error: log('error') };
  const transportOptions: Parameters<typeof udpBfdTransport>[0] = {
    onError: (err, peer) =>
      peer === undefined
        ? logger.warn('bfd socket error', { error: err.message })
        : logger.debug('bfd socket error', { peer, error: err.message }),
  };
  if (data.ttlCheck) transportOptions.receiveFilter = (s) => attachTtlFilter(s, 255);
  if (data.listen) transportOptions.listen = data.listen;
  if (data.peerPort !== undefined) transportOptions.peerPort = data.peerPort;
  const manager = new BfdManager({ transport: udpBfdTransport(transportOptions), logger });
  const statuses = () => post({ type: 'status', statuses: manager.statuses() });
  manager.on('state', (event) => {
    post({ type: 'state', event });
    statuses();
  });
  const timer = setInterval(statuses, data.statusIntervalMs);
  void manager.start();
  port.on('message', (m: BfdToWorker) => {
    switch (m.op) {
      case 'set':
        manager.set(m.options);
        break;
      case 'remove':
        manager.remove(m.peer);
        break;
      case 'admin':
        manager.adminDown(m.peer, m.down);
        break;
      case 'close':
        clearInterval(timer);
        void manager.close().then(() => {
          post({ type: 'closed' });
          port.close();
        });
        return;
    }
    statuses();
  });
}

const data = workerData as BfdWorkerData | undefined;
if (parentPort && data?.gannetBfdWorker === true) run(parentPort, data);
