// Incremental framing over a TCP byte stream (RFC 4271 §4.1): push() any split of the stream, get whole messages.
// The header is checked as soon as its 19 octets are in (bad marker, length or type → BgpWireError); at most one
// partial message is buffered, so memory is bounded by the maximum message length.
import type { BgpWireError } from './bgp-wire-error.js';
import { checkHeader, HEADER_LENGTH, MAX_EXTENDED_MESSAGE_LENGTH, MAX_MESSAGE_LENGTH } from './message.js';

export class MessageFramer {
  #extended: boolean;
  /** Octets of the message in progress (capacity: its full length once the header is known). */
  #partial: Buffer = Buffer.alloc(0);
  #have = 0;
  #need = 0;
  #failed: BgpWireError | undefined;

  constructor(options: { extendedMessage?: boolean } = {}) {
    this.#extended = options.extendedMessage ?? false;
  }

  /** Raise the limit to 65535 octets once both OPENs carried extended-message (RFC 8654). */
  set extendedMessage(on: boolean) {
    this.#extended = on;
  }

  get extendedMessage(): boolean {
    return this.#extended;
  }

  /** The largest message accepted: 4096, or 65535 with extended messages (setting a larger value enables them). */
  get maxLength(): number {
    return this.#extended ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
  }

  set maxLength(n: number) {
    this.#extended = n > MAX_MESSAGE_LENGTH;
  }

  /** Octets held for a message not yet complete. */
  get buffered(): number {
    return this.#have;
  }

  /**
   * Feeds bytes; returns the messages completed by them (each a Buffer holding exactly one message, header
   * included; it may share memory with `chunk`, so do not reuse chunk buffers). Throws BgpWireError on a bad
   * header; the framer then keeps throwing the same error.
   */
  push(chunk: Buffer): Buffer[] {
    if (this.#failed) throw this.#failed;
    try {
      return this.#push(chunk);
    } catch (err) {
      this.#failed = err as BgpWireError;
      this.#partial = Buffer.alloc(0);
      this.#have = 0;
      throw err;
    }
  }

  #push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let p = 0;
    if (this.#have > 0) {
      p = this.#fill(chunk, 0);
      if (this.#have < this.#need) return out;
      out.push(this.#partial);
      this.#partial = Buffer.alloc(0);
      this.#have = 0;
    }
    // Whole messages straight from the chunk: no copy.
    while (chunk.length - p >= HEADER_LENGTH) {
      const length = checkHeader(chunk, p, this.#extended);
      if (chunk.length - p < length) break;
      out.push(chunk.subarray(p, p + length));
      p += length;
    }
    if (p < chunk.length) {
      this.#partial = Buffer.allocUnsafe(HEADER_LENGTH);
      this.#need = HEADER_LENGTH;
      this.#fill(chunk, p);
    }
    return out;
  }

  /** Appends chunk[from...] to the partial message up to what it needs; returns the offset consumed to. */
  #fill(chunk: Buffer, from: number): number {
    let p = from;
    for (;;) {
      const take = Math.min(this.#need - this.#have, chunk.length - p);
      chunk.copy(this.#partial, this.#have, p, p + take);
      this.#have += take;
      p += take;
      if (this.#have < this.#need || this.#need !== HEADER_LENGTH) return p;
      // The header is complete: check it and grow to the whole message.
      const length = checkHeader(this.#partial, 0, this.#extended);
      if (length === HEADER_LENGTH) return p;
      const grown = Buffer.allocUnsafe(length);
      this.#partial.copy(grown, 0, 0, HEADER_LENGTH);
      this.#partial = grown;
      this.#need = length;
    }
  }
}
