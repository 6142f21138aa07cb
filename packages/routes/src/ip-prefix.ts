// Canonical route keys: the same text whether a route came from the caller or from `ip -j route show` (which prints
// `default`, drops `/32`, and may spell IPv6 differently). The parsing is @gannet/core's; this adds the kernel's
// spellings and the package's error.
import { canonicalIp, checkIpPrefix, type IpFamily, parseIpv4, parsePrefixLength } from '@gannet/core';
import { RoutesError } from './routes-error.js';

export type Family = IpFamily;

/** Canonical text of an address string; throws RoutesError when it is not an IPv4 or IPv6 address. */
export function canonicalAddress(s: string, what = 'address'): { family: Family; text: string } {
  const text = canonicalIp(s);
  if (text === undefined) {
    throw new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `${what} ${JSON.stringify(s)} is not an IP address`);
  }
  return { family: text.includes(':') ? 6 : 4, text };
}

/**
 * Canonical text of a destination prefix: `default` becomes 0.0.0.0/0 or ::/0 (the family must then be given), a
 * bare address becomes a host prefix (/32, /128). Host bits must be zero, as the kernel demands.
 */
export function canonicalPrefix(s: string, family?: Family): { family: Family; text: string; length: number } {
  const bad = (why: string) =>
    new RoutesError('ERR_GANNET_ROUTES_INVALID_ROUTE', `destination ${JSON.stringify(s)} ${why}`);
  if (typeof s !== 'string') throw bad('is not a string');
  if (s === 'default') {
    if (!family) throw bad('needs an address family');
    return family === 4 ? { family, text: '0.0.0.0/0', length: 0 } : { family, text: '::/0', length: 0 };
  }
  const slash = s.indexOf('/');
  const fast = family !== 6 ? parseIpv4(s, 0, slash < 0 ? s.length : slash) : -1;
  if (fast >= 0) {
    // The common case, without allocation: a strict dotted quad is already canonical.
    if (slash < 0) return { family: 4, text: `${s}/32`, length: 32 };
    const length = parsePrefixLength(s, slash + 1, s.length, 32);
    if (length < 0) throw bad('has a bad prefix length (0..32)');
    if (length < 32 && fast % 2 ** (32 - length) !== 0) throw bad(`has host bits set beyond /${length}`);
    return { family: 4, text: s, length };
  }
  const p = checkIpPrefix(s, family ? { bareIsHost: true, family } : { bareIsHost: true });
  if (typeof p === 'string') throw bad(p === 'is not an IP prefix' ? 'is not an IPv4 or IPv6 prefix' : p);
  return { family: p.family, text: p.text, length: p.length };
}
