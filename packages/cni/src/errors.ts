// CNI errors (spec 1.1.0, "Error"): every failure the plugin reports carries one of the spec's codes, a message a
// person can act on, and optional details. The executable prints it as JSON on stdout and exits non-zero.

/** Error codes of the CNI spec (1.1.0 "Well-known error codes"). */
export const CniCode = {
  /** Incompatible CNI version. */
  IncompatibleVersion: 1,
  /** Unsupported field in network configuration; the message names the key and value. */
  UnsupportedField: 2,
  /** Container unknown or does not exist (the runtime need not clean up). */
  UnknownContainer: 3,
  /** Invalid necessary environment variables (CNI_COMMAND, CNI_CONTAINERID, …). */
  InvalidEnvironment: 4,
  /** I/O failure. */
  IoFailure: 5,
  /** Failed to decode content (for example bad JSON). */
  DecodeFailure: 6,
  /** Invalid network configuration. */
  InvalidNetworkConfig: 7,
  /** Try again later (a transient condition). */
  TryAgainLater: 11,
  /** STATUS: the plugin cannot service ADD requests. */
  PluginNotAvailable: 50,
  /** STATUS: not available, and existing containers may have limited connectivity. */
  PluginNotAvailableLimited: 51,
} as const;
export type CniCode = (typeof CniCode)[keyof typeof CniCode];

/** The one error class of @gannet/cni: a spec code, a human message, optional details. */
export class CniError extends Error {
  override readonly name = 'CniError';
  constructor(
    readonly code: number,
    msg: string,
    readonly details = '',
    options?: { cause?: unknown },
  ) {
    super(msg, options);
  }

  /** The spec's error object, in the requested version. */
  toJSON(cniVersion: string): { cniVersion: string; code: number; msg: string; details?: string } {
    const out: { cniVersion: string; code: number; msg: string; details?: string } = {
      cniVersion,
      code: this.code,
      msg: this.message,
    };
    if (this.details) out.details = this.details;
    return out;
  }
}

/** Wraps anything thrown into a CniError (unknown failures become I/O failures, code 5, with the cause kept). */
export function toCniError(err: unknown): CniError {
  if (err instanceof CniError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  return new CniError(CniCode.IoFailure, `internal failure: ${msg}`, '', { cause: err });
}
