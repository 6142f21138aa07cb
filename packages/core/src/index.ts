// Public API of @gannet/core: addresses, time, backoff and errors written once for every package. Small and free
// of side effects (gannet-cni's start-up imports it). Test doubles live under `@gannet/core/testing`.
export { type Backoff, type BackoffOptions, backoffDelay, ExponentialBackoff } from './backoff.js';
export { type Clock, type Defer, realClock, systemClock, systemDefer, type TimerHandle } from './clock.js';
export { GannetError, type GannetErrorCode, isGannetError } from './errors.js';
export {
  canonicalIp,
  checkIpPrefix,
  formatIp,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
  ipFamilyOf,
  ipPrefixContains,
  parseIp,
  parseIpPrefix,
} from './ip.js';
export { formatIpv4, maskIpv4, parseIpv4, parseIpv4Prefix, parsePrefixLength } from './ipv4.js';
export { formatIpv6, parseIpv6 } from './ipv6.js';
export { ipSpecialUse } from './special-use.js';
