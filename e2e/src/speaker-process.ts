// A Gannet BGP speaker in its own process, so an e2e test or benchmark can run it inside a network namespace
// (`ip netns exec NS node speaker-process.js CONFIG_JSON`). Commands are JSON lines on stdin; events and replies
// are JSON lines on stdout. With `capture` set, the raw bytes each peer sends are appended to that file.
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  type Connection,
  type ConnectionFactory,
  createSpeaker,
  type PeerOptions,
  type SpeakerOptions,
  tcpConnectionFactory,
} from '@gannet/bgp';

export interface SpeakerProcessConfig {
  speaker: Omit<SpeakerOptions, 'clock' | 'connect' | 'logger'>;
  peers: PeerOptions[];
  originate?: string[];
  /** File to append every received byte to (a capture of what the peers send). */
  capture?: string;
  /** Emit 'best' events (off for the benchmark, which only counts). */
  bestEvents?: boolean;
}

export type SpeakerCommand =
  | { cmd: 'originate'; prefix: string }
  | { cmd: 'withdraw'; prefix: string }
  | { cmd: 'peers' }
  | { cmd: 'routes' }
  | { cmd: 'refresh'; address: string; afi?: number }
  | { cmd: 'set-peers'; peers: PeerOptions[] }
  | { cmd: 'stop'; graceful?: boolean };

function out(msg: object): void {
  process.stdout.write(`${JSON.stringify(msg)}\n`);
}

function tap(factory: ConnectionFactory, file: string): ConnectionFactory {
  const wrap = (c: Connection): Connection => {
    c.on('data', (chunk) => appendFileSync(file, chunk));
    return c;
  };
  return {
    connect: async (o) => wrap(await factory.connect(o)),
    listen: (o, onConnection) => factory.listen(o, (c) => onConnection(wrap(c))),
  };
}

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as SpeakerProcessConfig;
  const logger = {
    debug() {},
    info: (message: string, meta?: object) => out({ type: 'log', level: 'info', message, ...meta }),
    warn: (message: string, meta?: object) => out({ type: 'log', level: 'warn', message, ...meta }),
    error: (message: string, meta?: object) => out({ type: 'log', level: 'error', message, ...meta }),
    child(meta: object) {
      return {
        debug() {},
        info: (message: string, m?: object) => out({ type: 'log', level: 'info', message, ...meta, ...m }),
        warn: (message: string, m?: object) => out({ type: 'log', level: 'warn', message, ...meta, ...m }),
        error: (message: string, m?: object) => out({ type: 'log', level: 'error', message, ...meta, ...m }),
      };
    },
  };
  const connect = cfg.capture ? tap(tcpConnectionFactory, cfg.capture) : tcpConnectionFactory;
  const speaker = createSpeaker({ ...cfg.speaker, connect, logger });
  let bestCount = 0;
  speaker.on('best', (changes) => {
    bestCount += changes.length;
    if (cfg.bestEvents !== false) out({ type: 'best', changes });
  });
  speaker.on('peer-state', (e) => out({ type: 'peer-state', ...e }));
  speaker.on('end-of-rib', (e) =>
    out({ type: 'end-of-rib', ...e, at: Date.now(), bestCount, routes: speaker.routeCount() }),
  );
  speaker.on('initial-sync-complete', () => out({ type: 'initial-sync-complete' }));
  speaker.setPeers(cfg.peers);
  for (const p of cfg.originate ?? []) speaker.originate(p);
  await speaker.start();
  out({ type: 'started', port: speaker.port });

  for await (const line of createInterface({ input: process.stdin })) {
    if (line.trim() === '') continue;
    try {
      const c = JSON.parse(line) as SpeakerCommand;
      switch (c.cmd) {
        case 'originate':
          speaker.originate(c.prefix);
          break;
        case 'withdraw':
          speaker.withdrawOrigin(c.prefix);
          break;
        case 'peers':
          out({ type: 'peers', peers: speaker.peers() });
          break;
        case 'routes':
          out({ type: 'routes', routes: speaker.routes() });
          break;
        case 'refresh':
          out({ type: 'refresh', ok: speaker.refresh(c.address, c.afi ?? 1) });
          break;
        case 'set-peers':
          speaker.setPeers(c.peers);
          break;
        case 'stop':
          await speaker.stop({ graceful: c.graceful ?? false });
          out({ type: 'stopped' });
          setTimeout(() => process.exit(0), 200);
          return;
      }
    } catch (err) {
      out({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    }
  }
}

main().catch((err) => {
  out({ type: 'fatal', message: err instanceof Error ? err.stack : String(err) });
  process.exit(1);
});
