// An ordered prefix list (like a router's prefix-list): the first matching rule decides, else the default action.
// A rule matches a prefix inside its own prefix whose length lies in [ge, le]; without ge/le only the exact length
// matches, with only ge the upper bound is the family's maximum (32 or 128). A rule may also require a community or
// a large community on the route (`community: "65000:666"`): it then matches only routes that carry it.
import { BgpError } from '../errors.js';
import type { PathAttributes } from '../wire/types.js';
import { tryParseCommunity, tryParseLargeCommunity } from './communities.js';
import { type IpPrefix, maskWord, parseIPv4Prefix, parsePrefix, tryParsePrefix } from './ip-prefix.js';

export type PolicyAction = 'permit' | 'deny';

/** Same shape as the controller's config rule: `{ prefix: '10.244.0.0/16', ge: 16, le: 24, action: 'permit' }`. */
export interface PrefixRule {
  prefix: string;
  ge?: number;
  le?: number;
  /** Matches only routes carrying this standard community ("65000:666", or a name such as "no-export"). */
  community?: string;
  /** Matches only routes carrying this large community ("65000:1:2"). */
  largeCommunity?: string;
  action: PolicyAction;
}

/** The attributes a rule may look at. */
export type RouteAttributes = Readonly<Pick<PathAttributes, 'communities' | 'largeCommunities'>>;

export interface PrefixFilterConfig {
  rules: readonly PrefixRule[];
  /** What happens to a prefix no rule matches (default deny). */
  defaultAction?: PolicyAction;
}

interface CompiledRule {
  afi: 1 | 2;
  words: number[];
  length: number;
  ge: number;
  le: number;
  permit: boolean;
  community: number | undefined;
  large: readonly [number, number, number] | undefined;
}

export class PrefixFilter {
  readonly rules: readonly PrefixRule[];
  readonly defaultAction: PolicyAction;
  private readonly compiled: CompiledRule[];

  constructor(config: PrefixFilterConfig) {
    this.rules = config.rules.map((r) => ({ ...r }));
    this.defaultAction = config.defaultAction ?? 'deny';
    if (this.defaultAction !== 'permit' && this.defaultAction !== 'deny') {
      throw new BgpError('invalid-policy', `defaultAction must be permit or deny, got ${String(config.defaultAction)}`);
    }
    this.compiled = this.rules.map((r, i) => compileRule(r, i));
  }

  /** Permits everything (the iBGP default). */
  static permitAll(): PrefixFilter {
    return new PrefixFilter({ rules: [], defaultAction: 'permit' });
  }

  /** Denies everything (RFC 8212: an eBGP peer without policy). */
  static denyAll(): PrefixFilter {
    return new PrefixFilter({ rules: [], defaultAction: 'deny' });
  }

  /**
   * The action for a prefix in CIDR text, with the route's attributes for rules that match communities (a rule
   * that needs one never matches without them); malformed text is denied (never throws on the data path).
   */
  evaluate(prefix: string, attrs?: RouteAttributes): PolicyAction {
    if (this.compiled.length === 0) return this.defaultAction;
    const v4 = parseIPv4Prefix(prefix);
    if (v4 >= 0) return this.evaluateIPv4(Math.floor(v4 / 64), v4 % 64, attrs);
    const p = tryParsePrefix(prefix);
    if (!p) return 'deny';
    return this.evaluateParsed(p, attrs);
  }

  /** permits() for an IPv4 prefix already parsed: `addr` unsigned with host bits zero, `length` 0–32. */
  permitsIPv4(addr: number, length: number, attrs?: RouteAttributes): boolean {
    if (this.compiled.length === 0) return this.defaultAction === 'permit';
    return this.evaluateIPv4(addr, length, attrs) === 'permit';
  }

  /** The hot path: an IPv4 prefix as a number and a length, no allocation. */
  private evaluateIPv4(addr: number, length: number, attrs: RouteAttributes | undefined): PolicyAction {
    for (const r of this.compiled) {
      if (r.afi !== 1 || length < r.ge || length > r.le) continue;
      if (maskWord(addr, r.length) !== r.words[0]) continue;
      if ((r.community !== undefined || r.large !== undefined) && !carries(r, attrs)) continue;
      return r.permit ? 'permit' : 'deny';
    }
    return this.defaultAction;
  }

  /**
   * Which rule decides for a prefix (for explanations, not the data path): its 1-based number and the rule, or none
   * when no rule matches and the default action applies.
   */
  explain(prefix: string, attrs?: RouteAttributes): { action: PolicyAction; rule?: number; matched?: PrefixRule } {
    const p = tryParsePrefix(prefix);
    if (!p) return { action: 'deny' };
    for (const [i, r] of this.compiled.entries()) {
      if (r.afi !== p.afi || p.length < r.ge || p.length > r.le) continue;
      if (!leadingBitsEqual(r.words, p.words, r.length)) continue;
      if ((r.community !== undefined || r.large !== undefined) && !carries(r, attrs)) continue;
      return { action: r.permit ? 'permit' : 'deny', rule: i + 1, matched: this.rules[i]! };
    }
    return { action: this.defaultAction };
  }

  permits(prefix: string, attrs?: RouteAttributes): boolean {
    return this.evaluate(prefix, attrs) === 'permit';
  }

  evaluateParsed(p: IpPrefix, attrs?: RouteAttributes): PolicyAction {
    for (const r of this.compiled) {
      if (r.afi !== p.afi || p.length < r.ge || p.length > r.le) continue;
      if (!leadingBitsEqual(r.words, p.words, r.length)) continue;
      if ((r.community !== undefined || r.large !== undefined) && !carries(r, attrs)) continue;
      return r.permit ? 'permit' : 'deny';
    }
    return this.defaultAction;
  }
}

/** The route carries the rule's community and large community (each when the rule names one). */
function carries(r: CompiledRule, attrs: RouteAttributes | undefined): boolean {
  if (r.community !== undefined && !(attrs?.communities?.includes(r.community) ?? false)) return false;
  const l = r.large;
  if (
    l !== undefined &&
    !(attrs?.largeCommunities?.some((c) => c[0] === l[0] && c[1] === l[1] && c[2] === l[2]) ?? false)
  ) {
    return false;
  }
  return true;
}

function leadingBitsEqual(rule: readonly number[], words: readonly number[], length: number): boolean {
  for (let i = 0; i < rule.length; i++) {
    const bits = length - 32 * i;
    if (bits <= 0) return true;
    if (maskWord(words[i] ?? 0, bits) !== rule[i]) return false;
  }
  return true;
}

function compileRule(rule: PrefixRule, index: number): CompiledRule {
  const where = `rule ${index + 1} (${JSON.stringify(rule.prefix)})`;
  if (rule.action !== 'permit' && rule.action !== 'deny') {
    throw new BgpError('invalid-policy', `${where}: action must be permit or deny, got ${String(rule.action)}`);
  }
  let p: IpPrefix;
  try {
    p = parsePrefix(rule.prefix);
  } catch (err) {
    throw new BgpError('invalid-policy', `${where}: ${(err as Error).message}`, { cause: err });
  }
  const max = p.afi === 1 ? 32 : 128;
  const ge = rule.ge ?? p.length;
  const le = rule.le ?? (rule.ge !== undefined ? max : p.length);
  for (const [name, v] of [
    ['ge', ge],
    ['le', le],
  ] as const) {
    if (!Number.isInteger(v) || v < p.length || v > max) {
      throw new BgpError('invalid-policy', `${where}: ${name} ${v} must be an integer in ${p.length}..${max}`);
    }
  }
  if (ge > le) throw new BgpError('invalid-policy', `${where}: ge ${ge} is greater than le ${le}`);
  let community: number | undefined;
  if (rule.community !== undefined) {
    community = tryParseCommunity(rule.community);
    if (community === undefined) {
      throw new BgpError(
        'invalid-policy',
        `${where}: community ${JSON.stringify(rule.community)} is not ASN:VALUE (0..65535 each) or a well-known name`,
      );
    }
  }
  let large: [number, number, number] | undefined;
  if (rule.largeCommunity !== undefined) {
    large = tryParseLargeCommunity(rule.largeCommunity);
    if (large === undefined) {
      throw new BgpError(
        'invalid-policy',
        `${where}: largeCommunity ${JSON.stringify(rule.largeCommunity)} is not GLOBAL:LOCAL1:LOCAL2 (0..4294967295 each)`,
      );
    }
  }
  return {
    afi: p.afi,
    words: p.words,
    length: p.length,
    ge,
    le,
    permit: rule.action === 'permit',
    community,
    large,
  };
}
