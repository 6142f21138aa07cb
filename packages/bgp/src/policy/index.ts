// Public API of policy: prefix filters, max-prefix, and the prefix parser they share.
export { type IpPrefix, parsePrefix, prefixContains, tryParsePrefix } from './ip-prefix.js';
export {
  type MaxPrefixConfig,
  type MaxPrefixEvent,
  type MaxPrefixExceeded,
  MaxPrefixGuard,
  type MaxPrefixWarning,
  maxPrefixData,
} from './max-prefix.js';
export { type PolicyAction, PrefixFilter, type PrefixFilterConfig, type PrefixRule } from './prefix-filter.js';
