// Public API of @gannet/policy: a curated list of named re-exports (see ../../../shared/STYLE.md).
// In-memory doubles for tests live under `@gannet/policy/testing`.
export { compilePolicies } from './compile.js';
export type { ChainDef, Match, PolicyModel, Rule, SetDef, Verdict } from './model.js';
export { ExecNftRunner, type ExecNftRunnerOptions, type NftRunner } from './nft-runner.js';
export { type ApplyResult, PolicyApplier, type PolicyStatus } from './policy-applier.js';
export {
  MAX_POLICY_DOCUMENT_BYTES,
  type ParseDocumentsOptions,
  type PolicyDocuments,
  parsePolicyDocuments,
} from './policy-documents.js';
export { PolicyError, type PolicyErrorCode } from './policy-error.js';
export { renderDelta, renderFull, renderRemove } from './render.js';
export type {
  ContainerPort,
  LabelSelector,
  NamespaceInfo,
  NetworkPolicy,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  PodInfo,
  PolicyInput,
  Protocol,
} from './types.js';
export { parseNetworkPolicy } from './validate-policy.js';
