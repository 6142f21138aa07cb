// The session's view of the wire codec for one connection: framing, the negotiated codec options, packing many
// prefixes into UPDATEs of the negotiated size, and the End-of-RIB marker (RFC 4724 §2). Everything byte-level
// lives in wire/; this only keeps per-connection state.
import {
  decodeMessage,
  encodeMessage,
  MAX_EXTENDED_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH,
  MessageFramer,
} from '../wire/index.js';
import type { BgpMessage, CodecOptions, DecodeResult, UpdateMessage } from '../wire/types.js';

export class MessageCodec {
  private opts: CodecOptions = { fourOctetAs: false, extendedMessage: false };
  private readonly framer = new MessageFramer();
  /** Prefixes per UPDATE that fit last time (a good first guess for the next one). */
  private perMessage = 800;

  /** After both OPENs: 4-octet AS, extended messages (the framer then accepts 65535 bytes), iBGP or eBGP. */
  configure(opts: CodecOptions): void {
    this.opts = opts;
    this.framer.extendedMessage = opts.extendedMessage;
  }

  get options(): CodecOptions {
    return this.opts;
  }

  /** Whole messages in `chunk` (with what was left over before); throws BgpWireError on a bad header. */
  frame(chunk: Buffer): Buffer[] {
    return this.framer.push(chunk);
  }

  decode(frame: Buffer): DecodeResult {
    return decodeMessage(frame, this.opts);
  }

  encode(msg: BgpMessage): Buffer {
    return encodeMessage(msg, this.opts);
  }

  /** One logical UPDATE with any number of prefixes (of one kind), packed into as few messages as fit. */
  encodeUpdate(u: UpdateMessage): Buffer[] {
    const max = this.opts.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
    const list =
      u.nlri.length > 0
        ? u.nlri
        : u.withdrawn.length > 0
          ? u.withdrawn
          : (u.mpReach?.nlri ?? u.mpUnreach?.withdrawn ?? []);
    const slice = (from: number, to: number): UpdateMessage => {
      const part = list.slice(from, to);
      if (u.nlri.length > 0) return { ...u, nlri: part };
      if (u.withdrawn.length > 0) return { ...u, withdrawn: part };
      if (u.mpReach) return { ...u, mpReach: { ...u.mpReach, nlri: part } };
      if (u.mpUnreach) return { ...u, mpUnreach: { ...u.mpUnreach, withdrawn: part } };
      return u;
    };
    if (list.length === 0) return [this.encode(u)];
    const out: Buffer[] = [];
    let i = 0;
    while (i < list.length) {
      let n = Math.min(this.perMessage, list.length - i);
      for (;;) {
        const buf = this.encode(slice(i, i + n));
        if (buf.length <= max) {
          out.push(buf);
          // Grow the guess when there was room for a good share more.
          if (n === this.perMessage && buf.length < max * 0.8) this.perMessage = Math.ceil(n * 1.25);
          break;
        }
        n = Math.max(1, Math.floor((n * (max - 64)) / buf.length));
        this.perMessage = n;
        if (n === 1) {
          out.push(this.encode(slice(i, i + 1))); // a single prefix always fits a message
          break;
        }
      }
      i += n;
    }
    return out;
  }

  encodeEndOfRib(afi: number): Buffer {
    return this.encode(endOfRib(afi));
  }

  /** The family an End-of-RIB marker stands for, or undefined for an ordinary UPDATE. */
  endOfRib(u: UpdateMessage): number | undefined {
    return isEndOfRib(u);
  }
}

/** The End-of-RIB marker: an empty UPDATE (IPv4) or one with only an empty MP_UNREACH_NLRI (RFC 4724 §2). */
export function endOfRib(afi: number): UpdateMessage {
  if (afi === 1) return { type: 'update', withdrawn: [], attributes: {}, nlri: [] };
  return { type: 'update', withdrawn: [], attributes: {}, nlri: [], mpUnreach: { afi, safi: 1, withdrawn: [] } };
}

export function isEndOfRib(u: UpdateMessage): number | undefined {
  if (u.withdrawn.length > 0 || u.nlri.length > 0 || u.mpReach) return undefined;
  const attrs = Object.keys(u.attributes).filter((k) => (u.attributes as Record<string, unknown>)[k] !== undefined);
  if (attrs.length > 0) return undefined;
  if (!u.mpUnreach) return 1;
  return u.mpUnreach.withdrawn.length === 0 && u.mpUnreach.safi === 1 ? u.mpUnreach.afi : undefined;
}
