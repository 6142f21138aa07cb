// The package's error base class. Every error @gannet/bgp throws is a BgpError with a stable kebab-case `code`
// that callers may switch on; the message is for humans and may change.

export class BgpError extends Error {
  /** Stable machine-readable identifier, e.g. `invalid-peer`, `not-running`, `wire-malformed`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
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
