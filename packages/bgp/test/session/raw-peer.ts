// A hand-driven BGP peer for unit tests: sends whatever bytes a test wants and decodes what the speaker sends.
import type { MemoryConnection, MemoryNetwork } from '../../src/session/memory-net.js';
import { decodeMessage, encodeMessage, MessageFramer } from '../../src/wire/index.js';
import type { BgpMessage, Capability, CodecOptions, OpenMessage } from '../../src/wire/types.js';

export class RawPeer {
  readonly received: BgpMessage[] = [];
  readonly frames: Buffer[] = [];
  closed = false;
  private readonly framer = new MessageFramer({ extendedMessage: true });
  opts: CodecOptions = { fourOctetAs: true, extendedMessage: false };

  private constructor(readonly conn: MemoryConnection) {
    conn.on('data', (chunk) => {
      for (const f of this.framer.push(chunk)) {
        this.frames.push(f);
        this.received.push(decodeMessage(f, this.opts).message);
      }
    });
    conn.on('close', () => {
      this.closed = true;
    });
  }

  static async connect(net: MemoryNetwork, from: string, to: string): Promise<RawPeer> {
    const conn = (await net.factory(from).connect({ host: to, port: 179 })) as MemoryConnection;
    return new RawPeer(conn);
  }

  send(msg: BgpMessage): void {
    this.conn.write(encodeMessage(msg, this.opts));
  }

  sendRaw(bytes: Buffer): void {
    this.conn.write(bytes);
  }

  of<T extends BgpMessage['type']>(type: T): Extract<BgpMessage, { type: T }>[] {
    return this.received.filter((m) => m.type === type) as Extract<BgpMessage, { type: T }>[];
  }
}

export function openMessage(
  asn: number,
  bgpId: string,
  extra: Partial<OpenMessage> = {},
  caps?: Capability[],
): OpenMessage {
  return {
    type: 'open',
    version: 4,
    myAs: asn > 0xffff ? 23456 : asn,
    holdTime: 90,
    bgpId,
    capabilities: caps ?? [
      { code: 1, name: 'multiprotocol', afi: 1, safi: 1 },
      { code: 2, name: 'route-refresh' },
      { code: 65, name: 'four-octet-as', asn },
    ],
    ...extra,
  };
}
