// The peer keys that say what we attach to the routes we send (communities, largeCommunities, localPref, med,
// asPathPrepend), per peer or for every peer as the top-level `peerDefaults`; and the community keys of prefix rules.
// Checked with @gannet/bgp's own parsers, so --check accepts exactly what the speaker runs with.
import { MAX_AS_PATH_PREPEND, tryParseCommunity, tryParseLargeCommunity } from '@gannet/bgp';
import type { Node, YAMLMap } from 'yaml';
import type { AgentConfig, PeerAttributes, PeerConfig } from './types.js';

/** The keys, allowed both in a peer entry and in `peerDefaults`. */
export const PEER_ATTRIBUTE_KEYS = ['communities', 'largeCommunities', 'localPref', 'med', 'asPathPrepend'] as const;

/** The part of load-config's Walker used here. */
export interface AttributeWalker {
  value(raw: Node | undefined, key: string, kind: 'list' | 'map'): unknown;
  str(node: Node | undefined, key: string): string;
  int(node: Node | undefined, key: string, min: number, max: number): number;
  fail(message: string, key: string, node?: Node | null): never;
  fields(map: YAMLMap, path: string, allowed: readonly string[], required: readonly string[]): Map<string, Node>;
}

const U32 = 4_294_967_295;
export const COMMUNITY_HINT =
  'ASN:VALUE with each part 0..65535 (RFC 1997), or no-export, no-advertise, no-export-subconfed';
export const LARGE_COMMUNITY_HINT = 'GLOBAL:LOCAL1:LOCAL2 with each part 0..4294967295 (RFC 8092)';

function list(w: AttributeWalker, node: Node | undefined, key: string, ok: (s: string) => boolean, hint: string) {
  const seq = w.value(node, key, 'list') as { items: Node[] };
  return seq.items.map((item, i) => {
    const s = w.str(item, `${key}[${i}]`);
    if (!ok(s)) w.fail(`"${s}" is not ${hint}`, `${key}[${i}]`, item);
    return s;
  });
}

/** Reads the attribute keys present in `f` (a peer's or peerDefaults' fields) into `into`. */
export function parsePeerAttributes(
  w: AttributeWalker,
  f: Map<string, Node>,
  path: string,
  into: PeerAttributes,
): void {
  const at = (k: string) => (path ? `${path}.${k}` : k);
  if (f.has('communities')) {
    into.communities = list(
      w,
      f.get('communities'),
      at('communities'),
      (s) => tryParseCommunity(s) !== undefined,
      `a community: write ${COMMUNITY_HINT}`,
    );
  }
  if (f.has('largeCommunities')) {
    into.largeCommunities = list(
      w,
      f.get('largeCommunities'),
      at('largeCommunities'),
      (s) => tryParseLargeCommunity(s) !== undefined,
      `a large community: write ${LARGE_COMMUNITY_HINT}`,
    );
  }
  if (f.has('localPref')) into.localPref = w.int(f.get('localPref'), at('localPref'), 0, U32);
  if (f.has('med')) into.med = w.int(f.get('med'), at('med'), 0, U32);
  if (f.has('asPathPrepend'))
    into.asPathPrepend = w.int(f.get('asPathPrepend'), at('asPathPrepend'), 0, MAX_AS_PATH_PREPEND);
}

/** The top-level `peerDefaults` mapping. */
export function parsePeerDefaults(w: AttributeWalker, node: Node | undefined): PeerAttributes {
  const f = w.fields(w.value(node, 'peerDefaults', 'map') as YAMLMap, 'peerDefaults', PEER_ATTRIBUTE_KEYS, []);
  const out: PeerAttributes = {};
  parsePeerAttributes(w, f, 'peerDefaults', out);
  return out;
}

/**
 * A peer's own key that can have no effect, as an error message: LOCAL_PREF is never sent over eBGP (RFC 4271
 * §5.1.5), and prepending our ASN towards an iBGP peer would make it drop the route as a loop. (Defaults for every
 * peer apply only where they mean something, silently.)
 */
export function peerAttributeProblem(
  config: Pick<AgentConfig, 'asn'>,
  peer: PeerConfig,
): { key: string; message: string } | undefined {
  const ibgp = peer.asn === config.asn;
  if (!ibgp && peer.localPref !== undefined) {
    return {
      key: 'localPref',
      message: `is sent to iBGP peers only (asn ${config.asn}); this peer is eBGP (asn ${peer.asn})`,
    };
  }
  if (ibgp && (peer.asPathPrepend ?? 0) > 0) {
    return {
      key: 'asPathPrepend',
      message: 'applies to eBGP peers only: an iBGP peer would see its own AS in the path and drop the route',
    };
  }
  return undefined;
}

/** The attributes for one peer: its own keys, else the defaults'. */
export function resolvePeerAttributes(defaults: PeerAttributes | undefined, peer: PeerAttributes): PeerAttributes {
  const out: PeerAttributes = {};
  for (const k of PEER_ATTRIBUTE_KEYS) {
    const v = peer[k] ?? defaults?.[k];
    if (v !== undefined) (out as Record<string, unknown>)[k] = Array.isArray(v) ? [...v] : v;
  }
  return out;
}
