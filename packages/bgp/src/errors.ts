// The package's error base class. Every error @gannet/bgp throws is a BgpError (a GannetError) with a stable
// `code` ERR_GANNET_BGP_<WHAT> that callers may switch on; the message is for humans and may change.
import { GannetError } from '@gannet/core';

export class BgpError extends GannetError {
  /**
   * `what` is the kebab-case kind (`invalid-peer`, `not-running`, `wire-malformed`); `code` becomes
   * ERR_GANNET_BGP_<WHAT> (ERR_GANNET_BGP_INVALID_PEER, ...).
   */
  constructor(what: string, message: string, options?: { cause?: unknown }) {
    super(`ERR_GANNET_BGP_${what.toUpperCase().replaceAll('-', '_')}`, message, options);
  }
}

/** Bad configuration handed to the speaker (peer options, prefixes, listen address). */
export class BgpConfigError extends BgpError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('invalid-config', message, options);
  }
}

/** An operation that needs a running speaker (or a known peer) was called at the wrong time. */
export class BgpStateError extends BgpError {}
