// Standalone configuration: a YAML file validated key by key. Every error names the key and its line.
import { closeSync, openSync, readSync } from 'node:fs';
import { tryParseCommunity, tryParseLargeCommunity } from '@gannet/bgp';
import { checkRouteProtocol, checkRouteTable } from '@gannet/routes';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  type Pair,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import { ConfigError } from '../errors.js';
import {
  type Cidr,
  cidrContains,
  cidrsOverlap,
  isIP,
  isIPv4,
  parseCidr,
  parseHostPort,
  peerAddressProblem,
  podCidrProblem,
} from '../net.js';
import {
  COMMUNITY_HINT,
  LARGE_COMMUNITY_HINT,
  PEER_ATTRIBUTE_KEYS,
  parsePeerAttributes,
  parsePeerDefaults,
  peerAttributeProblem,
} from './load-peer-attributes.js';
import { isRangeEntry, parseRange, parseTransport, TRANSPORT_KEYS } from './peer-transport-config.js';
import { defaultRouterId } from './router-id.js';
import type { AgentConfig, PeerBfdConfig, PeerConfig, PeerRangeConfig, PolicyConfig, PrefixRule } from './types.js';

export const DEFAULT_LISTEN = { address: '0.0.0.0', port: 179 } as const;
export const DEFAULT_API_LISTEN = '127.0.0.1:9179';
export const DEFAULT_MAX_PREFIXES = 10_000;
/** Bounds on what a config may hold: a file larger than this is not a config (and /dev/zero ends quickly). */
export const MAX_CONFIG_BYTES = 1024 * 1024;
export const MAX_PEERS = 1000;
/** Alias uses per document, as the yaml library's own maxAliasCount: a "billion laughs" file stays small. */
export const MAX_ALIAS_USES = 100;

/** Reads and validates a config file; throws ConfigError naming the file, line and key. */
export function loadConfigFile(path: string): AgentConfig {
  let text: string;
  try {
    text = readBounded(path, MAX_CONFIG_BYTES);
  } catch (err) {
    throw new ConfigError(`cannot read config file: ${(err as Error).message}`, undefined, undefined, path);
  }
  return parseConfig(text, path);
}

/** Reads at most `max` bytes (whatever the file is: a device or a pipe never makes it read on); throws beyond. */
function readBounded(path: string, max: number): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(max + 1);
    let n = 0;
    for (let got = 1; got > 0 && n <= max; n += got) got = readSync(fd, buf, n, max + 1 - n, null);
    if (n > max) throw new Error(`larger than ${max} bytes: not a Gannet config`);
    return buf.toString('utf8', 0, n);
  } finally {
    closeSync(fd);
  }
}

type Kind = 'string' | 'int' | 'bool' | 'map' | 'list';

export class Walker {
  private aliasUses = 0;

  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string | undefined,
  ) {}

  /**
   * An alias stands for its anchor's node, as YAML defines it (so `clusterCIDRs: *pods` is the anchored list);
   * errors inside it name the anchored text's line. Merge keys (`<<`) are YAML 1.1, not YAML 1.2: refused.
   */
  deref(node: Node | undefined, key: string): Node | undefined {
    if (!isAlias(node)) return node;
    if (++this.aliasUses > MAX_ALIAS_USES) {
      this.fail(`more than ${MAX_ALIAS_USES} alias uses in one config: write the values out`, key, node);
    }
    const target = node.resolve(this.doc);
    if (!target) this.fail(`alias *${node.source} has no anchor &${node.source} before it`, key, node);
    return target;
  }

  line(node: Node | Pair | null | undefined): number | undefined {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? this.lines.linePos(range[0]).line : undefined;
  }

  fail(message: string, key: string, node?: Node | Pair | null): never {
    throw new ConfigError(message, key, this.line(node ?? undefined), this.file);
  }

  /** Checks the map's keys against the allowed set; returns key → value node. */
  fields(map: YAMLMap, path: string, allowed: readonly string[], required: readonly string[]): Map<string, Node> {
    const out = new Map<string, Node>();
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key as Node, path || '(top level)');
      const key = isScalar(keyNode) ? String(keyNode.value) : '?';
      const where = path ? `${path}.${key}` : key;
      if (key === '<<') {
        this.fail(
          'merge keys (<<) are YAML 1.1, not YAML 1.2: give each key here (an alias may stand for a whole value)',
          where,
          keyNode,
        );
      }
      if (!allowed.includes(key)) {
        this.fail(`unknown key (allowed here: ${allowed.join(', ')})`, where, keyNode);
      }
      if (out.has(key)) this.fail('duplicate key', where, keyNode);
      out.set(key, pair.value as Node);
    }
    for (const key of required) {
      if (!out.has(key) || out.get(key) == null) this.fail('is required', path ? `${path}.${key}` : key, map);
    }
    return out;
  }

  value(raw: Node | undefined, key: string, kind: Kind): unknown {
    const node = this.deref(raw, key);
    if (kind === 'map') {
      if (!isMap(node)) this.fail('must be a mapping', key, node);
      return node;
    }
    if (kind === 'list') {
      if (!isSeq(node)) this.fail('must be a list', key, node);
      return node;
    }
    if (!isScalar(node)) this.fail(`must be a ${kind === 'int' ? 'number' : kind}`, key, node);
    const v = node.value;
    if (kind === 'string' && typeof v !== 'string') this.fail(`must be a string, got ${JSON.stringify(v)}`, key, node);
    if (kind === 'bool' && typeof v !== 'boolean')
      this.fail(`must be true or false, got ${JSON.stringify(v)}`, key, node);
    if (kind === 'int' && (typeof v !== 'number' || !Number.isInteger(v))) {
      this.fail(`must be an integer, got ${JSON.stringify(v)}`, key, node);
    }
    return v;
  }

  str(node: Node | undefined, key: string): string {
    return this.value(node, key, 'string') as string;
  }

  int(node: Node | undefined, key: string, min: number, max: number): number {
    const v = this.value(node, key, 'int') as number;
    if (v < min || v > max) this.fail(`must be in ${min}..${max}, got ${v}`, key, node);
    return v;
  }

  bool(node: Node | undefined, key: string): boolean {
    return this.value(node, key, 'bool') as boolean;
  }

  cidr(node: Node | undefined, key: string): string {
    const s = this.str(node, key);
    try {
      return parseCidr(s).text;
    } catch (err) {
      return this.fail((err as Error).message, key, node);
    }
  }

  cidrList(node: Node | undefined, key: string): string[] {
    const seq = this.value(node, key, 'list') as { items: Node[] };
    return seq.items.map((item, i) => this.cidr(item, `${key}[${i}]`));
  }

  /** A list of prefixes pods can be numbered from, none overlapping another. */
  podCidrList(node: Node | undefined, key: string): string[] {
    const seq = this.value(node, key, 'list') as { items: Node[] };
    const seen: Cidr[] = [];
    return seq.items.map((item, i) => {
      const cidr = parseCidr(this.cidr(item, `${key}[${i}]`));
      const problem = podCidrProblem(cidr);
      if (problem) this.fail(`${cidr.text} ${problem}`, `${key}[${i}]`, item);
      const j = seen.findIndex((c) => cidrsOverlap(c, cidr));
      if (j >= 0) this.fail(`${cidr.text} overlaps ${key}[${j}] (${seen[j]!.text})`, `${key}[${i}]`, item);
      seen.push(cidr);
      return cidr.text;
    });
  }

  /** The node at a key path like `peers[1].address` (for cross-field errors); the deepest one found. */
  nodeAt(root: Node, key: string): Node {
    let node = root;
    for (const part of key.match(/[^.[\]]+/g) ?? []) {
      const here = this.deref(node, key);
      const next = isSeq(here)
        ? (here.items[Number(part)] as Node | undefined)
        : isMap(here)
          ? (here.items.find((p) => isScalar(p.key) && String(p.key.value) === part)?.value as Node | undefined)
          : undefined;
      if (!next) break;
      node = next;
    }
    return node;
  }

  /** A check of another package (it throws an Error) as a config error naming the key and line. */
  check<T>(node: Node | undefined, key: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      return this.fail((err as Error).message, key, node);
    }
  }
}

const TOP_KEYS = [
  'nodeName',
  'asn',
  'routerId',
  'podCIDRs',
  'clusterCIDRs',
  'listen',
  'api',
  'peers',
  'nodeStateFile',
  'routes',
  'gracefulRestart',
  'ipam',
  'routeReflector',
  'advertise',
  'natOutgoing',
  'natExclude',
  'policy',
  'peerDefaults',
] as const;
const PEER_KEYS = [
  'address',
  'asn',
  'port',
  'holdTime',
  'passive',
  'maxPrefixes',
  'import',
  'export',
  'gracefulRestart',
  'localAddress',
  'enforceFirstAs',
  'routeReflectorClient',
  'bfd',
  ...PEER_ATTRIBUTE_KEYS,
  ...TRANSPORT_KEYS,
] as const;
const ASN_MAX = 4_294_967_295;

/** Parses and validates config text. `file` only labels errors. */
export function parseConfig(text: string, file?: string): AgentConfig {
  if (text.length > MAX_CONFIG_BYTES) {
    throw new ConfigError(`larger than ${MAX_CONFIG_BYTES} bytes: not a Gannet config`, undefined, undefined, file);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? lines.linePos(e.pos[0]).line;
    throw new ConfigError(`YAML syntax error: ${e.message.split('\n')[0]}`, undefined, line, file);
  }
  const w = new Walker(doc, lines, file);
  const root = doc.contents as Node | null;
  if (!isMap(root)) throw new ConfigError('the config must be a YAML mapping of keys', undefined, 1, file);
  const f = w.fields(root, '', TOP_KEYS, ['nodeName', 'asn', 'podCIDRs']);

  const nodeName = w.str(f.get('nodeName'), 'nodeName');
  if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(nodeName)) {
    w.fail('must be a DNS-1123 name (lower-case letters, digits, "-" and ".")', 'nodeName', f.get('nodeName'));
  }
  const asn = w.int(f.get('asn'), 'asn', 1, ASN_MAX);
  // optional: an IPv6-only node has no IPv4 address to take it from (defaulted below, see router-id.ts)
  let routerId = '';
  if (f.has('routerId')) {
    routerId = w.str(f.get('routerId'), 'routerId');
    if (!isIPv4(routerId))
      w.fail(`must be a dotted-quad IPv4 address, got "${routerId}"`, 'routerId', f.get('routerId'));
    // the BGP Identifier is any non-zero 32-bit value (RFC 6286 §2.1); the speaker refuses 0.0.0.0 as well
    if (parseCidr(`${routerId}/32`).value === 0n) {
      w.fail('must not be 0.0.0.0 (a BGP Identifier is non-zero, RFC 6286)', 'routerId', f.get('routerId'));
    }
  }
  const podCIDRs = w.podCidrList(f.get('podCIDRs'), 'podCIDRs');
  if (podCIDRs.length === 0) w.fail('must list at least one prefix', 'podCIDRs', f.get('podCIDRs'));
  const clusterCIDRs = f.has('clusterCIDRs') ? w.cidrList(f.get('clusterCIDRs'), 'clusterCIDRs') : [];

  const listen: { address: string; port: number } = { ...DEFAULT_LISTEN };
  if (f.has('listen')) {
    const lf = w.fields(w.value(f.get('listen'), 'listen', 'map') as YAMLMap, 'listen', ['address', 'port'], []);
    if (lf.has('address')) {
      listen.address = w.str(lf.get('address'), 'listen.address');
      if (!isIP(listen.address)) w.fail('must be an IP address', 'listen.address', lf.get('address'));
    }
    if (lf.has('port')) listen.port = w.int(lf.get('port'), 'listen.port', 0, 65535);
  }

  const api = { listen: DEFAULT_API_LISTEN };
  if (f.has('api')) {
    const af = w.fields(w.value(f.get('api'), 'api', 'map') as YAMLMap, 'api', ['listen'], []);
    if (af.has('listen')) {
      api.listen = w.str(af.get('listen'), 'api.listen');
      try {
        parseHostPort(api.listen);
      } catch (err) {
        w.fail((err as Error).message, 'api.listen', af.get('listen'));
      }
    }
  }

  const peers: PeerConfig[] = [];
  const peerRanges: PeerRangeConfig[] = [];
  if (f.has('peers') && f.get('peers') != null) {
    const seq = w.value(f.get('peers'), 'peers', 'list') as { items: Node[] };
    if (seq.items.length > MAX_PEERS) {
      w.fail(`lists ${seq.items.length} peers, more than the ${MAX_PEERS} a node may have`, 'peers', f.get('peers'));
    }
    const seen = new Map<string, number>();
    seq.items.forEach((item, i) => {
      if (isRangeEntry(w, item, `peers[${i}]`)) {
        const range = parseRange(w, item, `peers[${i}]`, file, parseRules);
        const prev = peerRanges.findIndex((r) => r.prefix === range.prefix);
        if (prev >= 0) w.fail(`duplicate peer range ${range.prefix}`, `peers[${i}].prefix`, item);
        peerRanges.push(range);
        return;
      }
      const peer = parsePeer(w, item, `peers[${i}]`, file);
      const prev = seen.get(peer.address);
      if (prev !== undefined)
        w.fail(`duplicate peer address ${peer.address} (also peers[${prev}])`, `peers[${i}].address`, item);
      seen.set(peer.address, i);
      peers.push(peer);
    });
  }

  if (routerId === '') routerId = defaultRouterId(nodeName, listen.address).routerId;
  const config: AgentConfig = { nodeName, asn, routerId, podCIDRs, clusterCIDRs, listen, api, peers };
  if (peerRanges.length > 0) config.peerRanges = peerRanges;
  if (f.has('nodeStateFile')) config.nodeStateFile = w.str(f.get('nodeStateFile'), 'nodeStateFile');
  if (f.has('routes')) {
    const rf = w.fields(
      w.value(f.get('routes'), 'routes', 'map') as YAMLMap,
      'routes',
      ['table', 'protocol', 'resyncIntervalSeconds'],
      [],
    );
    config.routes = {};
    // the reconciler's own checks (@gannet/routes), so --check accepts exactly the tables and protocols it runs with
    if (rf.has('table')) {
      const table = w.int(rf.get('table'), 'routes.table', 0, 0xffffffff);
      config.routes.table = w.check(rf.get('table'), 'routes.table', () => checkRouteTable(table));
    }
    if (rf.has('protocol')) {
      const protocol = w.int(rf.get('protocol'), 'routes.protocol', 0, 255);
      config.routes.protocol = w.check(rf.get('protocol'), 'routes.protocol', () => checkRouteProtocol(protocol));
    }
    if (rf.has('resyncIntervalSeconds')) {
      config.routes.resyncIntervalSeconds = w.int(
        rf.get('resyncIntervalSeconds'),
        'routes.resyncIntervalSeconds',
        1,
        86400,
      );
    }
  }
  if (f.has('gracefulRestart')) {
    const gf = w.fields(
      w.value(f.get('gracefulRestart'), 'gracefulRestart', 'map') as YAMLMap,
      'gracefulRestart',
      ['restartTime', 'deferralTime'],
      [],
    );
    config.gracefulRestart = {};
    if (gf.has('restartTime'))
      config.gracefulRestart.restartTime = w.int(gf.get('restartTime'), 'gracefulRestart.restartTime', 1, 4095);
    if (gf.has('deferralTime'))
      config.gracefulRestart.deferralTime = w.int(gf.get('deferralTime'), 'gracefulRestart.deferralTime', 1, 3600);
  }
  if (f.has('ipam')) {
    const ipf = w.fields(w.value(f.get('ipam'), 'ipam', 'map') as YAMLMap, 'ipam', ['dataDir', 'network'], []);
    config.ipam = {};
    if (ipf.has('dataDir')) config.ipam.dataDir = w.str(ipf.get('dataDir'), 'ipam.dataDir');
    if (ipf.has('network')) config.ipam.network = w.str(ipf.get('network'), 'ipam.network');
  }
  if (f.has('advertise')) {
    // Service addresses (or any prefix this node answers for): originated and exported like the pod CIDRs, never
    // blackholed (kube-proxy or the host handles them).
    config.advertise = w.cidrList(f.get('advertise'), 'advertise');
    if (config.advertise.length > MAX_PEERS) w.fail(`more than ${MAX_PEERS} prefixes`, 'advertise', f.get('advertise'));
  }
  if (f.has('routeReflector')) {
    const rf = w.fields(
      w.value(f.get('routeReflector'), 'routeReflector', 'map') as YAMLMap,
      'routeReflector',
      ['clusterId'],
      [],
    );
    config.routeReflector = {};
    if (rf.has('clusterId')) {
      const id = w.str(rf.get('clusterId'), 'routeReflector.clusterId');
      if (!isIPv4(id))
        w.fail(`must be a dotted-quad IPv4 address, got "${id}"`, 'routeReflector.clusterId', rf.get('clusterId'));
      config.routeReflector.clusterId = id;
    }
  }
  if (f.has('natOutgoing')) config.natOutgoing = w.bool(f.get('natOutgoing'), 'natOutgoing');
  if (f.has('natExclude')) config.natExclude = w.cidrList(f.get('natExclude'), 'natExclude');
  if (f.has('policy')) config.policy = parsePolicyConfig(w, f.get('policy'));
  if (f.has('peerDefaults')) config.peerDefaults = parsePeerDefaults(w, f.get('peerDefaults'));
  checkConsistency(config, (msg, key) => w.fail(msg, key, w.nodeAt(root, key)));
  return config;
}

function parsePolicyConfig(w: Walker, node: Node | undefined): PolicyConfig {
  const pf = w.fields(w.value(node, 'policy', 'map') as YAMLMap, 'policy', ['files', 'podsFile'], []);
  const out: PolicyConfig = {};
  if (pf.has('files')) {
    const seq = w.value(pf.get('files'), 'policy.files', 'list') as { items: Node[] };
    out.files = seq.items.map((item, i) => {
      const file = w.str(item, `policy.files[${i}]`);
      if (file === '') w.fail('must not be empty', `policy.files[${i}]`, item);
      return file;
    });
  }
  if (pf.has('podsFile')) {
    out.podsFile = w.str(pf.get('podsFile'), 'policy.podsFile');
    if (out.podsFile === '') w.fail('must not be empty', 'policy.podsFile', pf.get('podsFile'));
  }
  return out;
}

/** `bfd: { enabled, minRxMs, minTxMs, multiplier, checkControlPlaneFailure }` (defaults true/300/300/3/false). */
function parsePeerBfd(w: Walker, node: Node | undefined, path: string): PeerBfdConfig {
  const keys = ['enabled', 'minRxMs', 'minTxMs', 'multiplier', 'checkControlPlaneFailure'];
  const f = w.fields(w.value(node, path, 'map') as YAMLMap, path, keys, []);
  const ms = (k: string) => (f.has(k) ? w.int(f.get(k), `${path}.${k}`, 10, 60_000) : 300);
  const out: PeerBfdConfig = {
    enabled: f.has('enabled') ? w.bool(f.get('enabled'), `${path}.enabled`) : true,
    minRxMs: ms('minRxMs'),
    minTxMs: ms('minTxMs'),
    multiplier: f.has('multiplier') ? w.int(f.get('multiplier'), `${path}.multiplier`, 1, 255) : 3,
  };
  if (f.has('checkControlPlaneFailure')) {
    out.checkControlPlaneFailure = w.bool(f.get('checkControlPlaneFailure'), `${path}.checkControlPlaneFailure`);
  }
  return out;
}

function parsePeer(w: Walker, node: Node, path: string, file?: string): PeerConfig {
  const map = w.value(node, path, 'map') as YAMLMap;
  const f = w.fields(map, path, PEER_KEYS, ['address', 'asn']);
  const address = w.str(f.get('address'), `${path}.address`);
  if (!isIP(address)) w.fail(`must be an IPv4 or IPv6 address, got "${address}"`, `${path}.address`, f.get('address'));
  const problem = peerAddressProblem(address);
  if (problem) w.fail(`${address} ${problem}: a BGP peer is one unicast address`, `${path}.address`, f.get('address'));
  const peer: PeerConfig = { address, asn: w.int(f.get('asn'), `${path}.asn`, 1, ASN_MAX), source: 'config' };
  if (f.has('port')) peer.port = w.int(f.get('port'), `${path}.port`, 1, 65535);
  if (f.has('holdTime')) {
    peer.holdTime = w.int(f.get('holdTime'), `${path}.holdTime`, 0, 65535);
    if (peer.holdTime === 1 || peer.holdTime === 2) {
      w.fail('must be 0 or 3..65535 seconds (RFC 4271 §4.2)', `${path}.holdTime`, f.get('holdTime'));
    }
  }
  if (f.has('passive')) peer.passive = w.bool(f.get('passive'), `${path}.passive`);
  if (f.has('bfd')) peer.bfd = parsePeerBfd(w, f.get('bfd'), `${path}.bfd`);
  if (f.has('maxPrefixes')) peer.maxPrefixes = w.int(f.get('maxPrefixes'), `${path}.maxPrefixes`, 1, 100_000_000);
  if (f.has('gracefulRestart')) peer.gracefulRestart = w.bool(f.get('gracefulRestart'), `${path}.gracefulRestart`);
  if (f.has('enforceFirstAs')) peer.enforceFirstAs = w.bool(f.get('enforceFirstAs'), `${path}.enforceFirstAs`);
  if (f.has('routeReflectorClient')) {
    peer.routeReflectorClient = w.bool(f.get('routeReflectorClient'), `${path}.routeReflectorClient`);
  }
  if (f.has('localAddress')) {
    peer.localAddress = w.str(f.get('localAddress'), `${path}.localAddress`);
    if (!isIP(peer.localAddress)) w.fail('must be an IP address', `${path}.localAddress`, f.get('localAddress'));
    const bad = peerAddressProblem(peer.localAddress);
    if (bad && !bad.includes('unspecified')) {
      w.fail(
        `${peer.localAddress} ${bad}: a TCP connection needs a unicast source`,
        `${path}.localAddress`,
        f.get('localAddress'),
      );
    }
  }
  for (const dir of ['import', 'export'] as const) {
    if (f.has(dir)) peer[dir] = parseRules(w, f.get(dir), `${path}.${dir}`);
  }
  parsePeerAttributes(w, f, path, peer);
  parseTransport(w, f, path, peer, file);
  return peer;
}

function parseRules(w: Walker, node: Node | undefined, path: string): PrefixRule[] {
  const seq = w.value(node, path, 'list') as { items: Node[] };
  return seq.items.map((item, i) => {
    const key = `${path}[${i}]`;
    const f = w.fields(
      w.value(item, key, 'map') as YAMLMap,
      key,
      ['prefix', 'ge', 'le', 'community', 'largeCommunity', 'action'],
      ['prefix', 'action'],
    );
    const cidr = parseCidr(w.cidr(f.get('prefix'), `${key}.prefix`));
    const action = w.str(f.get('action'), `${key}.action`);
    if (action !== 'permit' && action !== 'deny')
      w.fail('must be "permit" or "deny"', `${key}.action`, f.get('action'));
    const max = cidr.family === 4 ? 32 : 128;
    const rule: PrefixRule = { prefix: cidr.text, action };
    if (f.has('ge')) rule.ge = w.int(f.get('ge'), `${key}.ge`, cidr.length, max);
    if (f.has('le')) rule.le = w.int(f.get('le'), `${key}.le`, rule.ge ?? cidr.length, max);
    if (f.has('community')) {
      rule.community = w.str(f.get('community'), `${key}.community`);
      if (tryParseCommunity(rule.community) === undefined)
        w.fail(
          `"${rule.community}" is not a community: write ${COMMUNITY_HINT}`,
          `${key}.community`,
          f.get('community'),
        );
    }
    if (f.has('largeCommunity')) {
      rule.largeCommunity = w.str(f.get('largeCommunity'), `${key}.largeCommunity`);
      if (tryParseLargeCommunity(rule.largeCommunity) === undefined) {
        w.fail(
          `"${rule.largeCommunity}" is not a large community: write ${LARGE_COMMUNITY_HINT}`,
          `${key}.largeCommunity`,
          f.get('largeCommunity'),
        );
      }
    }
    return rule;
  });
}

/** Cross-field checks shared by every config source. */
export function checkConsistency(config: AgentConfig, fail: (message: string, key: string) => never): void {
  const clusters = config.clusterCIDRs.map((c) => parseCidr(c));
  config.podCIDRs.forEach((p, i) => {
    const pod = parseCidr(p);
    if (clusters.length > 0 && !clusters.some((c) => c.family === pod.family)) {
      fail(
        `${p} is IPv${pod.family} but clusterCIDRs has IPv${pod.family === 4 ? 6 : 4} prefixes only (${config.clusterCIDRs.join(', ')}): other nodes' IPv${pod.family} pod routes would never be accepted; add an IPv${pod.family} cluster CIDR`,
        `podCIDRs[${i}]`,
      );
    }
    if (clusters.length > 0 && !clusters.some((c) => cidrContains(c, pod))) {
      fail(`${p} is not inside any of clusterCIDRs (${config.clusterCIDRs.join(', ')})`, `podCIDRs[${i}]`);
    }
  });
  checkFamilies(config, fail);
  config.peers.forEach((peer, i) => {
    if (peer.address === config.routerId && peer.asn === config.asn) {
      fail('a peer cannot be this node itself (same address as routerId and same ASN)', `peers[${i}].address`);
    }
    const attr = peerAttributeProblem(config, peer);
    if (attr) fail(attr.message, `peers[${i}].${attr.key}`);
    if (peer.routeReflectorClient && !config.routeReflector) {
      fail('needs routeReflector (this node reflecting) at the top level', `peers[${i}].routeReflectorClient`);
    }
    if (peer.routeReflectorClient && peer.asn !== config.asn) {
      fail(
        `a route reflector client is an iBGP peer (asn ${config.asn}), got ${peer.asn}`,
        `peers[${i}].routeReflectorClient`,
      );
    }
  });
}

/**
 * Each session carries its own address family only (one session per family, no RFC 8950 extended next hop: see
 * docs/dual-stack.md): a session sourced from an address of the other family would have no next hop to give for its
 * routes. (A pod CIDR of a family no peer has is not advertised: the agent warns of it, see unadvertisedPodCidrs.)
 */
function checkFamilies(config: AgentConfig, fail: (message: string, key: string) => never): void {
  const family = (a: string) => (a.includes(':') ? 6 : 4);
  config.peers.forEach((peer, i) => {
    if (peer.localAddress !== undefined && family(peer.localAddress) !== family(peer.address)) {
      fail(
        `${peer.localAddress} is IPv${family(peer.localAddress)} but the peer ${peer.address} is IPv${family(peer.address)}: a session's next hop is its local address, of the peer's family; give an IPv${family(peer.address)} localAddress, or a peer entry per family`,
        `peers[${i}].localAddress`,
      );
    }
  });
}
