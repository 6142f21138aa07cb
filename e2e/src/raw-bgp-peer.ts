// A scripted BGP peer on a raw TCP socket, run as its own process inside a namespace (e2e/test/bgp-hardening):
// it sends what the test tells it, including what a well-behaved speaker never would, and reports on stdout as JSON
// lines: established, sent, paused, notification (code, subcode), closed. Modes:
//   normal      OPEN, KEEPALIVE, the UPDATEs, End-of-RIB, then keepalives until killed
//   stall-read  as normal, then stops reading (its receive window fills) while still sending keepalives
//   no-open     connects and never sends anything (it still reads, to report the NOTIFICATION it gets)
//   node raw-bgp-peer.js '{"host":"172.31.0.1","localAddress":"172.31.0.2","asn":65002,"mode":"normal",...}'
import net from 'node:net';
import { type BgpMessage, decodeMessage, encodeMessage, encodeUpdates, endOfRib, MessageFramer } from '@gannet/bgp';

export interface RawPeerRoute {
  prefixes: string[];
  nextHop: string;
  /** AS_SEQUENCE; the peer's own AS first for a well-formed eBGP path. */
  asPath: number[];
}

export interface RawPeerConfig {
  host: string;
  port?: number;
  localAddress: string;
  asn: number;
  bgpId: string;
  mode: 'normal' | 'stall-read' | 'no-open';
  holdTime?: number;
  routes?: RawPeerRoute[];
  /** Also announce this many /32s (10.244.128.0 upwards, < 32768) via localAddress: bulk for the other side. */
  bulk?: number;
}

const out = (m: object) => process.stdout.write(`${JSON.stringify(m)}\n`);

function main(): void {
  const cfg = JSON.parse(process.argv[2] ?? '{}') as RawPeerConfig;
  const opts = { fourOctetAs: true, extendedMessage: false };
  const holdTime = cfg.holdTime ?? 9;
  const sock = net.connect({ host: cfg.host, port: cfg.port ?? 179, localAddress: cfg.localAddress, noDelay: true });
  const framer = new MessageFramer();
  let state: 'open-sent' | 'open-confirm' | 'up' = 'open-sent';
  let timer: NodeJS.Timeout | undefined;

  const updates = (): Buffer[] => {
    const bufs: Buffer[] = [];
    for (const r of cfg.routes ?? []) {
      const attrs = { origin: 0 as const, asPath: [{ type: 'sequence' as const, asns: r.asPath }], nextHop: r.nextHop };
      for (const b of encodeUpdates(attrs, r.prefixes, opts)) bufs.push(b);
    }
    if (cfg.bulk) {
      const prefixes: string[] = [];
      for (let i = 0; i < cfg.bulk; i++) prefixes.push(`10.244.${128 + (i >> 8)}.${i & 255}/32`);
      const attrs = {
        origin: 0 as const,
        asPath: [{ type: 'sequence' as const, asns: [cfg.asn] }],
        nextHop: cfg.localAddress,
      };
      for (const b of encodeUpdates(attrs, prefixes, opts)) bufs.push(b);
    }
    bufs.push(encodeMessage(endOfRib(1), opts));
    return bufs;
  };

  sock.on('connect', () => {
    out({ type: 'connected' });
    if (cfg.mode === 'no-open') return;
    const open: Extract<BgpMessage, { type: 'open' }> = {
      type: 'open',
      version: 4,
      myAs: cfg.asn > 0xffff ? 23456 : cfg.asn,
      holdTime,
      bgpId: cfg.bgpId,
      capabilities: [
        { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
        { code: 65, name: 'four-octet-as', asn: cfg.asn },
      ],
    };
    sock.write(encodeMessage(open, opts));
  });
  sock.on('data', (chunk: Buffer) => {
    for (const frame of framer.push(chunk)) {
      const { message } = decodeMessage(frame, opts);
      if (message.type === 'notification') out({ type: 'notification', code: message.code, subcode: message.subcode });
      else if (cfg.mode === 'no-open') continue;
      else if (message.type === 'open' && state === 'open-sent') {
        state = 'open-confirm';
        sock.write(encodeMessage({ type: 'keepalive' }, opts));
      } else if (message.type === 'keepalive' && state === 'open-confirm') {
        state = 'up';
        out({ type: 'established' });
        let bytes = 0;
        for (const b of updates()) {
          sock.write(b);
          bytes += b.length;
        }
        out({ type: 'sent', bytes });
        timer = setInterval(() => sock.write(encodeMessage({ type: 'keepalive' }, opts)), 1_000);
        if (cfg.mode === 'stall-read') {
          sock.pause();
          out({ type: 'paused' });
        }
      }
    }
  });
  sock.on('error', (err) => out({ type: 'error', message: err.message }));
  sock.on('close', () => {
    if (timer) clearInterval(timer);
    out({ type: 'closed' });
    process.exit(0);
  });
}

main();
