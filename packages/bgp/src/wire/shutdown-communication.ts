// The BGP Shutdown Communication (RFC 9003): a short UTF-8 text in the data of a Cease NOTIFICATION with subcode 2
// (Administrative Shutdown) or 4 (Administrative Reset), for logs and `gannet status`.
import { invalidArgument } from './bgp-wire-error.js';
import { ErrorCode, type NotificationMessage } from './types.js';

export const CeaseSubcode = { ADMINISTRATIVE_SHUTDOWN: 2, ADMINISTRATIVE_RESET: 4 } as const;
const MAX_OCTETS = 255;

/** A Cease NOTIFICATION carrying `text` (at most 255 octets of UTF-8, RFC 9003 §2). */
export function shutdownNotification(
  text: string,
  subcode: number = CeaseSubcode.ADMINISTRATIVE_SHUTDOWN,
): NotificationMessage {
  const utf8 = Buffer.from(text, 'utf8');
  if (utf8.length > MAX_OCTETS) throw invalidArgument(`shutdown communication of ${utf8.length} octets exceeds 255`);
  if (subcode !== CeaseSubcode.ADMINISTRATIVE_SHUTDOWN && subcode !== CeaseSubcode.ADMINISTRATIVE_RESET) {
    throw invalidArgument(`a shutdown communication goes with Cease subcode 2 or 4, not ${subcode}`);
  }
  return {
    type: 'notification',
    code: ErrorCode.CEASE,
    subcode,
    data: Buffer.concat([Buffer.from([utf8.length]), utf8]),
  };
}

/**
 * The shutdown communication of a received NOTIFICATION, or undefined when there is none or it is malformed (length
 * past the data, or invalid UTF-8: RFC 9003 §4 says to ignore it then). Control characters are replaced by spaces.
 */
export function shutdownCommunication(n: NotificationMessage): string | undefined {
  if (n.code !== ErrorCode.CEASE) return undefined;
  if (n.subcode !== CeaseSubcode.ADMINISTRATIVE_SHUTDOWN && n.subcode !== CeaseSubcode.ADMINISTRATIVE_RESET) {
    return undefined;
  }
  const len = n.data[0];
  if (len === undefined || len === 0 || 1 + len > n.data.length) return undefined;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(n.data.subarray(1, 1 + len));
    return text.replace(/[\u0000-\u001f\u007f]/g, ' ');
  } catch {
    return undefined;
  }
}
