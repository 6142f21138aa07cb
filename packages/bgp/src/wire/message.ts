// Whole messages (RFC 4271 §4): the 19-octet header, and a flat switch on the type for both directions.
import { BgpWireError, invalidArgument, Subcode } from './bgp-wire-error.js';
import { decodeOpen, encodeOpenBody } from './open.js';
import { type BgpMessage, type CodecOptions, type DecodeResult, ErrorCode, MessageType } from './types.js';
import { decodeUpdate, encodeUpdateBody } from './update.js';

export const HEADER_LENGTH = 19;
export const MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654: with extended-message negotiated, every message but OPEN and KEEPALIVE may reach 65535 octets. */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

/** Smallest legal length per type (RFC 4271 §4.2–§4.5, RFC 2918 §3). */
const MIN_LENGTH: readonly number[] = [0, 29, 23, 21, 19, 23];

function headerError(subcode: number, reason: string, data?: Buffer): BgpWireError {
  return new BgpWireError(ErrorCode.MESSAGE_HEADER, subcode, reason, data);
}

/**
 * Checks the header at buf[off, off + 19) (RFC 4271 §6.1) and returns the message length. Throws 1/1 for a bad
 * marker, 1/2 (data: the length field) for a length out of bounds for the type, 1/3 (data: the type) for an
 * unknown type.
 */
export function checkHeader(buf: Buffer, off: number, extendedMessage: boolean): number {
  for (let i = 0; i < 16; i++) {
    if (buf[off + i] !== 0xff) throw headerError(Subcode.CONNECTION_NOT_SYNCHRONIZED, 'bad-marker');
  }
  const length = buf.readUInt16BE(off + 16);
  const type = buf[off + 18]!;
  if (type < MessageType.OPEN || type > MessageType.ROUTE_REFRESH) {
    throw headerError(Subcode.BAD_MESSAGE_TYPE, 'bad-message-type', Buffer.from([type]));
  }
  const max =
    type === MessageType.KEEPALIVE
      ? HEADER_LENGTH
      : extendedMessage && type !== MessageType.OPEN
        ? MAX_EXTENDED_MESSAGE_LENGTH
        : MAX_MESSAGE_LENGTH;
  if (length < MIN_LENGTH[type]! || length > max) {
    throw headerError(Subcode.BAD_MESSAGE_LENGTH, 'bad-message-length', Buffer.from(buf.subarray(off + 16, off + 18)));
  }
  return length;
}

/**
 * Decodes one complete message (header included), as MessageFramer.push returns them. Never throws anything but
 * BgpWireError. For UPDATEs, RFC 7606 problems that keep the session up are in `errors` / `action`.
 */
export function decodeMessage(frame: Buffer, opts: CodecOptions): DecodeResult {
  if (frame.length < HEADER_LENGTH) {
    throw headerError(Subcode.BAD_MESSAGE_LENGTH, 'bad-message-length', lengthData(frame.length));
  }
  const length = checkHeader(frame, 0, opts.extendedMessage);
  if (length !== frame.length) throw headerError(Subcode.BAD_MESSAGE_LENGTH, 'bad-message-length', lengthData(length));
  switch (frame[18]) {
    case MessageType.OPEN:
      return { message: decodeOpen(frame), errors: [] };
    case MessageType.UPDATE:
      return decodeUpdate(frame, opts);
    case MessageType.NOTIFICATION:
      return {
        message: { type: 'notification', code: frame[19]!, subcode: frame[20]!, data: Buffer.from(frame.subarray(21)) },
        errors: [],
      };
    case MessageType.KEEPALIVE:
      return { message: { type: 'keepalive' }, errors: [] };
    default:
      return { message: decodeRouteRefresh(frame), errors: [] };
  }
}

function lengthData(length: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(Math.min(length, 0xffff), 0);
  return b;
}

/**
 * ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3). Subtypes other than 0–2 are returned as they are: RFC 7313 §5 says to
 * ignore them, which is the session's call.
 */
function decodeRouteRefresh(frame: Buffer) {
  const subtype = frame[21]!;
  if (frame.length !== 23) {
    // RFC 7313 §5: a BoRR/EoRR of the wrong length → 7/1 with the whole message as data.
    if (subtype === 1 || subtype === 2) {
      throw new BgpWireError(
        ErrorCode.ROUTE_REFRESH,
        Subcode.INVALID_ROUTE_REFRESH_LENGTH,
        'route-refresh-bad-length',
        Buffer.from(frame),
      );
    }
    throw headerError(Subcode.BAD_MESSAGE_LENGTH, 'bad-message-length', lengthData(frame.length));
  }
  return { type: 'route-refresh' as const, afi: frame.readUInt16BE(19), subtype, safi: frame[22]! };
}

function body(msg: BgpMessage, opts: CodecOptions): Buffer {
  switch (msg.type) {
    case 'open':
      return encodeOpenBody(msg);
    case 'update':
      return encodeUpdateBody(msg, opts);
    case 'notification':
      return Buffer.concat([Buffer.from([msg.code, msg.subcode]), msg.data]);
    case 'keepalive':
      return Buffer.alloc(0);
    case 'route-refresh': {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(msg.afi, 0);
      b[2] = msg.subtype;
      b[3] = msg.safi;
      return b;
    }
  }
}

const TYPE_CODE = {
  open: MessageType.OPEN,
  update: MessageType.UPDATE,
  notification: MessageType.NOTIFICATION,
  keepalive: MessageType.KEEPALIVE,
  'route-refresh': MessageType.ROUTE_REFRESH,
} as const;

/** Encodes one message with its header. Throws BgpError `wire-invalid-argument` for values that cannot be sent. */
export function encodeMessage(msg: BgpMessage, opts: CodecOptions): Buffer {
  const b = body(msg, opts);
  const max =
    opts.extendedMessage && msg.type !== 'open' && msg.type !== 'keepalive'
      ? MAX_EXTENDED_MESSAGE_LENGTH
      : MAX_MESSAGE_LENGTH;
  const length = HEADER_LENGTH + b.length;
  if (length > max) throw invalidArgument(`${msg.type} message of ${length} octets exceeds ${max}`);
  const out = Buffer.allocUnsafe(length);
  writeHeader(out, 0, length, TYPE_CODE[msg.type]);
  b.copy(out, HEADER_LENGTH);
  return out;
}

/** Writes marker, length and type at buf[off]. */
export function writeHeader(buf: Buffer, off: number, length: number, type: number): void {
  buf.fill(0xff, off, off + 16);
  buf.writeUInt16BE(length, off + 16);
  buf[off + 18] = type;
}
