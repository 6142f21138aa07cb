// The one error base class: a stable machine code ERR_GANNET_<AREA>_<WHAT> that callers switch on, a message for
// humans (it may change), and the cause kept.

export type GannetErrorCode = `ERR_GANNET_${string}`;

export class GannetError<C extends GannetErrorCode = GannetErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** True when `err` is a GannetError with `code` (or any GannetError when no code is given). */
export function isGannetError(err: unknown, code?: GannetErrorCode): err is GannetError {
  return err instanceof GannetError && (code === undefined || err.code === code);
}
