// The session's view of the wire codec for one connection: framing, the negotiated codec options, packing many
// prefixes into UPDATEs of the negotiated size, and encoding the End-of-RIB marker (RFC 4724 §2; the decoder marks a
// received one in UpdateMessage.endOfRib). Everything byte-level lives in wire/; this only keeps per-connection state.
import { decodeMessage, encodeMessage, encodeUpdates, endOfRib, MessageFramer } from '../wire/index.js';
import type { BgpMessage, CodecOptions, DecodeResult, UpdateMessage } from '../wire/types.js';

export class MessageCodec {
  private opts: CodecOptions = { fourOctetAs: false, extendedMessage: false };
  private readonly framer = new MessageFramer();

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

  /** One logical UPDATE with any number of prefixes, packed into as few messages as fit. */
  encodeUpdate(u: UpdateMessage): Buffer[] {
    return encodeUpdates(u, this.opts);
  }

  encodeEndOfRib(afi: number): Buffer {
    return this.encode(endOfRib(afi));
  }
}
