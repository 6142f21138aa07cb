// Ranges no pod may be numbered from (IANA special-purpose registries, RFC 6890 and RFC 4291): their packets are
// dropped, looped back or flooded by the kernel before any route of ours is read. One list for both families, shared
// by gannet-cni's pod CIDR checks and the agent's config checks, so both refuse the same prefixes.
import { type IpPrefix, ipPrefixContains, parseIpPrefix } from './ip.js';

const SPECIAL_USE_TEXT: readonly (readonly [string, string])[] = [
  ['0.0.0.0/8', '"this network" (0.0.0.0/8)'],
  ['127.0.0.0/8', 'loopback (127.0.0.0/8)'],
  ['169.254.0.0/16', 'link-local (169.254.0.0/16)'],
  ['224.0.0.0/4', 'multicast (224.0.0.0/4)'],
  ['240.0.0.0/4', 'reserved and broadcast (240.0.0.0/4)'],
  ['::/128', 'unspecified (::/128)'],
  ['::1/128', 'loopback (::1/128)'],
  ['::ffff:0:0/96', 'IPv4-mapped (::ffff:0:0/96)'],
  ['fe80::/10', 'link-local (fe80::/10)'],
  ['ff00::/8', 'multicast (ff00::/8)'],
];

let specialUse: { prefix: IpPrefix; what: string }[] | undefined;

/**
 * The special-use range a prefix overlaps (as "loopback (127.0.0.0/8)"), or undefined when it overlaps none (or is
 * the whole address space, which callers refuse on their own terms).
 */
export function ipSpecialUse(p: IpPrefix): string | undefined {
  specialUse ??= SPECIAL_USE_TEXT.map(([text, what]) => ({ prefix: parseIpPrefix(text) as IpPrefix, what }));
  for (const s of specialUse) {
    if (s.prefix.family !== p.family) continue;
    if (ipPrefixContains(s.prefix, p) || ipPrefixContains(p, s.prefix)) return s.what;
  }
  return undefined;
}
