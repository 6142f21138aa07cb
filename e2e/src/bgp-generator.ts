// A route generator peer for the ingest benchmark, run as its own process (inside a namespace): it pre-encodes N
// IPv4 /24 prefixes packed into 4096-octet UPDATEs with our encoder, connects, completes the OPEN exchange, then
// writes every UPDATE (respecting backpressure) and End-of-RIB. Prints JSON lines: ready, established (with the
// time), sent. Keeps the session alive with keepalives until killed.
//   node bgp-generator.js '{"host":"127.0.0.1","port":1179,"localAddress":"127.0.0.2","asn":65001,"peerAsn":65000,"count":100000}'
import net from 'node:net';
import { decodeMessage, encodeMessage, encodeUpdates, endOfRib, MessageFramer } from '@gannet/bgp';

interface GeneratorConfig {
  host: string;
  port: number;
  localAddress?: string;
  asn: number;
  peerAsn: number;
  count: number;
  /** Our address, sent as NEXT_HOP. */
  nextHop?: string;
}

const out = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);

/** The i-th /24 (distinct for i < 2^20): 16.0.0.0/24, 16.0.1.0/24, … */
export function nthPrefix(i: number): string {
  return `${16 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.0/24`;
}

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as GeneratorConfig;
  const opts = { fourOctetAs: true, extendedMessage: false };
  const prefixes: string[] = [];
  for (let i = 0; i < cfg.count; i++) prefixes.push(nthPrefix(i));
  const attrs = {
    origin: 0 as const,
    asPath: [{ type: 'sequence' as const, asns: [cfg.asn, 64999] }],
    nextHop: cfg.nextHop ?? cfg.localAddress ?? '127.0.0.2',
  };
  const updates = encodeUpdates(attrs, prefixes, opts);
  updates.push(encodeMessage(endOfRib(1), opts));
  const bytes = updates.reduce((n, b) => n + b.length, 0);
  out({ type: 'ready', updates: updates.length, bytes, perUpdate: Math.round(cfg.count / (updates.length - 1)) });

  const connectOpts: net.NetConnectOpts = { host: cfg.host, port: cfg.port, noDelay: true };
  if (cfg.localAddress) connectOpts.localAddress = cfg.localAddress;
  const sock = net.connect(connectOpts);
  const framer = new MessageFramer();
  let state: 'open-sent' | 'open-confirm' | 'up' = 'open-sent';
  sock.on('connect', () => {
    sock.write(
      encodeMessage(
        {
          type: 'open',
          version: 4,
          myAs: cfg.asn > 0xffff ? 23456 : cfg.asn,
          holdTime: 240,
          bgpId: '10.255.255.1',
          capabilities: [
            { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
            { code: 65, name: 'four-octet-as', asn: cfg.asn },
          ],
        },
        opts,
      ),
    );
  });
  sock.on('data', (chunk: Buffer) => {
    for (const frame of framer.push(chunk)) {
      const { message } = decodeMessage(frame, opts);
      if (message.type === 'notification') {
        out({ type: 'notification', code: message.code, subcode: message.subcode });
        process.exit(2);
      }
      if (message.type === 'open' && state === 'open-sent') {
        state = 'open-confirm';
        sock.write(encodeMessage({ type: 'keepalive' }, opts));
      } else if (message.type === 'keepalive' && state === 'open-confirm') {
        state = 'up';
        out({ type: 'established', at: Date.now() });
        send();
        setInterval(() => sock.write(encodeMessage({ type: 'keepalive' }, opts)), 30_000);
      }
    }
  });
  sock.on('error', (err) => {
    out({ type: 'error', message: err.message });
    process.exit(1);
  });
  sock.on('close', () => {
    out({ type: 'closed' });
    process.exit(0);
  });

  let next = 0;
  function send(): void {
    while (next < updates.length) {
      const ok = sock.write(updates[next++] as Buffer);
      if (!ok) {
        sock.once('drain', send);
        return;
      }
    }
    out({ type: 'sent', at: Date.now() });
  }
}

main();
