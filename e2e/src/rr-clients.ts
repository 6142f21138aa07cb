// Many iBGP route-reflector clients in one process, for the reflector benchmark (run inside a namespace holding every
// client's address): each connects from its own address to the reflector, completes the OPEN exchange, announces its
// node's /24 (next hop itself) and End-of-RIB, and counts the distinct prefixes it learns. At most `concurrency`
// (default 32) sessions are being opened at once, so a burst of SYNs does not overflow the reflector's listen
// backlog (BIRD's reset some of 500 simultaneous ones); a connection refused or reset before the OPEN exchange ends is
// retried after 200 ms (at most 10 times). Prints JSON lines:
// `established` when every session is up (with the time), `progress` every second, `converged` when every client
// holds every other client's prefix (with the time and the UPDATEs received). Keepalives every 30 s until killed.
//   node rr-clients.js '{"host":"10.254.0.1","port":1179,"asn":64512,"clients":[{"address":…,"prefix":…},…]}'
import net from 'node:net';
import { decodeMessage, encodeMessage, encodeUpdates, endOfRib, MessageFramer } from '@gannet/bgp';

export interface RrClientsConfig {
  host: string;
  port: number;
  asn: number;
  clients: { address: string; prefix: string }[];
  holdTime?: number;
  concurrency?: number;
  /** Distinct prefixes each client must learn (default every other client's: N − 1). */
  expect?: number;
}

const out = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);
const OPTS = { fourOctetAs: true, extendedMessage: false };

interface Client {
  address: string;
  prefix: string;
  state: 'connecting' | 'open-sent' | 'open-confirm' | 'up';
  learned: Set<string>;
  done: boolean;
  tries: number;
}

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as RrClientsConfig;
  const expected = cfg.expect ?? cfg.clients.length - 1;
  const keepalive = encodeMessage({ type: 'keepalive' }, OPTS);
  let established = 0;
  let converged = 0;
  let updates = 0;
  let firstUp = 0;
  const clients: Client[] = cfg.clients.map((c) => ({
    ...c,
    state: 'connecting',
    learned: new Set(),
    done: false,
    tries: 0,
  }));
  const concurrency = cfg.concurrency ?? 32;
  let next = 0;
  let opening = 0;
  const openMore = () => {
    while (opening < concurrency && next < clients.length) {
      opening++;
      connect(clients[next++] as Client);
    }
  };

  const finishIfDone = () => {
    if (converged === clients.length) {
      out({ type: 'converged', at: Date.now(), updates });
    }
  };

  function connect(c: Client): void {
    c.tries++;
    const sock = net.connect({ host: cfg.host, port: cfg.port, localAddress: c.address, noDelay: true });
    const framer = new MessageFramer();
    sock.on('connect', () => {
      c.state = 'open-sent';
      sock.write(
        encodeMessage(
          {
            type: 'open',
            version: 4,
            myAs: cfg.asn,
            holdTime: cfg.holdTime ?? 240,
            bgpId: c.address,
            capabilities: [
              { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
              { code: 65, name: 'four-octet-as', asn: cfg.asn },
            ],
          },
          OPTS,
        ),
      );
    });
    sock.on('data', (chunk: Buffer) => {
      for (const frame of framer.push(chunk)) {
        const { message } = decodeMessage(frame, OPTS);
        if (message.type === 'notification') {
          out({ type: 'notification', client: c.address, code: message.code, subcode: message.subcode });
          process.exit(2);
        }
        if (message.type === 'open' && c.state === 'open-sent') {
          c.state = 'open-confirm';
          sock.write(keepalive);
        } else if (message.type === 'keepalive' && c.state === 'open-confirm') {
          c.state = 'up';
          opening--;
          openMore();
          if (established === 0) firstUp = Date.now();
          established++;
          const attrs = { origin: 0 as const, asPath: [], nextHop: c.address, localPref: 100 };
          for (const u of encodeUpdates(attrs, [c.prefix], OPTS)) sock.write(u);
          sock.write(encodeMessage(endOfRib(1), OPTS));
          if (established === clients.length) out({ type: 'established', at: Date.now(), firstAt: firstUp });
        } else if (message.type === 'update') {
          updates++;
          for (const p of message.withdrawn) c.learned.delete(p);
          for (const p of message.nlri) if (p !== c.prefix) c.learned.add(p);
          if (!c.done && c.learned.size >= expected) {
            c.done = true;
            converged++;
            finishIfDone();
          }
        }
      }
    });
    sock.on('error', (err) => {
      if (c.state !== 'up' && c.tries < 10) return; // retried on close
      out({ type: 'error', client: c.address, message: err.message });
      process.exit(1);
    });
    sock.on('close', () => {
      if (c.state !== 'up' && c.tries < 10) {
        c.state = 'connecting';
        setTimeout(() => connect(c), 200);
        return;
      }
      out({ type: 'closed', client: c.address });
      process.exit(3);
    });
    const timer = setInterval(() => {
      if (c.state === 'up') sock.write(keepalive);
    }, 30_000);
    sock.on('close', () => clearInterval(timer));
  }
  openMore();
  // Runs until killed (by PID): the benchmark stops it after each run.
  setInterval(() => {
    let routes = 0;
    for (const c of clients) routes += c.learned.size;
    out({ type: 'progress', established, converged, routes, updates });
  }, 1000);
}

main();
