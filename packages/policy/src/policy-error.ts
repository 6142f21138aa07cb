// The package's error base class. Every error @gannet/policy throws is a PolicyError with a stable `code` that callers
// may switch on; the message is for humans and may change.
import { GannetError } from '@gannet/core';

export type PolicyErrorCode =
  /** A NetworkPolicy, pod, namespace or option is malformed; `object` and `field` say where. Nothing was applied. */
  | 'ERR_GANNET_POLICY_INVALID'
  /** The `nft` binary could not be started (not installed, not on PATH). Nothing was applied. */
  | 'ERR_GANNET_POLICY_NFT_MISSING'
  /** `nft` refused the transaction (its message is in `nftMessage`); the kernel ruleset is as it was before. */
  | 'ERR_GANNET_POLICY_NFT_FAILED';

export class PolicyError extends GannetError<PolicyErrorCode> {
  /** For ERR_GANNET_POLICY_INVALID: the object, e.g. `NetworkPolicy default/allow-web` or `Pod x/a`. */
  readonly object: string | undefined;
  /** For ERR_GANNET_POLICY_INVALID: the field path inside the object, e.g. `spec.ingress[0].from[1].ipBlock.cidr`. */
  readonly field: string | undefined;
  /** For ERR_GANNET_POLICY_NFT_FAILED: what nft printed on stderr. */
  readonly nftMessage: string | undefined;

  constructor(
    code: PolicyErrorCode,
    message: string,
    options: { cause?: unknown; object?: string; field?: string; nftMessage?: string } = {},
  ) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.object = options.object;
    this.field = options.field;
    this.nftMessage = options.nftMessage;
  }
}

/** A validation error naming the object and the field path: `NetworkPolicy x/deny: spec.ingress[0]...: message`. */
export function invalid(object: string, field: string, message: string): PolicyError {
  const where = field ? `${object}: ${field}` : object;
  return new PolicyError('ERR_GANNET_POLICY_INVALID', `${where}: ${message}`, { object, field });
}
