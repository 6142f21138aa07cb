// The package's error class. Every error @gannet/routes throws is a RoutesError (a GannetError) with a stable `code`
// that callers may switch on; the message is for humans and may change.
import { GannetError } from '@gannet/core';

export type RoutesErrorCode =
  /** A route, prefix, address or option given by the caller is malformed; nothing was changed. */
  | 'ERR_GANNET_ROUTES_INVALID_ROUTE'
  | 'ERR_GANNET_ROUTES_INVALID_OPTION'
  /** The `ip -batch` helper process died or hung; the batch's outcome is unknown (resync needed). */
  | 'ERR_GANNET_ROUTES_HELPER_EXITED'
  /** Listing the kernel table failed (after retrying interrupted dumps and ENOBUFS). */
  | 'ERR_GANNET_ROUTES_LIST_FAILED'
  /** The kernel table was closed. */
  | 'ERR_GANNET_ROUTES_CLOSED';

export class RoutesError extends GannetError<RoutesErrorCode> {}
